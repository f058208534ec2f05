"""Process-wide resources, created by the server's lifespan and reached from tools through the context."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer

from localshelf.config import Settings
from localshelf.domain.auth import OPERATOR, Principal
from localshelf.domain.throttle import Decision, Rate
from localshelf.server.metrics import Metrics
from localshelf.server.worker import Nudge, Worker
from localshelf.services import pos_gateway
from localshelf.services.demand_recorder import DemandRecorder
from localshelf.services.pos_flows import PosContext
from localshelf.services.pos_gateway import HttpFactory
from localshelf.store.db import Database
from localshelf.store.throttle import Throttle, throttle_for

T = TypeVar("T")

# Who the current tool call acts as; set once per call by the MCP boundary (server/app.py).
current_actor: ContextVar[Principal] = ContextVar("localshelf_actor", default=OPERATOR)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppState:
    settings: Settings
    database: Database
    clock: Callable[[], datetime] = field(default=utcnow)
    throttle: Throttle | None = None
    http: HttpFactory = pos_gateway.default_http
    nudge: Nudge = field(default_factory=Nudge)
    demand: DemandRecorder = field(default_factory=DemandRecorder)
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def pos(self) -> PosContext:
        return PosContext(self.database, self.settings, self.clock, self.http, self.metrics.sync_job_finished)

    async def acquire(self, key: str) -> Decision:
        assert self.throttle is not None
        return await anyio.to_thread.run_sync(self.throttle.acquire, key)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One unit of work per tool call: `fn(uow, ...)` in a worker thread, committed on success."""
        return await self.database.run(fn, *args, actor=current_actor.get(), **kwargs)

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like `run`, for tools that only read: a read-only transaction."""
        return await self.database.read(fn, *args, actor=current_actor.get(), **kwargs)


def lifespan_for(
    settings: Settings,
    database: Database | None,
    clock: Callable[[], datetime],
    throttle: Throttle | None = None,
    http: HttpFactory = pos_gateway.default_http,
    nudge: Nudge | None = None,
    demand: DemandRecorder | None = None,
    metrics: Metrics | None = None,
) -> Callable[[MCPServer[AppState]], Any]:
    """`throttle` shares one limiter with plain HTTP routes; by default each lifespan makes its own.
    `nudge` lets HTTP routes (webhooks) wake this process's background worker; `demand` counts searches (the
    worker flushes it, and so does shutdown)."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        owned = database is None
        db = database or Database.from_url(settings.database_url, settings.read_database_url)
        try:
            if owned:
                await anyio.to_thread.run_sync(db.prepare, settings.should_auto_migrate)
            limiter = throttle or throttle_for(db.engine, Rate(settings.rate_limit_per_minute))
            state = AppState(
                settings, db, clock, limiter, http, nudge or Nudge(), demand or DemandRecorder(), metrics or Metrics()
            )
            try:
                async with anyio.create_task_group() as group:
                    if settings.sync_worker:
                        worker = Worker(state.pos, nudge=state.nudge, demand=state.demand, metrics=state.metrics)
                        group.start_soon(worker.run_forever)
                    yield state
                    group.cancel_scope.cancel()
            finally:
                with anyio.CancelScope(shield=True), suppress(Exception):  # flush logs its failures
                    await state.demand.flush(db)
        finally:
            if owned:
                db.dispose()

    return lifespan


def app_state(ctx: Context[AppState, Any]) -> AppState:
    state = ctx.request_context.lifespan_context
    assert isinstance(state, AppState)
    return state
