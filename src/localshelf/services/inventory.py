"""Inventory: stock movements with their cause, per-offer stock rules, low-stock alerts and multi-location stock.

A movement is recorded once per (organization, external_id), so a caller that retries, or a register that
sends the same sale twice, moves the stock once. Offers a POS sync keeps are not changed by movements: the
POS count is the source of truth and lands at the next sync or webhook.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from localshelf.domain.auth import Role
from localshelf.domain.confidence import confidence_for
from localshelf.domain.errors import Conflict, ErrorCode, InvalidInput
from localshelf.domain.ids import new_public_id
from localshelf.domain.movements import apply_delta, check_delta, check_occurred_at
from localshelf.domain.stock import MAX_STOCK_LEVEL, OfferStatus, low_stock_level, needs_reorder, status_for_quantity
from localshelf.services import offers
from localshelf.services.access import own_location_pk, readable, tenant_object
from localshelf.services.cursors import decode_cursor, encode_cursor
from localshelf.services.inventory_views import (
    LocationStock,
    LowStockItem,
    LowStockPage,
    MovementList,
    MovementView,
    OfferStock,
    ProductStock,
    RecordedMovement,
    StockRules,
)
from localshelf.services.present import product_summary
from localshelf.services.views import Price
from localshelf.store import inventory as store
from localshelf.store.db import UnitOfWork
from localshelf.store.models import InStoreOffer, InventoryMovement, Organization

POS_OWNED = (
    "This offer's stock is kept by a POS sync: the movement is recorded but the quantity is unchanged; "
    "the POS count sets it at the next sync or webhook."
)


def _status_after(offer: InStoreOffer, quantity: int) -> OfferStatus:
    """The stock rule with the offer's own threshold; a discontinued offer stays discontinued."""
    if offer.status == "discontinued":
        return "discontinued"
    return status_for_quantity(quantity, offer.low_stock_threshold)


def _movement_view(movement: InventoryMovement, offer_id: str | None) -> MovementView:
    return MovementView(
        id=movement.public_id,
        offer_id=offer_id,
        delta=movement.delta,
        reason=movement.reason,
        source=movement.source,
        external_id=movement.external_id,
        occurred_at=movement.occurred_at,
        applied=movement.applied,
        quantity_after=movement.quantity_after,
        note=movement.note,
        created_at=movement.created_at,
    )


def _same_content(
    movement: InventoryMovement, offer: InStoreOffer, delta: int, reason: str, occurred_at: datetime, note: str | None
) -> bool:
    return (movement.offer_id, movement.delta, movement.reason, movement.occurred_at, movement.note) == (
        offer.id,
        delta,
        reason,
        occurred_at,
        note,
    )


def _repeat(
    existing: InventoryMovement,
    offer: InStoreOffer,
    offer_id: str,
    delta: int,
    reason: str,
    occurred_at: datetime,
    note: str | None,
) -> RecordedMovement:
    if not _same_content(existing, offer, delta, reason, occurred_at, note):
        raise Conflict(
            f"external_id {existing.external_id!r} was already used for a different movement ({existing.public_id}); "
            "use a new external_id for a new movement.",
            ErrorCode.EXTERNAL_ID_REUSED,
        )
    return RecordedMovement(
        movement=_movement_view(existing, offer_id),
        duplicate=True,
        clamped=False,
        quantity_on_hand=offer.quantity_on_hand,
        status=offer.status,
        message=f"Already recorded as {existing.public_id}: nothing changed.",
    )


def record_inventory_movement(
    uow: UnitOfWork,
    offer_id: str,
    delta: int,
    reason: str,
    occurred_at: datetime,
    external_id: str,
    note: str | None,
    now: datetime,
) -> RecordedMovement:
    found, _ = tenant_object(uow, InStoreOffer, offer_id, Role.MANAGER)
    check_delta(reason, delta)
    check_occurred_at(occurred_at, now)
    # Under the offer's row lock a concurrent repeat waits here, then finds the first one's movement.
    offer = store.lock_offer(uow.session, found.id)
    existing = store.movement_by_external_id(uow.session, offer.organization_id, external_id)
    if existing is not None:
        return _repeat(existing, offer, offer_id, delta, reason, occurred_at, note)

    pos_owned = offer.source == "pos"
    quantity, clamped = (offer.quantity_on_hand, False) if pos_owned else apply_delta(offer.quantity_on_hand, delta)
    movement = InventoryMovement(
        public_id=new_public_id("movement"),
        organization_id=offer.organization_id,
        offer_id=offer.id,
        pos_item_id=offer.pos_item_id,
        delta=delta,
        reason=reason,
        source="manual",
        external_id=external_id,
        occurred_at=occurred_at,
        applied=not pos_owned,
        quantity_after=None if pos_owned else quantity,
        note=note,
        created_at=now,
    )
    try:
        with uow.session.begin_nested():
            uow.session.add(movement)
    except IntegrityError:  # the same external_id was just recorded for another offer of the organization
        existing = store.movement_by_external_id(uow.session, offer.organization_id, external_id)
        if existing is None:
            raise
        return _repeat(existing, offer, offer_id, delta, reason, occurred_at, note)

    if pos_owned:
        message = POS_OWNED
    else:
        offer.quantity_on_hand, offer.status = quantity, _status_after(offer, quantity)
        offer.last_inventory_sync = now  # the caller just told us the stock level
        message = f"Stock is now {quantity}" + (
            " (clamped at 0: the movement asked for more than was on hand)." if clamped else "."
        )
    uow.session.flush()
    return RecordedMovement(
        movement=_movement_view(movement, offer_id),
        duplicate=False,
        clamped=clamped,
        quantity_on_hand=offer.quantity_on_hand,
        status=offer.status,
        message=message,
    )


