"""Retailer items: unmatched listing with suggestions, and matching a manual item to a GTIN through the MCP tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from localshelf.config import Settings
from localshelf.domain.auth import Role
from localshelf.domain.ids import new_public_id
from localshelf.server.app import build_server
from localshelf.server.transports import stdio_principal
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import Location, Organization, RetailerItem
from tests.builders import DRILL_UPC, SELLWOOD, new_product, new_retailer, new_store, numbered_gtin, operator_key
from tests.conftest import FIXED_NOW, call, call_error, row_counts

pytestmark = pytest.mark.anyio

DRILL_GTIN14 = "00036000291452"


def add_item(
    database: Database,
    organization_id: str,
    location_id: str | None,
    name: str,
    sku: str,
    price_minor: int | None = 12999,
    quantity: int = 4,
) -> str:
    """A manual retailer item (no POS behind it), as an import of a retailer's own list leaves it."""

    def insert(uow: UnitOfWork) -> str:
        organization = uow.session.query(Organization).filter_by(public_id=organization_id).one()
        location = uow.session.query(Location).filter_by(public_id=location_id).one() if location_id else None
        item = RetailerItem(
            public_id=new_public_id("retailer_item"),
            organization_id=organization.id,
            location_id=None if location is None else location.id,
            name=name,
            sku=sku,
            price_minor=price_minor,
            currency="USD",
            quantity_on_hand=quantity,
        )
        uow.session.add(item)
        return item.public_id

    return database.transaction(insert)


class Shop:
    def __init__(self, organization_id: str, store: str, drill: dict[str, Any], item: str) -> None:
        self.organization_id, self.store, self.drill, self.item = organization_id, store, drill, item


@pytest.fixture
async def shop(client: Client, database: Database) -> Shop:
    organization_id = await new_retailer(client)
    store = await new_store(client, organization_id, "Alder Sellwood", SELLWOOD)
    drill = await new_product(client, "DeWalt 20V Cordless Drill", gtin=DRILL_UPC, brand="DeWalt")
    await new_product(client, "Makita 18V Cordless Drill", brand="Makita")
    await new_product(client, "DeWalt Safety Glasses", brand="DeWalt")
    await new_product(client, "Garden Hose 50 ft", brand="Gilmour")
    item = add_item(database, organization_id, store, "dewalt 20v drill (cordless)", "DW-DRILL-20")
    return Shop(organization_id, store, drill, item)


@asynccontextmanager
async def acting_as(database: Database, organization_id: str, role: Role) -> AsyncIterator[Client]:
    """An in-process MCP session whose caller is an API key of `organization_id` with `role`."""
    server = build_server(
        Settings(database_url="sqlite://", sync_worker=False), database=database, clock=lambda: FIXED_NOW
    )
    server.local_principal = stdio_principal(database, operator_key(database, organization_id, role))
    async with Client(server) as session:
        yield session


async def unmatched(client: Client, organization_id: str, **options: Any) -> dict[str, Any]:
    return await call(client, "list_unmatched_items", organization_id=organization_id, **options)


# --- list_unmatched_items --------------------------------------------------------------------------------------


async def test_an_unmatched_item_is_listed_with_the_right_product_suggested_first(client: Client, shop: Shop) -> None:
    page = await unmatched(client, shop.organization_id)

    assert page["total"] == 1 and page["next_cursor"] is None
    [item] = page["items"]
    assert item["id"] == shop.item
    assert (item["name"], item["sku"], item["quantity_on_hand"]) == ("dewalt 20v drill (cordless)", "DW-DRILL-20", 4)
    assert item["price"] == {"amount_minor": 12999, "currency": "USD", "amount": "129.99"}
    assert item["location_id"] == shop.store and item["source"] == "manual"
    suggestions = item["suggestions"]
    assert 1 <= len(suggestions) <= 3
    assert suggestions[0]["gtin"] == DRILL_GTIN14 and suggestions[0]["name"] == "DeWalt 20V Cordless Drill"
    assert suggestions[0]["brand"] == "DeWalt"
    scores = [s["score"] for s in suggestions]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert scores[0] > scores[-1] or len(scores) == 1
    assert "Garden Hose 50 ft" not in {s["name"] for s in suggestions}


async def test_items_are_paged_and_filtered_by_store(client: Client, database: Database, shop: Shop) -> None:
    other_store = await new_store(client, shop.organization_id, "Alder Woodstock", (45.4790, -122.6150))
    second = add_item(database, shop.organization_id, other_store, "hose nozzle", "NOZ-1")

    first = await unmatched(client, shop.organization_id, limit=1)
    assert [i["id"] for i in first["items"]] == [shop.item] and first["total"] == 2
    rest = await unmatched(client, shop.organization_id, limit=1, cursor=first["next_cursor"])
    assert [i["id"] for i in rest["items"]] == [second] and rest["next_cursor"] is None
    at_woodstock = await unmatched(client, shop.organization_id, location_id=other_store)
    assert [i["id"] for i in at_woodstock["items"]] == [second]


async def test_an_item_sharing_no_word_with_any_product_has_no_suggestions(
    client: Client, database: Database, shop: Shop
) -> None:
    add_item(database, shop.organization_id, shop.store, "xq", "ODD-1")
    page = await unmatched(client, shop.organization_id)
    odd = next(i for i in page["items"] if i["sku"] == "ODD-1")
    assert odd["suggestions"] == []


