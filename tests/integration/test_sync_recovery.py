"""Sync jobs that die, stall, are cancelled or are due: takeover, resume, the worker and the daily reconciliation.

The kill test kills a real process. The parent makes everything that lives in the database (organization,
connected integration, stores, mapping, a queued job) and starts `tests/integration/sync_child.py`, which
rebuilds the Shopify fake in its own memory with `sync_child.build_state` (same seed, hence the same ids,
catalog and stock; timestamps fixed at a time the parent hands over), accepts the parent's access token and
decrypts it with the parent's encryption key (both passed in the environment), claims the job and runs it,
printing a line after each committed page. After the chosen number of lines it parks, and the parent sends
SIGKILL: nothing after the last commit runs. The parent rebuilds the same fake (checked against the child's
fingerprint and against the harness's shop) and lets a `Worker` whose clock is past STALE_AFTER take over.

Every request a sync sends to the fake goes through a `Tap` (httpx request hook): it records the GraphQL
operation and variables (the fake's own `request_log` holds only method and path), and can hold one request
until released, which stops a live runner at an exact point between two pages.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
from mcp import Client
from sqlalchemy import select

from localshelf.fakes.shopify import FakeShopify, Product, Shop, decode_cursor, gid
from localshelf.server.app import build_server
from localshelf.server.worker import Worker
from localshelf.services import sync_jobs
from localshelf.services.pos_flows import PosContext
from localshelf.services.sync_jobs import RECONCILE_EVERY, STALE_AFTER
from localshelf.store.db import Database
from localshelf.store.models import Integration, PosItem, SyncJob
from tests.conftest import call
from tests.integration.shopify_harness import (
    KEY,
    SHOP,
    Connected,
    connected_shop,
    expected_offers,
    settings,
    stored_offers,
)
from tests.integration.sync_child import build_state, fingerprint

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
PAGE_SIZE = 100  # ShopifyCatalog's default page size
SECOND = timedelta(seconds=1)
PRODUCTS, LOCATIONS, SEED = 450, 2, 7  # the kill test's catalog: 5 product pages, 2 locations, 3 offer batches


def utcnow() -> datetime:
    return datetime.now(UTC)


class Tap:
    """The requests a sync sends to the Shopify fake (operation, variables), with an optional one-time hold."""

    def __init__(self, fake: FakeShopify) -> None:
        self.fake = fake
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._when: Callable[[str, dict[str, Any]], bool] | None = None
        self.held = anyio.Event()
        self.release = anyio.Event()

    def hold(self, when: Callable[[str, dict[str, Any]], bool]) -> None:
        """Hold the first request `when` accepts until `release` is set; `held` is set when it arrives."""
        self._when = when

    def variables(self, operation: str) -> list[dict[str, Any]]:
        return [variables for name, variables in self.calls if name == operation]

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.fake), timeout=20, event_hooks={"request": [self._seen]}
        )

    async def _seen(self, request: httpx.Request) -> None:
        body = json.loads(request.content)
        operation, variables = str(body.get("operationName")), dict(body.get("variables") or {})
        self.calls.append((operation, variables))
        if self._when is not None and self._when(operation, variables):
            self._when = None
            self.held.set()
            await self.release.wait()


def second_products_page(operation: str, variables: dict[str, Any]) -> bool:
    return operation == "ProductsPage" and variables.get("after") is not None


def pos(database: Database, clock: Callable[[], datetime], http: Callable[[], httpx.AsyncClient]) -> PosContext:
    return PosContext(database, settings(), clock, http)


async def map_all(client: Client, shop: Connected) -> None:
    await call(client, "list_pos_locations", integration_id=shop.integration_id)
    await call(client, "map_pos_locations", integration_id=shop.integration_id, mapping=shop.mapping())


async def queue_sync(shop: Connected) -> str:
    """Map every POS location and queue a full sync (trigger_sync with wait=false); the job's id."""
    async with shop.client() as client:
        await map_all(client, shop)
        queued = await call(client, "trigger_sync", integration_id=shop.integration_id, wait=False)
    assert queued["started"] is True and queued["job"]["state"] == "queued"
    return str(queued["job"]["id"])


def job_row(database: Database, public_id: str) -> SyncJob:
    with database.session() as session:
        job = session.scalar(select(SyncJob).where(SyncJob.public_id == public_id))
        assert job is not None
        return job