def list_inventory_movements(uow: UnitOfWork, offer_id: str, limit: int) -> MovementList:
    offer, _ = tenant_object(uow, InStoreOffer, offer_id, Role.STAFF)
    movements = store.movements_of_offer(uow.session, offer.id, limit)
    return MovementList(offer_id=offer_id, movements=[_movement_view(m, offer_id) for m in movements])


def _check_level(name: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= MAX_STOCK_LEVEL:
        raise InvalidInput(f"{name} must be between 0 and {MAX_STOCK_LEVEL}, got {value}.", ErrorCode.INVALID_QUANTITY)


def _rules_view(offer: InStoreOffer, offer_id: str) -> StockRules:
    return StockRules(
        offer_id=offer_id,
        quantity_on_hand=offer.quantity_on_hand,
        status=offer.status,
        low_stock_threshold=offer.low_stock_threshold,
        low_stock_level=low_stock_level(offer.low_stock_threshold),
        reorder_point=offer.reorder_point,
        needs_reorder=needs_reorder(offer.quantity_on_hand, offer.reorder_point),
    )


def set_stock_rules(
    uow: UnitOfWork, offer_id: str, low_stock_threshold: int | None, reorder_point: int | None
) -> StockRules:
    found, _ = tenant_object(uow, InStoreOffer, offer_id, Role.MANAGER)
    _check_level("low_stock_threshold", low_stock_threshold)
    _check_level("reorder_point", reorder_point)
    offer = store.lock_offer(uow.session, found.id)
    offer.low_stock_threshold, offer.reorder_point = low_stock_threshold, reorder_point
    offer.status = _status_after(offer, offer.quantity_on_hand)
    uow.session.flush()
    return _rules_view(offer, offer_id)


def list_low_stock(
    uow: UnitOfWork, organization_id: str, location_id: str | None, cursor: str | None, limit: int
) -> LowStockPage:
    organization = readable(uow, Organization, organization_id)
    location_pk = own_location_pk(uow, organization, location_id)
    after = decode_cursor("l", cursor) if cursor else None
    rows, total = store.low_stock_page(uow.session, organization.id, location_pk, after, limit + 1)
    page = rows[:limit]
    return LowStockPage(
        items=[
            LowStockItem(
                offer_id=offer.public_id,
                product=product_summary(offer.product),
                sku=offer.sku,
                location_id=offer.location.public_id,
                location_name=offer.location.name,
                quantity_on_hand=offer.quantity_on_hand,
                status=offer.status,
                low_stock_threshold=offer.low_stock_threshold,
                low_stock_level=low_stock_level(offer.low_stock_threshold),
                reorder_point=offer.reorder_point,
                needs_reorder=needs_reorder(offer.quantity_on_hand, offer.reorder_point),
                source=offer.source,
                last_inventory_sync=offer.last_inventory_sync,
            )
            for offer in page
        ],
        total=total,
        next_cursor=encode_cursor("l", page[-1].id) if len(rows) > limit else None,
    )


def get_product_stock(
    uow: UnitOfWork, organization_id: str, product_id: str | None, gtin: str | None, now: datetime
) -> ProductStock:
    organization = readable(uow, Organization, organization_id)
    product = offers.resolve_product(uow, product_id, gtin)
    by_location: dict[int, LocationStock] = {}
    for location, offer in store.product_stock(uow.session, organization.id, product.id):
        entry = by_location.setdefault(
            location.id,
            LocationStock(
                location_id=location.public_id,
                name=location.name,
                published=location.published,
                quantity_on_hand=0,
                offers=[],
            ),
        )
        if offer is None:
            continue
        entry.quantity_on_hand += offer.quantity_on_hand
        entry.offers.append(
            OfferStock(
                offer_id=offer.public_id,
                sku=offer.sku,
                quantity_on_hand=offer.quantity_on_hand,
                status=offer.status,
                price=Price.of(offer.price_minor, offer.currency),
                source=offer.source,
                last_inventory_sync=offer.last_inventory_sync,
                confidence=confidence_for(offer.last_inventory_sync, now),
            )
        )
    locations = list(by_location.values())
    return ProductStock(
        organization_id=organization.public_id,
        product=product_summary(product),
        locations=locations,
        total_quantity=sum(entry.quantity_on_hand for entry in locations),
        stocked_locations=sum(1 for entry in locations if entry.quantity_on_hand > 0),
    )
