"""Catalog mapping: a provider-neutral POS record → the staged row the sync and webhooks store.

A barcode that is a valid GTIN (8, 12, 13 or 14 digits with a correct check digit) is kept as GTIN-14 and
links the variant to the global product; anything else leaves `gtin` empty (the variant becomes a retailer
item). Text is cut to the column sizes; times fall back to when the record was read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from localshelf.domain.errors import InvalidInput
from localshelf.domain.gtin import normalize_gtin
from localshelf.pos.contract import PosItem, PosStock


def gtin_of(barcode: str | None) -> str | None:
    if not barcode:
        return None
    try:
        return normalize_gtin(barcode)
    except InvalidInput:
        return None


def _cut(value: str | None, size: int) -> str | None:
    return value[:size] if value else None


def staged_item(item: PosItem, read_at: datetime) -> dict[str, Any]:
    return {
        "external_id": item.external_id[:255],
        "product_external_id": item.product_external_id[:255],
        "inventory_item_id": _cut(item.inventory_item_id, 255),
        "sku": _cut(item.sku, 64),
        "barcode": _cut(item.barcode, 64),
        "gtin": gtin_of(item.barcode),
        "name": item.name[:300],
        "brand": _cut(item.brand, 200),
        "category": _cut(item.category, 200),
        "description": item.description,
        "image_urls": list(item.image_urls),
        "price_minor": item.price_minor,
        "currency": item.currency,
        "active": item.active,
        "deleted": item.deleted,
        "pos_updated_at": item.updated_at or read_at,
    }


def staged_stock(level: PosStock, read_at: datetime) -> dict[str, Any]:
    return {
        "inventory_item_id": level.inventory_item_id[:255],
        "location_external_id": level.location_external_id[:255],
        "quantity": level.quantity,
        "pos_updated_at": level.updated_at or read_at,
    }
