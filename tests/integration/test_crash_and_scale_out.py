"""Crashes at random points, and two server processes on one PostGIS database (issue 8).

1. A sync SIGKILLed at a random point. `crash_child.py` runs a queued sync in a process of its own and kills
   itself at the k-th of the run's SQL statements and COMMITs (k drawn per seed, stratified so that a handful of
   seeds spreads over the whole run: inside the claim, inside or just before or after a page's unit of work,
   inside the final `finish`). What the kill left must be consistent (a page's rows, its checkpoint and its
   counters are all there or none are); a `Worker` whose clock is past STALE_AFTER takes the job over, reads
   only what comes after the checkpoint, and the job ends `succeeded` with offers and counters exactly the fake's.
   `LOCALSHELF_KILL_RUNS=N` runs N seeds per backend instead of 3.
2. A `localshelf serve` process SIGKILLed while its worker applies webhooks: a new server on the same database
   applies every event that was answered 200 (deliveries cut off by the kill are redelivered, as Shopify does).
3. Two `localshelf serve` processes (two workers) on one PostGIS: syncs triggered through both at once run one
   at a time per integration and once per job, webhooks sent half to each are applied exactly once, and the
   offers are exact. (Their shared throttle: test_transports.py
   `test_two_server_processes_on_one_postgresql_share_one_allowance` and test_throttle.py.)
   The last three tests pin, each with a forced interleaving, the bugs the two-server test found.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select, text

from localshelf.fakes.shopify import FakeShopify, Shop, decode_cursor, gid, inventory_level_payload
from localshelf.fakes.shopify.webhooks import Delivery
from localshelf.server.state import utcnow
from localshelf.server.worker import Worker
from localshelf.services import pos_flows, sync_jobs, webhook_batch, webhooks
from localshelf.services.materialize import materialize
from localshelf.services.sync_jobs import STALE_AFTER
from localshelf.store.db import Database
from localshelf.store.models import ACTIVE_SYNC_STATES, Integration, PosItem, SyncJob, WebhookEvent
from tests.builders import http_session, operator_key
from tests.conftest import _truncate_all, call
from tests.integration.crash_child import KillSwitch
from tests.integration.shopify_harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    KEY,
    Connected,
    connected_shop,
    expected_offers,
    stored_offers,
)
from tests.integration.sync_child import build_state, fingerprint
from tests.integration.test_onboarding_e2e_providers import serve_on_loopback
from tests.integration.test_shopify_webhooks import barcoded_products, integration_pk
from tests.integration.test_sync_recovery import (
    PAGE_SIZE,
    Tap,
    barcode_less,
    job_row,
    map_all,
    pos,
    products_in_order,
    queue_sync,
    staged_variants,
    variants_of,
)
from tests.integration.test_transports import _free_port, _server_env

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
SECOND = timedelta(seconds=1)
PRODUCTS, LOCATIONS, SEED = 240, 2, 5  # 3 product pages, 2 locations of one stock page each, 2 offer batches
KILL_RUNS = int(os.environ.get("LOCALSHELF_KILL_RUNS", "3"))

# --------------------------------------------------------------------------- 1. a sync killed at a random point


def run_child(database: Database, token: str, built_at: float, kill_at: int, log: Path) -> tuple[int, str]:
    """Run crash_child to its end or its kill; (exit code, what it printed)."""
    env = {
        **os.environ,
        "LOCALSHELF_CHILD_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "LOCALSHELF_CHILD_KEY": KEY,
        "LOCALSHELF_CHILD_TOKEN": token,
    }
    arguments = [str(PRODUCTS), str(LOCATIONS), str(SEED), repr(built_at), str(kill_at)]
    with log.open("w") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "tests.integration.crash_child", *arguments],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=120,
            check=False,
        )
    return done.returncode, done.stdout


@dataclass
class Prepared:
    shop: Connected
    job_id: str
    token: str
    built_at: float


async def prepare(database: Database) -> Prepared:
    """A connected shop with a queued full sync, and what a child needs to rebuild the same fake."""
    shop = connected_shop(database, products=PRODUCTS, locations_count=LOCATIONS, seed=SEED)
    job_id = await queue_sync(shop)
    (token,) = shop.shop.tokens
    return Prepared(shop, job_id, token, time.time())


_points: dict[str, int] = {}


async def points_in_a_whole_run(database: Database, request: pytest.FixtureRequest, tmp_path: Path) -> int:
    """How many statements and commits a whole run has on this backend: the child's steps (claim, run), counted
    once per backend in this process on a scratch copy of the same state."""
    backend = database.dialect
    if backend not in _points:
        if backend == "sqlite":
            path = tmp_path / "calibration.db"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            scratch = Database.from_url(f"sqlite:///{path}")
        else:
            scratch = database
        try:
            shop = connected_shop(scratch, products=PRODUCTS, locations_count=LOCATIONS, seed=SEED)
            await queue_sync(shop)
            context = pos(scratch, utcnow, shop.http)
            switch = KillSwitch(0)
            try:
                ticket = await scratch.run(sync_jobs.claim, None, context.clock())
                assert ticket is not None
                await context.runner().run(ticket)
            finally:
                switch.close()
            assert stored_offers(scratch) == expected_offers(shop)
            _points[backend] = switch.points
        finally:
            if scratch is database:
                _truncate_all(database.engine)
            else:
                scratch.dispose()
    return _points[backend]


def kill_point(seed: int, points: int) -> int:
    """Seed `seed` of KILL_RUNS draws from its own slice of the run, so a few seeds cover all of it."""
    low = 1 + seed * points // KILL_RUNS
    high = max(low, (seed + 1) * points // KILL_RUNS)
    return random.Random(seed).randint(low, high)


def levels_of_locations(shop: Shop, location_gids: list[str]) -> int:
    return sum(1 for (_item, location) in shop.levels if gid("Location", location) in location_gids)


def assert_consistent_at_the_kill(killed: SyncJob, ready: Prepared, database: Database) -> dict[str, Any]:
    """The checkpoint, the counters and the staged rows a kill leaves tell one story; returns the checkpoint."""
    shop = ready.shop
    products = products_in_order(shop.shop)
    checkpoint = dict(killed.checkpoint or {})
    phase = checkpoint.get("phase", "items")
    if killed.state == "queued":  # killed before the claim committed
        assert killed.heartbeat_at is None and staged_variants(database, shop.integration_id) == set()
        return checkpoint
    assert killed.state == "running" and killed.finished_at is None
    if phase == "items":
        done = killed.products_seen
        assert done % PAGE_SIZE == 0 and killed.items_seen == len(variants_of(products[:done]))
        staged, counted = staged_variants(database, shop.integration_id), variants_of(products[:done])
        if database.dialect == "sqlite":
            assert staged == counted
        else:  # two lanes: a page after the checkpoint may have committed too; the resumed job stages it again
            assert counted <= staged <= variants_of(products)
        if done:
            assert decode_cursor(checkpoint["cursor"]) == products[done - 1].id
    else:
        assert killed.products_seen == len(products) and killed.items_seen == len(variants_of(products))
    if phase == "stock":
        stores = sorted(shop.stores)
        assert "cursor" not in checkpoint  # one stock page per location in this catalog; no location yet: the first
        assert killed.stock_levels_seen == levels_of_locations(shop.shop, stores[: checkpoint.get("location", 0)])
    if phase == "materialize":
        assert killed.stock_levels_seen == len(shop.shop.levels)
        assert killed.offers_created == len(stored_offers(database))
    assert stored_offers(database) <= expected_offers(shop)
    return checkpoint


def assert_read_only_what_was_left(tap: Tap, killed: SyncJob, shop: Connected) -> None:
    """The resumed run's requests start at the checkpoint: no page committed before the kill is read again."""
    checkpoint = dict(killed.checkpoint or {})
    phase = checkpoint.get("phase", "items")
    product_reads = [variables["after"] for variables in tap.variables("ProductsPage")]
    stock_reads = [variables["locationId"] for variables in tap.variables("LocationInventory")]
    stores = sorted(shop.stores)
    if phase == "items":
        pages = math.ceil(len(shop.shop.products) / PAGE_SIZE)
        committed = killed.products_seen // PAGE_SIZE if killed.state == "running" else 0
        assert product_reads[0] == checkpoint.get("cursor") and len(product_reads) == pages - committed
        assert stock_reads == stores
    elif phase == "stock":
        assert product_reads == [] and stock_reads == stores[checkpoint.get("location", 0) :]
    else:
        assert product_reads == [] and stock_reads == []


