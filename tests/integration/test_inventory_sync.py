"""Per-offer stock rules survive POS syncs, and the POS count drives the status through them."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from localshelf.fakes.shopify import gid
from localshelf.store.db import Database
from tests.conftest import call
from tests.integration.shopify_harness import Connected, connected_shop

pytestmark = pytest.mark.anyio

EARLIER = "2026-01-01T12:00:00Z"


@pytest.fixture
def shop(database: Database) -> Connected:
    return connected_shop(database)


async def sync(client: Client, shop: Connected) -> dict[str, Any]:
    job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert job["state"] == "succeeded", job
    return dict(job["counters"])


async def offer_of(client: Client, shop: Connected, offer_id: str) -> dict[str, Any]:
    listed = await call(client, "list_in_store_offers", organization_id=shop.organization_id, limit=200)
    (offer,) = [o for o in listed["offers"] if o["id"] == offer_id]
    return dict(offer)


def set_pos_count(shop: Connected, offer: dict[str, Any], quantity: int) -> None:
    """Change the fake POS's count of the variant behind `offer` at the offer's store."""
    variant = next(v for p in shop.shop.products.values() for v in p.variants if v.sku == offer["sku"])
    (pos_location,) = [pos for pos, store in shop.stores.items() if store == offer["location_id"]]
    location = next(loc.id for loc in shop.shop.locations.values() if gid("Location", loc.id) == pos_location)
    shop.state.set_available(shop.shop, variant.inventory_item_id, location, quantity)


async def test_a_custom_threshold_survives_a_pos_sync_and_drives_its_status(shop: Connected) -> None:
    async with shop.client() as client:
        await call(client, "list_pos_locations", integration_id=shop.integration_id)
        await call(client, "map_pos_locations", integration_id=shop.integration_id, mapping=shop.mapping())
        await sync(client, shop)
        listed = await call(client, "list_in_store_offers", organization_id=shop.organization_id, limit=200)
        offer = next(o for o in listed["offers"] if o["source"] == "pos" and o["status"] == "in_stock")
        set_pos_count(shop, offer, 8)
        await sync(client, shop)
        assert (await offer_of(client, shop, offer["id"]))["status"] == "in_stock"  # 8 > the default 3

        rules = await call(client, "set_stock_rules", offer_id=offer["id"], low_stock_threshold=10, reorder_point=8)
        assert (rules["status"], rules["needs_reorder"]) == ("low_stock", True)

        again = await sync(client, shop)  # nothing changed in the POS: the status must not fall back to in_stock
        assert again["offers_updated"] == 0
        synced = await offer_of(client, shop, offer["id"])
        assert (synced["quantity_on_hand"], synced["status"]) == (8, "low_stock")

        set_pos_count(shop, offer, 11)
        await sync(client, shop)
        assert (await offer_of(client, shop, offer["id"]))["status"] == "in_stock"  # 11 > 10
        set_pos_count(shop, offer, 10)
        await sync(client, shop)
        assert (await offer_of(client, shop, offer["id"]))["status"] == "low_stock"  # 10 <= 10

        low = await call(client, "list_low_stock", organization_id=shop.organization_id)
        (item,) = [i for i in low["items"] if i["offer_id"] == offer["id"]]
        assert (item["low_stock_threshold"], item["reorder_point"], item["needs_reorder"]) == (10, 8, False)
        assert item["source"] == "pos"

        # A sale recorded here is kept, but the POS count stays the source of truth.
        sold = await call(
            client,
            "record_inventory_movement",
            offer_id=offer["id"],
            delta=-2,
            reason="sale",
            occurred_at=EARLIER,
            external_id="pos-receipt-1",
        )
        assert (sold["movement"]["applied"], sold["quantity_on_hand"]) == (False, 10)
        set_pos_count(shop, offer, 2)
        await sync(client, shop)
        final = await offer_of(client, shop, offer["id"])
        assert (final["quantity_on_hand"], final["status"]) == (2, "low_stock")
        stock = await call(
            client, "get_product_stock", organization_id=shop.organization_id, gtin=offer["product"]["gtin"]
        )
        assert sum(loc["quantity_on_hand"] for loc in stock["locations"]) == stock["total_quantity"]
        assert len(stock["locations"]) == len(shop.stores)
