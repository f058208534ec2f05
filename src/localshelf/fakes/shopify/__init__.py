"""A Shopify-compatible fake (OAuth, Admin GraphQL subset, signed webhooks) built from Shopify's public docs.

Use in tests with ``httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url="https://<shop>")``
or run ``uvicorn --factory localshelf.fakes.shopify.app:demo_app``. The supported GraphQL operations and
their variables are documented in :mod:`localshelf.fakes.shopify.graphql`.
"""

from localshelf.fakes.faults import Fault
from localshelf.fakes.shopify.app import FakeShopify, create_app, demo_app
from localshelf.fakes.shopify.graphql import OPERATIONS, decode_cursor, encode_cursor
from localshelf.fakes.shopify.oauth import callback_hmac, callback_message
from localshelf.fakes.shopify.state import (
    App,
    FakeClock,
    LineItem,
    Location,
    Order,
    Product,
    Refund,
    Shop,
    ShopifyState,
    Variant,
    gid,
    parse_gid,
)
from localshelf.fakes.shopify.webhooks import (
    WebhookSender,
    app_uninstalled_payload,
    inventory_level_payload,
    order_payload,
    product_delete_payload,
    product_payload,
    refund_payload,
    sign_webhook,
    webhook_headers,
)

__all__ = [
    "OPERATIONS",
    "App",
    "FakeClock",
    "FakeShopify",
    "Fault",
    "LineItem",
    "Location",
    "Order",
    "Product",
    "Refund",
    "Shop",
    "ShopifyState",
    "Variant",
    "WebhookSender",
    "app_uninstalled_payload",
    "callback_hmac",
    "callback_message",
    "create_app",
    "decode_cursor",
    "demo_app",
    "encode_cursor",
    "gid",
    "inventory_level_payload",
    "order_payload",
    "parse_gid",
    "product_delete_payload",
    "product_payload",
    "refund_payload",
    "sign_webhook",
    "webhook_headers",
]
