"""Webhook deliveries as Shopify sends them: REST-style snake_case JSON bodies signed with the app secret.

Headers: ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body, keyed with the client secret),
``X-Shopify-Topic``, ``X-Shopify-Shop-Domain``, ``X-Shopify-API-Version``, ``X-Shopify-Webhook-Id`` (per
delivery), ``X-Shopify-Event-Id`` (per event: the same on re-deliveries, the dedupe key) and
``X-Shopify-Triggered-At``. Payload field lists follow Shopify's long-standing REST webhook examples; the
exact 2025+ field lists are unconfirmed, so receivers should treat extra fields as optional.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from localshelf.fakes.shopify.state import LineItem, Order, Product, Refund, Shop, ShopifyState, gid

TOPICS = {
    "app/uninstalled": "APP_UNINSTALLED",
    "products/create": "PRODUCTS_CREATE",
    "products/update": "PRODUCTS_UPDATE",
    "products/delete": "PRODUCTS_DELETE",
    "inventory_levels/update": "INVENTORY_LEVELS_UPDATE",
    "orders/create": "ORDERS_CREATE",
    "refunds/create": "REFUNDS_CREATE",
}


def sign_webhook(secret: str, body: bytes) -> str:
    """``X-Shopify-Hmac-Sha256``: base64 of HMAC-SHA256(key=client secret, message=raw body)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _rest_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def webhook_headers(
    *,
    secret: str,
    topic: str,
    shop_domain: str,
    body: bytes,
    api_version: str,
    event_id: str,
    webhook_id: str,
    triggered_at: str,
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": sign_webhook(secret, body),
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Triggered-At": triggered_at,
    }


def product_payload(product: Product, shop: Shop) -> dict[str, Any]:
    """products/create and products/update body (abridged REST Product resource)."""
    return {
        "id": product.id,
        "admin_graphql_api_id": gid("Product", product.id),
        "title": product.title,
        "handle": product.handle,
        "status": product.status.lower(),
        "vendor": product.vendor,
        "product_type": product.product_type,
        "tags": ", ".join(product.tags),
        "created_at": _rest_time(product.created_at),
        "updated_at": _rest_time(product.updated_at),
        "variants": [
            {
                "id": v.id,
                "admin_graphql_api_id": gid("ProductVariant", v.id),
                "product_id": product.id,
                "title": v.title,
                "sku": v.sku,
                "barcode": v.barcode,
                "price": v.price,
                "compare_at_price": v.compare_at_price,
                "inventory_item_id": v.inventory_item_id,
                "inventory_quantity": sum(q for (item, _loc), q in shop.levels.items() if item == v.inventory_item_id),
                "option1": v.option_value,
                "updated_at": _rest_time(v.updated_at),
            }
            for v in product.variants
        ],
        "body_html": product.description,
        "images": [{"id": product.id, "src": product.image_url, "position": 1}] if product.image_url else [],
    }


def product_delete_payload(product_id: int) -> dict[str, Any]:
    return {"id": product_id}


def inventory_level_payload(shop: Shop, inventory_item_id: int, location_id: int) -> dict[str, Any]:
    key = (inventory_item_id, location_id)
    return {
        "inventory_item_id": inventory_item_id,
        "location_id": location_id,
        "available": shop.levels.get(key, 0),
        "updated_at": _rest_time(shop.level_updated.get(key, 0.0)),
        "admin_graphql_api_id": f"{gid('InventoryLevel', location_id)}?inventory_item_id={inventory_item_id}",
    }


def _line_item(line: LineItem) -> dict[str, Any]:
    return {
        "id": line.id,
        "admin_graphql_api_id": gid("LineItem", line.id),
        "variant_id": line.variant_id,
        "product_id": line.product_id,
        "title": line.title,
        "name": line.title,
        "sku": line.sku,
        "price": line.price,
        "quantity": line.quantity,
        "fulfillable_quantity": line.quantity,
        "gift_card": False,
        "taxable": True,
        "requires_shipping": False,
    }


