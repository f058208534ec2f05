from __future__ import annotations

import pytest
from mcp import Client

from tests.conftest import call, call_error, row_counts

pytestmark = pytest.mark.anyio


async def test_a_retailer_with_one_store_and_offer_is_found_by_search(client: Client) -> None:
    org = await call(client, "create_organization", name="Alder Hardware")
    loc = await call(
        client,
        "publish_location",
        organization_id=org["id"],
        name="Alder Sellwood",
        address_line1="1 SE Main",
        city="Portland",
        country="US",
        latitude=45.4650,
        longitude=-122.6530,
    )
    await call(client, "register_product", gtin="036000291452", name="DeWalt 20V Cordless Drill", brand="DeWalt")
    await call(
        client,
        "create_in_store_offer",
        organization_id=org["id"],
        location_id=loc["id"],
        gtin="036000291452",
        sku="A1",
        price_minor=9999,
        quantity_on_hand=5,
    )
    found = await call(client, "search_local_products", query="cordless drill", latitude=45.4650, longitude=-122.6530)
    assert [hit["store"]["location_id"] for hit in found["results"]] == [loc["id"]]
    assert found["results"][0]["store"]["distance_km"] == 0.0


async def test_a_bad_gtin_is_refused_and_writes_nothing(client: Client, database) -> None:  # type: ignore[no-untyped-def]
    before = row_counts(database)
    code, message = await call_error(client, "register_product", gtin="036000291453", name="X")
    assert code == "invalid_gtin"
    assert "check digit" in message
    assert row_counts(database) == before
