"""Inventory through the MCP tools: movements (idempotent, clamped, POS-owned offers left alone), per-offer
stock rules, the low-stock list and one product's stock across a retailer's locations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
import pytest
from mcp import Client
from sqlalchemy import select, update

from localshelf.config import Settings
from localshelf.domain.auth import ALL_SCOPES, Principal, Role
from localshelf.server.app import build_server
from localshelf.store.db import Database
from localshelf.store.models import InStoreOffer, InventoryMovement, Organization
from tests.builders import DRILL_UPC, new_offer, new_product, new_retailer, new_store, onboard
from tests.conftest import FIXED_NOW, call, call_error, row_counts, table_rows

pytestmark = pytest.mark.anyio

WOODSTOCK = (45.4790, -122.6150)
HAWTHORNE = (45.5120, -122.6270)
EARLIER = (FIXED_NOW - timedelta(hours=1)).isoformat()


@dataclass(frozen=True)
class Shop:
    org: str
    loc: str
    prd: str
    ofr: str  # the drill at Sellwood, 5 on hand


@pytest.fixture
async def shop(client: Client) -> Shop:
    made = await onboard(client, quantity=5)
    return Shop(made.org, made.loc, made.prd, made.ofr)


async def move(
    client: Client, offer_id: str, delta: int, reason: str, external_id: str, **extra: Any
) -> dict[str, Any]:
    return await call(
        client,
        "record_inventory_movement",
        offer_id=offer_id,
        delta=delta,
        reason=reason,
        occurred_at=extra.pop("occurred_at", EARLIER),
        external_id=external_id,
        **extra,
    )


async def offer_state(client: Client, shop: Shop, offer_id: str) -> tuple[int, str]:
    offers = (await call(client, "list_in_store_offers", organization_id=shop.org, limit=200))["offers"]
    (offer,) = [o for o in offers if o["id"] == offer_id]
    return offer["quantity_on_hand"], offer["status"]


def movement_rows(database: Database) -> list[InventoryMovement]:
    with database.session() as session:
        return list(session.scalars(select(InventoryMovement).order_by(InventoryMovement.id)))


def organization_pk(database: Database, public_id: str) -> int:
    with database.session() as session:
        pk = session.scalar(select(Organization.id).where(Organization.public_id == public_id))
    assert pk is not None
    return pk


# --------------------------------------------------------------------------- movements


async def test_a_sale_takes_stock_away_and_a_return_brings_it_back(client: Client, shop: Shop) -> None:
    sold = await move(client, shop.ofr, -2, "sale", "receipt-1001/1", note="till 2")
    assert (sold["quantity_on_hand"], sold["status"], sold["duplicate"], sold["clamped"]) == (
        3,
        "low_stock",
        False,
        False,
    )
    assert sold["movement"]["applied"] is True and sold["movement"]["quantity_after"] == 3
    assert sold["movement"]["id"].startswith("mov_") and sold["movement"]["note"] == "till 2"

    later = (FIXED_NOW - timedelta(minutes=10)).isoformat()
    returned = await move(client, shop.ofr, 4, "return", "return-77", occurred_at=later)
    assert (returned["quantity_on_hand"], returned["status"]) == (7, "in_stock")
    assert await offer_state(client, shop, shop.ofr) == (7, "in_stock")

    listed = await call(client, "list_inventory_movements", offer_id=shop.ofr)
    assert [(m["external_id"], m["delta"], m["quantity_after"]) for m in listed["movements"]] == [
        ("return-77", 4, 7),
        ("receipt-1001/1", -2, 3),
    ]
    assert len((await call(client, "list_inventory_movements", offer_id=shop.ofr, limit=1))["movements"]) == 1


async def test_a_repeat_with_the_same_external_id_returns_the_first_movement_and_changes_nothing(
    client: Client, database: Database, shop: Shop
) -> None:
    first = await move(client, shop.ofr, -1, "sale", "receipt-1/1")
    counts = row_counts(database)
    again = await move(client, shop.ofr, -1, "sale", "receipt-1/1")
    assert again["duplicate"] is True and again["movement"]["id"] == first["movement"]["id"]
    assert again["quantity_on_hand"] == 4
    assert row_counts(database) == counts
    assert await offer_state(client, shop, shop.ofr) == (4, "in_stock")


async def test_concurrent_repeats_move_the_stock_once(client: Client, database: Database, shop: Shop) -> None:
    results: list[dict[str, Any]] = []

    async def one() -> None:
        results.append(await move(client, shop.ofr, -3, "sale", "receipt-9/1"))

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(one)
    assert sorted(r["duplicate"] for r in results) == [False] + [True] * 5
    assert len({r["movement"]["id"] for r in results}) == 1
    assert [(m.delta, m.quantity_after) for m in movement_rows(database)] == [(-3, 2)]
    assert await offer_state(client, shop, shop.ofr) == (2, "low_stock")


async def test_concurrent_different_movements_all_apply(client: Client, shop: Shop) -> None:
    async with anyio.create_task_group() as group:
        for n in range(4):
            group.start_soon(move, client, shop.ofr, 10, "restock", f"delivery-{n}")
    assert await offer_state(client, shop, shop.ofr) == (45, "in_stock")


async def test_the_same_external_id_for_a_different_movement_is_refused_and_writes_nothing(
    client: Client, database: Database, shop: Shop
) -> None:
    await move(client, shop.ofr, -1, "sale", "receipt-5/1")
    counts, rows = row_counts(database), table_rows(database)
    for changed in ({"delta": -2}, {"reason": "shrinkage"}, {"occurred_at": FIXED_NOW.isoformat()}, {"note": "x"}):
        arguments = {"delta": -1, "reason": "sale", "occurred_at": EARLIER, **changed}
        code, message = await call_error(
            client, "record_inventory_movement", offer_id=shop.ofr, external_id="receipt-5/1", **arguments
        )
        assert code == "external_id_reused", (changed, message)
        assert "receipt-5/1" in message
    assert row_counts(database) == counts and table_rows(database) == rows


async def test_an_external_id_is_unique_per_organization_not_per_offer(client: Client, shop: Shop) -> None:
    other = await new_offer(client, shop.org, shop.loc, gtin=DRILL_UPC, sku="A2", quantity=9)
    await move(client, shop.ofr, -1, "sale", "receipt-6/1")
    code, _ = await call_error(
        client,
        "record_inventory_movement",
        offer_id=other["id"],
        delta=-1,
        reason="sale",
        occurred_at=EARLIER,
        external_id="receipt-6/1",
    )
    assert code == "external_id_reused"
    # another retailer may use the same external id
    org2 = await onboard(client, retailer="Birch Hardware", store="Birch – Hawthorne", at=HAWTHORNE, sku="B1")
    assert (await move(client, org2.ofr, -1, "sale", "receipt-6/1"))["duplicate"] is False


async def test_one_external_id_sent_for_two_offers_at_once_records_one_movement(
    client: Client, database: Database, shop: Shop
) -> None:
    other = await new_offer(client, shop.org, shop.loc, gtin=DRILL_UPC, sku="A2", quantity=9)
    outcomes: list[str] = []

    async def one(offer_id: str) -> None:
        result = await client.call_tool(
            "record_inventory_movement",
            {"offer_id": offer_id, "delta": -1, "reason": "sale", "occurred_at": EARLIER, "external_id": "r-7"},
        )
        text = result.content[0].text if result.is_error else "ok"  # type: ignore[union-attr]
        outcomes.append(text.partition(":")[0])

    async with anyio.create_task_group() as group:
        group.start_soon(one, shop.ofr)
        group.start_soon(one, str(other["id"]))
    assert sorted(outcomes) == ["external_id_reused", "ok"]
    assert len(movement_rows(database)) == 1
    quantities = [(await offer_state(client, shop, offer_id))[0] for offer_id in (shop.ofr, str(other["id"]))]
    assert quantities in ([4, 9], [5, 8])  # only the recorded movement moved stock


async def test_stock_never_goes_below_zero_and_the_result_says_it_was_clamped(
    client: Client, database: Database, shop: Shop
) -> None:
    result = await move(client, shop.ofr, -8, "shrinkage", "count-2026-11-24")
    assert (result["quantity_on_hand"], result["status"], result["clamped"]) == (0, "out_of_stock", True)
    assert "clamped" in result["message"]
    assert [(m.delta, m.quantity_after, m.applied) for m in movement_rows(database)] == [(-8, 0, True)]


async def test_a_movement_up_to_five_minutes_ahead_is_accepted(client: Client, shop: Shop) -> None:
    ahead = (FIXED_NOW + timedelta(minutes=4)).isoformat()
    assert (await move(client, shop.ofr, 1, "restock", "delivery-1", occurred_at=ahead))["quantity_on_hand"] == 6


async def test_a_pos_synced_offer_keeps_its_quantity_and_the_movement_is_only_recorded(
    client: Client, database: Database, shop: Shop
) -> None:
    with database.session() as session:
        session.execute(update(InStoreOffer).where(InStoreOffer.public_id == shop.ofr).values(source="pos"))
        session.commit()
    result = await move(client, shop.ofr, -2, "sale", "receipt-3/1")
    assert result["movement"]["applied"] is False and result["movement"]["quantity_after"] is None
    assert (result["quantity_on_hand"], result["status"], result["clamped"]) == (5, "in_stock", False)
    assert "POS" in result["message"]
    assert await offer_state(client, shop, shop.ofr) == (5, "in_stock")
    (row,) = movement_rows(database)
    assert (row.delta, row.reason, row.applied) == (-2, "sale", False)


# --------------------------------------------------------------------------- stock rules


async def test_a_custom_threshold_drives_the_status_at_once_and_after_movements(client: Client, shop: Shop) -> None:
    rules = await call(client, "set_stock_rules", offer_id=shop.ofr, low_stock_threshold=10, reorder_point=6)
    assert rules == {
        "offer_id": shop.ofr,
        "quantity_on_hand": 5,
        "status": "low_stock",
        "low_stock_threshold": 10,
        "low_stock_level": 10,
        "reorder_point": 6,
        "needs_reorder": True,
    }
    assert await offer_state(client, shop, shop.ofr) == (5, "low_stock")
    assert (await move(client, shop.ofr, 6, "restock", "po-1"))["status"] == "in_stock"  # 11 > 10
    assert (await move(client, shop.ofr, -1, "sale", "r-1"))["status"] == "low_stock"  # 10 <= 10

    zero = await call(client, "set_stock_rules", offer_id=shop.ofr, low_stock_threshold=0)
    assert (zero["status"], zero["reorder_point"], zero["needs_reorder"]) == ("in_stock", None, False)
    assert (await move(client, shop.ofr, -9, "sale", "r-2"))["status"] == "in_stock"  # 1 unit, never "low"
    assert (await move(client, shop.ofr, -1, "sale", "r-3"))["status"] == "out_of_stock"

    await move(client, shop.ofr, 3, "restock", "po-2")
    cleared = await call(client, "set_stock_rules", offer_id=shop.ofr)
    assert (cleared["low_stock_threshold"], cleared["low_stock_level"], cleared["status"]) == (None, 3, "low_stock")


async def test_update_in_store_offer_follows_the_offers_threshold(client: Client, shop: Shop) -> None:
    await call(client, "set_stock_rules", offer_id=shop.ofr, low_stock_threshold=20)
    updated = await call(client, "update_in_store_offer", offer_id=shop.ofr, quantity_on_hand=15)
    assert updated["status"] == "low_stock"


async def test_a_discontinued_offer_stays_discontinued(client: Client, shop: Shop) -> None:
    await call(client, "update_in_store_offer", offer_id=shop.ofr, status="discontinued")
    assert (await move(client, shop.ofr, 1, "return", "ret-1"))["status"] == "discontinued"
    assert (await call(client, "set_stock_rules", offer_id=shop.ofr, low_stock_threshold=50))["status"] == (
        "discontinued"
    )


# --------------------------------------------------------------------------- bad input

BAD_MOVEMENTS = {
    "zero-delta": ({"delta": 0}, "invalid_quantity"),
    "positive-sale": ({"delta": 2}, "invalid_quantity"),
    "negative-return": ({"reason": "return"}, "invalid_quantity"),
    "negative-restock": ({"reason": "restock"}, "invalid_quantity"),
    "positive-shrinkage": ({"reason": "shrinkage", "delta": 1}, "invalid_quantity"),
    "zero-adjustment": ({"reason": "adjustment", "delta": 0}, "invalid_quantity"),
    "fractional-delta": ({"delta": -1.5}, "invalid_quantity"),
    "boolean-delta": ({"delta": True}, "invalid_quantity"),
    "huge-delta": ({"delta": -(10**10)}, "invalid_quantity"),
    "unknown-reason": ({"reason": "theft"}, "invalid_argument"),
    "future": ({"occurred_at": (FIXED_NOW + timedelta(minutes=6)).isoformat()}, "invalid_argument"),
    "no-time-zone": ({"occurred_at": "2026-11-24T11:00:00"}, "invalid_argument"),
    "not-a-time": ({"occurred_at": "yesterday"}, "invalid_argument"),
    "blank-external-id": ({"external_id": "  "}, "invalid_argument"),
    "text-delta": ({"delta": "minus one"}, "invalid_quantity"),
    "long-external-id": ({"external_id": "x" * 256}, "value_too_long"),
    "long-note": ({"note": "x" * 301}, "value_too_long"),
    "bad-offer-id": ({"offer_id": "loc_7k3m9x2p4q8r"}, "invalid_id"),
    "unknown-offer": ({"offer_id": "ofr_7k3m9x2p4q8r"}, "not_found"),
}


@pytest.mark.parametrize(("changes", "code"), BAD_MOVEMENTS.values(), ids=BAD_MOVEMENTS.keys())
async def test_a_bad_movement_is_refused_and_writes_nothing(
    client: Client, database: Database, shop: Shop, changes: dict[str, Any], code: str
) -> None:
    counts, rows = row_counts(database), table_rows(database)
    arguments = {"offer_id": shop.ofr, "delta": -1, "reason": "sale", "occurred_at": EARLIER, "external_id": "r-1"}
    got, message = await call_error(client, "record_inventory_movement", **{**arguments, **changes})
    assert got == code, message
    assert row_counts(database) == counts and table_rows(database) == rows


BAD_OTHER = {
    "threshold-negative": ("set_stock_rules", {"low_stock_threshold": -1}, "invalid_quantity"),
    "threshold-too-high": ("set_stock_rules", {"low_stock_threshold": 1_000_001}, "invalid_quantity"),
    "reorder-fractional": ("set_stock_rules", {"reorder_point": 2.5}, "invalid_quantity"),
    "movements-limit-0": ("list_inventory_movements", {"limit": 0}, "invalid_argument"),
    "movements-limit-201": ("list_inventory_movements", {"limit": 201}, "invalid_argument"),
}


@pytest.mark.parametrize(("tool", "changes", "code"), BAD_OTHER.values(), ids=BAD_OTHER.keys())
async def test_bad_stock_rules_or_limits_are_refused_and_write_nothing(
    client: Client, database: Database, shop: Shop, tool: str, changes: dict[str, Any], code: str
) -> None:
    counts, rows = row_counts(database), table_rows(database)
    got, message = await call_error(client, tool, offer_id=shop.ofr, **changes)
    assert got == code, message
    assert row_counts(database) == counts and table_rows(database) == rows


async def test_bad_low_stock_and_product_stock_arguments_are_refused(client: Client, shop: Shop) -> None:
    assert (await call_error(client, "list_low_stock", organization_id=shop.org, cursor="nonsense"))[0] == (
        "invalid_cursor"
    )
    assert (await call_error(client, "list_low_stock", organization_id=shop.org, limit=0))[0] == "invalid_argument"
    assert (await call_error(client, "get_product_stock", organization_id=shop.org))[0] == "invalid_argument"
    both = {"product_id": shop.prd, "gtin": DRILL_UPC}
    assert (await call_error(client, "get_product_stock", organization_id=shop.org, **both))[0] == "invalid_argument"
    bad_gtin = await call_error(client, "get_product_stock", organization_id=shop.org, gtin="036000291453")
    assert bad_gtin[0] == "invalid_gtin"


# --------------------------------------------------------------------------- who may


def client_as(database: Database, principal: Principal) -> Client:
    server = build_server(
        Settings(database_url="sqlite://", sync_worker=False), database=database, clock=lambda: FIXED_NOW
    )
    server.local_principal = principal
    return Client(server)


async def test_outsiders_get_not_found_and_nothing_is_written(client: Client, database: Database, shop: Shop) -> None:
    other = await new_retailer(client, "Birch Books")
    await call(client, "set_stock_rules", offer_id=shop.ofr, reorder_point=9)
    outsider = Principal(
        kind="api_key", name="outsider", scopes=ALL_SCOPES, roles={organization_pk(database, other): Role.OWNER}
    )
    counts, rows = row_counts(database), table_rows(database)
    async with client_as(database, outsider) as session:
        for tool, arguments in [
            (
                "record_inventory_movement",
                {"offer_id": shop.ofr, "delta": -1, "reason": "sale", "occurred_at": EARLIER, "external_id": "x"},
            ),
            ("list_inventory_movements", {"offer_id": shop.ofr}),
            ("set_stock_rules", {"offer_id": shop.ofr, "low_stock_threshold": 1}),
            ("list_low_stock", {"organization_id": shop.org}),
            ("list_low_stock", {"organization_id": other, "location_id": shop.loc}),
            ("get_product_stock", {"organization_id": shop.org, "product_id": shop.prd}),
        ]:
            code, message = await call_error(session, tool, **arguments)
            assert code == "not_found", (tool, message)
        # their own organization shows none of the other retailer's stock
        own = await call(session, "get_product_stock", organization_id=other, product_id=shop.prd)
        assert (own["locations"], own["total_quantity"]) == ([], 0)
        assert (await call(session, "list_low_stock", organization_id=other))["items"] == []
    assert row_counts(database) == counts and table_rows(database) == rows


async def test_staff_may_read_stock_but_not_move_it(client: Client, database: Database, shop: Shop) -> None:
    staff = Principal(
        kind="api_key", name="staff", scopes=ALL_SCOPES, roles={organization_pk(database, shop.org): Role.STAFF}
    )
    await move(client, shop.ofr, -4, "sale", "r-1")
    async with client_as(database, staff) as session:
        code, _ = await call_error(
            session,
            "record_inventory_movement",
            offer_id=shop.ofr,
            delta=-1,
            reason="sale",
            occurred_at=EARLIER,
            external_id="r-2",
        )
        assert code == "forbidden"
        assert (await call_error(session, "set_stock_rules", offer_id=shop.ofr, reorder_point=2))[0] == "forbidden"
        assert len((await call(session, "list_inventory_movements", offer_id=shop.ofr))["movements"]) == 1
        assert [i["offer_id"] for i in (await call(session, "list_low_stock", organization_id=shop.org))["items"]] == [
            shop.ofr
        ]


# --------------------------------------------------------------------------- low-stock list


async def test_the_low_stock_list_has_out_low_and_reorder_offers_but_not_discontinued_ones(
    client: Client, shop: Shop
) -> None:
    woodstock = await new_store(client, shop.org, "Alder Woodstock", WOODSTOCK)
    product = await new_product(client, "Claw hammer")

    async def offer(location: str, sku: str, quantity: int, **rules: Any) -> str:
        made = await new_offer(client, shop.org, location, product, sku=sku, quantity=quantity)
        if rules:
            await call(client, "set_stock_rules", offer_id=made["id"], **rules)
        return str(made["id"])

    low = await offer(shop.loc, "H-LOW", 2)
    empty = await offer(shop.loc, "H-OUT", 0)
    custom = await offer(woodstock, "H-CUSTOM", 10, low_stock_threshold=12)
    reorder = await offer(woodstock, "H-REORDER", 10, reorder_point=10)
    await offer(woodstock, "H-PLENTY", 50, reorder_point=49)
    gone = await offer(shop.loc, "H-GONE", 1)
    await call(client, "update_in_store_offer", offer_id=gone, status="discontinued")

    listed = await call(client, "list_low_stock", organization_id=shop.org)
    by_id = {item["offer_id"]: item for item in listed["items"]}
    assert set(by_id) == {low, empty, custom, reorder} and listed["total"] == 4
    assert [by_id[i]["status"] for i in (low, empty, custom, reorder)] == [
        "low_stock",
        "out_of_stock",
        "low_stock",
        "in_stock",
    ]
    assert [by_id[i]["needs_reorder"] for i in (low, empty, custom, reorder)] == [False, False, False, True]
    assert (by_id[custom]["low_stock_threshold"], by_id[custom]["low_stock_level"]) == (12, 12)
    assert (by_id[low]["low_stock_threshold"], by_id[low]["low_stock_level"]) == (None, 3)
    assert (by_id[reorder]["location_id"], by_id[reorder]["location_name"]) == (woodstock, "Alder Woodstock")
    assert by_id[low]["product"]["name"] == "Claw hammer"

    at_woodstock = await call(client, "list_low_stock", organization_id=shop.org, location_id=woodstock)
    assert {item["offer_id"] for item in at_woodstock["items"]} == {custom, reorder}

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await call(
            client, "list_low_stock", organization_id=shop.org, limit=3, **({"cursor": cursor} if cursor else {})
        )
        assert len(page["items"]) <= 3 and page["total"] == 4
        seen += [item["offer_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(by_id) and len(seen) == 4


# --------------------------------------------------------------------------- multi-location view


async def test_product_stock_lists_every_location_with_a_total(client: Client, shop: Shop) -> None:
    woodstock = await new_store(client, shop.org, "Alder Woodstock", WOODSTOCK)
    hawthorne = await new_store(client, shop.org, "Alder Hawthorne", HAWTHORNE)
    await new_offer(client, shop.org, woodstock, gtin=DRILL_UPC, sku="A1", quantity=7, price_minor=8999)
    await new_offer(client, shop.org, woodstock, gtin=DRILL_UPC, sku="A1-DISPLAY", quantity=1)
    await onboard(client, retailer="Birch Hardware", store="Birch", at=HAWTHORNE, sku="B1", quantity=40)

    stock = await call(client, "get_product_stock", organization_id=shop.org, gtin=DRILL_UPC)
    assert stock["product"]["id"] == shop.prd
    assert [(loc["location_id"], loc["quantity_on_hand"]) for loc in stock["locations"]] == [
        (shop.loc, 5),  # "Alder Hardware – Sellwood": by name
        (hawthorne, 0),
        (woodstock, 8),
    ]
    assert stock["locations"][1]["offers"] == []
    woodstock_offers = stock["locations"][2]["offers"]
    assert [(o["sku"], o["quantity_on_hand"], o["status"]) for o in woodstock_offers] == [
        ("A1", 7, "in_stock"),
        ("A1-DISPLAY", 1, "low_stock"),
    ]
    assert woodstock_offers[0]["price"]["amount_minor"] == 8999 and woodstock_offers[0]["confidence"] == "confirmed"
    assert (stock["total_quantity"], stock["stocked_locations"]) == (13, 2)

    by_id = await call(client, "get_product_stock", organization_id=shop.org, product_id=shop.prd)
    assert by_id == stock
    await move(client, shop.ofr, -5, "sale", "r-1")
    after = await call(client, "get_product_stock", organization_id=shop.org, product_id=shop.prd)
    assert (after["total_quantity"], after["stocked_locations"]) == (8, 1)
    assert after["locations"][0]["offers"][0]["status"] == "out_of_stock"


async def test_product_stock_of_an_unregistered_gtin_is_not_found(client: Client, shop: Shop) -> None:
    code, _ = await call_error(client, "get_product_stock", organization_id=shop.org, gtin="4006381333931")
    assert code == "not_found"
