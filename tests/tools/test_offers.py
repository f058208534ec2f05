"""In-store offers: creation, derived stock status, prices, updates, listing and freshness."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from mcp import Client

from localshelf.store.db import Database
from tests.builders import DRILL_UPC, SELLWOOD, client_at, new_offer, new_product, new_retailer, new_store
from tests.conftest import FIXED_NOW, call, call_error, row_counts

pytestmark = pytest.mark.anyio

WOODSTOCK = (45.4790, -122.6150)
DRILL_GTIN14 = "00036000291452"


def synced_at(offer: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(offer["last_inventory_sync"])


class Shop:
    """A retailer with two published stores and one registered product (a drill)."""

    def __init__(self, organization_id: str, sellwood: str, woodstock: str, product_id: str) -> None:
        self.organization_id = organization_id
        self.sellwood = sellwood
        self.woodstock = woodstock
        self.product_id = product_id

    def arguments(self, **fields: Any) -> dict[str, Any]:
        """create_in_store_offer arguments: the drill at Sellwood, changed by `fields`; a None drops an argument."""
        arguments: dict[str, Any] = {
            "organization_id": self.organization_id,
            "location_id": self.sellwood,
            "sku": "DW-20V",
            "price_minor": 9999,
            "quantity_on_hand": 5,
        }
        arguments.update(fields)
        if "gtin" not in arguments:
            arguments.setdefault("product_id", self.product_id)
        return {key: value for key, value in arguments.items() if value is not None}

    async def offer(self, client: Client, **fields: Any) -> dict[str, Any]:
        return await call(client, "create_in_store_offer", **self.arguments(**fields))

    async def refused(self, client: Client, **fields: Any) -> tuple[str, str]:
        """create_in_store_offer with these arguments must fail: its (code, message)."""
        return await call_error(client, "create_in_store_offer", **self.arguments(**fields))


@pytest.fixture
async def shop(client: Client) -> Shop:
    org = await new_retailer(client)
    sellwood = await new_store(client, org, "Alder Sellwood", SELLWOOD)
    woodstock = await new_store(client, org, "Alder Woodstock", WOODSTOCK)
    drill = await new_product(client, "DeWalt 20V Cordless Drill", gtin=DRILL_UPC, brand="DeWalt")
    return Shop(org, sellwood, woodstock, drill["id"])


# --- create ----------------------------------------------------------------------------------------------------


async def test_an_offer_created_by_product_id_describes_product_store_price_and_stock(
    client: Client, shop: Shop
) -> None:
    offer = await shop.offer(client, sku="DW-20V", price_minor=9999, quantity_on_hand=5)

    assert offer["id"].startswith("ofr_")
    assert offer["organization_id"] == shop.organization_id
    assert offer["location_id"] == shop.sellwood
    assert offer["product"] == {
        "id": shop.product_id,
        "gtin": DRILL_GTIN14,
        "name": "DeWalt 20V Cordless Drill",
        "brand": "DeWalt",
    }
    assert offer["sku"] == "DW-20V"
    assert offer["price"] == {"amount_minor": 9999, "currency": "USD", "amount": "99.99"}
    assert offer["quantity_on_hand"] == 5
    assert offer["status"] == "in_stock"
    assert offer["source"] == "manual"


@pytest.mark.parametrize("written", [DRILL_UPC, "0036000291452", DRILL_GTIN14])
async def test_an_offer_can_name_its_product_by_any_form_of_its_gtin(client: Client, shop: Shop, written: str) -> None:
    offer = await shop.offer(client, gtin=written)

    assert offer["product"]["id"] == shop.product_id
    assert offer["product"]["gtin"] == DRILL_GTIN14


async def test_an_offer_for_an_unregistered_gtin_is_not_found_and_says_to_register_it(
    client: Client, shop: Shop, database: Database
) -> None:
    before = row_counts(database)

    code, message = await shop.refused(client, gtin="4006381333931", sku="PEN", price_minor=199, quantity_on_hand=3)

    assert code == "not_found"
    assert "register_product" in message
    assert row_counts(database) == before


async def test_an_offer_needs_a_product_id_or_a_gtin(client: Client, shop: Shop) -> None:
    code, message = await shop.refused(client, product_id=None)  # and no gtin either

    assert code == "invalid_argument"
    assert "exactly one of product_id or gtin" in message


async def test_a_retailer_cannot_offer_at_another_retailers_store(
    client: Client, shop: Shop, database: Database
) -> None:
    other = await new_retailer(client, "Birch Books")
    before = row_counts(database)

    code, _ = await shop.refused(client, organization_id=other, product_id=shop.product_id)

    assert code == "not_found"
    assert row_counts(database) == before


@pytest.mark.parametrize(
    ("quantity", "status"),
    [(0, "out_of_stock"), (1, "low_stock"), (3, "low_stock"), (4, "in_stock"), (10, "in_stock")],
)
async def test_status_follows_quantity_when_omitted(client: Client, shop: Shop, quantity: int, status: str) -> None:
    offer = await shop.offer(client, quantity_on_hand=quantity)

    assert offer["status"] == status
    assert offer["quantity_on_hand"] == quantity


async def test_a_discontinued_offer_with_nothing_on_hand_is_allowed(client: Client, shop: Shop) -> None:
    offer = await shop.offer(client, quantity_on_hand=0, status="discontinued")

    assert offer["status"] == "discontinued"
    assert offer["quantity_on_hand"] == 0


async def test_an_explicit_status_overrides_the_derived_one(client: Client, shop: Shop) -> None:
    offer = await shop.offer(client, quantity_on_hand=50, status="low_stock")

    assert offer["status"] == "low_stock"


@pytest.mark.parametrize(
    ("price_minor", "currency", "price"),
    [
        (1099, "USD", {"amount_minor": 1099, "currency": "USD", "amount": "10.99"}),
        (5, "USD", {"amount_minor": 5, "currency": "USD", "amount": "0.05"}),
        (500, "JPY", {"amount_minor": 500, "currency": "JPY", "amount": "500"}),
        (1250, "KWD", {"amount_minor": 1250, "currency": "KWD", "amount": "1.250"}),
        (1099, "usd", {"amount_minor": 1099, "currency": "USD", "amount": "10.99"}),
        (500, "jpy", {"amount_minor": 500, "currency": "JPY", "amount": "500"}),
    ],
)
async def test_a_price_is_shown_in_minor_units_with_its_currency_and_a_decimal_string(
    client: Client, shop: Shop, price_minor: int, currency: str, price: dict[str, Any]
) -> None:
    offer = await shop.offer(client, price_minor=price_minor, currency=currency)

    assert offer["price"] == price
    [listed] = (await call(client, "list_in_store_offers", organization_id=shop.organization_id))["offers"]
    assert listed["price"] == price


async def test_a_new_offer_counts_as_confirmed_at_the_current_time(client: Client, shop: Shop) -> None:
    offer = await shop.offer(client)

    assert synced_at(offer) == FIXED_NOW
    assert offer["confidence"] == "confirmed"


async def test_a_second_offer_for_the_same_product_store_and_sku_is_a_duplicate(
    client: Client, shop: Shop, database: Database
) -> None:
    first = await shop.offer(client, sku="DW-20V")
    before = row_counts(database)

    code, message = await shop.refused(client, gtin="0036000291452", sku="DW-20V", price_minor=100, quantity_on_hand=1)

    assert code == "duplicate_offer"
    assert first["id"] in message
    assert row_counts(database) == before


async def test_the_same_product_and_store_under_another_sku_is_a_separate_offer(client: Client, shop: Shop) -> None:
    first = await shop.offer(client, sku="DW-20V")
    second = await shop.offer(client, sku="DW-20V-KIT")

    assert first["id"] != second["id"]
    listed = await call(client, "list_in_store_offers", organization_id=shop.organization_id)
    assert listed["total"] == 2


async def test_the_same_product_and_sku_at_another_store_is_a_separate_offer(client: Client, shop: Shop) -> None:
    first = await shop.offer(client, location_id=shop.sellwood)
    second = await shop.offer(client, location_id=shop.woodstock)

    assert (first["location_id"], second["location_id"]) == (shop.sellwood, shop.woodstock)


# --- update ----------------------------------------------------------------------------------------------------


async def test_updating_only_the_price_keeps_the_last_inventory_sync(
    client: Client, shop: Shop, database: Database
) -> None:
    offer = await shop.offer(client, price_minor=9999, quantity_on_hand=5)

    async with client_at(database, FIXED_NOW + timedelta(hours=2)) as later:
        updated = await call(later, "update_in_store_offer", offer_id=offer["id"], price_minor=8999)

    assert updated["price"] == {"amount_minor": 8999, "currency": "USD", "amount": "89.99"}
    assert synced_at(updated) == FIXED_NOW
    assert updated["confidence"] == "likely"
    assert (updated["quantity_on_hand"], updated["status"]) == (5, "in_stock")


async def test_updating_the_currency_normalises_it_and_keeps_the_last_inventory_sync(
    client: Client, shop: Shop, database: Database
) -> None:
    offer = await shop.offer(client, price_minor=1500)

    async with client_at(database, FIXED_NOW + timedelta(hours=2)) as later:
        updated = await call(later, "update_in_store_offer", offer_id=offer["id"], currency="eur")

    assert updated["price"] == {"amount_minor": 1500, "currency": "EUR", "amount": "15.00"}
    assert synced_at(updated) == FIXED_NOW


@pytest.mark.parametrize(
    ("quantity", "status"), [(0, "out_of_stock"), (2, "low_stock"), (40, "in_stock")], ids=["0", "2", "40"]
)
async def test_updating_the_quantity_confirms_the_stock_now_and_rederives_the_status(
    client: Client, shop: Shop, database: Database, quantity: int, status: str
) -> None:
    offer = await shop.offer(client, quantity_on_hand=5, price_minor=9999)
    two_hours_later = FIXED_NOW + timedelta(hours=2)

    async with client_at(database, two_hours_later) as later:
        updated = await call(later, "update_in_store_offer", offer_id=offer["id"], quantity_on_hand=quantity)
        listed = await call(later, "list_in_store_offers", organization_id=shop.organization_id)

    assert (updated["quantity_on_hand"], updated["status"]) == (quantity, status)
    assert synced_at(updated) == two_hours_later
    assert updated["confidence"] == "confirmed"
    assert updated["price"]["amount_minor"] == 9999
    [row] = listed["offers"]
    assert (row["quantity_on_hand"], row["status"], synced_at(row)) == (quantity, status, two_hours_later)


async def test_marking_an_offer_discontinued_keeps_its_quantity(client: Client, shop: Shop) -> None:
    offer = await shop.offer(client, quantity_on_hand=0)

    updated = await call(client, "update_in_store_offer", offer_id=offer["id"], status="discontinued")

    assert (updated["status"], updated["quantity_on_hand"]) == ("discontinued", 0)


async def test_an_offer_update_with_nothing_to_change_is_refused(client: Client, shop: Shop) -> None:
    offer = await shop.offer(client)

    code, message = await call_error(client, "update_in_store_offer", offer_id=offer["id"])

    assert code == "invalid_argument"
    assert "Nothing to update" in message


# --- list ------------------------------------------------------------------------------------------------------


async def make_offers(client: Client, shop: Shop, count: int, **fields: Any) -> list[dict[str, Any]]:
    offers = []
    for n in range(count):
        product = await new_product(client, f"Item {n}")
        offers.append(await shop.offer(client, product_id=product["id"], sku=f"SKU-{n}", **fields))
    return offers


async def test_list_in_store_offers_pages_through_every_offer_once(client: Client, shop: Shop) -> None:
    created = await make_offers(client, shop, 7)

    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        arguments: dict[str, Any] = {"organization_id": shop.organization_id, "limit": 3}
        if cursor is not None:
            arguments["cursor"] = cursor
        page = await call(client, "list_in_store_offers", **arguments)
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "pagination did not end"

    assert [len(page["offers"]) for page in pages] == [3, 3, 1]
    assert [page["total"] for page in pages] == [7, 7, 7]
    assert all(page["next_cursor"] for page in pages[:-1])
    listed = [offer["id"] for page in pages for offer in page["offers"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == {offer["id"] for offer in created}


async def test_a_page_exactly_as_long_as_the_rest_has_no_next_cursor(client: Client, shop: Shop) -> None:
    await make_offers(client, shop, 3)

    page = await call(client, "list_in_store_offers", organization_id=shop.organization_id, limit=3)

    assert len(page["offers"]) == 3
    assert page["next_cursor"] is None


async def test_an_organization_without_offers_lists_nothing(client: Client, shop: Shop) -> None:
    page = await call(client, "list_in_store_offers", organization_id=shop.organization_id)

    assert page == {"offers": [], "total": 0, "next_cursor": None}


async def test_list_in_store_offers_filters_by_location_with_a_matching_total(client: Client, shop: Shop) -> None:
    at_sellwood = await make_offers(client, shop, 3)
    at_woodstock = await shop.offer(client, location_id=shop.woodstock)

    sellwood = await call(
        client, "list_in_store_offers", organization_id=shop.organization_id, location_id=shop.sellwood
    )
    woodstock = await call(
        client, "list_in_store_offers", organization_id=shop.organization_id, location_id=shop.woodstock
    )

    assert sellwood["total"] == 3
    assert {o["id"] for o in sellwood["offers"]} == {o["id"] for o in at_sellwood}
    assert woodstock["total"] == 1
    assert [o["id"] for o in woodstock["offers"]] == [at_woodstock["id"]]


async def test_list_in_store_offers_filters_by_status_with_a_matching_total(client: Client, shop: Shop) -> None:
    in_stock = await make_offers(client, shop, 2, quantity_on_hand=10)
    out = await shop.offer(client, sku="OUT", quantity_on_hand=0)
    low = await shop.offer(client, sku="LOW", quantity_on_hand=2)

    def listed(page: dict[str, Any]) -> set[str]:
        return {o["id"] for o in page["offers"]}

    org = shop.organization_id
    page_in = await call(client, "list_in_store_offers", organization_id=org, status="in_stock")
    page_out = await call(client, "list_in_store_offers", organization_id=org, status="out_of_stock")
    page_low = await call(client, "list_in_store_offers", organization_id=org, status="low_stock")
    page_gone = await call(client, "list_in_store_offers", organization_id=org, status="discontinued")

    assert (page_in["total"], listed(page_in)) == (2, {o["id"] for o in in_stock})
    assert (page_out["total"], listed(page_out)) == (1, {out["id"]})
    assert (page_low["total"], listed(page_low)) == (1, {low["id"]})
    assert (page_gone["total"], listed(page_gone)) == (0, set())
    assert all(o["status"] == "in_stock" for o in page_in["offers"])


async def test_location_and_status_filters_combine_and_paginate(client: Client, shop: Shop) -> None:
    wanted = await make_offers(client, shop, 4, quantity_on_hand=0)
    await make_offers(client, shop, 2, quantity_on_hand=10, location_id=shop.woodstock)
    await shop.offer(client, sku="IN", quantity_on_hand=10)

    arguments = {
        "organization_id": shop.organization_id,
        "location_id": shop.sellwood,
        "status": "out_of_stock",
        "limit": 3,
    }
    first = await call(client, "list_in_store_offers", **arguments)
    second = await call(client, "list_in_store_offers", **arguments, cursor=first["next_cursor"])

    assert (first["total"], second["total"]) == (4, 4)
    assert [len(first["offers"]), len(second["offers"])] == [3, 1]
    assert second["next_cursor"] is None
    assert {o["id"] for o in first["offers"] + second["offers"]} == {o["id"] for o in wanted}


async def test_offers_of_other_organizations_are_not_listed(client: Client, shop: Shop) -> None:
    ours = await shop.offer(client)
    other = await new_retailer(client, "Birch Books")
    their_store = await new_store(client, other, "Birch Sellwood", SELLWOOD)
    await new_offer(client, other, their_store, product_id=shop.product_id, sku="B-1", price_minor=100, quantity=1)

    page = await call(client, "list_in_store_offers", organization_id=shop.organization_id)

    assert page["total"] == 1
    assert [o["id"] for o in page["offers"]] == [ours["id"]]


async def test_listing_by_another_organizations_location_is_not_found(client: Client, shop: Shop) -> None:
    other = await new_retailer(client, "Birch Books")
    their_store = await new_store(client, other, "Birch Sellwood", SELLWOOD)

    code, message = await call_error(
        client, "list_in_store_offers", organization_id=shop.organization_id, location_id=their_store
    )

    assert code == "not_found"
    assert their_store in message


async def test_every_listed_offer_carries_its_last_inventory_sync_and_confidence(client: Client, shop: Shop) -> None:
    await make_offers(client, shop, 3)

    page = await call(client, "list_in_store_offers", organization_id=shop.organization_id)

    assert len(page["offers"]) == 3
    for offer in page["offers"]:
        assert synced_at(offer) == FIXED_NOW
        assert offer["confidence"] == "confirmed"


# --- freshness -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "confidence"),
    [
        (timedelta(minutes=59), "confirmed"),
        (timedelta(hours=2), "likely"),
        (timedelta(hours=23), "likely"),
        (timedelta(days=2), "uncertain"),
    ],
    ids=["59min", "2h", "23h", "2d"],
)
async def test_an_offer_seen_later_loses_confidence_as_its_sync_ages(
    client: Client, shop: Shop, database: Database, age: timedelta, confidence: str
) -> None:
    offer = await shop.offer(client)

    async with client_at(database, FIXED_NOW + age) as later:
        page = await call(later, "list_in_store_offers", organization_id=shop.organization_id)

    [row] = page["offers"]
    assert row["id"] == offer["id"]
    assert synced_at(row) == FIXED_NOW
    assert row["confidence"] == confidence


async def test_a_stock_update_restores_confidence_to_confirmed(client: Client, shop: Shop, database: Database) -> None:
    offer = await shop.offer(client, quantity_on_hand=5)
    two_days_later = FIXED_NOW + timedelta(days=2)

    async with client_at(database, two_days_later) as later:
        before = await call(later, "list_in_store_offers", organization_id=shop.organization_id)
        await call(later, "update_in_store_offer", offer_id=offer["id"], quantity_on_hand=4)
        after = await call(later, "list_in_store_offers", organization_id=shop.organization_id)

    assert before["offers"][0]["confidence"] == "uncertain"
    assert after["offers"][0]["confidence"] == "confirmed"
    assert synced_at(after["offers"][0]) == two_days_later
