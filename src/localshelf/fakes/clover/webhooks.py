"""Webhook deliveries as Clover sends them (docs.clover.com "Webhooks"; POS-REFERENCE.md §3.5).

Body: ``{"appId": …, "merchants": {mId: [{"objectId": "I:ITEMID", "type": "CREATE|UPDATE|DELETE", "ts": ms}]}}``;
one POST may batch several merchants and events. Header ``X-Clover-Auth``: the app's static auth code (no
body signature). The one-time endpoint check posts ``{"verificationCode": "<uuid>"}``. Clover documents no
delivery id, retry schedule or ordering. The richer ``IS`` (item stock) payload of the 2026 split is
unconfirmed, so stock events here carry only the common fields.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from localshelf.fakes.clover.state import CloverState

EventType = Literal["CREATE", "UPDATE", "DELETE"]


@dataclass(frozen=True)
class Event:
    object_id: str  # "{eventKey}:{id}", e.g. "I:9J1F7WW503CZW"
    type: EventType
    ts: int  # epoch ms


def item_event(item_id: str, type_: EventType, ts: int, *, key: str = "I") -> Event:
    return Event(f"{key}:{item_id}", type_, ts)


def notification_body(app_id: str, events: dict[str, list[Event]]) -> dict[str, Any]:
    return {
        "appId": app_id,
        "merchants": {
            mid: [{"objectId": e.object_id, "type": e.type, "ts": e.ts} for e in merchant_events]
            for mid, merchant_events in events.items()
        },
    }


@dataclass
class Delivery:
    url: str
    body: bytes
    headers: dict[str, str]
    status_code: int | None = None


@dataclass
class WebhookSender:
    """POSTs notifications with ``X-Clover-Auth``; logs deliveries so tests can replay or parse them."""

    state: CloverState
    deliveries: list[Delivery] = field(default_factory=list)

    def build(self, events: dict[str, list[Event]]) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(notification_body(self.state.app.app_id, events), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Clover-Auth": self.state.app.webhook_auth_code}
        return body, headers

    async def send(self, client: httpx.AsyncClient, url: str, events: dict[str, list[Event]]) -> httpx.Response:
        body, headers = self.build(events)
        return await self._post(client, url, body, headers)

    async def verify(self, client: httpx.AsyncClient, url: str) -> tuple[str, httpx.Response]:
        """The dashboard's endpoint check: a ``verificationCode`` the developer pastes back (no auth header)."""
        code = str(uuid.uuid4())
        body = json.dumps({"verificationCode": code}).encode()
        return code, await self._post(client, url, body, {"Content-Type": "application/json"})

    async def _post(self, client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        delivery = Delivery(url, body, headers)
        self.deliveries.append(delivery)
        response = await client.post(url, content=body, headers=headers)
        delivery.status_code = response.status_code
        return response
