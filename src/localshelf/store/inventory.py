"""SQL for inventory: movements, the low-stock list and one product's stock across a retailer's locations."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from localshelf.domain.stock import LOW_STOCK_AT_OR_BELOW
from localshelf.store.models import InStoreOffer, InventoryMovement, Location


def lock_offer(session: Session, offer_pk: int) -> InStoreOffer:
    """The offer, re-read under a row lock so concurrent movements apply one after the other.

    SQLite renders no FOR UPDATE; there a write unit already holds the database's write lock.
    """
    offer = session.scalar(
        select(InStoreOffer)
        .where(InStoreOffer.id == offer_pk)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert offer is not None  # the caller just read it in this transaction
    return offer


def movement_by_external_id(session: Session, organization_pk: int, external_id: str) -> InventoryMovement | None:
    return session.scalar(
        select(InventoryMovement).where(
            InventoryMovement.organization_id == organization_pk, InventoryMovement.external_id == external_id
        )
    )


def movements_of_offer(session: Session, offer_pk: int, limit: int) -> list[InventoryMovement]:
    """Newest first; ix_movements_offer_occurred serves both the filter and the order."""
    return list(
        session.scalars(
            select(InventoryMovement)
            .where(InventoryMovement.offer_id == offer_pk)
            .order_by(InventoryMovement.occurred_at.desc(), InventoryMovement.id.desc())
            .limit(limit)
        )
    )


def _low_stock() -> ColumnElement[bool]:
    """At or below the offer's low-stock level (0 included) or its reorder point, or marked low/out by a person."""
    level = func.coalesce(InStoreOffer.low_stock_threshold, LOW_STOCK_AT_OR_BELOW)
    return and_(
        InStoreOffer.status != "discontinued",
        or_(
            InStoreOffer.status.in_(("low_stock", "out_of_stock")),
            InStoreOffer.quantity_on_hand <= level,
            and_(InStoreOffer.reorder_point.is_not(None), InStoreOffer.quantity_on_hand <= InStoreOffer.reorder_point),
        ),
    )


def low_stock_page(
    session: Session, organization_pk: int, location_pk: int | None, after_id: int | None, limit: int
) -> tuple[list[InStoreOffer], int]:
    """A page of an organization's low-stock offers in id order (keyset on ix_offers_organization_id), and the total.

    The per-offer level cannot be indexed, so the organization (or location) index bounds the scan.
    """
    filters = [InStoreOffer.organization_id == organization_pk, _low_stock()]
    if location_pk is not None:
        filters.append(InStoreOffer.location_id == location_pk)
    total = session.scalar(select(func.count()).select_from(InStoreOffer).where(*filters)) or 0
    page = select(InStoreOffer).where(*filters)
    if after_id is not None:
        page = page.where(InStoreOffer.id > after_id)
    rows = session.scalars(
        page.options(joinedload(InStoreOffer.product), joinedload(InStoreOffer.location))
        .order_by(InStoreOffer.id)
        .limit(limit)
    ).all()
    return list(rows), int(total)


def product_stock(
    session: Session, organization_pk: int, product_pk: int
) -> Sequence[tuple[Location, InStoreOffer | None]]:
    """Every location of the organization, each with its offers of the product (None where it has none)."""
    rows = session.execute(
        select(Location, InStoreOffer)
        .outerjoin(
            InStoreOffer,
            and_(InStoreOffer.location_id == Location.id, InStoreOffer.product_id == product_pk),
        )
        .where(Location.organization_id == organization_pk)
        .order_by(Location.name, Location.id, InStoreOffer.sku, InStoreOffer.id)
    ).all()
    return [(location, offer) for location, offer in rows]
