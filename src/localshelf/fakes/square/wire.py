"""Rendering of the fake's state in Square's wire format (api.json component schemas ``CatalogObject``,
``CatalogItem``, ``CatalogItemVariation``, ``CatalogCategory``, ``CatalogImage``, ``Location``,
``InventoryCount``, ``Error``)."""

from __future__ import annotations

from typing import Any

from localshelf.fakes.square.state import Category, Image, Item, Location, SquareState, Variation, rfc3339

Json = dict[str, Any]


def error_body(category: str, code: str, detail: str) -> Json:
    return {"errors": [{"category": category, "code": code, "detail": detail}]}


def _version(ts: float) -> int:
    return int(ts * 1000)  # Square's versions are millisecond-ish int64 stamps


def _envelope(kind: str, object_id: str, updated_at: float, deleted: bool = False) -> Json:
    return {
        "type": kind,
        "id": object_id,
        "updated_at": rfc3339(updated_at),
        "version": _version(updated_at),
        "is_deleted": deleted,
        "present_at_all_locations": True,
    }


def variation_object(item: Item, variation: Variation, currency: str) -> Json:
    data: Json = {
        "item_id": item.id,
        "name": variation.name,
        "pricing_type": "FIXED_PRICING" if variation.price is not None else "VARIABLE_PRICING",
        "track_inventory": True,
        "sellable": variation.sellable,
        "stockable": True,
    }
    if variation.sku is not None:
        data["sku"] = variation.sku
    if variation.upc is not None:
        data["upc"] = variation.upc
    if variation.price is not None:
        data["price_money"] = {"amount": variation.price, "currency": currency}
    obj = _envelope("ITEM_VARIATION", variation.id, variation.updated_at, item.is_deleted)
    obj["item_variation_data"] = data
    return obj


def item_object(item: Item, currency: str) -> Json:
    data: Json = {
        "name": item.name,
        "description": item.description,
        "is_archived": item.is_archived,
        "product_type": "REGULAR",
        "variations": [variation_object(item, v, currency) for v in item.variations],
    }
    if item.category_id is not None:
        data["categories"] = [{"id": item.category_id, "ordinal": 0}]
        data["reporting_category"] = {"id": item.category_id, "ordinal": 0}
    if item.image_id is not None:
        data["image_ids"] = [item.image_id]
    obj = _envelope("ITEM", item.id, item.updated_at, item.is_deleted)
    obj["item_data"] = data
    return obj


def category_object(category: Category) -> Json:
    obj = _envelope("CATEGORY", category.id, category.updated_at)
    obj["category_data"] = {"name": category.name}
    return obj


def image_object(image: Image) -> Json:
    obj = _envelope("IMAGE", image.id, image.updated_at)
    obj["image_data"] = {"name": image.id, "url": image.url}
    return obj


def location_object(state: SquareState, location: Location) -> Json:
    return {
        "id": location.id,
        "name": location.name,
        "status": location.status,
        "currency": location.currency,
        "country": location.country,
        "timezone": "America/Chicago",
        "type": "PHYSICAL",
        "merchant_id": state.merchant_id,
        "address": {
            "address_line_1": location.address_line_1,
            "locality": location.locality,
            "administrative_district_level_1": location.administrative_district_level_1,
            "postal_code": location.postal_code,
            "country": location.country,
        },
    }


def count_object(variation_id: str, location_id: str, quantity: str, at: float) -> Json:
    return {
        "catalog_object_id": variation_id,
        "catalog_object_type": "ITEM_VARIATION",
        "state": "IN_STOCK",
        "location_id": location_id,
        "quantity": quantity,
        "calculated_at": rfc3339(at),
    }


def catalog_objects(state: SquareState, types: set[str], *, include_deleted: bool = False) -> list[Json]:
    """Every object of the given types, in a stable order (ITEMs embed their variations, as Square does)."""
    currency = state.main_location().currency if state.locations else "USD"
    objects: list[Json] = []
    if "CATEGORY" in types:
        objects += [category_object(c) for c in state.categories.values()]
    if "IMAGE" in types:
        objects += [image_object(i) for i in state.images.values()]
    for item in state.items.values():
        if item.is_deleted and not include_deleted:
            continue
        if "ITEM" in types:
            objects.append(item_object(item, currency))
        if "ITEM_VARIATION" in types:
            objects += [variation_object(item, v, currency) for v in item.variations]
    return objects
