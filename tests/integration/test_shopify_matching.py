"""A barcode-less Shopify variant ("APRON-L") matched to a GTIN: offers at once, kept by later syncs, live stock."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from localshelf.fakes.shopify import Variant
from localshelf.store.db import Database
from tests.builders import numbered_gtin
from tests.conftest import call
from tests.integration.shopify_harness import (
    STORE_COORDINATES,
    Connected,
    connected_shop,
    expected_offers,
    stored_offers,
)

pytestmark = pytest.mark.anyio

APRON_L_GTIN = numbered_gtin(4242)


@pytest.fixture
def shop(database: Database) -> Connected:
    return connected_shop(database)


def apron_large(shop: Connected) -> Variant:
    return next(v for p in shop.shop.products.values() for v in p.variants if v.sku == "APRON-L")


def apron_offers(shop: Connected, quantity: int, status: str) -> set[tuple[Any, ...]]:
    """What the matched APRON-L must be: one offer per mapped store, at the POS price and stock."""
    return {("APRON-L", store, "00" + APRON_L_GTIN, 2650, quantity, status) for store in shop.stores.values()}


async def map_all(client: Client, shop: Connected) -> None:
    await call(client, "list_pos_locations", integration_id=shop.integration_id)
    await call(client, "map_pos_locations", integration_id=shop.integration_id, mapping=shop.mapping())


async def synced(client: Client, shop: Connected) -> dict[str, Any]:
    job: dict[str, Any] = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert job["state"] == "succeeded", job
    return job


async def unmatched_aprons(client: Client, shop: Connected) -> list[dict[str, Any]]:
    page = await call(client, "list_unmatched_items", organization_id=shop.organization_id)
    return [item for item in page["items"] if item["sku"] == "APRON-L"]


async def test_a_matched_pos_item_becomes_offers_survives_full_syncs_and_follows_pos_stock(shop: Connected) -> None:
    async with shop.client() as client:
        await map_all(client, shop)
        await synced(client, shop)
        assert stored_offers(shop.database) == expected_offers(shop)  # APRON-L is no offer yet
        aprons = await unmatched_aprons(client, shop)
        assert {item["location_id"] for item in aprons} == set(shop.stores.values())
        assert all(item["source"] == "pos" and item["quantity_on_hand"] == 5 for item in aprons)
        assert aprons[0]["suggestions"][0]["name"] == "Canvas Apron - Option 1"  # the sibling variant

        matched = await call(
            client, "match_retailer_item", item_id=aprons[0]["id"], gtin=APRON_L_GTIN, name="Canvas Apron, Large"
        )
        assert matched["product"]["created"] is True and matched["product"]["name"] == "Canvas Apron, Large"
        assert {(o["location_id"], o["source"], o["quantity_on_hand"]) for o in matched["offers"]} == {
            (store, "pos", 5) for store in shop.stores.values()
        }
        assert stored_offers(shop.database) == expected_offers(shop) | apron_offers(shop, 5, "in_stock")
        assert await unmatched_aprons(client, shop) == []  # every store's row of the POS item is matched
        lat, lon = STORE_COORDINATES[0]
        found = await call(client, "search_local_products", query="apron large", latitude=lat, longitude=lon)
        assert {hit["offer_id"] for hit in found["results"]} & {o["id"] for o in matched["offers"]}

        again = await synced(client, shop)
        assert again["counters"]["offers_removed"] == 0
        assert stored_offers(shop.database) == expected_offers(shop) | apron_offers(shop, 5, "in_stock")
        assert await unmatched_aprons(client, shop) == []

        first_location = min(shop.shop.locations)
        shop.state.set_available(shop.shop, apron_large(shop).inventory_item_id, first_location, 2)
        await synced(client, shop)
    levels = {(sku, store): (quantity, status) for sku, store, _, _, quantity, status in stored_offers(shop.database)}
    changed_store = next(store for pos, store in shop.stores.items() if pos.endswith(f"/{first_location}"))
    assert levels[("APRON-L", changed_store)] == (2, "low_stock")
    assert stored_offers(shop.database) == expected_offers(shop) | {
        row for row in apron_offers(shop, 5, "in_stock") if row[1] != changed_store
    } | {("APRON-L", changed_store, "00" + APRON_L_GTIN, 2650, 2, "low_stock")}


async def test_rematching_a_pos_item_repoints_its_offers_and_the_same_gtin_is_a_no_op(shop: Connected) -> None:
    async with shop.client() as client:
        await map_all(client, shop)
        await synced(client, shop)
        item_id = (await unmatched_aprons(client, shop))[0]["id"]
        first = await call(client, "match_retailer_item", item_id=item_id, gtin=numbered_gtin(4343))
        same = await call(client, "match_retailer_item", item_id=item_id, gtin=numbered_gtin(4343))
        assert same["changed"] is False and {o["id"] for o in same["offers"]} == {o["id"] for o in first["offers"]}
        moved = await call(client, "match_retailer_item", item_id=item_id, gtin=APRON_L_GTIN)
        assert moved["changed"] is True
        assert {o["id"] for o in moved["offers"]} == {o["id"] for o in first["offers"]}  # the same offers, re-pointed
        assert {o["product"]["gtin"] for o in moved["offers"]} == {"00" + APRON_L_GTIN}
        await synced(client, shop)
    assert stored_offers(shop.database) == expected_offers(shop) | apron_offers(shop, 5, "in_stock")
