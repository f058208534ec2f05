"""Webhook endpoints (secret URL per integration, rotatable with a grace period) and webhook events.

A delivery is verified by the route, stored here (deduplicated on the provider's event id) and acknowledged;
the worker applies stored events afterwards, oldest first. Applying is idempotent and order-safe: staged
rows only move forward in POS time, so a duplicate or a late, older event changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from localshelf.domain.auth import Role
from localshelf.domain.ids import new_public_id
from localshelf.pos import clover, lightspeed, shopify_webhooks, square
from localshelf.pos.catalog import staged_item, staged_stock
from localshelf.pos.contract import (
    AppUninstalled,
    CatalogChanged,
    ItemsChanged,
    PosBadResponse,
    PosEvent,
    ProductDeleted,
    StockChanged,
    StockMoved,
)
from localshelf.services import pos_movements, sync_jobs
from localshelf.services.access import tenant_object
from localshelf.services.connect import owned_integration
from localshelf.services.materialize import materialize
from localshelf.store import pos_staging as staging
from localshelf.store import webhook_events as event_store
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Integration, SyncJob, WebhookEndpoint, WebhookEvent

SECRET_GRACE = timedelta(hours=24)
SHOPIFY_TOPICS = tuple(sorted(shopify_webhooks.TOPICS))
SUBSCRIBED_TOPICS = {  # providers whose webhooks each integration subscribes to, through the POS API
    "shopify": SHOPIFY_TOPICS,
    "lightspeed": lightspeed.WEBHOOK_TOPICS,
}


class WebhookEndpointView(BaseModel):
    id: str
    integration_id: str
    organization_id: str
    provider: str
    url_hint: str = Field(description="The delivery URL with its secret part masked.")
    topics: list[str]
    created_at: datetime
    rotated_at: datetime | None
    previous_secret_valid_until: datetime | None = Field(
        description="Until then the URL from before the last rotation still works."
    )
    last_delivery_at: datetime | None
    deliveries_accepted: int
    deliveries_duplicate: int = Field(description="Re-deliveries of an event already stored (ignored).")


class WebhookEndpointList(BaseModel):
    integration_id: str
    endpoints: list[WebhookEndpointView]


@dataclass(frozen=True)
class Receiver:
    """Who a delivery URL belongs to."""

    integration_id: int
    endpoint_id: int
    shop: str
    connected: bool
    currency: str | None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def delivery_url(web_base_url: str, provider: str, secret: str) -> str:
    return f"{web_base_url}/webhooks/{provider}/{secret}"


def _view(
    uow: UnitOfWork, endpoint: WebhookEndpoint, integration: Integration, organization_id: str, web_base_url: str
) -> WebhookEndpointView:
    accepted, newest = event_store.delivery_stats(uow.session, [integration.id]).get(integration.id, (0, None))
    last_delivery_at = max(
        (moment for moment in (endpoint.last_delivery_at, newest) if moment is not None), default=None
    )
    return WebhookEndpointView(
        id=endpoint.public_id,
        integration_id=integration.public_id,
        organization_id=organization_id,
        provider=endpoint.provider,
        url_hint=f"{web_base_url}/webhooks/{endpoint.provider}/…",
        topics=list(endpoint.topics),
        created_at=endpoint.created_at,
        rotated_at=endpoint.rotated_at,
        previous_secret_valid_until=endpoint.previous_valid_until,
        last_delivery_at=last_delivery_at,
        deliveries_accepted=accepted,
        deliveries_duplicate=endpoint.deliveries_duplicate,
    )


def save_endpoint(
    uow: UnitOfWork, integration_id: int, topics: list[str], subscription_ids: list[str], secret: str, now: datetime
) -> None:
    """Record (or replace) the integration's endpoint after its subscriptions were created at the POS."""
    integration = uow.session.get(Integration, integration_id)
    assert integration is not None
    endpoint = uow.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.integration_id == integration_id))
    if endpoint is None:
        endpoint = WebhookEndpoint(
            public_id=new_public_id("webhook_endpoint"),
            organization_id=integration.organization_id,
            integration_id=integration_id,
            provider=integration.provider,
            created_at=now,
            deliveries_duplicate=0,
        )
        uow.session.add(endpoint)
    endpoint.topics, endpoint.subscription_ids, endpoint.token_hash = topics, subscription_ids, secret_hash(secret)
    uow.session.flush()


