"""X-Series API 2.0 JSON shapes of the fake's records (POS-REFERENCE.md §4.3/§4.4). Decimals go out as
JSON numbers, as the OpenAPI export types them."""

from __future__ import annotations

from typing import Any

from localshelf.fakes.lightspeed.state import Inventory, Outlet, Product, Webhook


def product_json(p: Product) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "variant_name": p.variant_name or p.name,
        "handle": p.handle,
        "sku": p.sku,
        "active": p.active,
        "has_inventory": True,
        "has_variants": p.has_variants,
        "variant_parent_id": p.variant_parent_id,
        "product_codes": [dict(c) for c in p.product_codes],
        "price_including_tax": float(p.price_including_tax),
        "price_excluding_tax": float(p.price_excluding_tax),
        "brand_id": None,
        "categories": [],
        "image_url": None,
        "images": [],
        "created_at": p.updated_at,
        "updated_at": p.updated_at,
        "deleted_at": p.deleted_at,
        "version": p.version,
    }


def outlet_json(o: Outlet) -> dict[str, Any]:
    return {
        "id": o.id,
        "name": o.name,
        "time_zone": "America/New_York",
        "currency": o.currency,
        "currency_symbol": "$",
        "display_prices": o.display_prices,
        "physical_address_1": None,
        "physical_city": o.city,
        "physical_postcode": o.postcode,
        "physical_state": None,
        "physical_country_id": o.country_id,
        "deleted_at": o.deleted_at,
        "version": o.version,
    }


def inventory_json(i: Inventory) -> dict[str, Any]:
    return {
        "id": i.id,
        "product_id": i.product_id,
        "outlet_id": i.outlet_id,
        "inventory_level": float(i.inventory_level),
        "reorder_point": None,
        "reorder_amount": None,
        "version": i.version,
    }


def webhook_json(w: Webhook) -> dict[str, Any]:
    return {"id": w.id, "url": w.url, "active": w.active, "type": w.type}
