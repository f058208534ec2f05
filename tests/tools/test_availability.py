"""check_product_availability: which nearby stores carry a barcode, nearest first, and in what state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from mcp import Client

from localshelf.store.db import Database
from tests.builders import EAST, NORTH, SOUTH, WEST, client_at, new_offer, new_product, new_retailer, new_store, toward
from tests.conftest import FIXED_NOW, call

pytestmark = pytest.mark.anyio

ORIGIN = (45.5200, -122.6800)  # the shopper, downtown Portland
# One product written in every accepted length.
UPC_A, EAN_13, GTIN_14 = "036000291452", "0036000291452", "00036000291452"
OTHER_GTIN = "4006381333931"
UNREGISTERED_GTIN = "96385074"


async def availability(client: Client, gtin: str = UPC_A, **options: Any) -> dict[str, Any]:
    return await call(
        client, "check_product_availability", gtin=gtin, latitude=ORIGIN[0], longitude=ORIGIN[1], **options
    )


def store_ids(found: dict[str, Any]) -> list[str]:
    return [hit["store"]["location_id"] for hit in found["stores"]]


@pytest.fixture
async def retailer(client: Client) -> str:
    return await new_retailer(client)


@pytest.fixture
async def product(client: Client) -> dict[str, Any]:
    await new_product(client, "Estwing Claw Hammer", gtin=OTHER_GTIN, brand="Estwing")
    return await new_product(client, "DeWalt 20V Cordless Drill", gtin=UPC_A, brand="DeWalt")


async def test_every_store_in_the_radius_carrying_the_gtin_is_listed_nearest_first(
    client: Client, retailer: str, product: dict[str, Any]
) -> None:
    stocked = await new_store(client, retailer, "Alder Hawthorne", toward(ORIGIN, EAST, 3.0))
    sold_out = await new_store(client, retailer, "Alder Pearl", toward(ORIGIN, NORTH, 1.0))
    running_low = await new_store(client, retailer, "Alder Goose Hollow", toward(ORIGIN, WEST, 2.0))
    beyond_radius = await new_store(client, retailer, "Alder Gresham", toward(ORIGIN, EAST, 12.0))
    hammers_only = await new_store(client, retailer, "Alder Tools", toward(ORIGIN, SOUTH, 0.5))
    offers = {
        stocked: await new_offer(client, retailer, stocked, product, quantity=9, sku="DW-1", price_minor=11999),
        sold_out: await new_offer(client, retailer, sold_out, product, quantity=0, sku="DW-2", price_minor=10999),
        running_low: await new_offer(client, retailer, running_low, product, quantity=2, sku="DW-3", price_minor=12999),
        beyond_radius: await new_offer(client, retailer, beyond_radius, product, quantity=50),
    }
    await new_offer(client, retailer, hammers_only, gtin=OTHER_GTIN)

    found = await availability(client)  # default radius: 10 km

    assert found["gtin"] == GTIN_14
    assert found["radius_km"] == 10.0
    assert found["product"] == {
        "id": product["id"],
        "gtin": GTIN_14,
        "name": "DeWalt 20V Cordless Drill",
        "brand": "DeWalt",
    }
    assert store_ids(found) == [sold_out, running_low, stocked]
    assert [hit["offer_id"] for hit in found["stores"]] == [offers[s]["id"] for s in store_ids(found)]
    assert [hit["store"]["distance_km"] for hit in found["stores"]] == pytest.approx([1.0, 2.0, 3.0], abs=0.001)
    assert [(hit["status"], hit["quantity_on_hand"]) for hit in found["stores"]] == [
        ("out_of_stock", 0),
        ("low_stock", 2),
        ("in_stock", 9),
    ]
    assert [(hit["sku"], hit["price"]["amount"]) for hit in found["stores"]] == [
        ("DW-2", "109.99"),
        ("DW-3", "129.99"),
        ("DW-1", "119.99"),
    ]
    assert found["in_stock_store_count"] == 2
    assert beyond_radius in store_ids(await availability(client, radius_km=15))


async def test_in_stock_store_count_counts_only_stores_with_stock_each_once(
    client: Client, retailer: str, product: dict[str, Any]
) -> None:
    two_skus = await new_store(client, retailer, "Alder Pearl", toward(ORIGIN, NORTH, 1.0))
    await new_offer(client, retailer, two_skus, product, quantity=5, sku="DW-A")
    await new_offer(client, retailer, two_skus, product, quantity=1, sku="DW-B")
    mixed = await new_store(client, retailer, "Alder Hawthorne", toward(ORIGIN, EAST, 2.0))
    await new_offer(client, retailer, mixed, product, quantity=0, sku="DW-A")
    await new_offer(client, retailer, mixed, product, quantity=4, sku="DW-B")
    sold_out = await new_store(client, retailer, "Alder Goose Hollow", toward(ORIGIN, WEST, 2.5))
    await new_offer(client, retailer, sold_out, product, quantity=0)
    retired = await new_store(client, retailer, "Alder Sellwood", toward(ORIGIN, SOUTH, 3.0))
    await new_offer(client, retailer, retired, product, quantity=0, status="discontinued")

    found = await availability(client)

    assert sorted(hit["status"] for hit in found["stores"]) == [
        "discontinued",
        "in_stock",
        "in_stock",
        "low_stock",
        "out_of_stock",
        "out_of_stock",
    ]
    assert found["in_stock_store_count"] == 2  # two_skus and mixed, each counted once


async def test_a_sold_out_product_is_carried_by_stores_but_in_stock_at_none(
    client: Client, retailer: str, product: dict[str, Any]
) -> None:
    location_id = await new_store(client, retailer, "Alder Pearl", toward(ORIGIN, NORTH, 1.0))
    await new_offer(client, retailer, location_id, product, quantity=0)

    found = await availability(client)

    assert store_ids(found) == [location_id]
    assert found["stores"][0]["status"] == "out_of_stock"
    assert found["in_stock_store_count"] == 0


async def test_upc_a_ean_13_and_gtin_14_forms_of_a_code_find_the_same_stores(
    client: Client, retailer: str, product: dict[str, Any]
) -> None:
    location_id = await new_store(client, retailer, "Alder Pearl", toward(ORIGIN, NORTH, 1.0))
    offer = await new_offer(client, retailer, location_id, product)

    for written in (UPC_A, EAN_13, GTIN_14, "0 36000 29145 2"):
        found = await availability(client, gtin=written)

        assert found["gtin"] == GTIN_14, written
        assert found["product"]["id"] == product["id"], written
        assert [hit["offer_id"] for hit in found["stores"]] == [offer["id"]], written
        assert found["in_stock_store_count"] == 1, written


async def test_an_unknown_gtin_gives_no_product_and_no_stores_rather_than_an_error(
    client: Client, retailer: str, product: dict[str, Any]
) -> None:
    location_id = await new_store(client, retailer, "Alder Pearl", toward(ORIGIN, NORTH, 1.0))
    await new_offer(client, retailer, location_id, product)

    found = await availability(client, gtin=UNREGISTERED_GTIN)

    assert found == {
        "gtin": "00000096385074",
        "product": None,
        "radius_km": 10.0,
        "in_stock_store_count": 0,
        "stores": [],
    }


async def test_a_registered_product_no_store_carries_has_an_empty_list(client: Client, product: dict[str, Any]) -> None:
    found = await availability(client)

    assert found["product"]["id"] == product["id"]
    assert found["stores"] == []
    assert found["in_stock_store_count"] == 0


async def test_each_store_reports_how_fresh_its_stock_level_is(
    client: Client, database: Database, retailer: str, product: dict[str, Any]
) -> None:
    synced = {
        "confirmed": FIXED_NOW - timedelta(minutes=30),
        "likely": FIXED_NOW - timedelta(hours=5),
        "uncertain": FIXED_NOW - timedelta(hours=30),
    }
    for km, (label, when) in zip((1.0, 2.0, 3.0), synced.items(), strict=True):
        location_id = await new_store(client, retailer, f"Alder {label}", toward(ORIGIN, NORTH, km))
        async with client_at(database, when) as then:
            await new_offer(then, retailer, location_id, product)
    just_now = await new_store(client, retailer, "Alder now", toward(ORIGIN, NORTH, 4.0))
    await new_offer(client, retailer, just_now, product)

    found = await availability(client)

    assert [hit["confidence"] for hit in found["stores"]] == ["confirmed", "likely", "uncertain", "confirmed"]
    assert [datetime.fromisoformat(hit["last_inventory_sync"]) for hit in found["stores"]] == [
        *synced.values(),
        FIXED_NOW,
    ]


async def test_unpublished_stores_are_left_out(client: Client, retailer: str, product: dict[str, Any]) -> None:
    shown = await new_store(client, retailer, "Alder Pearl", toward(ORIGIN, NORTH, 2.0))
    hidden = await new_store(client, retailer, "Alder Hidden", toward(ORIGIN, SOUTH, 1.0))
    await new_offer(client, retailer, shown, product)
    await new_offer(client, retailer, hidden, product)

    await call(client, "unpublish_location", location_id=hidden)
    found = await availability(client)

    assert store_ids(found) == [shown]
    assert found["in_stock_store_count"] == 1
