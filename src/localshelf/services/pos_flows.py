"""Multi-step POS work that mixes database units and network calls: webhook provisioning and rotation, the
steps after a connect, and a sync run on demand. Permission checks happen in the first database unit,
which runs as the caller; network calls happen between units, never inside one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import select

from localshelf.config import Settings
from localshelf.domain.errors import ErrorCode, Unavailable
from localshelf.pos.contract import PosAuthError, PosError
from localshelf.services import connect, pos_gateway, sync_jobs, webhooks
from localshelf.services.pos_gateway import HttpFactory
from localshelf.services.sync_jobs import SyncJobView
from localshelf.services.sync_runner import Progress, SyncEnded, SyncRunner, unobserved
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import Integration, SyncJob

T = TypeVar("T")
logger = logging.getLogger("localshelf.pos")


class Units(Protocol):
    """Runs units of work: `AppState` (as the calling principal) or `Database` (as the operator)."""

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...


@dataclass(frozen=True)
class PosContext:
    database: Database
    settings: Settings
    clock: Callable[[], datetime]
    http: HttpFactory = pos_gateway.default_http
    sync_ended: SyncEnded = unobserved

    def runner(self) -> SyncRunner:
        return SyncRunner(self.database, self.settings, self.clock, self.http, self.sync_ended)


class SyncStarted(BaseModel):
    job: SyncJobView
    started: bool = Field(description="False when a sync of this integration was already under way (that one).")


async def provision_webhooks(pos: PosContext, integration_id: int) -> bool:
    """Subscribe the integration's topics at the POS, delivering to a fresh secret URL (Shopify, Lightspeed), or
    record the app-wide endpoint (Square, Clover); False if it failed."""
    try:
        account = await pos_gateway.live_account(pos.database, pos.settings, integration_id, pos.http, pos.clock())
        if account is not None and account.provider in webhooks.APP_WIDE_TOPICS:
            await pos.database.run(webhooks.record_app_wide_endpoint, integration_id, pos.clock())
            return True
        if account is None or account.provider not in webhooks.SUBSCRIBED_TOPICS:
            return False
        secret = webhooks.new_secret()
        url = webhooks.delivery_url(pos.settings.web_base_url, account.provider, secret)
        topics = list(webhooks.SUBSCRIBED_TOPICS[account.provider])
        ids = await pos_gateway.subscribe_webhooks(pos.settings, account, topics, url, pos.http)
    except PosError as exc:
        logger.warning("could not subscribe webhooks for integration %s: %s", integration_id, exc.message)
        return False
    await pos.database.run(webhooks.save_endpoint, integration_id, topics, ids, secret, pos.clock())
    return True


def _enqueue_initial(uow: UnitOfWork, integration_id: int, now: datetime) -> None:
    integration = uow.session.get(Integration, integration_id)
    assert integration is not None
    sync_jobs.enqueue(uow, integration, "full", "connect", now)


def _integration_pk(uow: UnitOfWork, public_id: str) -> int:
    integration, _ = connect.owned_integration(uow, public_id, write=False)
    return integration.id


async def after_connect(pos: PosContext, integration_public_id: str) -> None:
    """Webhooks first (so no change is missed while the initial sync reads), then queue the initial full sync."""
    integration_id = await pos.database.read(_integration_pk, integration_public_id)
    await provision_webhooks(pos, integration_id)
    await pos.database.run(_enqueue_initial, integration_id, pos.clock())


async def rotate_webhook_secret(pos: PosContext, units: Units, endpoint_id: str) -> webhooks.WebhookEndpointView:
    """New secret URL first (the old one stays valid for the grace period), then move the POS subscriptions to
    it: a POS failure halfway leaves every subscription on a URL that still works."""
    integration_id, subscription_ids = await units.read(webhooks.endpoint_to_rotate, endpoint_id)
    connected = await units.read(connect.connected_account, integration_id)
    try:
        account = (
            await pos_gateway.live_account(pos.database, pos.settings, connected, pos.http, pos.clock())
            if connected
            else None
        )
    except PosAuthError:
        account = None
    if account is None:
        raise Unavailable(
            f"Integration {integration_id} is not connected, so the POS cannot be told the new URL; "
            "reconnect with start_pos_connect.",
            ErrorCode.NOT_CONNECTED,
        )
    secret = webhooks.new_secret()
    url = webhooks.delivery_url(pos.settings.web_base_url, account.provider, secret)
    rotated = await units.run(webhooks.finish_rotation, endpoint_id, secret, pos.clock(), pos.settings.web_base_url)
    try:
        await pos_gateway.move_webhooks(pos.settings, account, subscription_ids, url, pos.http)
    except PosError as exc:
        raise Unavailable(
            f"The POS could not be told the new URL ({exc.message}). Deliveries still reach the previous URL "
            "until previous_secret_valid_until; call rotate_webhook_secret again.",
            ErrorCode.NOT_CONNECTED if isinstance(exc, PosAuthError) else ErrorCode.UNAVAILABLE,
        ) from None
    return rotated


async def trigger_sync(
    pos: PosContext, units: Units, integration_id: str, kind: str, wait: bool, progress: Progress
) -> SyncStarted:
    """Queue a sync; with `wait`, run it here (reporting progress) and answer its final state. A job already
    queued (the initial or daily one) is run here instead of a second one."""
    job, created = await units.run(sync_jobs.request_sync, integration_id, kind, pos.clock())
    if not wait or job.state != "queued":  # a running job belongs to its runner; report where it stands
        return SyncStarted(job=job, started=created)
    job_pk = await pos.database.read(_job_pk, job.id)
    ticket = await pos.database.run(sync_jobs.claim, job_pk, pos.clock())
    if ticket is not None:  # else a background worker took it first; report where it stands
        await pos.runner().run(ticket, progress)
    return SyncStarted(job=await units.read(sync_jobs.get_sync_job, job.id), started=True)


def _job_pk(uow: UnitOfWork, public_id: str) -> int:
    found = uow.session.scalar(select(SyncJob.id).where(SyncJob.public_id == public_id))
    assert found is not None
    return found
