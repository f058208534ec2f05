"""check_product_availability: which nearby stores carry a barcode, nearest first, and in what state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from geographiclib.geodesic import Geodesic
from mcp import Client

from localshelf.config import Settings
from localshelf.server.app import build_server
from localshelf.store.db import Database
from tests.conftest import FIXED_NOW, call

pytestmark = pytest.mark.anyio

ORIGIN = (45.5200, -122.6800)  # the shopper, downtown Portland
NORTH, EAST, SOUTH, WEST = 0.0, 90.0, 180.0, 270.0
# One product written in every accepted length.
UPC_A, EAN_13, GTIN_14 = "036000291452", "0036000291452", "00036000291452"
OTHER_GTIN = "4006381333931"
UNREGISTERED_GTIN = "96385074"


def toward(bearing: float, km: float) -> tuple[float, float]:
    """The point `km` from ORIGIN along `bearing` (degrees clockwise from north), on WGS84."""
    line = Geodesic.WGS84.Direct(ORIGIN[0], ORIGIN[1], bearing, km * 1000)
    return line["lat2"], line["lon2"]


@asynccontextmanager
async def client_at(database: Database, when: datetime) -> AsyncIterator[Client]:
    """Another MCP session over the same database whose server clock reads `when`."""
    server = build_server(Settings(database_url="sqlite://"), database=database, clock=lambda: when)
    async with Client(server) as session:
        yield session


async def new_store(client: Client, organization_id: str, name: str, at: tuple[float, float]) -> str:
    location = await call(
        client,
        "publish_location",
        organization_id=organization_id,
        name=name,
        address_line1="1 SW Main St",
        city="Portland",
        country="US",
        latitude=at[0],
        longitude=at[1],
    )
    return str(location["id"])


async def stock(
    client: Client,
    organization_id: str,
    location_id: str,
    quantity: int = 10,
    gtin: str = UPC_A,
    sku: str = "SKU-1",
    **fields: Any,
) -> dict[str, Any]:
    return await call(
        client,
        "create_in_store_offer",
        organization_id=organization_id,
        location_id=location_id,
        gtin=gtin,
        sku=sku,
        price_minor=fields.pop("price_minor", 1299),
        quantity_on_hand=quantity,
        **fields,
    )


async def availability(client: Client, gtin: str = UPC_A, **options: Any) -> dict[str, Any]:
    return await call(
        client, "check_product_availability", gtin=gtin, latitude=ORIGIN[0], longitude=ORIGIN[1], **options
    )


def store_ids(found: dict[str, Any]) -> list[str]:
    return [hit["store"]["location_id"] for hit in found["stores"]]


@pytest.fixture
async def retailer(client: Client) -> str:
    return str((await call(client, "create_organization", name="Alder Street Hardware"))["id"])


@pytest.fixture
async def product(client: Client) -> dict[str, Any]:
    await call(client, "register_product", gtin=OTHER_GTIN, name="Estwing Claw Hammer", brand="Estwing")
    return await call(client, "register_product", gtin=UPC_A, name="DeWalt 20V Cordless Drill", brand="DeWalt")


async def test_every_store_in_the_radius_carrying_the_gtin_is_listed_nearest_first(
    client: Client, retailer: str, product: dict[str, Any]
) -> None:
    stocked = await new_store(client, retailer, "Alder Hawthorne", toward(EAST, 3.0))
    sold_out = await new_store(client, retailer, "Alder Pearl", toward(NORTH, 1.0))
    running_low = await new_store(client, retailer, "Alder Goose Hollow", toward(WEST, 2.0))
    beyond_radius = await new_store(client, retailer, "Alder Gresham", toward(EAST, 12.0))
    hammers_only = await new_store(client, retailer, "Alder Tools", toward(SOUTH, 0.5))
    offers = {
        stocked: await stock(client, retailer, stocked, quantity=9, sku="DW-1", price_minor=11999),
        sold_out: await stock(client, retailer, sold_out, quantity=0, sku="DW-2", price_minor=10999),
        running_low: await stock(client, retailer, running_low, quantity=2, sku="DW-3", price_minor=12999),
        beyond_radius: await stock(client, retailer, beyond_radius, quantity=50),
    }
    await stock(client, retailer, hammers_only, gtin=OTHER_GTIN)

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
    two_skus = await new_store(client, retailer, "Alder Pearl", toward(NORTH, 1.0))
    await stock(client, retailer, two_skus, quantity=5, sku="DW-A")
    await stock(client, retailer, two_skus, quantity=1, sku="DW-B")
    mixed = await new_store(client, retailer, "Alder Hawthorne", toward(EAST, 2.0))
    await stock(client, retailer, mixed, quantity=0, sku="DW-A")
    await stock(client, retailer, mixed, quantity=4, sku="DW-B")
    sold_out = await new_store(client, retailer, "Alder Goose Hollow", toward(WEST, 2.5))
    await stock(client, retailer, sold_out, quantity=0)
    retired = await new_store(client, retailer, "Alder Sellwood", toward(SOUTH, 3.0))
    await stock(client, retailer, retired, quantity=0, status="discontinued")

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
    location_id = await new_store(client, retailer, "Alder Pearl", toward(NORTH, 1.0))
    await stock(client, retailer, location_id, quantity=0)

    found = await availability(client)

    assert store_ids(found) == [location_id]
    assert found["stores"][0]["status"] == "out_of_stock"
    assert found["in_stock_store_count"] == 0


async def test_upc_a_ean_13_and_gtin_14_forms_of_a_code_find_the_same_stores(
    client: Client, retailer: str, product: dict[str, Any]
) -> None:
    location_id = await new_store(client, retailer, "Alder Pearl", toward(NORTH, 1.0))
    offer = await stock(client, retailer, location_id)

    for written in (UPC_A, EAN_13, GTIN_14, "0 36000 29145 2"):
        found = await availability(client, gtin=written)

        assert found["gtin"] == GTIN_14, written
        assert found["product"]["id"] == product["id"], written
        assert [hit["offer_id"] for hit in found["stores"]] == [offer["id"]], written
        assert found["in_stock_store_count"] == 1, written


async def test_an_unknown_gtin_gives_no_product_and_no_stores_rather_than_an_error(
    client: Client, retailer: str, product: dict[str, Any]
) -> None:
    await stock(client, retailer, await new_store(client, retailer, "Alder Pearl", toward(NORTH, 1.0)))

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
        location_id = await new_store(client, retailer, f"Alder {label}", toward(NORTH, km))
        async with client_at(database, when) as then:
            await stock(then, retailer, location_id)
    just_now = await new_store(client, retailer, "Alder now", toward(NORTH, 4.0))
    await stock(client, retailer, just_now)

    found = await availability(client)

    assert [hit["confidence"] for hit in found["stores"]] == ["confirmed", "likely", "uncertain", "confirmed"]
    assert [datetime.fromisoformat(hit["last_inventory_sync"]) for hit in found["stores"]] == [
        *synced.values(),
        FIXED_NOW,
    ]


async def test_unpublished_stores_are_left_out(client: Client, retailer: str, product: dict[str, Any]) -> None:
    shown = await new_store(client, retailer, "Alder Pearl", toward(NORTH, 2.0))
    hidden = await new_store(client, retailer, "Alder Hidden", toward(SOUTH, 1.0))
    await stock(client, retailer, shown)
    await stock(client, retailer, hidden)

    await call(client, "unpublish_location", location_id=hidden)
    found = await availability(client)

    assert store_ids(found) == [shown]
    assert found["in_stock_store_count"] == 1
