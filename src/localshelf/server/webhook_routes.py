"""Webhook receivers. Shopify and Lightspeed: one secret URL per integration (Shopify also signs the body; Lightspeed's
form-encoded deliveries are checked against X-Signature only when the operator asks, the scheme being unconfirmed).
Square and Clover deliver every merchant's events to one URL of the app (`/webhooks/square`, signed over URL + body
with the subscription's key; `/webhooks/clover`, with the app's static X-Clover-Auth code) and name the merchant in
the body.

A delivery is checked (size, provider signature over the raw body, secret URL, shop),
stored once per provider event id, acknowledged, and applied afterwards by the worker: Shopify waits at
most 5 seconds for the answer, and an acknowledged event must survive a crash.

Answers: 200 stored or duplicate (or ignored: unknown topic, disconnected integration); 400 a body that is not the
provider's format; 401 bad signature, unknown URL or wrong shop (nothing stored); 413 body over the limit.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from localshelf.config import Settings
from localshelf.pos import lightspeed
from localshelf.pos.contract import PosBadResponse
from localshelf.pos.signatures import (
    clover_auth_valid,
    lightspeed_webhook_valid,
    shopify_webhook_valid,
    square_webhook_valid,
)
from localshelf.server.metrics import Metrics
from localshelf.server.worker import Nudge
from localshelf.services import webhooks
from localshelf.store.db import Database

MAX_BODY_BYTES = 1_000_000


async def _raw_body(request: Request) -> bytes | None:
    """The body exactly as sent, or None when it is over MAX_BODY_BYTES (declared or actual)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _header(request: Request, name: str) -> str | None:
    """Shopify's classic `X-Shopify-*` header, or the events-style `shopify-*` one."""
    return request.headers.get(f"x-shopify-{name}") or request.headers.get(f"shopify-{name}")