def kill_seeds() -> list[int]:
    return list(range(KILL_RUNS))


@pytest.mark.parametrize("seed", kill_seeds())
async def test_a_sync_killed_at_a_random_point_resumes_from_its_checkpoint_and_ends_exact(
    database: Database, seed: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    points = await points_in_a_whole_run(database, request, tmp_path)
    kill_at = kill_point(seed, points)
    ready = await prepare(database)
    shop = ready.shop
    twin = FakeShopify(build_state(PRODUCTS, LOCATIONS, SEED, ready.built_at, ready.token))
    assert fingerprint(twin.state.shops[shop.shop.domain]) == fingerprint(shop.shop)

    log = tmp_path / "child.log"
    code, out = await anyio.to_thread.run_sync(run_child, database, ready.token, ready.built_at, kill_at, log)
    assert code == -signal.SIGKILL, f"point {kill_at} of {points} not reached: {out}\n{log.read_text()}"

    killed = job_row(database, ready.job_id)
    checkpoint = assert_consistent_at_the_kill(killed, ready, database)
    print(f"seed {seed}: killed at point {kill_at}/{points}, job {killed.state}, checkpoint {checkpoint}")

    later = (killed.heartbeat_at or killed.created_at) + STALE_AFTER + SECOND
    tap = Tap(twin)
    assert await Worker(pos(database, lambda: later, tap.http)).run_next_job() is True

    done = job_row(database, ready.job_id)
    assert done.state == "succeeded" and done.finished_at == later, done.error_message
    if killed.started_at is not None:
        assert done.started_at == killed.started_at  # the same job resumed, not a new one
    assert_read_only_what_was_left(tap, killed, shop)
    expected = expected_offers(shop)
    assert stored_offers(database) == expected
    products = products_in_order(shop.shop)
    assert done.items_seen == len(variants_of(products)) and done.products_seen == len(products)
    assert done.stock_levels_seen == len(shop.shop.levels)
    assert done.offers_created == len(expected) and done.offers_updated == done.offers_removed == 0
    assert done.retailer_items == len(barcode_less(shop.shop))


# --------------------------------------------------------------------------- `localshelf serve` processes


@dataclass
class ServerProcess:
    """`localshelf serve --transport http` (background worker on) on a free loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def webhook_url(self, secret: str) -> str:
        return f"{self.base}/webhooks/shopify/{secret}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL


def start_server(database: Database, log: Path, **env: str) -> ServerProcess:
    port = _free_port()
    settings = {
        "LOCALSHELF_PUBLIC_URL": f"http://127.0.0.1:{port}/mcp",
        "LOCALSHELF_LOG_LEVEL": "INFO",
        "LOCALSHELF_ENCRYPTION_KEYS": KEY,
        "LOCALSHELF_SHOPIFY_CLIENT_ID": CLIENT_ID,
        "LOCALSHELF_SHOPIFY_CLIENT_SECRET": CLIENT_SECRET,
        "LOCALSHELF_RATE_LIMIT_PER_MINUTE": "10000",
        "LOCALSHELF_SHOPIFY_BASE_URL_TEMPLATE": "http://127.0.0.1:9",  # nothing listens: never the real Shopify
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "localshelf", "serve", "--transport", "http", "--port", str(port)],
            env={**_server_env(database), **settings, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return ServerProcess(process, port, log)


def wait_until_listening(*servers: ServerProcess) -> None:
    """Bounded wait for each process's port to accept connections (they start in parallel)."""
    deadline = time.monotonic() + 60
    for server in servers:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", server.port), timeout=0.2):
                    break
            except OSError:
                assert server.process.poll() is None, server.log.read_text()
                assert time.monotonic() < deadline, "server did not start:\n" + server.log.read_text()
                time.sleep(0.05)


@contextmanager
def servers(database: Database, tmp_path: Path, names: list[str], **env: str) -> Iterator[list[ServerProcess]]:
    started = [start_server(database, tmp_path / f"server-{name}.log", **env) for name in names]
    try:
        wait_until_listening(*started)
        yield started
    finally:
        for server in started:
            if server.process.poll() is None:
                server.process.terminate()
                server.process.wait(timeout=30)


def event_states_by_id(database: Database) -> dict[str, tuple[str, int]]:
    """Stored events: provider event id -> (state, attempts)."""
    with database.session() as session:
        rows = session.execute(select(WebhookEvent.event_id, WebhookEvent.state, WebhookEvent.attempts))
        return {event_id: (state, attempts) for event_id, state, attempts in rows}


async def drained(database: Database, seconds: float = 60.0) -> dict[str, tuple[str, int]]:
    """Wait (bounded) until the running servers' workers left no event pending; the events' states."""
    deadline = time.monotonic() + seconds
    while True:
        states = await anyio.to_thread.run_sync(event_states_by_id, database)
        if all(state != "pending" for state, _ in states.values()):
            return states
        assert time.monotonic() < deadline, f"events still pending: {states}"
        await anyio.sleep(0.1)


@dataclass
class Sent:
    event_id: str
    delivery: Delivery
    status: int | None  # None: the connection broke before an answer (the server was killed)


async def deliver(web: httpx.AsyncClient, shop: Connected, url: str, item: int, location: int) -> Sent:
    """Shopify signs and POSTs one inventory_levels/update of the level's current value to `url`."""
    topic = "inventory_levels/update"
    body, headers = shop.fake.webhooks.build(shop.shop, topic, inventory_level_payload(shop.shop, item, location))
    delivery = Delivery(url=url, topic=topic, body=body, headers=headers)
    try:
        status: int | None = (await web.post(url, content=body, headers=headers)).status_code
    except httpx.TransportError:
        status = None
    return Sent(headers["X-Shopify-Event-Id"], delivery, status)


def change_levels(shop: Connected, count: int, rng: random.Random) -> list[tuple[int, int]]:
    """Set `count` distinct stock levels of the fake to new values (zero sometimes); at most one change per level,
    so the ground truth does not depend on the order in which webhooks of one second are applied."""
    keys = rng.sample(sorted(shop.shop.levels), count)
    for item, location in keys:
        shop.state.set_available(shop.shop, item, location, rng.choice([0, 1, 2, 7, 40, 99]))
    return keys


def secret_of(shop: Connected) -> str:
    (uri,) = {subscription.uri for subscription in shop.shop.subscriptions.values()}
    return uri.rsplit("/", 1)[1]


async def synced_with_webhooks(shop: Connected) -> None:
    """Subscriptions provisioned and a first full sync done (in this process, through the fake's ASGI app)."""
    context = pos(shop.database, utcnow, shop.http)
    assert await pos_flows.provision_webhooks(context, integration_pk(shop.database, shop.integration_id))
    async with shop.client() as client:
        await map_all(client, shop)
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert job["state"] == "succeeded", job
    assert stored_offers(shop.database) == expected_offers(shop)


# --------------------------------------------------------------------------- 2. a server killed while applying

WEBHOOKS, SENDERS = 120, 8


def webhook_kill_seeds() -> list[int]:
    return list(range(KILL_RUNS if "LOCALSHELF_KILL_RUNS" in os.environ else 1))


@pytest.mark.parametrize("seed", webhook_kill_seeds())
async def test_a_server_killed_while_applying_webhooks_loses_none_it_answered_200(
    database: Database, seed: int, tmp_path: Path
) -> None:
    shop = connected_shop(database, products=70)
    await synced_with_webhooks(shop)
    rng = random.Random(seed)
    keys = change_levels(shop, WEBHOOKS, rng)
    kill_after, jitter = rng.randint(WEBHOOKS // 4, 3 * WEBHOOKS // 4), rng.uniform(0, 0.05)
    sent: list[Sent] = []
    answered = anyio.Event()
    with servers(database, tmp_path, ["first"]) as (first,):
        url = first.webhook_url(secret_of(shop))

        async def send_some(mine: list[tuple[int, int]], web: httpx.AsyncClient) -> None:
            for item, location in mine:
                sent.append(await deliver(web, shop, url, item, location))
                if sum(s.status == 200 for s in sent) >= kill_after:
                    answered.set()

        async def kill_at_random() -> None:
            await answered.wait()
            await anyio.sleep(jitter)  # a random moment after the kill_after-th answer, not a synchronisation
            first.kill()

        async with httpx.AsyncClient(timeout=30) as web, anyio.create_task_group() as group:
            group.start_soon(kill_at_random)
            for index in range(SENDERS):
                group.start_soon(send_some, keys[index::SENDERS], web)
        at_kill = event_states_by_id(database)

    accepted = {s.event_id for s in sent if s.status == 200}
    assert {s.status for s in sent} <= {200, None} and len(sent) == WEBHOOKS
    assert accepted <= set(at_kill)  # every 200 was stored before it was sent
    pending = sum(state == "pending" for state, _ in at_kill.values())
    unanswered = sum(s.status is None for s in sent)
    print(f"seed {seed}: killed after {len(accepted)} answers, {unanswered} unanswered, {pending} stored pending")

    with servers(database, tmp_path, ["second"]) as (second,):
        url = second.webhook_url(secret_of(shop))
        async with httpx.AsyncClient(timeout=30) as web:  # Shopify retries what got no answer
            for lost in [s for s in sent if s.status is None]:
                again = await shop.fake.webhooks.redeliver(web, replace(lost.delivery, url=url))
                assert again.status_code == 200 and again.json()["outcome"] in ("accepted", "duplicate")
        states = await drained(database)

    assert set(states) == {s.event_id for s in sent}
    assert {event_id: states[event_id] for event_id in accepted} == dict.fromkeys(accepted, ("applied", 1))
    assert all(state == ("applied", 1) for state in states.values())  # each applied once, by one worker
    assert stored_offers(database) == expected_offers(shop)


# --------------------------------------------------------------------------- 3. two servers, two workers, one PostGIS


class RecordingShopify:
    """ASGI app for uvicorn: each request goes to the fake whose shop issued its access token (the shops share a
    domain), and (token, GraphQL operation) is logged in arrival order."""

    def __init__(self, shops: list[Connected]) -> None:
        self.fakes = {token: shop.fake for shop in shops for token in shop.shop.tokens}
        self.log: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        token = dict(scope["headers"]).get(b"x-shopify-access-token", b"").decode()
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        self.log.append((token, str(json.loads(body or b"{}").get("operationName"))))
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.fakes[token](scope, replay, send)

    def runs(self, token: str) -> list[list[str]]:
        """The operations this token's syncs sent, cut into runs where a run starts (the Shop query)."""
        runs: list[list[str]] = []
        for seen, operation in self.log:
            if seen == token:
                if operation == "Shop" or not runs:
                    runs.append([])
                runs[-1].append(operation)
        return runs


def one_run(shop: Shop) -> list[str]:
    """The operations of one whole sync of `shop`, in order, when nothing else interleaves."""
    pages = math.ceil(len(shop.products) / PAGE_SIZE)
    return ["Shop", "Locations", *["ProductsPage"] * pages, *["LocationInventory"] * len(shop.locations)]


def age_levels(shop: Connected, seconds: float) -> None:
    """Move the fake's level times back, so a change made now is newer by whole seconds (Shopify's resolution)."""
    for key in shop.shop.level_updated:
        shop.shop.level_updated[key] -= seconds


def jobs_by_integration(database: Database) -> dict[int, list[SyncJob]]:
    with database.session() as session:
        jobs: dict[int, list[SyncJob]] = {}
        for job in session.scalars(select(SyncJob).order_by(SyncJob.id)):
            jobs.setdefault(job.integration_id, []).append(job)
        return jobs


async def settled(database: Database, seconds: float = 90.0) -> dict[str, tuple[str, int]]:
    """Wait (bounded) until no job is queued or running and no event is pending; the events' states."""
    deadline = time.monotonic() + seconds
    while True:
        jobs = await anyio.to_thread.run_sync(jobs_by_integration, database)
        if all(job.state not in ACTIVE_SYNC_STATES for listed in jobs.values() for job in listed):
            return await drained(database, max(1.0, deadline - time.monotonic()))
        assert time.monotonic() < deadline, "jobs still active"
        await anyio.sleep(0.1)


async def trigger_through_both(
    urls: list[str], keys: dict[str, str], shops: list[Connected], waits: tuple[bool, ...]
) -> list[dict[str, Any]]:
    """Every integration's owner calls trigger_sync through each server at once, with each `wait` of `waits`."""
    answers: list[dict[str, Any]] = []

    async def trigger(url: str, shop: Connected, wait: bool) -> None:
        async with http_session(url, keys[shop.integration_id]) as client:
            answers.append(await call(client, "trigger_sync", integration_id=shop.integration_id, wait=wait))

    async with anyio.create_task_group() as group:
        for shop in shops:
            for url in urls:
                for wait in waits:
                    group.start_soon(trigger, url, shop, wait)
    return answers


async def test_two_servers_and_their_workers_run_each_job_once_at_a_time_and_lose_no_webhook(
    postgis_database: Database, tmp_path: Path
) -> None:
    database = postgis_database
    shops = [connected_shop(database, products=60, seed=seed) for seed in (3, 4, 5)]
    for shop in shops:
        age_levels(shop, 10)
        context = pos(database, utcnow, shop.http)
        assert await pos_flows.provision_webhooks(context, integration_pk(database, shop.integration_id))
        async with shop.client() as client:
            await map_all(client, shop)
    keys = {shop.integration_id: operator_key(database, shop.organization_id) for shop in shops}
    recorder = RecordingShopify(shops)
    rng = random.Random(8)
    sent: list[Sent] = []
    with (
        serve_on_loopback(recorder) as fake_url,
        servers(database, tmp_path, ["a", "b"], LOCALSHELF_SHOPIFY_BASE_URL_TEMPLATE=fake_url) as both,
    ):
        urls = [f"{server.base}/mcp" for server in both]
        first_round = await trigger_through_both(urls, keys, shops, (True, False))  # callers race to claim
        await settled(database)

        async def deliver_half_to_each(shop: Connected) -> None:
            async with httpx.AsyncClient(timeout=30) as web:
                for index, (item, location) in enumerate(change_levels(shop, 30, rng)):
                    url = both[index % 2].webhook_url(secret_of(shop))
                    sent.append(await deliver(web, shop, url, item, location))

        async with anyio.create_task_group() as group:  # a second round of syncs while the webhooks arrive
            group.start_soon(trigger_through_both, urls, keys, shops, (False,))  # the two workers race
            for shop in shops:
                group.start_soon(deliver_half_to_each, shop)
        states = await settled(database)

    assert all(answer["started"] or answer["job"]["state"] in ACTIVE_SYNC_STATES for answer in first_round)
    jobs = jobs_by_integration(database)
    assert len(jobs) == len(shops)
    for shop in shops:
        listed = jobs[integration_pk(database, shop.integration_id)]
        assert [job.state for job in listed] == ["succeeded"] * len(listed), [job.error_message for job in listed]
        for earlier, later in itertools.pairwise(listed):  # one job at a time per integration (job rows)
            assert earlier.finished_at is not None and later.started_at is not None
            assert earlier.finished_at <= later.started_at
        (token,) = shop.shop.tokens
        runs = recorder.runs(token)  # each job ran once, and no two runs interleaved (the fake's request log)
        assert runs == [one_run(shop.shop)] * len(listed), runs
        assert len(listed) >= 2  # both rounds ran a sync
    print(f"jobs per integration: {[len(listed) for listed in jobs.values()]}, webhooks: {len(sent)}")

    assert [s.status for s in sent] == [200] * len(sent)
    assert states == dict.fromkeys((s.event_id for s in sent), ("applied", 1))  # all applied, each once
    assert stored_offers(database) == set().union(*(expected_offers(shop) for shop in shops))


def waiting_on_a_lock(database: Database) -> bool:
    with database.engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(waiting)


async def test_a_sync_batch_and_a_webhook_rebuilding_one_item_at_once_keep_the_newer_stock(
    postgis_database: Database,
) -> None:
    """Found by the two-server test: a sync's offer batch that read the staged stock before a webhook's batch
    committed a newer level, and wrote its offers after that batch, put the older quantity back (PostgreSQL, READ
    COMMITTED). The batch now locks its items first, so the webhook's rebuild waits and reads the newer level."""
    database = postgis_database
    shop = connected_shop(database, products=6)
    await synced_with_webhooks(shop)
    variant = barcoded_products(shop)[0].variants[0]
    location = min(shop.shop.locations)
    with database.session() as session:
        item = session.scalars(select(PosItem).where(PosItem.external_id == gid("ProductVariant", variant.id))).one()
        owner = session.get(Integration, item.integration_id)
        assert owner is not None
        item_pk, integration, organization = item.id, owner.id, owner.organization_id
    shop.state.set_available(shop.shop, variant.inventory_item_id, location, 31)
    body, headers = shop.fake.webhooks.build(
        shop.shop, "inventory_levels/update", inventory_level_payload(shop.shop, variant.inventory_item_id, location)
    )
    event = (headers["X-Shopify-Event-Id"], "inventory_levels/update", body, utcnow())
    stored = database.transaction(
        webhooks.store_delivery, "shopify", secret_of(shop), shop.shop.domain, webhooks.SHOPIFY_TOPICS, event, utcnow()
    )
    assert stored == "accepted"

    in_sync, paused, resume = threading.local(), threading.Event(), threading.Event()

    def pause_before_reading_offers(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if getattr(in_sync, "on", False) and "FROM in_store_offers" in statement and not paused.is_set():
            paused.set()  # the staged stock is read; the offers are not yet
            assert resume.wait(timeout=60)

    def sync_batch() -> None:
        in_sync.on = True
        database.transaction(materialize, organization, integration, [item_pk], utcnow())

    sqlalchemy_event.listen(database.engine, "before_cursor_execute", pause_before_reading_offers)
    webhook_done = anyio.Event()
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.to_thread.run_sync, sync_batch)
            assert await anyio.to_thread.run_sync(paused.wait, 60)

            async def webhook_batch_then_mark() -> None:
                await database.run(webhook_batch.apply_batch, 200, 0, utcnow())
                webhook_done.set()

            group.start_soon(webhook_batch_then_mark)
            deadline = time.monotonic() + 30  # the webhook's batch either finishes or waits for the sync's lock
            while not webhook_done.is_set() and not await anyio.to_thread.run_sync(waiting_on_a_lock, database):
                assert time.monotonic() < deadline, "the webhook batch neither finished nor waited"
                await anyio.sleep(0.02)
            resume.set()
    finally:
        resume.set()
        sqlalchemy_event.remove(database.engine, "before_cursor_execute", pause_before_reading_offers)

    mine = {offer for offer in stored_offers(database) if offer[0] == variant.sku}
    assert {(offer[1], offer[4]) for offer in mine if offer[1] == shop.stores[gid("Location", location)]} == {
        (shop.stores[gid("Location", location)], 31)
    }
    assert stored_offers(database) == expected_offers(shop)


async def test_a_webhook_level_landing_during_a_full_sync_is_not_dropped_as_unlisted(database: Database) -> None:
    """Found by the two-server test: a webhook's level landing after a full sync listed it (same POS time) cleared
    the level's "seen by this job" mark, and the sync's end then dropped it as no longer stocked, offer and all."""
    shop = connected_shop(database, products=6)
    await synced_with_webhooks(shop)
    first_store, second_store = sorted(shop.stores)
    location = int(first_store.rsplit("/", 1)[1])
    variant = barcoded_products(shop)[0].variants[0]
    shop.state.set_available(shop.shop, variant.inventory_item_id, location, 17)  # changed before the next sync
    job_id = await queue_sync(shop)
    tap = Tap(shop.fake)
    tap.hold(lambda operation, variables: operation == "LocationInventory" and variables["locationId"] == second_store)
    started = utcnow() + timedelta(minutes=1)  # the job began after the change
    async with anyio.create_task_group() as group:
        group.start_soon(Worker(pos(database, lambda: started, tap.http)).run_next_job)
        await tap.held.wait()  # the first location's levels are staged and marked seen by the job
        body, headers = shop.fake.webhooks.build(
            shop.shop,
            "inventory_levels/update",
            inventory_level_payload(shop.shop, variant.inventory_item_id, location),
        )
        event = (headers["X-Shopify-Event-Id"], "inventory_levels/update", body, utcnow())
        stored = await database.run(
            webhooks.store_delivery,
            "shopify",
            secret_of(shop),
            shop.shop.domain,
            webhooks.SHOPIFY_TOPICS,
            event,
            utcnow(),
        )
        assert stored == "accepted"
        assert await Worker(pos(database, utcnow, shop.http)).apply_pending_events() == 1  # the same level lands
        tap.release.set()

    assert job_row(database, job_id).state == "succeeded"
    assert (variant.sku, shop.stores[first_store]) in {(offer[0], offer[1]) for offer in stored_offers(database)}
    assert stored_offers(database) == expected_offers(shop)


async def test_a_sync_requested_as_the_active_job_ends_is_queued_not_an_internal_error(
    postgis_database: Database,
) -> None:
    """Found by the two-server test: trigger_sync whose insert was refused by an active job that another
    process's runner finished before the request read it back failed with internal_error; it now queues."""
    database = postgis_database
    shop = connected_shop(database, products=6)
    job_id = await queue_sync(shop)
    ticket = await database.run(sync_jobs.claim, None, utcnow())
    assert ticket is not None and ticket.public_id == job_id
    requesting, paused, resume = threading.local(), threading.Event(), threading.Event()
    refused: list[str] = []

    def pause_after_the_refused_insert(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not getattr(requesting, "on", False) or paused.is_set():
            return
        if statement.lstrip().upper().startswith("INSERT INTO SYNC_JOBS"):
            refused.append(statement)
        elif refused and "FROM sync_jobs" in statement:
            paused.set()  # the insert found the active job; reading it back comes next
            assert resume.wait(timeout=60)

    def request() -> tuple[sync_jobs.SyncJobView, bool]:
        requesting.on = True
        return database.transaction(sync_jobs.request_sync, shop.integration_id, "manual", utcnow())

    sqlalchemy_event.listen(database.engine, "before_cursor_execute", pause_after_the_refused_insert)
    try:
        async with anyio.create_task_group() as group:
            answer: list[tuple[sync_jobs.SyncJobView, bool]] = []

            async def request_in_a_thread() -> None:
                answer.append(await anyio.to_thread.run_sync(request))

            group.start_soon(request_in_a_thread)
            assert await anyio.to_thread.run_sync(paused.wait, 60)
            await database.run(sync_jobs.finish, ticket.job_id, ticket.runner_token, "succeeded", None, utcnow())
            resume.set()
    finally:
        resume.set()
        sqlalchemy_event.remove(database.engine, "before_cursor_execute", pause_after_the_refused_insert)

    ((job, started),) = answer
    assert started is True and job.state == "queued" and job.id != job_id
    assert job_row(database, job_id).state == "succeeded"
