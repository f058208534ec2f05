"""Turn staged POS items and stock into offers (and retailer items), a batch of items at a time.

Catalog rules (the POS is the source of truth): each variant with a valid barcode becomes one offer per
mapped location that stocks it, linked to the global product for that GTIN (created when new); a variant
without one becomes a retailer item instead (and offers too once the retailer matched it to a GTIN,
`matched_gtin`); an archived/draft/deactivated variant's offers are `discontinued`; a variant deleted in
the POS, or stocked only at unmapped locations, has no offers. Manual offers for the same product, store and
SKU are taken over by the POS.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row

from localshelf.domain.ids import new_public_id
from localshelf.domain.stock import pos_offer_status, status_for_quantity
from localshelf.services.products import add_search_terms, search_fields
from localshelf.store import pos_staging as staging
from localshelf.store.db import UnitOfWork
from localshelf.store.models import InStoreOffer

SKU_LENGTH = 64
BATCH = 200  # POS items per set-based materialization (bounded by SQLite's bound-parameter limit)
COMPARED = ("product_id", "sku", "price_minor", "currency", "quantity_on_hand", "status")


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    retailer_items: int = 0

    def add(self, other: Tally) -> None:
        for name in ("created", "updated", "unchanged", "removed", "retailer_items"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class StagedItem(Protocol):
    """A staged POS item's fields (a `PosItem`, or a row of `pos_staging.locked_items`)."""

    id: int
    external_id: str
    sku: str | None
    gtin: str | None
    matched_gtin: str | None


def item_sku(item: StagedItem) -> str:
    return (item.sku or item.external_id)[:SKU_LENGTH]


def effective_gtin(item: StagedItem) -> str | None:
    """The item's own barcode GTIN, else the GTIN the retailer matched it to (match_retailer_item)."""
    return item.gtin or item.matched_gtin


def _ensure_products(uow: UnitOfWork, items: Sequence[Row[Any]]) -> dict[str, int]:
    """Product pk per GTIN, creating the global products that do not exist yet."""
    by_gtin = {gtin: item for item in items if (gtin := effective_gtin(item))}
    known = staging.product_ids_by_gtin(uow.session, by_gtin)
    # In GTIN order, as every key-ordered write here: two batches written at once then lock shared keys in the same
    # order, so one waits for the other instead of deadlocking (sync_runner's build lanes).
    missing = sorted((gtin, item) for gtin, item in by_gtin.items() if gtin not in known)
    if missing:
        rows = [
            {
                "public_id": new_public_id("product"),
                "gtin": gtin,
                "name": item.name,
                "brand": item.brand,
                "description": item.description,
                "category": item.category,
                "image_urls": list(item.image_urls or []),
                **search_fields(item.name, item.brand, item.category),
            }
            for gtin, item in missing
        ]
        staging.insert_products(uow, rows)
        add_search_terms(uow, [str(row["search_doc"]) for row in rows])
        known = staging.product_ids_by_gtin(uow.session, by_gtin)
    return known


def materialize(
    uow: UnitOfWork,
    organization_id: int,
    integration_id: int,
    ids: Sequence[int],
    now: datetime,
    confirmed: Collection[tuple[int, str]] | None = None,
) -> Tally:
    """Bring the offers and retailer items of POS items `ids` in line with their staged state.

    An offer whose row is unchanged gets `last_inventory_sync = now` only where this rebuild confirms its stock:
    `confirmed` (item id, POS location) levels — a webhook reports one store's level, not the item's others —
    or, when None, every level of these items (a sync read them all)."""
    tally = Tally()
    if not ids:
        return tally
    # Two units rebuilding one item at once (a sync's batch, a webhook batch on another worker) take turns: each
    # reads the staged stock only once the other committed, so the last offer written is built from the newest.
    items = staging.locked_items(uow.session, ids)
    live = [item for item in items if not item.deleted]
    mapped = staging.mapped_locations(uow.session, integration_id)
    stock: dict[str, list[tuple[str, int]]] = {}  # inventory item -> (POS location, quantity)
    inventory_ids = [item.inventory_item_id for item in live if item.inventory_item_id]
    for inventory_item_id, location, quantity in staging.stock_for(
        uow.session, integration_id, inventory_ids, list(mapped)
    ):
        stock.setdefault(inventory_item_id, []).append((location, quantity))
    products = _ensure_products(uow, [item for item in live if effective_gtin(item)])

    wanted_offers: dict[tuple[int, int], dict[str, Any]] = {}
    wanted_items: dict[tuple[int, int | None, str], dict[str, Any]] = {}
    for item in live:
        levels = stock.get(item.inventory_item_id or "", [])
        if not item.gtin:
            tally.retailer_items += 1
        # Several POS locations mapped to one store (Lightspeed outlets the retailer combines): their stock adds up.
        per_store: dict[int, int] = {}
        for location_external_id, level_quantity in levels:
            location_id = mapped[location_external_id]
            per_store[location_id] = per_store.get(location_id, 0) + max(0, level_quantity)
        for location_id, quantity in per_store.items():
            if gtin := effective_gtin(item):
                wanted_offers[(item.id, location_id)] = {
                    "organization_id": organization_id,
                    "location_id": location_id,
                    "product_id": products[gtin],
                    "sku": item_sku(item),
                    "price_minor": item.price_minor,
                    "currency": item.currency,
                    "quantity_on_hand": quantity,
                    "status": pos_offer_status(item.active, quantity),
                    "source": "pos",
                    "pos_item_id": item.id,
                }
            if not item.gtin:  # kept (matched or not) so list_unmatched_items / match_retailer_item can see it
                wanted_items[(organization_id, location_id, item_sku(item))] = {
                    "organization_id": organization_id,
                    "location_id": location_id,
                    "sku": item_sku(item),
                    "name": item.name,
                    "price_minor": item.price_minor,
                    "currency": item.currency,
                    "quantity_on_hand": quantity,
                    "pos_item_id": item.id,
                    "matched_product_id": products[gtin] if gtin else None,
                }
    fresh = None if confirmed is None else {(item, mapped[pos]) for item, pos in confirmed if pos in mapped}
    _apply_offers(uow, ids, wanted_offers, now, tally, fresh)
    _apply_retailer_items(uow, ids, wanted_items)
    return tally


