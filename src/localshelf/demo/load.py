"""Load the demo dataset into a database with set-based inserts.

Public ids are derived from the dataset's keys, so the same seed gives the same ids
on every machine and backend (handy for docs and for comparing backends).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text

from localshelf.domain.ids import ID_PREFIXES
from localshelf.services.products import add_search_terms, search_fields
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import InStoreOffer, Location, Organization, Product, RetailerItem

from .dataset import DEFAULT_SEED, DemoDataset, build_dataset

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_BATCH = 2000

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class LoadReport:
    organizations: int
    locations: int
    products: int
    offers: int
    retailer_items: int
    already_loaded: bool = False


def demo_public_id(kind: str, key: str, seed: int) -> str:
    digest = hashlib.sha256(f"{seed}:{kind}:{key}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = [_ALPHABET[(number >> (5 * i)) & 31] for i in range(12)]
    return f"{ID_PREFIXES[kind]}_{''.join(chars)}"


def _insert(uow: UnitOfWork, model: type[Any], rows: list[dict[str, Any]], progress: Progress | None) -> None:
    for start in range(0, len(rows), _BATCH):
        uow.session.execute(insert(model), rows[start : start + _BATCH])
        if progress:
            progress(model.__tablename__, min(start + _BATCH, len(rows)), len(rows))


def _ids(uow: UnitOfWork, model: type[Any]) -> dict[str, int]:
    return {row[0]: row[1] for row in uow.session.execute(select(model.public_id, model.id))}


def load_dataset(uow: UnitOfWork, data: DemoDataset, seed: int, now: datetime, progress: Progress | None) -> LoadReport:
    marker = demo_public_id("organization", data.organizations[0].key, seed)
    if uow.session.scalar(select(Organization.id).where(Organization.public_id == marker)) is not None:
        return LoadReport(0, 0, 0, 0, 0, already_loaded=True)

    def pid(kind: str, key: str) -> str:
        return demo_public_id(kind, key, seed)

    _insert(
        uow,
        Organization,
        [
            {
                "public_id": pid("organization", o.key),
                "name": o.name,
                "kind": o.kind,
                "website": o.website,
                "created_at": now,
            }
            for o in data.organizations
        ],
        progress,
    )
    org_ids = _ids(uow, Organization)
    _insert(
        uow,
        Location,
        [
            {
                "public_id": pid("location", loc.key),
                "organization_id": org_ids[pid("organization", loc.organization_key)],
                "name": loc.name,
                "address_line1": loc.address_line1,
                "address_line2": loc.address_line2,
                "city": loc.city,
                "region": loc.region,
                "postal_code": loc.postal_code,
                "country": loc.country,
                "latitude": loc.latitude,
                "longitude": loc.longitude,
                "timezone": loc.timezone,
                "opening_hours": loc.opening_hours,
                "phone": loc.phone,
                "website": loc.website,
                "published": loc.published,
                "created_at": now,
                "updated_at": now,
            }
            for loc in data.locations
        ],
        progress,
    )
    existing_gtins = set(uow.session.scalars(select(Product.gtin)))
    new_products = [p for p in data.products if p.gtin not in existing_gtins]
    product_rows: list[dict[str, Any]] = [
        {
            "public_id": pid("product", p.gtin),
            "gtin": p.gtin,
            "name": p.name,
            "brand": p.brand,
            "description": p.description,
            "category": p.category,
            "image_urls": list(p.image_urls),
            "created_at": now,
            "updated_at": now,
            **search_fields(p.name, p.brand, p.category),
        }
        for p in new_products
    ]
    _insert(uow, Product, product_rows, progress)
    add_search_terms(uow, [str(row["search_doc"]) for row in product_rows])

    location_ids = _ids(uow, Location)
    location_org = {loc.key: org_ids[pid("organization", loc.organization_key)] for loc in data.locations}
    product_ids = {row[0]: row[1] for row in uow.session.execute(select(Product.gtin, Product.id))}
    _insert(
        uow,
        InStoreOffer,
        [
            {
                "public_id": pid("offer", f"{o.location_key}/{o.gtin}/{o.sku}"),
                "organization_id": location_org[o.location_key],
                "location_id": location_ids[pid("location", o.location_key)],
                "product_id": product_ids[o.gtin],
                "sku": o.sku,
                "price_minor": o.price_minor,
                "currency": o.currency,
                "quantity_on_hand": o.quantity_on_hand,
                "status": o.status,
                "source": o.source,
                "last_inventory_sync": None if o.last_sync_age is None else now - o.last_sync_age,
                "created_at": now,
                "updated_at": now,
            }
            for o in data.offers
        ],
        progress,
    )
    _insert(
        uow,
        RetailerItem,
        [
            {
                "public_id": pid("retailer_item", f"{item.location_key}/{item.sku}"),
                "organization_id": location_org[item.location_key],
                "location_id": location_ids[pid("location", item.location_key)],
                "name": item.name,
                "sku": item.sku,
                "price_minor": item.price_minor,
                "currency": item.currency,
                "quantity_on_hand": item.quantity_on_hand,
                "created_at": now,
            }
            for item in data.retailer_items
        ],
        progress,
    )
    # Fresh planner statistics, so the first searches use the indexes (a bulk load leaves none).
    uow.session.execute(text("ANALYZE"))
    return LoadReport(
        organizations=len(data.organizations),
        locations=len(data.locations),
        products=len(new_products),
        offers=len(data.offers),
        retailer_items=len(data.retailer_items),
    )


def load_demo(
    database: Database, now: datetime, seed: int = DEFAULT_SEED, progress: Progress | None = None
) -> LoadReport:
    return database.transaction(load_dataset, build_dataset(seed), seed, now, progress)
