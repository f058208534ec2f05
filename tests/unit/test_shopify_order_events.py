"""orders/create and refunds/create bodies → StockMoved events (pure parsing, no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from localshelf.fakes.shopify import FakeClock, ShopifyState, order_payload, refund_payload
from localshelf.pos.contract import PosBadResponse, StockMoved
from localshelf.pos.shopify_webhooks import parse_event, parse_events


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


@pytest.fixture
def state() -> ShopifyState:
    clock = FakeClock()
    state = ShopifyState(clock=clock)
    shop = state.add_shop("alder.myshopify.com")
    state.add_location(shop, "Main Street")
    state.add_product(shop, "Tee", variants=[("TEE-S", "036000291452", "19.99"), ("TEE-L", None, "21.00")])
    return state


def test_a_pos_order_gives_one_sale_per_line_at_the_order_location(state: ShopifyState) -> None:
    shop = state.shops["alder.myshopify.com"]
    location = next(iter(shop.locations))
    small, large = next(iter(shop.products.values())).variants
    order = state.sell(shop, location, [(small, 2), (large, 1)], at=1_750_000_000)
    events = parse_events("orders/create", body(order_payload(order, shop)), "USD")
    at = datetime.fromtimestamp(1_750_000_000, UTC)
    assert events == [
        StockMoved(
            external_id=f"shopify:order:{order.id}:{line.id}",
            delta=-line.quantity,
            reason="sale",
            location_external_id=f"gid://shopify/Location/{location}",
            occurred_at=at,
            variant_external_id=f"gid://shopify/ProductVariant/{line.variant_id}",
        )
        for line in order.line_items
    ]


def test_an_online_order_has_no_location_and_custom_cancelled_lines_move_nothing(state: ShopifyState) -> None:
    shop = state.shops["alder.myshopify.com"]
    small = next(iter(shop.products.values())).variants[0]
    payload = order_payload(state.sell(shop, None, [(small, 1)]), shop)
    (online,) = parse_events("orders/create", body(payload), "USD")
    assert isinstance(online, StockMoved) and online.location_external_id is None
    custom = {**payload, "line_items": [{**payload["line_items"][0], "variant_id": None}]}
    assert parse_events("orders/create", body(custom), "USD") == []
    assert parse_events("orders/create", body({**payload, "cancelled_at": "2025-06-01T12:00:00Z"}), "USD") == []


def test_refund_lines_move_stock_by_restock_type(state: ShopifyState) -> None:
    shop = state.shops["alder.myshopify.com"]
    location = next(iter(shop.locations))
    small, large = next(iter(shop.products.values())).variants
    order = state.sell(shop, location, [(small, 3), (large, 2)])
    first, second = order.line_items
    refund = state.refund(shop, order, [(first, 2, "return"), (second, 1, "no_restock")])
    events = parse_events("refunds/create", body(refund_payload(refund)), "USD")
    assert [(e.delta, e.reason, e.external_id) for e in events if isinstance(e, StockMoved)] == [
        (2, "return", f"shopify:refund:{refund.id}:{refund.lines[0].id}")
    ]
    cancel = refund_payload(refund)
    cancel["refund_line_items"][0]["restock_type"] = "cancel"
    assert [e.reason for e in parse_events("refunds/create", body(cancel), "USD") if isinstance(e, StockMoved)] == [
        "refund"
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"id": None},
        {"line_items": "many"},
        {"line_items": [{"id": 5, "variant_id": 7, "quantity": -1}]},
        {"line_items": [{"id": 5, "variant_id": 7, "quantity": "2"}]},
        {"line_items": [{"id": 5, "variant_id": "gid://shopify/Product/7", "quantity": 1}]},
        {"line_items": [{"variant_id": 7, "quantity": 1}]},
        {"created_at": "yesterday"},
    ],
)
def test_an_unusable_order_is_refused(state: ShopifyState, change: dict[str, Any]) -> None:
    shop = state.shops["alder.myshopify.com"]
    small = next(iter(shop.products.values())).variants[0]
    payload = {**order_payload(state.sell(shop, next(iter(shop.locations)), [(small, 1)]), shop), **change}
    if payload["id"] is None:
        payload.pop("admin_graphql_api_id")
    with pytest.raises(PosBadResponse):
        parse_events("orders/create", body(payload), "USD")


def test_parse_event_refuses_the_movement_topics() -> None:
    with pytest.raises(PosBadResponse):
        parse_event("orders/create", b"{}", "USD")