async def job_row_when(database: Database, public_id: str, ready: Callable[[SyncJob], bool]) -> SyncJob:
    """The job's row once `ready` holds (the runner writes a page while it reads the next one ahead)."""
    with anyio.fail_after(10):
        while not ready(job := job_row(database, public_id)):
            await anyio.sleep(0.01)
    return job


def jobs_of(database: Database, integration_id: str) -> list[tuple[str, str, str, datetime]]:
    """(kind, state, requested_by, created_at) of an integration's jobs, oldest first."""
    with database.session() as session:
        rows = session.execute(
            select(SyncJob.kind, SyncJob.state, SyncJob.requested_by, SyncJob.created_at)
            .join(Integration, Integration.id == SyncJob.integration_id)
            .where(Integration.public_id == integration_id)
            .order_by(SyncJob.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def staged_variants(database: Database, integration_id: str) -> set[str]:
    with database.session() as session:
        return set(
            session.scalars(
                select(PosItem.external_id)
                .join(Integration, Integration.id == PosItem.integration_id)
                .where(Integration.public_id == integration_id)
            )
        )


def products_in_order(shop: Shop) -> list[Product]:
    return sorted(shop.products.values(), key=lambda product: product.id)


def variants_of(products: list[Product]) -> set[str]:
    return {gid("ProductVariant", variant.id) for product in products for variant in product.variants}


def barcode_less(shop: Shop) -> set[str]:
    return {v.sku for p in shop.products.values() for v in p.variants if not v.barcode and v.sku}


def kill_child_after(reports: int, database: Database, token: str, built_at: float, log: Path) -> list[str]:
    """Run sync_child until it parks after `reports` progress lines, SIGKILL it, return what it printed."""
    url = database.engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "LOCALSHELF_CHILD_DATABASE_URL": url,
        "LOCALSHELF_CHILD_KEY": KEY,
        "LOCALSHELF_CHILD_TOKEN": token,
    }
    arguments = [str(PRODUCTS), str(LOCATIONS), str(SEED), repr(built_at), str(reports)]
    with log.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.sync_child", *arguments],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            assert child.stdout is not None
            lines: list[str] = []
            while not lines or lines[-1] != "parked":
                line = child.stdout.readline()
                assert line, f"the child ended before parking (exit {child.wait()}): {lines}\n{log.read_text()}"
                lines.append(line.strip())
            child.send_signal(signal.SIGKILL)
            assert child.wait(timeout=30) == -signal.SIGKILL
            return lines
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            if child.stdout is not None:
                child.stdout.close()


# Progress reports before the kill: one per product page (5), per location (2), per batch of offers (3).
KILL_AFTER = {"items": 2, "stock": 6, "materialize": 8}


@pytest.mark.parametrize("phase", list(KILL_AFTER))
async def test_a_killed_sync_is_taken_over_once_stale_and_resumes_after_its_last_committed_page(
    database: Database, phase: str, tmp_path: Path
) -> None:
    """A runner SIGKILLed mid-job leaves it running; once stale a Worker takes it over and finishes it exactly."""
    shop = connected_shop(database, products=PRODUCTS, locations_count=LOCATIONS, seed=SEED)
    job_id = await queue_sync(shop)
    (token,) = shop.shop.tokens
    built_at = time.time()
    twin = FakeShopify(build_state(PRODUCTS, LOCATIONS, SEED, built_at, token))  # what the child serves, rebuilt here
    assert fingerprint(twin.state.shops[SHOP]) == fingerprint(shop.shop)

    lines = await anyio.to_thread.run_sync(
        kill_child_after, KILL_AFTER[phase], database, token, built_at, tmp_path / "child.log"
    )
    assert lines[0] == f"catalog {fingerprint(shop.shop)}" and lines[1] == f"claimed {job_id}"
    assert len([line for line in lines if line.startswith("progress ")]) == KILL_AFTER[phase]

    products = products_in_order(shop.shop)
    pages = math.ceil(len(products) / PAGE_SIZE)
    first_store, second_store = sorted(shop.stores)
    killed = job_row(database, job_id)
    assert killed.state == "running" and killed.phase == phase and killed.finished_at is None
    checkpoint = dict(killed.checkpoint or {})
    # Pages are staged in two lanes on PostgreSQL: while the child's second page waited in its progress report, the
    # other lane went on, so more pages may have committed before the kill. The job resumes after the committed
    # prefix its checkpoint names, and counted exactly that. SQLite writes one page at a time: exactly two.
    saved_pages = int(checkpoint.get("page", -1)) + 1
    if phase == "items":
        assert checkpoint["phase"] == "items"
        assert saved_pages == 2 if database.dialect == "sqlite" else 2 <= saved_pages < pages
        read = products[: saved_pages * PAGE_SIZE]
        assert decode_cursor(checkpoint["cursor"]) == read[-1].id
        assert killed.items_seen == len(variants_of(read)) and killed.products_seen == len(read)
        staged = staged_variants(database, shop.integration_id)
        assert staged == variants_of(read) if database.dialect == "sqlite" else staged >= variants_of(read)
    elif phase == "stock":
        assert {k: v for k, v in checkpoint.items() if k != "page"} == {"phase": "stock", "location": 1}
        first_levels = [level for level in shop.shop.levels if gid("Location", level[1]) == first_store]
        assert killed.stock_levels_seen == len(first_levels) and killed.items_seen == len(variants_of(products))
    else:
        assert checkpoint["phase"] == "materialize" and checkpoint["after"] > 0
        assert killed.offers_created > 0 and stored_offers(database) < expected_offers(shop)
    assert stored_offers(database) <= expected_offers(shop)

    heartbeat = killed.heartbeat_at
    assert heartbeat is not None
    assert await database.run(sync_jobs.claim, None, heartbeat + STALE_AFTER - SECOND) is None  # not stale yet

    later = heartbeat + STALE_AFTER + SECOND
    tap = Tap(twin)
    assert await Worker(pos(database, lambda: later, tap.http)).run_next_job() is True

    done = job_row(database, job_id)
    assert done.state == "succeeded" and done.phase == "done" and done.finished_at == later, done.error_message
    assert done.started_at == killed.started_at  # the same job, resumed, not a new one
    expected = expected_offers(shop)
    assert stored_offers(database) == expected
    # counters add up across the two runners: nothing counted twice, nothing lost
    assert done.items_seen == len(variants_of(products)) and done.products_seen == len(products)
    assert done.stock_levels_seen == len(shop.shop.levels)
    assert done.offers_created == len(expected) and done.offers_updated == done.offers_removed == 0
    assert done.retailer_items == len(barcode_less(shop.shop))

    # the resumed run read only what was not committed before the kill
    product_reads = [variables["after"] for variables in tap.variables("ProductsPage")]
    stock_reads = {variables["locationId"] for variables in tap.variables("LocationInventory")}
    if phase == "items":
        assert product_reads[0] == checkpoint["cursor"] and None not in product_reads
        assert len(product_reads) == pages - saved_pages
        assert stock_reads == {first_store, second_store}
    elif phase == "stock":
        assert product_reads == [] and stock_reads == {second_store}
    else:
        assert product_reads == [] and stock_reads == set()


async def test_a_running_job_with_a_fresh_heartbeat_is_not_taken_over(database: Database) -> None:
    """While its runner is alive (heartbeat younger than STALE_AFTER) neither claim nor another worker takes it."""
    shop = connected_shop(database, products=250)
    job_id = await queue_sync(shop)
    tap = Tap(shop.fake)
    tap.hold(second_products_page)
    started = utcnow()
    almost = started + STALE_AFTER - SECOND
    async with anyio.create_task_group() as group:
        group.start_soon(Worker(pos(database, lambda: started, tap.http)).run_next_job)
        await tap.held.wait()  # page two is on its way (read ahead while page one is written)
        running = await job_row_when(database, job_id, lambda job: job.products_seen == PAGE_SIZE)
        assert running.state == "running" and running.heartbeat_at == started
        assert await database.run(sync_jobs.claim, None, almost) is None
        assert await database.run(sync_jobs.claim, running.id, almost) is None
        other = Tap(shop.fake)
        assert await Worker(pos(database, lambda: almost, other.http)).run_next_job() is False
        assert other.calls == []
        tap.release.set()

    done = job_row(database, job_id)
    assert done.state == "succeeded" and done.heartbeat_at == started
    assert len(tap.variables("ProductsPage")) == math.ceil(len(shop.shop.products) / PAGE_SIZE)
    assert stored_offers(database) == expected_offers(shop)


async def test_the_worker_runs_a_queued_sync_and_get_sync_job_reports_it(database: Database) -> None:
    """trigger_sync(wait=false) queues; Worker.run_next_job runs it; get_sync_job says succeeded, counters exact."""
    shop = connected_shop(database)
    async with shop.client() as client:
        await map_all(client, shop)
        queued = await call(client, "trigger_sync", integration_id=shop.integration_id, wait=False)
        assert queued["started"] is True and queued["job"]["state"] == "queued"
        assert stored_offers(database) == set()
        worker = Worker(pos(database, utcnow, shop.http))
        assert await worker.run_next_job() is True
        assert await worker.run_next_job() is False  # nothing else queued
        job = await call(client, "get_sync_job", job_id=queued["job"]["id"])
    assert job["state"] == "succeeded" and job["phase"] == "done" and job["finished_at"] is not None, job
    expected = expected_offers(shop)
    assert stored_offers(database) == expected
    counters = job["counters"]
    assert counters["offers_created"] == len(expected)
    assert counters["offers_updated"] == counters["offers_removed"] == counters["errors"] == 0
    assert counters["items_seen"] == sum(len(p.variants) for p in shop.shop.products.values())
    assert counters["products_seen"] == len(shop.shop.products)
    assert counters["stock_levels_seen"] == len(shop.shop.levels)
    assert counters["retailer_items"] == len(barcode_less(shop.shop))


def by_token(shops: list[Connected]) -> Callable[[], httpx.AsyncClient]:
    """HTTP to whichever of these shops' fakes issued the request's access token (they share one domain)."""
    fakes = {token.encode(): shop.fake for shop in shops for token in shop.shop.tokens}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        token = dict(scope["headers"]).get(b"x-shopify-access-token", b"")
        await fakes[token](scope, receive, send)

    return lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=20)


