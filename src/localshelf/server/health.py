"""Probes and metrics for whoever runs the server (HTTP transport only; none needs a credential, none is throttled).

- `GET /healthz`: the process answers (200, no database touched) — a liveness probe.
- `GET /readyz`: 200 when this process can serve: the database answers a trivial query, its schema is at the
  migrations' head, and the background worker runs (when `LOCALSHELF_SYNC_WORKER` is on); else 503 with a JSON
  body naming each check. The body never carries the database URL or an error's text (they go to the log).
- `GET /metrics`: Prometheus text (server/metrics.py), when `LOCALSHELF_METRICS` allows (default: only when the
  server is bound to loopback, where only this machine can scrape it).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import anyio
import anyio.to_thread
from alembic.script import ScriptDirectory
from mcp.server.mcpserver import MCPServer
from sqlalchemy import Engine, inspect, text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from localshelf.config import Settings
from localshelf.server.metrics import Metrics
from localshelf.store import migrate
from localshelf.store.db import Database

logger = logging.getLogger("localshelf.health")

READY_TIMEOUT_SECONDS = 3.0
VERSION_TABLE = "alembic_version"
_NO_CACHE = {"Cache-Control": "no-store"}


@cache
def head_revision() -> str | None:
    """The migrations' head: read from the scripts once per process (they do not change while it runs)."""
    return ScriptDirectory(str(migrate.MIGRATIONS_DIR)).get_current_head()


def _schema_revision(engine: Engine) -> str | None:
    """One connection: a trivial query (the database answers), then the Alembic revision (None: unmigrated).
    Read directly rather than through Alembic's MigrationContext, which logs two INFO lines per probe."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


async def database_checks(database: Database) -> dict[str, str]:
    engine = database.engine
    try:
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            current = await anyio.to_thread.run_sync(_schema_revision, engine, abandon_on_cancel=True)
    except TimeoutError:
        logger.warning("readiness: the database did not answer within %.0f s", READY_TIMEOUT_SECONDS)
        return {"database": "timeout", "migrations": "unknown"}
    except Exception as exc:  # any failure to reach it is "not ready"; the detail stays in the log
        logger.warning("readiness: the database is unreachable: %s", exc.__class__.__name__)
        return {"database": "unreachable", "migrations": "unknown"}
    head = head_revision()
    return {"database": "ok", "migrations": "ok" if current == head else f"pending (at {current}, head {head})"}


def worker_check(settings: Settings, metrics: Metrics) -> str:
    if not settings.sync_worker:
        return "disabled"
    return "ok" if metrics.is_worker_running else "not running"


async def readiness(settings: Settings, database: Database, metrics: Metrics) -> tuple[bool, dict[str, Any]]:
    checks = {**await database_checks(database), "worker": worker_check(settings, metrics)}
    ready = all(value in ("ok", "disabled") for value in checks.values())
    return ready, {"status": "ready" if ready else "not ready", "checks": checks}


def register_health_routes(server: MCPServer[Any], settings: Settings, database: Database, metrics: Metrics) -> None:
    @server.custom_route("/healthz", methods=["GET"])  # type: ignore[untyped-decorator]
    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"}, headers=_NO_CACHE)

    @server.custom_route("/readyz", methods=["GET"])  # type: ignore[untyped-decorator]
    async def readyz(_request: Request) -> Response:
        ready, body = await readiness(settings, database, metrics)
        return JSONResponse(body, status_code=200 if ready else 503, headers=_NO_CACHE)

    if settings.metrics_enabled:

        @server.custom_route("/metrics", methods=["GET"])  # type: ignore[untyped-decorator]
        async def metrics_route(_request: Request) -> Response:
            return metrics.exposition()