def has_endpoint(uow: UnitOfWork, integration_id: int) -> bool:
    found = uow.session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.integration_id == integration_id))
    return found is not None


def list_webhook_endpoints(uow: UnitOfWork, integration_id: str, web_base_url: str) -> WebhookEndpointList:
    integration, organization_id = owned_integration(uow, integration_id, write=False)
    rows = uow.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.integration_id == integration.id))
    return WebhookEndpointList(
        integration_id=integration.public_id,
        endpoints=[_view(uow, row, integration, organization_id, web_base_url) for row in rows],
    )


def _endpoint(uow: UnitOfWork, endpoint_id: str, need: Role) -> tuple[WebhookEndpoint, Integration, str]:
    endpoint, organization_id = tenant_object(uow, WebhookEndpoint, endpoint_id, need)
    integration = uow.session.get(Integration, endpoint.integration_id)
    assert integration is not None
    return endpoint, integration, organization_id


def get_webhook_endpoint(uow: UnitOfWork, endpoint_id: str, web_base_url: str) -> WebhookEndpointView:
    endpoint, integration, organization_id = _endpoint(uow, endpoint_id, Role.STAFF)
    return _view(uow, endpoint, integration, organization_id, web_base_url)


def endpoint_to_rotate(uow: UnitOfWork, endpoint_id: str) -> tuple[str, list[str]]:
    """(integration public id, POS subscription ids) of an endpoint the actor may rotate."""
    endpoint, integration, _ = _endpoint(uow, endpoint_id, Role.MANAGER)
    return integration.public_id, list(endpoint.subscription_ids)


def finish_rotation(
    uow: UnitOfWork, endpoint_id: str, secret: str, now: datetime, web_base_url: str
) -> WebhookEndpointView:
    endpoint, integration, organization_id = _endpoint(uow, endpoint_id, Role.MANAGER)
    endpoint.previous_token_hash, endpoint.previous_valid_until = endpoint.token_hash, now + SECRET_GRACE
    endpoint.token_hash, endpoint.rotated_at = secret_hash(secret), now
    uow.session.flush()
    return _view(uow, endpoint, integration, organization_id, web_base_url)


def receiver_for(uow: UnitOfWork, provider: str, secret: str, now: datetime) -> Receiver | None:
    row = event_store.receiver_row(uow.session, provider, secret_hash(secret), now)
    if row is None:
        return None
    integration_id, endpoint_id, shop, status, currency = row
    return Receiver(
        integration_id=integration_id,
        endpoint_id=endpoint_id,
        shop=shop,
        connected=status == "connected",
        currency=currency,
    )


def store_delivery(
    uow: UnitOfWork,
    provider: str,
    secret: str,
    shop: str | None,
    topics: Collection[str],
    event: tuple[str, str, bytes, datetime],
    now: datetime,
) -> str:
    """A verified delivery to a secret URL, in one unit of work: "unknown" (no endpoint has this URL, or it is
    another shop's), "ignored" (integration not connected, topic not subscribed), "accepted" or "duplicate".
    `event` is (provider event id, topic, body, triggered at)."""
    event_id, topic, body, triggered_at = event
    values = _event_values(event_id, topic, body, triggered_at, now)
    stored = event_store.store_delivery(uow, provider, secret_hash(secret), shop, topic in topics, values)
    if not stored.found or stored.shop != shop:
        return "unknown"
    if stored.status != "connected" or topic not in topics:
        return "ignored"
    return "accepted" if stored.inserted_id is not None else "duplicate"


def receivers_for_merchant(uow: UnitOfWork, provider: str, merchant_id: str) -> list[Receiver]:
    """App-wide deliveries (Square, Clover) name the merchant: every integration of it, one per organization."""
    rows = uow.session.execute(
        select(Integration, WebhookEndpoint.id)
        .join(WebhookEndpoint, WebhookEndpoint.integration_id == Integration.id)
        .where(Integration.provider == provider, Integration.external_account == merchant_id)
    )
    return [
        Receiver(
            integration_id=integration.id,
            endpoint_id=endpoint_id,
            shop=integration.external_account,
            connected=integration.status == "connected",
            currency=integration.currency,
        )
        for integration, endpoint_id in rows
    ]