def _time(value: str | None, fallback: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return fallback
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object; None when it is not one (every provider here posts an object)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _answer(status: int, outcome: str) -> JSONResponse:
    return JSONResponse({"outcome": outcome}, status_code=status)


def register_webhook_routes(
    server: MCPServer[Any], settings: Settings, database: Database, nudge: Nudge, metrics: Metrics
) -> None:
    async def keep(
        receiver: webhooks.Receiver, event_id: str, topic: str, body: bytes, triggered_at: datetime, now: datetime
    ) -> Response:
        """Store a verified delivery for its own integration, wake the worker, answer the provider."""
        stored = await database.run(webhooks.store_event, receiver, event_id, topic, body, triggered_at, now)
        if stored:
            nudge.set()
        return _answer(200, "accepted" if stored else "duplicate")

    @server.custom_route("/webhooks/shopify/{secret}", methods=["POST"])  # type: ignore[untyped-decorator]
    @metrics.webhook("shopify")
    async def shopify_webhook(request: Request) -> Response:
        now = datetime.now(UTC)
        body = await _raw_body(request)
        if body is None:
            return _answer(413, "body too large")
        if not shopify_webhook_valid(settings.shopify_client_secret or "", body, _header(request, "hmac-sha256")):
            return _answer(401, "invalid signature")
        if _json_object(body) is None:  # stored, it would only fail when applied
            return _answer(400, "not a JSON object")
        topic = _header(request, "topic") or ""
        event_id = _header(request, "event-id") or _header(request, "webhook-id") or hashlib.sha256(body).hexdigest()
        event = (event_id, topic, body, _time(_header(request, "triggered-at"), now))
        secret, shop = request.path_params["secret"], _header(request, "shop-domain")
        # One unit of work finds the endpoint and stores the event (the hot path: on PostgreSQL one statement,
        # deduplicated by event id, so it may run twice).
        outcome = await database.run(
            webhooks.store_delivery, "shopify", secret, shop, webhooks.SHOPIFY_TOPICS, event, now, single_statement=True
        )
        if outcome == "unknown":
            return _answer(401, "unknown endpoint")
        if outcome == "accepted":
            # only a new event: a re-delivery is already pending or applied, and a worker woken for nothing
            # claims an empty batch (under a flood of re-deliveries it would do so back to back)
            nudge.set()
        return _answer(200, outcome)

    @server.custom_route("/webhooks/lightspeed/{secret}", methods=["POST"])  # type: ignore[untyped-decorator]
    @metrics.webhook("lightspeed")
    async def lightspeed_webhook(request: Request) -> Response:
        now = datetime.now(UTC)
        body = await _raw_body(request)
        if body is None:
            return _answer(413, "body too large")
        signature = request.headers.get("x-signature")
        secret = settings.lightspeed_client_secret or ""
        if settings.lightspeed_require_webhook_signature and not lightspeed_webhook_valid(secret, body, signature):
            return _answer(401, "invalid signature")
        receiver = await database.read(webhooks.receiver_for, "lightspeed", request.path_params["secret"], now)
        if receiver is None:
            return _answer(401, "unknown endpoint")
        try:
            delivery = lightspeed.read_delivery(body)
        except PosBadResponse:
            return _answer(400, "not a form with a JSON payload")
        if delivery.domain_prefix not in (None, receiver.shop):
            return _answer(401, "unknown endpoint")
        if not receiver.connected or delivery.topic not in lightspeed.WEBHOOK_TOPICS:
            return _answer(200, "ignored")
        return await keep(receiver, delivery.event_id, delivery.topic, body, delivery.changed_at or now, now)

    async def app_wide(provider: str, body: bytes, merchants: dict[str, tuple[str, str]], now: datetime) -> Response:
        """Store one event per connected integration of each merchant named; `merchants` maps merchant id to
        (event id, topic)."""
        stored = 0
        for merchant_id, (event_id, topic) in merchants.items():
            for receiver in await database.read(webhooks.receivers_for_merchant, provider, merchant_id):
                if receiver.connected:
                    stored += await database.run(webhooks.store_event, receiver, event_id, topic, body, now, now)
        if stored:
            nudge.set()
        return _answer(200, "accepted" if stored else "ignored")

    @server.custom_route("/webhooks/square", methods=["POST"])  # type: ignore[untyped-decorator]
    @metrics.webhook("square")
    async def square_webhook(request: Request) -> Response:
        now = datetime.now(UTC)
        body = await _raw_body(request)
        if body is None:
            return _answer(413, "body too large")
        url = f"{settings.web_base_url}/webhooks/square"
        header = request.headers.get("x-square-hmacsha256-signature")
        if not square_webhook_valid(settings.square_webhook_signature_key or "", url, body, header):
            return _answer(401, "invalid signature")
        notice = _json_object(body)
        if notice is None:
            return _answer(400, "not a JSON object")
        merchant, event_id, topic = notice.get("merchant_id"), notice.get("event_id"), notice.get("type")
        if not (isinstance(merchant, str) and isinstance(event_id, str) and isinstance(topic, str)):
            return _answer(200, "ignored")
        return await app_wide("square", body, {merchant: (event_id, topic)}, now)

    @server.custom_route("/webhooks/clover", methods=["POST"])  # type: ignore[untyped-decorator]
    @metrics.webhook("clover")
    async def clover_webhook(request: Request) -> Response:
        now = datetime.now(UTC)
        body = await _raw_body(request)
        if body is None:
            return _answer(413, "body too large")
        notice = _json_object(body)
        if notice is None:
            return _answer(400, "not a JSON object")
        if "verificationCode" in notice:  # Clover's one-time check of the URL when it is configured
            return _answer(200, "verified")
        if not clover_auth_valid(settings.clover_webhook_auth_code or "", request.headers.get("x-clover-auth")):
            return _answer(401, "invalid auth code")
        named = notice.get("merchants")
        if not isinstance(named, dict):
            return _answer(200, "ignored")
        digest = hashlib.sha256(body).hexdigest()  # Clover sends no event id: the body is the identity
        return await app_wide("clover", body, {str(m): (digest, "clover") for m in named}, now)