def materialize_all(uow: UnitOfWork, organization_id: int, integration_id: int, now: datetime) -> Tally:
    """Every staged item of the integration, in batches (after its location mapping changed)."""
    tally, after = Tally(), 0
    while ids := staging.item_ids_after(uow.session, integration_id, after, BATCH):
        tally.add(materialize(uow, organization_id, integration_id, ids, now))
        after = ids[-1]
    return tally


def _apply_offers(
    uow: UnitOfWork,
    ids: Sequence[int],
    wanted: dict[tuple[int, int], dict[str, Any]],
    now: datetime,
    tally: Tally,
    fresh: set[tuple[int, int]] | None,
) -> None:
    """`fresh`: the (item id, location) offers whose stock was confirmed now (None: all)."""
    existing = {(offer.pos_item_id, offer.location_id): offer for offer in staging.offers_of_items(uow.session, ids)}
    adoptable = {
        (offer.product_id, offer.location_id, offer.sku): offer
        for offer in staging.unowned_offers(
            uow.session, (w["product_id"] for w in wanted.values()), (w["location_id"] for w in wanted.values())
        )
    }
    creates: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    unchanged: list[int] = []
    for key, values in wanted.items():
        offer: InStoreOffer | None = existing.get(key) or adoptable.pop(
            (values["product_id"], values["location_id"], values["sku"]), None
        )
        if offer is not None and values["status"] != "discontinued":  # the offer's own low-stock threshold
            values = {**values, "status": status_for_quantity(values["quantity_on_hand"], offer.low_stock_threshold)}
        if offer is None:
            stamps = {"last_inventory_sync": now, "created_at": now, "updated_at": now}
            creates.append({**values, "public_id": new_public_id("offer"), **stamps})
        elif offer.pos_item_id is None or any(getattr(offer, name) != values[name] for name in COMPARED):
            updates.append({"id": offer.id, **values, "last_inventory_sync": now, "updated_at": now})
        else:
            tally.unchanged += 1
            if fresh is None or key in fresh:
                unchanged.append(offer.id)
    gone = [offer.id for key, offer in existing.items() if key not in wanted]
    creates.sort(key=lambda row: (row["product_id"], row["location_id"], row["sku"]))
    updates.sort(key=lambda row: row["id"])
    staging.delete_offers(uow.session, gone)
    staging.update_offers(uow, updates)
    staging.touch_offers(uow.session, unchanged, now)
    tally.created += staging.insert_offers(uow, creates)
    tally.updated += len(updates)
    tally.removed += len(gone)


def _apply_retailer_items(
    uow: UnitOfWork, ids: Sequence[int], wanted: dict[tuple[int, int | None, str], dict[str, Any]]
) -> None:
    existing = staging.retailer_items_of(uow.session, ids)
    gone = [row.id for row in existing if (row.organization_id, row.location_id, row.sku) not in wanted]
    staging.delete_retailer_items(uow.session, gone)
    rows = [
        {**values, "public_id": new_public_id("retailer_item")}
        for _key, values in sorted(wanted.items(), key=_by_store_and_sku)
    ]
    staging.upsert_retailer_items(uow, rows)


def _by_store_and_sku(entry: tuple[tuple[int, int | None, str], dict[str, Any]]) -> tuple[int, str]:
    (_organization, location_id, sku), _values = entry
    return location_id or 0, sku
