"""Operator endpoints on a real server, on both backends: /healthz and /readyz (503 naming what is not ready),
/metrics counters moved by real tool calls, throttles, webhook deliveries, applied events and sync jobs, the
request id of each HTTP request, and JSON log lines from a real `localshelf serve` process (secrets still masked).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import platform
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from cryptography.fernet import Fernet
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from localshelf.config import Settings
from localshelf.domain.ids import new_public_id
from localshelf.server.app import LocalshelfServer, build_server
from localshelf.server.log_redaction import redact_access_log
from localshelf.server.logs import RequestIdMiddleware, configure_logging
from localshelf.server.state import utcnow
from localshelf.server.worker import Worker
from localshelf.services.pos_flows import PosContext
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import Integration, SyncJob, WebhookEvent
from tests.builders import operator_key, operator_organization, webhook_endpoint
from tests.conftest import bare_database, call, call_error, postgres_url
from tests.integration.test_transports import _free_port
from tests.tools.test_readiness import add_integration

pytestmark = pytest.mark.anyio

APP_SECRET = "shpss_metrics_test_secret"
SHOP = "alder-hardware.myshopify.com"
WEB = "http://127.0.0.1:8765"
HEX_ID = 32
CLIENT_LOGGERS = ("httpx", "httpcore", "mcp.client.streamable_http")  # this test's own HTTP client, same process


def http_settings(**overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "database_url": "sqlite://",
        "transport": "http",
        "sync_worker": False,
        "shopify_client_id": "metrics-test",
        "shopify_client_secret": APP_SECRET,
        **overrides,
    }
    return Settings(**fields)


def http_server(database: Database, clock: Callable[[], datetime], **overrides: Any) -> LocalshelfServer:
    return build_server(http_settings(**overrides), database=database, clock=clock)


@asynccontextmanager
async def web(server: LocalshelfServer) -> AsyncIterator[httpx.AsyncClient]:
    """The server's HTTP app in process (no lifespan: plain routes only)."""
    transport = httpx.ASGITransport(app=server.streamable_http_app())
    async with httpx.AsyncClient(transport=transport, base_url=WEB) as client:
        yield client


@contextmanager
def serving(server: LocalshelfServer) -> Iterator[str]:
    """The server's HTTP app under uvicorn (lifespan on: the worker runs if enabled) on a free port; its base URL."""
    port = _free_port()
    app = server.streamable_http_app()
    runner = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not runner.started:  # uvicorn exposes a flag, not an event, for "listening"
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        runner.should_exit = True
        thread.join(timeout=10)


@asynccontextmanager
async def agent(url: str, key: str, **headers: str) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}", **headers}, timeout=30) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
    ):
        yield client


def samples(exposition: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(page: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


def shopify_headers(body: bytes, secret: str = APP_SECRET, event_id: str = "evt-1") -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Topic": "inventory_levels/update",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Triggered-At": "2026-11-24T11:00:00Z",
    }


# Health and readiness


async def test_healthz_and_readyz_answer_without_credentials_and_name_each_check(
    database: Database, clock: Callable[[], datetime]
) -> None:
    server = http_server(database, clock, sync_worker=True)
    with serving(server) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            alive = await client.get("/healthz")
            ready = await client.get("/readyz")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "worker": "ok"}}


async def test_readyz_is_503_while_the_worker_it_should_run_is_not_running(
    database: Database, clock: Callable[[], datetime]
) -> None:
    async with web(http_server(database, clock, sync_worker=True)) as client:  # no lifespan: no worker
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": "ok", "migrations": "ok", "worker": "not running"}


@pytest.fixture(scope="session")
def bare_postgres_url(postgis_engine_or_reason: Any) -> Iterator[str]:
    """A PostgreSQL database with no schema and no extensions, shared by the tests that only look at it."""
    if isinstance(postgis_engine_or_reason, str):
        yield postgis_engine_or_reason  # the `postgis_database` fixture skips (or fails in CI) before use
        return
    with bare_database(postgres_url()) as url:
        yield url