APP_WIDE_TOPICS = {
    "square": ("inventory.count.updated", "catalog.version.updated"),
    "clover": ("items", "inventory"),
}


def record_app_wide_endpoint(uow: UnitOfWork, integration_id: int, now: datetime) -> None:
    """Square and Clover deliver every merchant's events to one URL of the app (configured at the provider, not
    per merchant): the endpoint row stands for that URL and counts this integration's deliveries."""
    integration = uow.session.get(Integration, integration_id)
    assert integration is not None
    topics = list(APP_WIDE_TOPICS[integration.provider])
    save_endpoint(uow, integration_id, topics, [], new_secret(), now)


def store_event(
    uow: UnitOfWork,
    receiver: Receiver,
    event_id: str,
    topic: str,
    body: bytes,
    triggered_at: datetime,
    now: datetime,
) -> bool:
    """Keep a verified delivery; False when this event was already stored (a re-delivery)."""
    values = _event_values(event_id, topic, body, triggered_at, now)
    inserted = event_store.insert_event(uow, {**values, "integration_id": receiver.integration_id})
    event_store.count_delivery(uow.session, receiver.endpoint_id, inserted is not None, now)
    return inserted is not None


def _event_values(event_id: str, topic: str, body: bytes, triggered_at: datetime, now: datetime) -> dict[str, Any]:
    """A stored event's columns, but its integration."""
    return {
        "event_id": event_id[:255],
        "topic": topic[:64],
        "payload": body.decode("utf-8", errors="replace"),
        "triggered_at": triggered_at,
        "received_at": now,
        "state": "pending",
        "attempts": 0,
    }


