"""In-store offers: a retailer's price and stock for one product at one location."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from localshelf.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from localshelf.domain.gtin import normalize_gtin
from localshelf.domain.ids import new_public_id
from localshelf.domain.money import normalize_currency, validate_amount_minor
from localshelf.domain.stock import OfferStatus, status_for_quantity
from localshelf.services.access import own_location_pk, readable, writable
from localshelf.services.cursors import decode_cursor, encode_cursor
from localshelf.services.lookup import by_public_id, product_by_gtin
from localshelf.services.present import offer_view
from localshelf.services.views import OfferPage, OfferView
from localshelf.store import queries
from localshelf.store.db import UnitOfWork
from localshelf.store.models import InStoreOffer, Location, Organization, Product


def _check_stock(quantity: int, status: str) -> None:
    if quantity < 0:
        raise InvalidInput(f"quantity_on_hand must be 0 or more, got {quantity}.", ErrorCode.INVALID_QUANTITY)
    if quantity == 0 and status in ("in_stock", "low_stock"):
        raise InvalidInput(
            f"status {status!r} needs a quantity above 0; use out_of_stock or discontinued.",
            ErrorCode.INVALID_QUANTITY,
        )


def resolve_product(uow: UnitOfWork, product_id: str | None, gtin: str | None) -> Product:
    """The product named by exactly one of its id or its GTIN."""
    if (product_id is None) == (gtin is None):
        raise InvalidInput("Give exactly one of product_id or gtin.")
    if product_id is not None:
        return by_public_id(uow.session, Product, product_id)
    assert gtin is not None
    gtin14 = normalize_gtin(gtin)
    product = product_by_gtin(uow.session, gtin14)
    if product is None:
        raise NotFound(f"No product with GTIN {gtin14} is registered: call register_product first.")
    return product


def create_in_store_offer(
    uow: UnitOfWork,
    organization_id: str,
    location_id: str,
    product_id: str | None,
    gtin: str | None,
    sku: str,
    price_minor: int,
    currency: str,
    quantity_on_hand: int,
    status: OfferStatus | None,
    now: datetime,
) -> OfferView:
    organization = writable(uow, Organization, organization_id)
    location = by_public_id(uow.session, Location, location_id)
    if location.organization_id != organization.id:
        raise NotFound.of("location", location_id)
    product = resolve_product(uow, product_id, gtin)
    validate_amount_minor(price_minor)
    currency = normalize_currency(currency)
    status = status or status_for_quantity(quantity_on_hand)
    _check_stock(quantity_on_hand, status)
    duplicate = uow.session.scalar(
        select(InStoreOffer.public_id).where(
            InStoreOffer.product_id == product.id,
            InStoreOffer.location_id == location.id,
            InStoreOffer.sku == sku,
        )
    )
    if duplicate is not None:
        raise Conflict(
            f"Location {location_id} already has an offer for this product with SKU {sku!r} ({duplicate}); "
            "update that offer instead.",
            ErrorCode.DUPLICATE_OFFER,
        )
    offer = InStoreOffer(
        public_id=new_public_id("offer"),
        organization_id=organization.id,
        location_id=location.id,
        product_id=product.id,
        sku=sku,
        price_minor=price_minor,
        currency=currency,
        quantity_on_hand=quantity_on_hand,
        status=status,
        source="manual",
        last_inventory_sync=now,
    )
    uow.session.add(offer)
    try:
        uow.session.flush()
    except IntegrityError as exc:  # a concurrent insert won the race for the same triple
        raise Conflict(f"Location {location_id} already has an offer for this product with SKU {sku!r}.") from exc
    return offer_view(offer, product, location, organization, now)


def update_in_store_offer(
    uow: UnitOfWork,
    offer_id: str,
    price_minor: int | None,
    currency: str | None,
    quantity_on_hand: int | None,
    status: OfferStatus | None,
    now: datetime,
) -> OfferView:
    offer = writable(
        uow,
        InStoreOffer,
        offer_id,
        joinedload(InStoreOffer.product),
        joinedload(InStoreOffer.location),
        joinedload(InStoreOffer.organization),
    )
    if price_minor is None and currency is None and quantity_on_hand is None and status is None:
        raise InvalidInput("Nothing to update: give price_minor, currency, quantity_on_hand or status.")
    if price_minor is not None:
        validate_amount_minor(price_minor)
        offer.price_minor = price_minor
    if currency is not None:
        offer.currency = normalize_currency(currency)
    if quantity_on_hand is not None or status is not None:
        quantity = offer.quantity_on_hand if quantity_on_hand is None else quantity_on_hand
        new_status = status or status_for_quantity(quantity, offer.low_stock_threshold)
        _check_stock(quantity, new_status)
        offer.quantity_on_hand, offer.status = quantity, new_status
        offer.last_inventory_sync = now  # a person just confirmed the stock level
    uow.session.flush()
    return offer_view(offer, offer.product, offer.location, offer.organization, now)


def list_in_store_offers(
    uow: UnitOfWork,
    organization_id: str,
    location_id: str | None,
    status: OfferStatus | None,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> OfferPage:
    organization = readable(uow, Organization, organization_id)
    location_pk = own_location_pk(uow, organization, location_id)
    after = decode_cursor("o", cursor) if cursor else None
    rows, total = queries.offers_page(uow.session, organization.id, location_pk, status, after, limit + 1)
    page = rows[:limit]
    next_cursor = encode_cursor("o", page[-1].id) if len(rows) > limit else None
    return OfferPage(
        offers=[offer_view(o, o.product, o.location, o.organization, now) for o in page],
        total=total,
        next_cursor=next_cursor,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