async def sync_at(shop: Connected, when: datetime) -> None:
    """A full sync through trigger_sync on a server whose clock reads `when`."""
    server = build_server(settings(), database=shop.database, clock=lambda: when, pos_http=shop.http)
    async with Client(server) as client:
        await map_all(client, shop)
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert job["state"] == "succeeded", job


async def test_the_daily_reconciliation_queues_a_full_sync_only_where_one_is_due(database: Database) -> None:
    """enqueue_reconciliations: connected and no job for a day → one full job; recent or disconnected → none."""
    now = utcnow()
    never, recent, yesterday, gone = (connected_shop(database, products=6) for _ in range(4))
    hour_ago, day_and_hour_ago = now - timedelta(hours=1), now - RECONCILE_EVERY - timedelta(hours=1)
    await sync_at(recent, hour_ago)
    await sync_at(yesterday, day_and_hour_ago)
    async with gone.client() as client:
        disconnected = await call(client, "disconnect_integration", integration_id=gone.integration_id)
    assert disconnected["status"] == "disconnected"

    assert await database.run(sync_jobs.enqueue_reconciliations, now) == 2
    assert jobs_of(database, never.integration_id) == [("full", "queued", "scheduler", now)]
    assert jobs_of(database, yesterday.integration_id)[-1] == ("full", "queued", "scheduler", now)
    assert [job[:2] for job in jobs_of(database, yesterday.integration_id)] == [
        ("manual", "succeeded"),
        ("full", "queued"),
    ]
    assert [(kind, state, at) for kind, state, _, at in jobs_of(database, recent.integration_id)] == [
        ("manual", "succeeded", hour_ago)
    ]
    assert jobs_of(database, gone.integration_id) == []
    assert await database.run(sync_jobs.enqueue_reconciliations, now + timedelta(minutes=5)) == 0  # nothing twice

    async with never.client() as client:
        await map_all(client, never)
    shops = [never, recent, yesterday, gone]
    worker = Worker(pos(database, utcnow, by_token(shops)))
    assert await worker.run_next_job() is True and await worker.run_next_job() is True
    assert await worker.run_next_job() is False
    assert jobs_of(database, never.integration_id)[0][:2] == ("full", "succeeded")
    assert jobs_of(database, yesterday.integration_id)[-1][:2] == ("full", "succeeded")
    assert stored_offers(database) == expected_offers(never) | expected_offers(recent) | expected_offers(yesterday)


