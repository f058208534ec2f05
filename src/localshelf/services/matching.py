"""Retailer items (barcode-less POS variants, manual items): suggestions, and matching them to global products.

A match makes an item searchable. For a POS item the GTIN is stored on the staged POS row (`matched_gtin`), so
every later sync or webhook keeps building its offers from the POS; a manual item gets one manual offer at its
location. Either way the retailer item stays, marked matched, so a later call can re-point it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from localshelf.domain.auth import Role
from localshelf.domain.errors import NotFound
from localshelf.domain.gtin import normalize_gtin
from localshelf.domain.ids import new_public_id
from localshelf.domain.matching import MIN_SCORE, item_words, similarity
from localshelf.domain.stock import status_for_quantity
from localshelf.services.access import check, own_location_pk, readable
from localshelf.services.cursors import decode_cursor, encode_cursor
from localshelf.services.lookup import product_by_gtin
from localshelf.services.materialize import materialize
from localshelf.services.present import offer_view
from localshelf.services.products import register_product
from localshelf.services.views import OfferView, Price, ProductView
from localshelf.store import matching as store
from localshelf.store.db import UnitOfWork
from localshelf.store.models import InStoreOffer, Location, Organization, PosItem, Product, RetailerItem

KIND = "retailer item"
SUGGESTIONS = 3
DEFAULT_CURRENCY = "USD"  # a manual item entered without a currency


class Suggestion(BaseModel):
    product_id: str
    gtin: str = Field(description="GTIN-14 to pass to match_retailer_item.")
    name: str
    brand: str | None
    score: float = Field(description="Name and brand similarity, 0 (unrelated) to 1 (same words).")


class UnmatchedItem(BaseModel):
    id: str = Field(description="Retailer item id ('itm_...'), for match_retailer_item.")
    name: str
    sku: str
    price: Price | None
    quantity_on_hand: int
    location_id: str | None
    source: Literal["pos", "manual"]
    suggestions: list[Suggestion] = Field(description="Up to 3 existing products that may be this item, best first.")


class UnmatchedItemPage(BaseModel):
    items: list[UnmatchedItem]
    total: int = Field(description="Unmatched items matching the filters, across all pages.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class MatchResult(BaseModel):
    item_id: str
    product: ProductView = Field(description="The global product the item is now matched to (created: new).")
    offers: list[OfferView] = Field(description="The item's searchable offers after the match.")
    changed: bool = Field(description="False when the item was already matched to this GTIN: nothing changed.")


def suggestions_for(uow: UnitOfWork, name: str) -> list[Suggestion]:
    candidates = store.candidate_products(uow.session, item_words(name))
    scored = [(similarity(name, product.name, product.brand), product) for product in candidates]
    ranked = sorted((pair for pair in scored if pair[0] >= MIN_SCORE), key=lambda pair: (-pair[0], pair[1].id))
    return [
        Suggestion(product_id=p.public_id, gtin=p.gtin, name=p.name, brand=p.brand, score=score)
        for score, p in ranked[:SUGGESTIONS]
    ]


def _price(item: RetailerItem) -> Price | None:
    return None if item.price_minor is None else Price.of(item.price_minor, item.currency or DEFAULT_CURRENCY)


def list_unmatched_items(
    uow: UnitOfWork, organization_id: str, location_id: str | None, cursor: str | None, limit: int
) -> UnmatchedItemPage:
    organization = readable(uow, Organization, organization_id)
    location_pk = own_location_pk(uow, organization, location_id)
    after = decode_cursor("i", cursor) if cursor else None
    rows, total = store.unmatched_page(uow.session, organization.id, location_pk, after, limit + 1)
    page = rows[:limit]
    return UnmatchedItemPage(
        items=[
            UnmatchedItem(
                id=item.public_id,
                name=item.name,
                sku=item.sku,
                price=_price(item),
                quantity_on_hand=item.quantity_on_hand,
                location_id=location_public_id,
                source="manual" if item.pos_item_id is None else "pos",
                suggestions=suggestions_for(uow, item.name),
            )
            for item, location_public_id in page
        ],
        total=total,
        next_cursor=encode_cursor("i", page[-1][0].id) if len(rows) > limit else None,
    )


def match_retailer_item(
    uow: UnitOfWork,
    item_id: str,
    gtin: str,
    name: str | None,
    brand: str | None,
    category: str | None,
    now: datetime,
) -> MatchResult:
    found = store.item_with_organization(uow.session, item_id)
    if found is None:
        raise NotFound.of(KIND, item_id)
    item, organization = found
    check(uow, organization.id, KIND, item_id, Role.MANAGER)
    # An existing product is linked as it is: name, brand and category only describe a new one.
    created = register_product(uow, normalize_gtin(gtin), name or item.name, brand, None, category, [])
    product = product_by_gtin(uow.session, created.gtin)
    assert product is not None
    if item.matched_product_id == product.id:
        return MatchResult(
            item_id=item_id, product=created, offers=_views(uow, _offers(uow, item, product), now), changed=False
        )
    if item.pos_item_id is not None:
        offers = _match_pos_item(uow, item, product, now)
    else:
        offers = _match_manual_item(uow, item, product, now)
    return MatchResult(item_id=item_id, product=created, offers=_views(uow, offers, now), changed=True)


def _match_pos_item(uow: UnitOfWork, item: RetailerItem, product: Product, now: datetime) -> list[InStoreOffer]:
    """Store the GTIN on the POS row (it survives syncs) and rebuild the POS item's offers now."""
    assert item.pos_item_id is not None
    pos_item = uow.session.get(PosItem, item.pos_item_id)
    assert pos_item is not None
    pos_item.matched_gtin = product.gtin
    uow.session.flush()
    materialize(uow, item.organization_id, pos_item.integration_id, [pos_item.id], now)
    # materialize marked every retailer item of this POS item (one per store) matched, in bulk
    uow.session.expire(item)
    return store.offers_of_pos_item(uow.session, pos_item.id)


