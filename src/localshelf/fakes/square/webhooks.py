"""Signed webhook deliveries, as Square sends them (developer.squareup.com/docs/webhooks/step3validate;
payload shapes from api.json ``InventoryCountUpdatedWebhook`` and ``CatalogVersionUpdatedWebhook``).

``x-square-hmacsha256-signature`` = base64(HMAC-SHA256(subscription signature key, notification URL + raw body)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field

import httpx

from localshelf.fakes.square.state import SquareState, rfc3339
from localshelf.fakes.square.wire import Json, count_object

SIGNATURE_HEADER = "x-square-hmacsha256-signature"


def sign(signature_key: str, notification_url: str, raw_body: bytes) -> str:
    digest = hmac.new(signature_key.encode("utf-8"), notification_url.encode("utf-8") + raw_body, hashlib.sha256)
    return base64.b64encode(digest.digest()).decode("ascii")


def _event(state: SquareState, event_type: str, data_type: str, obj: Json) -> Json:
    return {
        "merchant_id": state.merchant_id,
        "type": event_type,
        "event_id": str(uuid.uuid4()),
        "created_at": rfc3339(state.clock()),
        "data": {"type": data_type, "id": str(uuid.uuid4()), "object": obj},
    }


def inventory_count_updated(state: SquareState, changes: list[tuple[str, str]]) -> Json:
    """``changes``: (variation id, location id) pairs whose current count is reported."""
    counts = [count_object(v, loc, *state.counts[(v, loc)]) for v, loc in changes]
    return _event(state, "inventory.count.updated", "inventory_counts", {"inventory_counts": counts})


def catalog_version_updated(state: SquareState) -> Json:
    obj = {"catalog_version": {"updated_at": rfc3339(state.clock())}}
    return _event(state, "catalog.version.updated", "catalog_version", obj)


@dataclass
class Delivery:
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class WebhookSender:
    """Builds signed deliveries for one subscription; ``send`` posts them through any httpx client."""

    state: SquareState
    notification_url: str = "https://app.example/webhooks/square"
    signature_key: str = "fake-signature-key"
    sent: list[Delivery] = field(default_factory=list)

    def delivery(self, payload: Json, *, retry_number: int = 0) -> Delivery:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(self.signature_key, self.notification_url, body),
            "square-environment": "Sandbox",
            "square-initial-delivery-timestamp": payload["created_at"],
        }
        if retry_number:
            headers["square-retry-number"] = str(retry_number)
            headers["square-retry-reason"] = "http_error"
        delivery = Delivery(self.notification_url, body, headers)
        self.sent.append(delivery)
        return delivery

    async def send(self, client: httpx.AsyncClient, payload: Json) -> httpx.Response:
        delivery = self.delivery(payload)
        return await client.post(delivery.url, content=delivery.body, headers=delivery.headers)