@pytest.fixture
def unmigrated_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """An empty database with no schema: an SQLite file, or a PostgreSQL database without extensions."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        request.getfixturevalue("postgis_database")  # skips (or fails in CI) like the other PostGIS tests
        url = request.getfixturevalue("bare_postgres_url")
    database = Database.from_url(url)
    database.engine.connect().close()  # an SQLite file exists, with no table in it
    yield database
    database.dispose()


async def test_readyz_is_503_on_an_unmigrated_database(
    unmigrated_database: Database, clock: Callable[[], datetime]
) -> None:
    async with web(http_server(unmigrated_database, clock)) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["database"] == "ok" and checks["migrations"].startswith("pending (at None, head ")
    assert checks["worker"] == "disabled"


async def test_readyz_is_503_when_the_database_is_gone_and_says_nothing_of_its_url(
    clock: Callable[[], datetime],
) -> None:
    gone = Database.from_url(f"postgresql+psycopg://localshelf:hunter2secret@127.0.0.1:{_free_port()}/nothing")
    try:
        async with web(http_server(gone, clock)) as client:
            answer = await client.get("/readyz")
            alive = await client.get("/healthz")
    finally:
        gone.dispose()
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "not ready",
        "checks": {"database": "unreachable", "migrations": "unknown", "worker": "disabled"},
    }
    assert "hunter2secret" not in answer.text and "127.0.0.1" not in answer.text
    assert alive.status_code == 200  # liveness never looks at the database


# Request ids


async def test_each_request_gets_an_id_a_sane_incoming_one_is_kept_and_echoed(
    database: Database, clock: Callable[[], datetime]
) -> None:
    async with web(http_server(database, clock)) as client:
        kept = await client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.2:abc"})
        unsafe = await client.get("/healthz", headers={"X-Request-Id": "x\u00e9 <script> id".encode("latin-1")})
        long = await client.get("/healthz", headers={"X-Request-Id": "a" * 129})
        fresh = [await client.get("/whoami") for _ in range(2)]  # refused (401): still answered with an id
    assert kept.headers["x-request-id"] == "lb-7f3a.2:abc"
    generated = [
        unsafe.headers["x-request-id"],
        long.headers["x-request-id"],
        *(r.headers["x-request-id"] for r in fresh),
    ]
    assert all(len(rid) == HEX_ID and int(rid, 16) >= 0 for rid in generated)
    assert len(set(generated)) == len(generated)
    assert fresh[0].status_code == 401


# Metrics


async def test_tool_calls_outcomes_latency_and_throttles_are_counted_without_ids(
    database: Database, clock: Callable[[], datetime]
) -> None:
    organization = operator_organization(database)
    key = operator_key(database, organization)
    server = http_server(database, clock, rate_limit_per_minute=4)
    with serving(server) as url:
        async with agent(url, key) as client:
            await call(client, "search_local_products", query="drill", latitude=45.52, longitude=-122.68)
            code, _ = await call_error(client, "get_integration", integration_id=new_public_id("integration"))
            outcomes = [
                (await client.call_tool("get_organization", {"organization_id": organization})) for _ in range(3)
            ]
        async with httpx.AsyncClient(base_url=url) as http:
            page = await http.get("/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    metrics = samples(page.text)
    throttled = sum(1 for result in outcomes if result.is_error)
    assert code == "not_found" and throttled == 1  # a burst of 4 calls a minute: the 5th is refused
    assert value(metrics, "localshelf_tool_calls_total", tool="search_local_products", outcome="ok") == 1
    assert value(metrics, "localshelf_tool_calls_total", tool="get_integration", outcome="not_found") == 1
    assert value(metrics, "localshelf_tool_calls_total", tool="get_organization", outcome="ok") == 2
    assert value(metrics, "localshelf_tool_calls_total", tool="get_organization", outcome="rate_limited") == 1
    assert value(metrics, "localshelf_throttled_total") == 1
    assert value(metrics, "localshelf_tool_call_seconds_count", tool="get_organization") == 3
    assert value(metrics, "localshelf_build_info", version="0.1.0", python=platform.python_version()) == 1
    label_values = {v for (_, labels) in metrics for _, v in labels}
    assert not any(v.startswith(("org_", "loc_", "key_", "lsk_")) for v in label_values)
    assert organization not in page.text


async def test_metrics_are_not_served_when_switched_off(database: Database, clock: Callable[[], datetime]) -> None:
    async with web(http_server(database, clock, metrics=False)) as client:
        assert (await client.get("/metrics")).status_code == 404
    async with web(http_server(database, clock, host="0.0.0.0")) as client:  # default: loopback binds only
        assert (await client.get("/metrics")).status_code == 404


async def test_webhook_deliveries_and_applied_events_are_counted_by_outcome(
    database: Database, clock: Callable[[], datetime]
) -> None:
    organization = operator_organization(database)
    integration = add_integration(database, organization, "connected", SHOP)
    secret = "whsec-metrics-test"
    database.transaction(webhook_endpoint, integration, secret)
    database.transaction(synced_once, integration)
    body = json.dumps({"inventory_item_id": 1, "location_id": 2, "available": 3}).encode()
    server = http_server(database, clock)
    async with web(server) as client:
        url = f"/webhooks/shopify/{secret}"
        answers = [
            await client.post(url, content=body, headers=shopify_headers(body)),
            await client.post(url, content=body, headers=shopify_headers(body)),
            await client.post(url, content=body, headers=shopify_headers(body, secret="forged")),
            await client.post("/webhooks/shopify/not-a-secret", content=body, headers=shopify_headers(body)),
            await client.post(url, content=b"x" * 1_000_001, headers=shopify_headers(b"")),
            await client.post("/webhooks/clover", json={"verificationCode": "abc"}),
        ]
        assert [a.status_code for a in answers] == [200, 200, 401, 401, 413, 200]
        worker = Worker(server_pos(server, database), metrics=server.metrics)
        assert await worker.apply_pending_events() == 1
        metrics = samples((await client.get("/metrics")).text)
    deliveries = {
        labels: count for (name, labels), count in metrics.items() if name == "localshelf_webhook_deliveries_total"
    }
    assert deliveries == {
        (("outcome", "accepted"), ("provider", "shopify")): 1,
        (("outcome", "duplicate"), ("provider", "shopify")): 1,
        (("outcome", "invalid_signature"), ("provider", "shopify")): 1,
        (("outcome", "unknown_endpoint"), ("provider", "shopify")): 1,
        (("outcome", "body_too_large"), ("provider", "shopify")): 1,
        (("outcome", "verified"), ("provider", "clover")): 1,
    }
    with database.session() as session:
        state = session.scalar(select(WebhookEvent.state))
    assert value(metrics, "localshelf_webhook_events_applied_total", outcome=str(state)) == 1


def synced_once(uow: UnitOfWork, integration_id: str) -> None:
    """What a first sync leaves for webhook events to build on: the shop's currency."""
    integration = uow.session.scalar(select(Integration).where(Integration.public_id == integration_id))
    assert integration is not None
    integration.currency = "USD"


