"""Catalog + inventory sync from the Shopify fake through the MCP tools, compared offer by offer with the fake."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from localshelf.fakes.shopify import Fault
from localshelf.store.db import Database
from localshelf.store.models import InStoreOffer
from tests.conftest import call, call_error
from tests.integration.shopify_harness import (
    STORE_COORDINATES,
    Connected,
    connected_shop,
    expected_offers,
    retailer_item_skus,
    stored_offers,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def shop(database: Database) -> Connected:
    return connected_shop(database)


async def map_all(client: Any, shop: Connected) -> None:
    listed = await call(client, "list_pos_locations", integration_id=shop.integration_id)
    assert {p["pos_location_id"] for p in listed["locations"]} == set(shop.stores)
    await call(client, "map_pos_locations", integration_id=shop.integration_id, mapping=shop.mapping())


async def test_a_full_sync_makes_exactly_the_offers_the_pos_has(shop: Connected) -> None:
    async with shop.client() as client:
        await map_all(client, shop)
        started = await call(client, "trigger_sync", integration_id=shop.integration_id)
    job = started["job"]
    assert started["started"] is True and job["state"] == "succeeded", job
    expected = expected_offers(shop)
    assert stored_offers(shop.database) == expected
    variants = sum(len(p.variants) for p in shop.shop.products.values())
    counters = job["counters"]
    assert counters["items_seen"] == variants
    assert counters["products_seen"] == len(shop.shop.products)
    assert counters["offers_created"] == len(expected) and counters["offers_removed"] == 0
    barcode_less = {v.sku for p in shop.shop.products.values() for v in p.variants if not v.barcode}
    assert counters["retailer_items"] == len(barcode_less)
    assert {sku for sku, _ in retailer_item_skus(shop.database)} == barcode_less


async def test_offers_from_the_sync_are_found_by_local_search_at_the_store(shop: Connected) -> None:
    async with shop.client() as client:
        await map_all(client, shop)
        await call(client, "trigger_sync", integration_id=shop.integration_id)
        lat, lon = STORE_COORDINATES[0]
        found = await call(client, "search_local_products", query="canvas apron", latitude=lat, longitude=lon)
    names = {hit["product"]["name"] for hit in found["results"]}
    assert names == {"Canvas Apron - Option 1"}


def offer_stamps(database: Database) -> dict[str, tuple[datetime, datetime]]:
    """offer id -> (updated_at, last_inventory_sync)"""
    with database.session() as session:
        rows = session.execute(
            select(InStoreOffer.public_id, InStoreOffer.updated_at, InStoreOffer.last_inventory_sync)
        ).all()
    return {offer: (updated, synced) for offer, updated, synced in rows if synced is not None}


async def test_a_second_sync_changes_nothing_and_a_changed_pos_is_followed(shop: Connected) -> None:
    async with shop.client() as client:
        await map_all(client, shop)
        await call(client, "trigger_sync", integration_id=shop.integration_id)
        first = offer_stamps(shop.database)
        again = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]["counters"]
        assert again["offers_unchanged"] == len(expected_offers(shop))
        assert again["offers_created"] == again["offers_updated"] == again["offers_removed"] == 0
        confirmed = offer_stamps(shop.database)
        assert confirmed.keys() == first.keys()
        for offer, (updated_at, synced_at) in confirmed.items():  # stock confirmed, nothing changed
            assert updated_at == first[offer][0] and synced_at > first[offer][1]

        products = sorted(shop.shop.products.values(), key=lambda p: p.id)
        active = [p for p in products if p.status == "ACTIVE" and p.variants[0].barcode]
        deleted, archived, restocked = active[0], active[1], active[2]
        del shop.shop.products[deleted.id]
        archived.status = "ARCHIVED"
        location = min(shop.shop.locations)
        shop.state.set_available(shop.shop, restocked.variants[0].inventory_item_id, location, 99)
        third = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert third["state"] == "succeeded"
    assert third["counters"]["offers_removed"] == len(shop.stores)  # the deleted product, at every store
    assert third["counters"]["offers_updated"] >= len(shop.stores) + 1
    assert stored_offers(shop.database) == expected_offers(shop)


async def test_stock_at_unmapped_locations_is_kept_but_not_offered_until_mapped(shop: Connected) -> None:
    first_pos = sorted(shop.stores)[0]
    async with shop.client() as client:
        await call(client, "list_pos_locations", integration_id=shop.integration_id)
        await call(
            client,
            "map_pos_locations",
            integration_id=shop.integration_id,
            mapping=[{"pos_location_id": first_pos, "location_id": shop.stores[first_pos]}],
        )
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
        assert job["counters"]["stock_levels_seen"] == len(shop.shop.levels)
        assert stored_offers(shop.database) == expected_offers(shop, mapped={first_pos})
        await call(client, "map_pos_locations", integration_id=shop.integration_id, mapping=shop.mapping())
    assert stored_offers(shop.database) == expected_offers(shop)


async def test_retries_through_throttling_and_server_errors_and_still_matches(shop: Connected) -> None:
    shop.fake.faults += [
        Fault("rate_limit", retry_after=0, path_contains="graphql"),
        Fault("server_error", status=503, path_contains="graphql"),
        Fault("truncate", path_contains="graphql"),
    ]
    async with shop.client() as client:
        await map_all(client, shop)
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert job["state"] == "succeeded", job
    assert stored_offers(shop.database) == expected_offers(shop)


async def test_a_revoked_token_fails_the_job_clearly_and_asks_for_reauthorization(shop: Connected) -> None:
    async with shop.client() as client:
        await map_all(client, shop)
        shop.state.uninstall(shop.shop)
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
        assert job["state"] == "failed" and "Reconnect with start_pos_connect" in job["error_message"]
        integration = await call(client, "get_integration", integration_id=shop.integration_id)
        assert integration["status"] == "reauthorization_required" and integration["error_message"]
        code, message = await call_error(client, "trigger_sync", integration_id=shop.integration_id)
    assert code == "not_connected" and "start_pos_connect" in message


async def test_only_one_sync_per_integration_is_queued_or_running(shop: Connected) -> None:
    async with shop.client() as client:
        first = await call(client, "trigger_sync", integration_id=shop.integration_id, wait=False)
        second = await call(client, "trigger_sync", integration_id=shop.integration_id, wait=False)
        assert first["started"] is True and second["started"] is False
        assert second["job"]["id"] == first["job"]["id"] and first["job"]["state"] == "queued"
        cancelled = await call(client, "cancel_sync_job", job_id=first["job"]["id"])
        assert cancelled["state"] == "cancelled"
        code, _ = await call_error(client, "cancel_sync_job", job_id=first["job"]["id"])
        assert code == "already_finished"
        third = await call(client, "trigger_sync", integration_id=shop.integration_id, wait=False)
        assert third["started"] is True
        listed = await call(client, "list_sync_jobs", integration_id=shop.integration_id)
    assert [job["id"] for job in listed["jobs"]] == [third["job"]["id"], first["job"]["id"]]


async def test_an_incremental_sync_reads_only_changed_products(shop: Connected) -> None:
    for product in shop.shop.products.values():  # the catalog was last edited two hours ago
        product.updated_at -= 7200
        for variant in product.variants:
            variant.updated_at -= 7200
    async with shop.client() as client:
        await map_all(client, shop)
        await call(client, "trigger_sync", integration_id=shop.integration_id)
        product = next(p for p in shop.shop.products.values() if p.status == "ACTIVE")
        product.title, product.updated_at = "Renamed Lantern", time.time() + 2  # edited just now
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id, mode="incremental"))["job"]
    assert job["kind"] == "incremental" and job["state"] == "succeeded"
    assert job["counters"]["items_seen"] == len(product.variants)
    assert job["counters"]["offers_updated"] == 0  # a title is not part of an offer
    assert stored_offers(shop.database) == expected_offers(shop)


async def test_an_unreadable_product_is_skipped_and_counted_while_the_rest_syncs(shop: Connected) -> None:
    broken = next(p for p in shop.shop.products.values() if p.status == "ACTIVE" and p.variants[0].barcode)
    broken.variants[0].price = "twelve dollars"
    async with shop.client() as client:
        await map_all(client, shop)
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert job["state"] == "succeeded" and job["counters"]["errors"] == 1
    del shop.shop.products[broken.id]  # what the sync could not read is not offered
    assert stored_offers(shop.database) == expected_offers(shop)


async def test_a_waiting_sync_reports_progress_to_the_client(shop: Connected) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with shop.client() as client:
        await map_all(client, shop)
        result = await client.call_tool(
            "trigger_sync", {"integration_id": shop.integration_id}, progress_callback=on_progress
        )
    assert not result.is_error
    messages = [message or "" for _, _, message in updates]
    assert any("POS items" in m for m in messages) and any("POS locations" in m for m in messages)
    assert any("built offers" in m for m in messages)


async def test_pos_locations_mapped_to_one_store_add_up_their_stock(shop: Connected) -> None:
    """The Lightspeed seed's multi-outlet rule, for every provider: one store, several POS locations."""
    store = next(iter(shop.stores.values()))
    mapping = [{"pos_location_id": pos, "location_id": store} for pos in shop.stores]
    async with shop.client() as client:
        await call(client, "list_pos_locations", integration_id=shop.integration_id)
        await call(client, "map_pos_locations", integration_id=shop.integration_id, mapping=mapping)
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert job["state"] == "succeeded"
    per_store = {
        (sku, gtin, price): (quantity, status) for sku, _, gtin, price, quantity, status in stored_offers(shop.database)
    }
    apron = next(p for p in shop.shop.products.values() if p.title == "Canvas Apron")
    small = apron.variants[0]
    total = sum(q for (item, _), q in shop.shop.levels.items() if item == small.inventory_item_id)
    assert per_store[("APRON-S", "00036000291452", 2400)] == (total, "in_stock")
    assert {s for _, s, *_ in stored_offers(shop.database)} == {store}
