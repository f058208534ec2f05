"""PostgreSQL+PostGIS and SQLite give the same answers, in the same order, for the same data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from localshelf.demo.dataset import build_dataset
from localshelf.demo.load import load_demo
from localshelf.store.db import Database
from tests.builders import client_at
from tests.conftest import FIXED_NOW, call

pytestmark = pytest.mark.anyio

POINTS = [(45.5152, -122.6784), (45.4871, -122.8037), (45.5231, -122.4412), (45.6387, -122.6615)]
QUERIES = ["cordless drill", "cheddar cheese", "dog food", "usb cable", "batteries", "lego", "ibuprofen", "coffee"]
TYPOS = ["cordles dril", "chedar", "ibuprofin"]


@pytest.fixture
def loaded(postgis_database: Database, sqlite_database: Database) -> list[Database]:
    for database in (postgis_database, sqlite_database):
        load_demo(database, FIXED_NOW)
    return [postgis_database, sqlite_database]


@asynccontextmanager
async def sessions(databases: list[Database]) -> AsyncIterator[list[Client]]:
    postgis_database, sqlite_database = databases
    async with client_at(postgis_database, FIXED_NOW) as postgis, client_at(sqlite_database, FIXED_NOW) as sqlite:
        yield [postgis, sqlite]


def _search_key(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (hit["rank"], hit["offer_id"], round(hit["score"], 6), round(hit["store"]["distance_km"], 3), hit["confidence"])
        for hit in result["results"]
    ]


async def _both(clients: list[Client], tool: str, **arguments: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    postgis, sqlite = clients
    return await call(postgis, tool, **arguments), await call(sqlite, tool, **arguments)


async def test_search_rankings_are_identical_on_postgis_and_sqlite(loaded: list[Database]) -> None:
    async with sessions(loaded) as clients:
        non_empty = await _compare_searches(clients)
    assert non_empty >= 40  # the comparison is about real result lists, not empty ones


async def _compare_searches(clients: list[Client]) -> int:
    non_empty = 0
    for latitude, longitude in POINTS:
        for query in QUERIES + TYPOS:
            for in_stock_only in (True, False):
                on_postgis, on_sqlite = await _both(
                    clients,
                    "search_local_products",
                    query=query,
                    latitude=latitude,
                    longitude=longitude,
                    radius_km=8,
                    in_stock_only=in_stock_only,
                    limit=50,
                )
                assert on_postgis["terms"] == on_sqlite["terms"], query
                assert on_postgis["corrections"] == on_sqlite["corrections"], query
                assert _search_key(on_postgis) == _search_key(on_sqlite), (query, latitude, longitude)
                non_empty += bool(on_postgis["results"])
    return non_empty


async def test_availability_and_nearby_stores_are_identical_on_postgis_and_sqlite(loaded: list[Database]) -> None:
    async with sessions(loaded) as clients:
        carried = await _compare_availability(clients)
    assert carried >= 10


async def _compare_availability(clients: list[Client]) -> int:
    gtins = [product.gtin for product in build_dataset().products[::40]]
    carried = 0
    for latitude, longitude in POINTS:
        for gtin in gtins:
            on_postgis, on_sqlite = await _both(
                clients, "check_product_availability", gtin=gtin, latitude=latitude, longitude=longitude, radius_km=15
            )
            assert on_postgis == on_sqlite
            carried += bool(on_postgis["stores"])
        on_postgis, on_sqlite = await _both(
            clients, "find_locations", latitude=latitude, longitude=longitude, radius_km=20, limit=200
        )
        assert [(loc["id"], loc["distance_km"]) for loc in on_postgis["locations"]] == [
            (loc["id"], loc["distance_km"]) for loc in on_sqlite["locations"]
        ]
    return carried