async def test_a_cancel_stops_a_running_sync_at_its_next_page_and_keeps_what_it_wrote(database: Database) -> None:
    """cancel_sync_job on a running job: it ends cancelled at its next page, page one stays, a new sync is accepted."""
    shop = connected_shop(database, products=250)
    tap = Tap(shop.fake)
    tap.hold(second_products_page)
    products = products_in_order(shop.shop)
    async with shop.client() as client:
        job_id = await queue_sync(shop)
        async with anyio.create_task_group() as group:
            group.start_soon(Worker(pos(database, utcnow, tap.http)).run_next_job)
            await tap.held.wait()  # page two is on its way (read ahead while page one is written)
            await job_row_when(database, job_id, lambda job: job.products_seen == PAGE_SIZE)
            cancelling = await call(client, "cancel_sync_job", job_id=job_id)
            assert cancelling["state"] == "running" and cancelling["cancel_requested"] is True
            tap.release.set()
        job = await call(client, "get_sync_job", job_id=job_id)
        assert job["state"] == "cancelled" and job["phase"] == "done" and job["finished_at"] is not None, job
        assert job["error_message"] is None
        first_page = variants_of(products[:PAGE_SIZE])
        assert job["counters"]["items_seen"] == len(first_page) and job["counters"]["products_seen"] == PAGE_SIZE
        assert staged_variants(database, shop.integration_id) == first_page  # kept; page two was not stored
        # page three may have been requested ahead while page two was being written; it was never stored
        assert len(tap.variables("ProductsPage")) in (2, 3) and tap.variables("LocationInventory") == []
        assert stored_offers(database) == set()  # it never reached the offers

        again = await call(client, "trigger_sync", integration_id=shop.integration_id)
    assert again["started"] is True and again["job"]["id"] != job_id and again["job"]["state"] == "succeeded"
    assert stored_offers(database) == expected_offers(shop)