def server_pos(server: LocalshelfServer, database: Database) -> PosContext:
    """The worker's view of the server: real time (the deliveries were received now, not at the test clock)."""
    return PosContext(database, http_settings(), utcnow, sync_ended=server.metrics.sync_job_finished)


async def test_a_sync_job_run_by_a_tool_is_counted_by_provider_and_end_state(
    database: Database, clock: Callable[[], datetime]
) -> None:
    """trigger_sync(wait=true) through the server's own state: the job ends (here it fails: the stored token
    was encrypted with a key this server does not hold) and the end state is counted once."""
    organization = operator_organization(database)
    integration = add_integration(database, organization, "connected", SHOP)
    server = build_server(
        Settings(
            database_url="sqlite://",
            sync_worker=False,
            shopify_client_id="metrics-test",
            shopify_client_secret=APP_SECRET,
            encryption_keys=Fernet.generate_key().decode(),
        ),
        database=database,
        clock=clock,
    )
    async with Client(server) as client:
        job = (await call(client, "trigger_sync", integration_id=integration))["job"]
    metrics = samples(server.metrics.exposition().body.decode())
    with database.session() as session:
        stored = session.scalar(select(SyncJob.state).where(SyncJob.public_id == job["id"]))
    assert stored == job["state"] and stored in ("failed", "succeeded")
    assert value(metrics, "localshelf_sync_jobs_total", provider="shopify", state=stored) == 1
    assert sum(v for (name, _), v in metrics.items() if name == "localshelf_sync_jobs_total") == 1