def pending_events(uow: UnitOfWork, limit: int, after_id: int = 0) -> list[int]:
    return list(
        uow.session.scalars(
            select(WebhookEvent.id)
            .where(WebhookEvent.state == "pending", WebhookEvent.id > after_id)
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
    )


def mark_failed(uow: UnitOfWork, event_id: int, outcome: str, now: datetime) -> None:
    event = event_store.lock_pending(uow.session, event_id)
    if event is not None:
        event.state, event.outcome, event.applied_at, event.attempts = "failed", outcome[:300], now, event.attempts + 1


@dataclass
class Staged:
    """An event's staging step: its end state and reason, or "staged" with the items whose offers to rebuild."""

    state: str  # applied, ignored, failed, pending (must wait) or staged (materialize `touched`, then applied)
    outcome: str
    touched: list[int] = field(default_factory=list)


def apply_event(uow: UnitOfWork, event_id: int, now: datetime) -> str:
    """Apply one stored event; returns its new state. Safe to run twice (the second run changes nothing).

    An event that must wait (its integration's first sync has not told us the shop's currency yet) stays
    pending without counting an attempt: the first sync reads the same state anyway, and the event is
    applied (or found older than the stored state) right after it. So does a catalog notice (a change the
    body does not carry, applied by queuing a sync) while a sync of its integration runs: that sync may have read
    the changed records before the change, and no second job can be queued beside it.
    """
    event = event_store.lock_pending(uow.session, event_id)
    if event is None:
        return "gone"
    integration = uow.session.get(Integration, event.integration_id)
    assert integration is not None
    staged = stage_event(uow, integration, event, now)
    state, outcome = staged.state, staged.outcome
    if state == "staged":
        tally = materialize(uow, integration.organization_id, integration.id, sorted(set(staged.touched)), now)
        done = f"{tally.created} created, {tally.updated} updated, {tally.removed} removed"
        state, outcome = "applied", f"{outcome}; {done}" if outcome else done
    if state != "pending":
        event.attempts += 1
        event.state, event.outcome, event.applied_at = state, outcome[:300], now
    return state


def stage_event(
    uow: UnitOfWork,
    integration: Integration,
    event: WebhookEvent,
    now: datetime,
    before_movements: Callable[[], None] | None = None,
) -> Staged:
    """Everything an event changes except offers: staged rows, queued syncs, movements, the integration.

    `before_movements` runs before stock movements are recorded (a batch rebuilds the offers it has staged so
    far first: a movement notes the offer it moved)."""
    if integration.status != "connected":
        return Staged("ignored", f"integration is {integration.status}")
    if event.topic == "app/uninstalled":  # needs no currency: applies even before the first sync
        return Staged(*_uninstalled(integration, now))
    if integration.currency is None:
        return Staged("pending", "waiting for the first sync to learn the shop's currency")
    try:
        parsed = parse_events(
            integration.provider,
            event.topic,
            event.payload.encode(),
            integration.currency,
            integration.prices_include_tax,
        )
    except PosBadResponse as exc:
        return Staged("failed", exc.message)
    if any(isinstance(change, CatalogChanged) for change in parsed) and _sync_running(uow, integration.id):
        # The running sync may have read the changed records before the change: queue the follow-up after it.
        return Staged("pending", "waiting for the running sync to end before queuing the sync this change needs")
    touched: list[int] = []
    outcomes: list[str] = []
    for change in parsed:
        if isinstance(change, AppUninstalled):
            return Staged(*_uninstalled(integration, now))
        if isinstance(change, CatalogChanged):
            queued = sync_jobs.enqueue(uow, integration, "incremental", "webhook", now)
            outcomes.append("incremental sync queued" if queued else "a sync is already under way")
        elif isinstance(change, StockChanged):
            level = staged_stock(change.stock, event.triggered_at)
            if staging.upsert_stock(uow, integration.id, [level], None):
                touched += staging.item_ids_where(
                    uow.session, integration.id, inventory_item_id=change.stock.inventory_item_id
                )
            else:
                outcomes.append("older than the stored quantity")
        elif isinstance(change, ItemsChanged):
            rows = [staged_item(item, event.triggered_at) for item in change.items]
            staging.upsert_items(uow, integration.id, rows, None)
            if change.all_variants:
                staging.mark_dropped_variants_deleted(
                    uow,
                    integration.id,
                    change.product_external_id,
                    [row["external_id"] for row in rows],
                    change.updated_at or event.triggered_at,
                )
            touched += staging.item_ids_where(
                uow.session, integration.id, product_external_id=change.product_external_id
            )
        elif isinstance(change, ProductDeleted):
            touched += staging.mark_product_deleted(uow, integration.id, change.product_external_id, event.triggered_at)
    moves = [change for change in parsed if isinstance(change, StockMoved)]
    if moves:
        if before_movements is not None:
            before_movements()
        moved = pos_movements.apply_movements(uow, integration, moves, event.triggered_at, now)
        touched += moved.touched
        outcomes.append(moved.summary())
    if not touched:
        state = "applied" if any(isinstance(change, CatalogChanged) for change in parsed) else "ignored"
        return Staged(state, "; ".join(outcomes) or "nothing to change")
    return Staged("staged", outcomes[-1] if moves else "", touched)


def _sync_running(uow: UnitOfWork, integration_id: int) -> bool:
    running = select(SyncJob.id).where(SyncJob.integration_id == integration_id, SyncJob.state == "running")
    return uow.session.scalar(running.limit(1)) is not None


def _uninstalled(integration: Integration, now: datetime) -> tuple[str, str]:
    integration.status, integration.disconnected_at = "disconnected", now
    integration.access_token_encrypted = integration.refresh_token_encrypted = None
    return "applied", "the app was uninstalled: integration disconnected, offers kept"


def parse_events(
    provider: str, topic: str, body: bytes, currency: str, prices_include_tax: bool = False
) -> list[PosEvent]:
    """The provider's parser, as a list of neutral events."""
    if provider == "shopify":
        return list(shopify_webhooks.parse_events(topic, body, currency))
    if provider == "clover":
        return clover.parse_webhook(body)
    if provider == "square":
        return square.parse_webhook(body, currency)
    if provider == "lightspeed":
        return lightspeed.parse_webhook(body, currency, tax_inclusive=prices_include_tax)
    raise PosBadResponse(f"{provider} webhooks are not supported")
