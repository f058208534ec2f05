from __future__ import annotations

import pytest
from mcp import Client

from tests.builders import SELLWOOD, new_product, new_retailer, new_store, onboard
from tests.conftest import call, call_error, row_counts

pytestmark = pytest.mark.anyio


async def test_a_retailer_with_one_store_and_offer_is_found_by_search(client: Client) -> None:
    shop = await onboard(client)
    found = await call(
        client, "search_local_products", query="cordless drill", latitude=SELLWOOD[0], longitude=SELLWOOD[1]
    )
    assert [hit["store"]["location_id"] for hit in found["results"]] == [shop.loc]
    assert found["results"][0]["store"]["distance_km"] == 0.0


async def test_a_bad_gtin_is_refused_and_writes_nothing(client: Client, database) -> None:  # type: ignore[no-untyped-def]
    before = row_counts(database)
    code, message = await call_error(client, "register_product", gtin="036000291453", name="X")
    assert code == "invalid_gtin"
    assert "check digit" in message
    assert row_counts(database) == before


async def test_a_misspelt_argument_is_refused_rather_than_ignored(client: Client) -> None:
    code, message = await call_error(client, "find_locations", latitude=45.5, longitude=-122.6, radius=3)
    assert code == "invalid_argument"
    assert "radius" in message and "radius_km" in message


async def test_a_boolean_is_not_a_price_or_a_quantity(client: Client, database) -> None:  # type: ignore[no-untyped-def]
    org = await new_retailer(client, "Bool Test")
    loc = await new_store(client, org, "Bool Store", (45.5, -122.6))
    await new_product(client, "Thing", gtin="036000291452")
    before = row_counts(database)
    common = {"organization_id": org, "location_id": loc, "gtin": "036000291452", "sku": "S"}
    assert (await call_error(client, "create_in_store_offer", **common, price_minor=True, quantity_on_hand=1))[
        0
    ] == "invalid_price"
    assert (await call_error(client, "create_in_store_offer", **common, price_minor=100, quantity_on_hand=False))[
        0
    ] == "invalid_quantity"
    assert row_counts(database) == before


async def test_moving_a_store_needs_both_coordinates(client: Client) -> None:
    loc = await new_store(client, await new_retailer(client, "Move Test"), "Mover", (45.5, -122.6))
    code, _ = await call_error(client, "update_location", location_id=loc, longitude=-122.0)
    assert code == "invalid_coordinates"
    code, _ = await call_error(client, "update_location", location_id=loc, latitude=float("inf"), longitude=-122.0)
    assert code == "invalid_coordinates"