# JSON logs


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger set up as `localshelf serve` does with LOCALSHELF_LOG_FORMAT=json (INFO), into a buffer."""
    root, stream = logging.getLogger(), io.StringIO()
    level = root.level
    handler = configure_logging("INFO", "json", stream)
    redact_access_log()
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_json_logs_carry_the_request_id_into_tool_calls_and_keep_secrets_masked(
    sqlite_database: Database, clock: Callable[[], datetime], json_log: io.StringIO
) -> None:
    """Logging does not depend on the backend: SQLite, under uvicorn with its loggers routed to ours."""
    database = sqlite_database
    organization = operator_organization(database)
    key = operator_key(database, organization)
    with serving(http_server(database, clock)) as url:
        async with agent(url, key, **{"X-Request-Id": "trace-7c1d"}) as client:
            await call(client, "get_organization", organization_id=organization)
        async with httpx.AsyncClient(base_url=url) as http:
            delivery = await http.post("/webhooks/shopify/whsec-do-not-log-me?token=abc", content=b"{}")
    assert delivery.status_code == 401
    everything = [json.loads(line) for line in json_log.getvalue().splitlines()]
    lines = [line for line in everything if line["logger"] not in CLIENT_LOGGERS]  # the server's own lines
    text_out = json.dumps(lines)
    assert lines and all({"ts", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
    tool_lines = [line for line in lines if line["logger"] == "localshelf.guard"]
    assert [line["tool"] for line in tool_lines] == ["get_organization"]
    assert tool_lines[0]["request_id"] == "trace-7c1d" and tool_lines[0]["organization"] == organization
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any(line["request_id"] == "trace-7c1d" and line["path"] == "/mcp" for line in access)
    masked = "/webhooks/shopify/[redacted]?token=[redacted]"
    assert any(line["path"] == masked and line["status"] == 401 and masked in line["message"] for line in access)
    assert "whsec-do-not-log-me" not in text_out and key not in text_out and "token=abc" not in text_out


@pytest.mark.parametrize("grouped", [False, True])
async def test_a_client_that_disconnects_before_its_answer_is_one_info_line_not_a_traceback(
    grouped: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """As under load when a client's timeout ends a request the server is still working on: Starlette raises
    ClientDisconnect (inside a task group: an exception group) where the body is read."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive).body()

    async def gone() -> Message:
        return {"type": "http.disconnect"}

    async def never_sent(message: Message) -> None:
        raise AssertionError(f"nothing can be answered to a gone client: {message}")

    async def in_a_task_group(scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(app, scope, receive, send)

    scope: Scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": [], "query_string": b""}
    with caplog.at_level(logging.INFO, logger="localshelf.http"):
        await RequestIdMiddleware(in_a_task_group if grouped else app)(scope, gone, never_sent)
    assert [r.getMessage() for r in caplog.records] == ["client disconnected before its answer: /mcp"]