async def test_a_runner_that_was_taken_over_leaves_the_job_alone_when_it_wakes(database: Database) -> None:
    """A stalled runner whose job was taken over and finished must not rewrite that job when it wakes up."""
    shop = connected_shop(database, products=250)
    job_id = await queue_sync(shop)
    stalled = Tap(shop.fake)
    stalled.hold(second_products_page)
    started = utcnow()
    later = started + STALE_AFTER + SECOND
    async with anyio.create_task_group() as group:
        group.start_soon(Worker(pos(database, lambda: started, stalled.http)).run_next_job)
        await stalled.held.wait()  # page two requested ahead; page one is written, then the runner stalls
        await job_row_when(database, job_id, lambda job: job.products_seen == PAGE_SIZE)
        assert await Worker(pos(database, lambda: later, Tap(shop.fake).http)).run_next_job() is True
        finished = job_row(database, job_id)
        assert finished.state == "succeeded" and finished.finished_at == later
        stalled.release.set()  # the old runner wakes up with page two in hand

    after = job_row(database, job_id)
    assert (after.state, after.finished_at, after.items_seen) == ("succeeded", later, finished.items_seen)
    assert stored_offers(database) == expected_offers(shop)


async def test_a_build_run_again_after_a_crash_counts_each_retailer_item_once(database: Database) -> None:
    """A job whose build batches had all counted their retailer items when it crashed, resumed from the start of its
    build (a lane's batch may commit ahead of the resume point), ends with the true count, not twice it."""
    shop = connected_shop(database)
    true_count = len(barcode_less(shop.shop))
    job_id = await queue_sync(shop)
    assert await Worker(pos(database, utcnow, shop.http)).run_next_job() is True
    assert job_row(database, job_id).retailer_items == true_count
    async with shop.client() as client:
        queued = await call(client, "trigger_sync", integration_id=shop.integration_id, wait=False)
    with database.session() as session:  # as the crash left it: counted, the resume point before the first batch
        job = session.scalar(select(SyncJob).where(SyncJob.public_id == queued["job"]["id"]))
        assert job is not None and true_count > 0
        job.phase, job.checkpoint, job.retailer_items = "materialize", {"phase": "materialize", "after": 0}, true_count
        session.commit()
    assert await Worker(pos(database, utcnow, shop.http)).run_next_job() is True
    done = job_row(database, queued["job"]["id"])
    assert done.state == "succeeded", done.error_message
    assert done.retailer_items == true_count