def _match_manual_item(uow: UnitOfWork, item: RetailerItem, product: Product, now: datetime) -> list[InStoreOffer]:
    """One manual offer at the item's store, moved from the previously matched product when re-pointed."""
    previous = item.matched_product_id
    item.matched_product_id = product.id
    if item.location_id is None or item.price_minor is None:
        return []  # nowhere to offer it, or no price to offer it at: create_in_store_offer can add one
    earlier = None if previous is None else store.manual_offer(uow.session, previous, item.location_id, item.sku)
    current = store.manual_offer(uow.session, product.id, item.location_id, item.sku)
    if current is not None:
        if earlier is not None and earlier.pos_item_id is None:
            uow.session.delete(earlier)
        uow.session.flush()
        return [current]
    if earlier is not None and earlier.pos_item_id is None:
        earlier.product_id = product.id
        uow.session.flush()
        return [earlier]
    offer = InStoreOffer(
        public_id=new_public_id("offer"),
        organization_id=item.organization_id,
        location_id=item.location_id,
        product_id=product.id,
        sku=item.sku,
        price_minor=item.price_minor,
        currency=item.currency or DEFAULT_CURRENCY,
        quantity_on_hand=item.quantity_on_hand,
        status=status_for_quantity(item.quantity_on_hand),
        source="manual",
        last_inventory_sync=now,  # the retailer just confirmed the item by matching it
    )
    uow.session.add(offer)
    uow.session.flush()
    return [offer]


def _offers(uow: UnitOfWork, item: RetailerItem, product: Product) -> list[InStoreOffer]:
    if item.pos_item_id is not None:
        return store.offers_of_pos_item(uow.session, item.pos_item_id)
    if item.location_id is None:
        return []
    offer = store.manual_offer(uow.session, product.id, item.location_id, item.sku)
    return [] if offer is None else [offer]


def _views(uow: UnitOfWork, offers: list[InStoreOffer], now: datetime) -> list[OfferView]:
    if not offers:
        return []
    products = {
        p.id: p for p in uow.session.scalars(select(Product).where(Product.id.in_({o.product_id for o in offers})))
    }
    locations = {
        loc.id: loc
        for loc in uow.session.scalars(select(Location).where(Location.id.in_({o.location_id for o in offers})))
    }
    organization = uow.session.get(Organization, offers[0].organization_id)
    assert organization is not None
    return [offer_view(o, products[o.product_id], locations[o.location_id], organization, now) for o in offers]
