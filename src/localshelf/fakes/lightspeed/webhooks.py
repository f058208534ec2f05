"""Webhooks as X-Series manages and sends them (x-series-api.lightspeedhq.com/docs/webhooks; POS-REFERENCE §4.5).

Management: ``POST /api/2.0/webhooks`` ``{url, active, type}``, ``GET`` (list), ``PUT``/``DELETE /webhooks/{id}``
(routes in :mod:`.app`; the answer envelope ``{"data": {...}}`` is unconfirmed).

Delivery: a form-encoded POST, ``type=<event>&domain_prefix=<store>&environment=prod&payload=<json>``, to every
active webhook of that type. The docs say ``payload`` is in the 0.9 API shape; that exact shape is unconfirmed, so
the fake sends the fields both shapes are believed to share (inventory: ``id, product_id, outlet_id, count,
version``; product: the 2.0 product). The signature is unconfirmed too: the fake sends the best available
evidence, ``X-Signature: signature=<hex HMAC-SHA256 of the body with the client secret>, algorithm=HMAC-SHA256``.
No delivery id, no retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

import httpx

from localshelf.fakes.lightspeed.state import Inventory, LightspeedState, Product
from localshelf.fakes.lightspeed.wire import product_json


def form_body(event_type: str, domain_prefix: str, payload: dict[str, Any]) -> bytes:
    fields = {"type": event_type, "domain_prefix": domain_prefix, "environment": "prod", "payload": json.dumps(payload)}
    return urlencode(fields).encode()


def signature_header(client_secret: str, body: bytes) -> str:
    digest = hmac.new(client_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"signature={digest}, algorithm=HMAC-SHA256"


def inventory_payload(record: Inventory) -> dict[str, Any]:
    return {
        "id": record.id,
        "product_id": record.product_id,
        "outlet_id": record.outlet_id,
        "count": float(record.inventory_level),
        "version": record.version,
    }


class WebhookSender:
    """Delivers events to the store's active webhooks of the event's type; keeps every body sent."""

    def __init__(self, state: LightspeedState, http: httpx.AsyncClient) -> None:
        self.state, self.http = state, http
        self.sent: list[bytes] = []

    async def deliver(self, event_type: str, payload: dict[str, Any]) -> list[httpx.Response]:
        body = form_body(event_type, self.state.domain_prefix, payload)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "X-Signature": signature_header(self.state.client_secret, body),
        }
        answers = []
        for webhook in list(self.state.webhooks.values()):
            if webhook.active and webhook.type == event_type:
                self.sent.append(body)
                answers.append(await self.http.post(webhook.url, content=body, headers=headers))
        return answers

    async def inventory_update(self, record: Inventory) -> list[httpx.Response]:
        return await self.deliver("inventory.update", inventory_payload(record))

    async def product_update(self, product: Product) -> list[httpx.Response]:
        return await self.deliver("product.update", product_json(product))