# --- match_retailer_item ---------------------------------------------------------------------------------------


async def test_matching_a_manual_item_makes_it_an_offer_found_by_local_search(client: Client, shop: Shop) -> None:
    matched = await call(client, "match_retailer_item", item_id=shop.item, gtin=DRILL_UPC)

    assert matched["changed"] is True and matched["item_id"] == shop.item
    assert matched["product"]["id"] == shop.drill["id"] and matched["product"]["created"] is False
    [offer] = matched["offers"]
    assert (offer["location_id"], offer["sku"], offer["quantity_on_hand"]) == (shop.store, "DW-DRILL-20", 4)
    assert offer["price"]["amount_minor"] == 12999 and offer["status"] == "in_stock" and offer["source"] == "manual"
    found = await call(
        client, "search_local_products", query="dewalt drill", latitude=SELLWOOD[0], longitude=SELLWOOD[1]
    )
    assert offer["id"] in {hit["offer_id"] for hit in found["results"]}
    assert (await unmatched(client, shop.organization_id))["items"] == []


async def test_the_same_gtin_again_changes_nothing(client: Client, database: Database, shop: Shop) -> None:
    first = await call(client, "match_retailer_item", item_id=shop.item, gtin=DRILL_UPC)
    before = row_counts(database)
    again = await call(client, "match_retailer_item", item_id=shop.item, gtin=DRILL_GTIN14)
    assert again["changed"] is False
    assert [o["id"] for o in again["offers"]] == [o["id"] for o in first["offers"]]
    assert row_counts(database) == before


async def test_a_new_gtin_creates_the_product_and_rematching_repoints_the_offer(client: Client, shop: Shop) -> None:
    first = await call(client, "match_retailer_item", item_id=shop.item, gtin=DRILL_UPC)
    new_gtin = numbered_gtin(9001)
    moved = await call(
        client, "match_retailer_item", item_id=shop.item, gtin=new_gtin, brand="Alder", category="Power Tools"
    )

    assert moved["changed"] is True and moved["product"]["created"] is True
    assert moved["product"]["name"] == "dewalt 20v drill (cordless)"  # the item's name by default
    assert (moved["product"]["brand"], moved["product"]["category"]) == ("Alder", "Power Tools")
    [offer] = moved["offers"]
    assert offer["id"] == first["offers"][0]["id"] and offer["product"]["gtin"] == "00" + new_gtin
    listed = await call(client, "list_in_store_offers", organization_id=shop.organization_id)
    assert [o["product"]["gtin"] for o in listed["offers"]] == ["00" + new_gtin]


async def test_a_manual_item_without_a_store_is_matched_without_an_offer(
    client: Client, database: Database, shop: Shop
) -> None:
    floating = add_item(database, shop.organization_id, None, "dewalt drill bits", "BITS-1")
    matched = await call(client, "match_retailer_item", item_id=floating, gtin=numbered_gtin(9002), name="Drill Bits")
    assert matched["offers"] == [] and matched["product"]["name"] == "Drill Bits"
    assert floating not in {i["id"] for i in (await unmatched(client, shop.organization_id))["items"]}


# --- refusals write nothing ------------------------------------------------------------------------------------


async def test_an_invalid_gtin_is_refused_and_nothing_is_written(
    client: Client, database: Database, shop: Shop
) -> None:
    before = row_counts(database)
    code, _ = await call_error(client, "match_retailer_item", item_id=shop.item, gtin="036000291453")
    assert code == "invalid_gtin"
    assert row_counts(database) == before
    assert len((await unmatched(client, shop.organization_id))["items"]) == 1


async def test_an_unknown_item_is_not_found_and_nothing_is_written(
    client: Client, database: Database, shop: Shop
) -> None:
    before = row_counts(database)
    code, message = await call_error(
        client, "match_retailer_item", item_id=new_public_id("retailer_item"), gtin=numbered_gtin(9003)
    )
    assert code == "not_found" and "retailer item" in message
    assert row_counts(database) == before


async def test_an_outsider_gets_not_found_and_staff_may_list_but_not_match(
    client: Client, database: Database, shop: Shop
) -> None:
    outsider_org = await new_retailer(client, "Ivy Interiors")
    before = row_counts(database)
    async with acting_as(database, outsider_org, Role.OWNER) as outsider:
        code, _ = await call_error(outsider, "match_retailer_item", item_id=shop.item, gtin=numbered_gtin(9004))
        assert code == "not_found"
        code, _ = await call_error(outsider, "list_unmatched_items", organization_id=shop.organization_id)
        assert code == "not_found"
    async with acting_as(database, shop.organization_id, Role.STAFF) as staff:
        assert [i["id"] for i in (await unmatched(staff, shop.organization_id))["items"]] == [shop.item]
        code, _ = await call_error(staff, "match_retailer_item", item_id=shop.item, gtin=numbered_gtin(9004))
        assert code == "forbidden"
    counts = row_counts(database)
    assert {k: v for k, v in counts.items() if k not in ("api_keys", "audit_entries")} == {
        k: v for k, v in before.items() if k not in ("api_keys", "audit_entries")
    }
    assert counts["products"] == before["products"] and counts["in_store_offers"] == before["in_store_offers"]