def order_payload(order: Order, shop: Shop) -> dict[str, Any]:
    """orders/create body (abridged REST Order resource; a POS order names its ``location_id``)."""
    total = sum(float(line.price) * line.quantity for line in order.line_items)
    return {
        "id": order.id,
        "admin_graphql_api_id": gid("Order", order.id),
        "name": f"#{order.number}",
        "order_number": order.number,
        "created_at": _rest_time(order.created_at),
        "processed_at": _rest_time(order.created_at),
        "updated_at": _rest_time(order.created_at),
        "cancelled_at": None,
        "currency": shop.currency,
        "financial_status": "paid",
        "fulfillment_status": "fulfilled" if order.location_id is not None else None,
        "source_name": "pos" if order.location_id is not None else "web",
        "location_id": order.location_id,
        "total_price": f"{total:.2f}",
        "line_items": [_line_item(line) for line in order.line_items],
    }


def refund_payload(refund: Refund) -> dict[str, Any]:
    """refunds/create body (abridged REST Refund resource)."""
    return {
        "id": refund.id,
        "admin_graphql_api_id": gid("Refund", refund.id),
        "order_id": refund.order_id,
        "created_at": _rest_time(refund.created_at),
        "processed_at": _rest_time(refund.created_at),
        "restock": any(line.restock_type != "no_restock" for line in refund.lines),
        "note": None,
        "refund_line_items": [
            {
                "id": line.id,
                "line_item_id": line.line_item.id,
                "location_id": line.location_id,
                "quantity": line.quantity,
                "restock_type": line.restock_type,
                "subtotal": f"{float(line.line_item.price) * line.quantity:.2f}",
                "total_tax": "0.00",
                "line_item": _line_item(line.line_item),
            }
            for line in refund.lines
        ],
        "transactions": [],
    }


def app_uninstalled_payload(shop: Shop) -> dict[str, Any]:
    """app/uninstalled body: the REST Shop resource (abridged)."""
    return {
        "id": shop.id,
        "name": shop.name,
        "domain": shop.domain,
        "myshopify_domain": shop.domain,
        "currency": shop.currency,
    }


@dataclass
class Delivery:
    url: str
    topic: str
    body: bytes
    headers: dict[str, str]
    status_code: int | None = None


@dataclass
class WebhookSender:
    """Signs and POSTs webhooks; keeps a log of deliveries so tests can re-deliver (same event id)."""

    state: ShopifyState
    api_version: str = "2025-10"
    deliveries: list[Delivery] = field(default_factory=list)

    def build(
        self, shop: Shop, topic: str, payload: dict[str, Any], *, event_id: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        if topic not in TOPICS:
            raise ValueError(f"unsupported topic {topic!r}; known: {sorted(TOPICS)}")
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = webhook_headers(
            secret=self.state.app.client_secret,
            topic=topic,
            shop_domain=shop.domain,
            body=body,
            api_version=self.api_version,
            event_id=event_id or str(uuid.uuid4()),
            webhook_id=str(uuid.uuid4()),
            triggered_at=_rest_time(self.state.clock()),
        )
        return body, headers

    async def send(
        self,
        client: httpx.AsyncClient,
        url: str,
        shop: Shop,
        topic: str,
        payload: dict[str, Any],
        *,
        event_id: str | None = None,
    ) -> httpx.Response:
        body, headers = self.build(shop, topic, payload, event_id=event_id)
        delivery = Delivery(url=url, topic=topic, body=body, headers=headers)
        self.deliveries.append(delivery)
        response = await client.post(url, content=body, headers=headers)
        delivery.status_code = response.status_code
        return response

    async def redeliver(self, client: httpx.AsyncClient, delivery: Delivery) -> httpx.Response:
        """A retry: same body and event id, new webhook (delivery) id, as Shopify retries do."""
        headers = dict(delivery.headers, **{"X-Shopify-Webhook-Id": str(uuid.uuid4())})
        again = Delivery(url=delivery.url, topic=delivery.topic, body=delivery.body, headers=headers)
        self.deliveries.append(again)
        response = await client.post(delivery.url, content=delivery.body, headers=headers)
        again.status_code = response.status_code
        return response

    async def emit(
        self, client: httpx.AsyncClient, shop: Shop, topic: str, payload: dict[str, Any]
    ) -> list[httpx.Response]:
        """Send to every subscription registered for ``topic`` through webhookSubscriptionCreate (one event id)."""
        enum = TOPICS.get(topic)
        event_id = str(uuid.uuid4())
        return [
            await self.send(client, sub.uri, shop, topic, payload, event_id=event_id)
            for sub in shop.subscriptions.values()
            if sub.topic == enum
        ]
