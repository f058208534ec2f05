"""The background worker each server process runs: applies stored webhook events, runs queued sync jobs
(taking over ones whose runner died), provisions missing webhook subscriptions and queues the daily
reconciliation. Every step is safe with several processes on one database: jobs are claimed atomically and
events are applied idempotently.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio
from sqlalchemy import select

from localshelf.server.metrics import Metrics
from localshelf.services import pos_flows, sync_jobs, webhook_batch, webhooks
from localshelf.services.demand_recorder import DemandRecorder
from localshelf.services.pos_flows import PosContext
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Integration, WebhookEndpoint

logger = logging.getLogger("localshelf.worker")
T = TypeVar("T")

EVENT_BATCH = 200
# While deliveries come in a burst (the last pass applied more than one), the worker lets the next ones gather for
# this long after a nudge, so that they are applied (and their offers rebuilt) as one batch instead of many small
# ones: per event, a batch of 40 cost 1.7x the CPU of a batch of 200 (PostgreSQL). A lone delivery after a quiet
# spell is applied at once. It bounds what batching adds to arrival -> visible.
EVENT_GATHER_SECONDS = 0.2
HOUSEKEEPING_EVERY_SECONDS = 60.0
DEMAND_FLUSH_EVERY_SECONDS = 5.0


class Nudge:
    """Wakes the worker early (a webhook was stored, a job was queued); created outside any event loop.

    A nudge that comes while the worker is busy is kept, so the next wait returns at once instead of sleeping
    through it."""

    def __init__(self) -> None:
        self._event: anyio.Event | None = None
        self._pending = False

    def set(self) -> None:
        self._pending = True
        if self._event is not None:
            self._event.set()

    async def wait(self, timeout: float) -> None:
        if not self._pending:
            self._event = anyio.Event()
            with anyio.move_on_after(timeout):
                await self._event.wait()
        self._pending = False


def _without_webhooks(uow: UnitOfWork) -> list[int]:
    has = select(WebhookEndpoint.integration_id)
    return list(
        uow.session.scalars(
            select(Integration.id).where(
                Integration.status == "connected",
                Integration.provider.in_([*webhooks.SUBSCRIBED_TOPICS, *webhooks.APP_WIDE_TOPICS]),
                Integration.id.not_in(has),
            )
        )
    )


@dataclass
class Worker:
    pos: PosContext
    poll_seconds: float = 2.0
    nudge: Nudge = field(default_factory=Nudge)
    demand: DemandRecorder | None = None
    metrics: Metrics = field(default_factory=Metrics)

    async def run_forever(self) -> None:
        self.metrics.worker_started()
        try:
            async with anyio.create_task_group() as group:
                if self.demand is not None:
                    group.start_soon(self._demand_loop, self.demand)
                group.start_soon(self._events_loop)
                group.start_soon(self._jobs_loop)
                group.start_soon(self._housekeeping_loop)
        finally:
            self.metrics.worker_stopped()

    async def apply_pending_events(self) -> int:
        """One pass over the stored events, oldest first, a batch per unit of work; returns how many reached an
        end state."""
        done, after = 0, 0
        while True:
            try:
                batch = await self.pos.database.run(webhook_batch.apply_batch, EVENT_BATCH, after, self.pos.clock())
            except Exception:  # one poisonous event must not hold up the others: retry the batch one by one
                logger.exception("a batch of webhook events after id %s failed; applying them one by one", after)
                batch = await self._apply_one_by_one(after)
            if batch.last_id is None:
                return done
            self.metrics.events_done(batch.states.values())
            done += batch.done
            after = batch.last_id
            if len(batch.states) < EVENT_BATCH:
                # Caught up. Events stored meanwhile wait for the next gathered batch rather than being applied
                # a few at a time now: a batch's fixed costs (claiming, rebuilding offers) are most of a small one's.
                return done

    async def _apply_one_by_one(self, after: int) -> webhook_batch.BatchResult:
        states: dict[int, str] = {}
        ids = await self.pos.database.read(webhooks.pending_events, EVENT_BATCH, after)
        for event_id in ids:
            try:
                states[event_id] = await self.pos.database.run(webhooks.apply_event, event_id, self.pos.clock())
            except Exception:
                logger.exception("webhook event %s could not be applied", event_id)
                await self.pos.database.run(
                    webhooks.mark_failed, event_id, "internal error while applying", self.pos.clock()
                )
                states[event_id] = "failed"
        return webhook_batch.BatchResult(ids[-1] if ids else None, states)

    async def run_next_job(self) -> bool:
        if not await self.pos.database.read(sync_jobs.has_claimable, self.pos.clock()):
            return False
        ticket = await self.pos.database.run(sync_jobs.claim, None, self.pos.clock())
        if ticket is None:
            return False
        await self.pos.runner().run(ticket)
        return True

    async def housekeeping(self) -> None:
        for integration_id in await self.pos.database.read(_without_webhooks):
            await pos_flows.provision_webhooks(self.pos, integration_id)
        due = await self.pos.database.read(sync_jobs.due_reconciliations, self.pos.clock())
        if due:
            await self.pos.database.run(sync_jobs.enqueue_reconciliations, self.pos.clock(), due)

    async def _events_loop(self) -> None:
        while True:
            applied = await self._guarded(self.apply_pending_events)
            await self.nudge.wait(self.poll_seconds)
            if applied is not None and applied > 1:
                await anyio.sleep(EVENT_GATHER_SECONDS)

    async def _jobs_loop(self) -> None:
        while True:
            ran = await self._guarded(self.run_next_job)
            if not ran:
                await anyio.sleep(self.poll_seconds)

    async def _housekeeping_loop(self) -> None:
        while True:
            await self._guarded(self.housekeeping)
            await anyio.sleep(HOUSEKEEPING_EVERY_SECONDS)

    async def _demand_loop(self, recorder: DemandRecorder) -> None:
        async def flush() -> None:
            await recorder.flush(self.pos.database)

        while True:
            await anyio.sleep(DEMAND_FLUSH_EVERY_SECONDS)
            await self._guarded(flush)

    async def _guarded(self, step: Callable[[], Awaitable[T]]) -> T | None:
        try:
            return await step()
        except Exception:  # a bad step must not stop the worker; it is retried on the next round
            logger.exception("background step %s failed", getattr(step, "__name__", step))
            return None
