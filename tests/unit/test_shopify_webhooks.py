"""Shopify webhook bodies (built by the fake's own payload builders) parse into provider-neutral events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from localshelf.fakes.shopify import (
    FakeClock,
    Shop,
    ShopifyState,
    app_uninstalled_payload,
    inventory_level_payload,
    product_delete_payload,
    product_payload,
)
from localshelf.pos.contract import PosBadResponse
from localshelf.pos.shopify_webhooks import (
    TOPICS,
    AppUninstalled,
    ItemsChanged,
    ProductDeleted,
    StockChanged,
    parse_event,
)

DOMAIN = "alder-hardware.myshopify.com"
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state(clock: FakeClock) -> ShopifyState:
    state = ShopifyState(clock=clock)
    state.seed(state.add_shop(DOMAIN), products=5, locations=2, seed=3)
    return state


@pytest.fixture
def shop(state: ShopifyState) -> Shop:
    return state.shops[DOMAIN]


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def test_topics_are_the_subscribed_ones() -> None:
    assert (
        frozenset(
            {
                "inventory_levels/update",
                "products/create",
                "products/update",
                "products/delete",
                "app/uninstalled",
                "orders/create",
                "refunds/create",
            }
        )
        == TOPICS
    )


def test_inventory_level_update(state: ShopifyState, shop: Shop, clock: FakeClock) -> None:
    item_id = shop.inventory_item_ids()[0]
    location_id = next(iter(shop.locations))
    clock.advance(90)
    state.set_available(shop, item_id, location_id, 7)
    event = parse_event("inventory_levels/update", body(inventory_level_payload(shop, item_id, location_id)), "USD")
    assert isinstance(event, StockChanged)
    assert event.stock.inventory_item_id == f"gid://shopify/InventoryItem/{item_id}"
    assert event.stock.location_external_id == f"gid://shopify/Location/{location_id}"
    assert event.stock.quantity == 7
    assert event.stock.updated_at == datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)


def test_inventory_level_null_available_is_zero_and_offsets_become_utc(shop: Shop) -> None:
    payload = {
        "inventory_item_id": 301,
        "location_id": 401,
        "available": None,
        "updated_at": "2025-06-01T12:00:00-04:00",
    }
    event = parse_event("inventory_levels/update", body(payload), "USD")
    assert isinstance(event, StockChanged)
    assert event.stock.quantity == 0
    assert event.stock.updated_at == datetime(2025, 6, 1, 16, 0, tzinfo=UTC)
    assert event.stock.updated_at.tzinfo is UTC
    negative = parse_event("inventory_levels/update", body({**payload, "available": -3}), "USD")
    assert isinstance(negative, StockChanged)
    assert negative.stock.quantity == -3  # Shopify allows overselling


@pytest.mark.parametrize("topic", ["products/create", "products/update"])
def test_product_payload_becomes_items(state: ShopifyState, shop: Shop, clock: FakeClock, topic: str) -> None:
    product = state.add_product(
        shop,
        "Cedar Lantern",
        variants=[(" LAN-1 ", "036000291452", "19.99"), ("", None, "5")],
        vendor="Northwind",
        product_type="Lighting",
        status="DRAFT",
        description="<p>Bright &amp; <b>warm</b></p><p>light.</p>",
        image_url="https://cdn.shopify.com/lantern.jpg",
    )
    clock.advance(60)
    product.variants[1].updated_at = clock()
    event = parse_event(topic, body(product_payload(product, shop)), "usd")
    assert isinstance(event, ItemsChanged)
    assert event.product_external_id == f"gid://shopify/Product/{product.id}"
    assert event.updated_at == START
    first, second = event.items
    assert first.external_id == f"gid://shopify/ProductVariant/{product.variants[0].id}"
    assert first.product_external_id == event.product_external_id
    assert (first.sku, first.barcode) == ("LAN-1", "036000291452")
    assert (second.sku, second.barcode) == (None, None)
    assert (first.name, second.name) == ("Cedar Lantern - Option 1", "Cedar Lantern - Option 2")
    assert (first.brand, first.category) == ("Northwind", "Lighting")
    assert first.description == "Bright & warm light."
    assert first.image_urls == ("https://cdn.shopify.com/lantern.jpg",)
    assert (first.price_minor, second.price_minor) == (1999, 500)
    assert first.currency == "USD"
    assert not first.active
    assert first.inventory_item_id == f"gid://shopify/InventoryItem/{product.variants[0].inventory_item_id}"
    assert first.updated_at == START
    assert second.updated_at == datetime(2026, 1, 1, 0, 1, tzinfo=UTC)


def test_seeded_products_match_the_fake(shop: Shop) -> None:
    for product in shop.products.values():
        event = parse_event("products/update", body(product_payload(product, shop)), "USD")
        assert isinstance(event, ItemsChanged)
        (item,) = event.items
        assert item.name == product.title  # "Default Title" is not appended
        assert item.active == (product.status == "ACTIVE")
        assert item.description == product.description
        assert item.price_minor == round(float(product.variants[0].price) * 100)


def test_lenient_optional_fields_and_image_order() -> None:
    payload = {
        "id": 101,
        "title": "Tee",
        "status": "active",
        "variants": [{"id": 201, "price": "0.125", "title": "Default Title"}],
        "images": [
            {"src": "https://cdn.example/b.jpg", "position": 2},
            {"src": "javascript:alert(1)", "position": 0},
            {"src": "http://cdn.example/a.jpg", "position": 1},
            "not an image",
            {"src": "https://cdn.example/c.jpg"},
        ],
        "body_html": "  <script>x()</script>  ",
    }
    event = parse_event("products/update", body(payload), "USD")
    assert isinstance(event, ItemsChanged)
    (item,) = event.items
    assert item.active
    assert item.name == "Tee"
    assert (item.brand, item.category, item.description, item.inventory_item_id) == (None, None, None, None)
    assert (item.updated_at, event.updated_at) == (None, None)
    assert item.price_minor == 12  # 12.5 cents, half-even
    assert item.image_urls == ("http://cdn.example/a.jpg", "https://cdn.example/b.jpg", "https://cdn.example/c.jpg")


def test_ids_may_be_gids_and_prices_use_the_currency_exponent() -> None:
    payload = {
        "admin_graphql_api_id": "gid://shopify/Product/101",
        "title": "Tea",
        "status": "archived",
        "variants": [{"id": "gid://shopify/ProductVariant/201", "price": "1500", "inventory_item_id": 301}],
    }
    event = parse_event("products/create", body(payload), "JPY")
    assert isinstance(event, ItemsChanged)
    assert event.product_external_id == "gid://shopify/Product/101"
    (item,) = event.items
    assert item.external_id == "gid://shopify/ProductVariant/201"
    assert (item.price_minor, item.currency, item.active) == (1500, "JPY", False)
    kwd = parse_event("products/create", body({**payload, "variants": [{"id": 201, "price": "1.2345"}]}), "KWD")
    assert isinstance(kwd, ItemsChanged)
    assert kwd.items[0].price_minor == 1234


def test_product_delete_and_app_uninstalled(state: ShopifyState, shop: Shop) -> None:
    product_id = next(iter(shop.products))
    deleted = parse_event("products/delete", body(product_delete_payload(product_id)), "USD")
    assert deleted == ProductDeleted(f"gid://shopify/Product/{product_id}")
    uninstalled = parse_event("app/uninstalled", body(app_uninstalled_payload(shop)), "USD")
    assert uninstalled == AppUninstalled()


PRODUCT: dict[str, Any] = {
    "id": 101,
    "title": "Tee",
    "status": "active",
    "updated_at": "2025-06-01T12:00:00Z",
    "variants": [{"id": 201, "price": "19.99", "inventory_item_id": 301}],
}
LEVEL: dict[str, Any] = {"inventory_item_id": 301, "location_id": 401, "available": 7}


def variant(**changes: Any) -> dict[str, Any]:
    return {**PRODUCT, "variants": [{**PRODUCT["variants"][0], **changes}]}


@pytest.mark.parametrize(
    ("topic", "raw"),
    [
        ("products/update", b"{not json"),
        ("products/update", b"\xff\xfe"),
        ("products/update", b"[1, 2]"),
        ("app/uninstalled", b'"shop"'),
        ("orders/create", body(PRODUCT)),
        ("products/update", body({**PRODUCT, "id": None})),
        ("products/update", body({**PRODUCT, "id": True})),
        ("products/update", body({**PRODUCT, "id": "101"})),
        ("products/update", body({**PRODUCT, "id": "gid://shopify/ProductVariant/101"})),
        ("products/update", body({**PRODUCT, "title": ""})),
        ("products/update", body({**PRODUCT, "title": 7})),
        ("products/update", body({**PRODUCT, "status": None})),
        ("products/update", body({**PRODUCT, "variants": None})),
        ("products/update", body({**PRODUCT, "variants": ["x"]})),
        ("products/update", body({**PRODUCT, "updated_at": "yesterday"})),
        ("products/update", body({**PRODUCT, "updated_at": "2025-06-01T12:00:00"})),
        ("products/update", body(variant(id=-1))),
        ("products/update", body(variant(price=None))),
        ("products/update", body(variant(price="-1.00"))),
        ("products/update", body(variant(price="ten"))),
        ("products/update", body(variant(price="NaN"))),
        ("products/update", body(variant(price=True))),
        ("products/update", body(variant(inventory_item_id="abc"))),
        ("products/delete", body({"title": "no id"})),
        ("inventory_levels/update", body({**LEVEL, "available": "7"})),
        ("inventory_levels/update", body({**LEVEL, "available": 7.5})),
        ("inventory_levels/update", body({**LEVEL, "available": True})),
        ("inventory_levels/update", body({**LEVEL, "location_id": None})),
        ("inventory_levels/update", body({**LEVEL, "inventory_item_id": "x"})),
        ("inventory_levels/update", body({**LEVEL, "updated_at": 1717243200})),
    ],
)
def test_bad_inputs_raise_pos_bad_response(topic: str, raw: bytes) -> None:
    with pytest.raises(PosBadResponse) as caught:
        parse_event(topic, raw, "USD")
    assert len(caught.value.message) < 120
    assert caught.value.status is None


def test_error_messages_never_quote_the_body() -> None:
    secret = "x" * 500
    for topic, raw in [
        ("products/update", body({**PRODUCT, "title": None, "body_html": secret})),
        ("products/update", body(variant(price=secret))),
        ("products/update", (secret + "{").encode()),
        (secret, body(PRODUCT)),
    ]:
        with pytest.raises(PosBadResponse) as caught:
            parse_event(topic, raw, "USD")
        assert secret not in caught.value.message
        assert len(caught.value.message) < 120
