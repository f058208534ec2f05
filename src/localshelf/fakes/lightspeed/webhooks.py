"""Webhook deliveries as X-Series sends them (x-series-api.lightspeedhq.com/docs/webhooks; §4.5).

A form-encoded POST: ``type=<event>&domain_prefix=<store>&payload=<json>``. The docs say ``payload`` is in the
0.9 API shape; that exact shape is unconfirmed, so the fake sends the fields both shapes are believed to share
(inventory: ``id, product_id, outlet_id, count``; product: the 2.0 product). No signature is sent (the
``X-Signature`` scheme is unconfirmed), no delivery id, no retries.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx

from localshelf.fakes.lightspeed.state import Inventory, LightspeedState, Product
from localshelf.fakes.lightspeed.wire import product_json


def form_body(event_type: str, domain_prefix: str, payload: dict[str, Any]) -> bytes:
    fields = {"type": event_type, "domain_prefix": domain_prefix, "environment": "prod", "payload": json.dumps(payload)}
    return urlencode(fields).encode()


def inventory_payload(record: Inventory) -> dict[str, Any]:
    return {
        "id": record.id,
        "product_id": record.product_id,
        "outlet_id": record.outlet_id,
        "count": float(record.inventory_level),
        "version": record.version,
    }


class WebhookSender:
    def __init__(self, state: LightspeedState, http: httpx.AsyncClient, url: str) -> None:
        self.state, self.http, self.url = state, http, url
        self.sent: list[bytes] = []

    async def _post(self, body: bytes) -> httpx.Response:
        self.sent.append(body)
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
        return await self.http.post(self.url, content=body, headers=headers)

    async def inventory_update(self, record: Inventory) -> httpx.Response:
        return await self._post(form_body("inventory.update", self.state.domain_prefix, inventory_payload(record)))

    async def product_update(self, product: Product) -> httpx.Response:
        return await self._post(form_body("product.update", self.state.domain_prefix, product_json(product)))
