"""Webhook ingest over HTTP on loopback, and the time from a webhook's arrival to the change showing in search.

A fresh database gets a connected, mapped and fully synced Shopify shop (as the sync suite sets it up) and a
webhook endpoint. `localshelf serve --transport http` then runs as a real process with its background worker;
a few concurrent clients POST signed `inventory_levels/update` deliveries (one in ten is a re-delivery of an
earlier event, which must be deduplicated) and the suite polls `webhook_events` until every event is applied.
The baseline is the same events stored and applied in-process (`store_delivery` per delivery, then
`apply_batch` as the worker runs it, no HTTP) on an identically prepared database. Then ~100 single updates
are sent one at a time, each followed by `search_local_products` calls through an MCP session until the new
quantity shows.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import quantiles
from time import perf_counter

import anyio
import anyio.abc
import h11
import httpx
from mcp import Client
from sqlalchemy import func, select

from benchmarks.databases import bench_database
from benchmarks.report import Measure
from benchmarks.scales import Scale
from benchmarks.shopify_setup import index_fake_variants, map_and_queue, run_queued_sync, utcnow
from localshelf.domain.gtin import is_valid_gtin, normalize_gtin
from localshelf.fakes.shopify.webhooks import WebhookSender, inventory_level_payload
from localshelf.server.worker import EVENT_BATCH
from localshelf.services import webhook_batch, webhooks
from localshelf.store.db import Database
from localshelf.store.models import WebhookEvent
from tests.builders import http_session, operator_key, webhook_endpoint
from tests.conftest import call
from tests.integration.shopify_harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    KEY,
    STORE_COORDINATES,
    Connected,
    connected_shop,
)
from tests.integration.test_transports import running_http_server

SUITE = "webhooks"
TOPIC = "inventory_levels/update"
SEED, LOCATIONS, CLIENTS, REDELIVER_EVERY = 5, 3, 4, 10
# Enough events for ~10 s of ingest: the last gathered batch (the worker waits EVENT_GATHER_SECONDS in a burst)
# then weighs little in the rate; with 1,500 events (~3 s) it was up to a tenth of it.
SKUS = {"tiny": 100, "town": 2_500, "city": 2_500, "country": 2_500}
EVENTS = {"tiny": 60, "town": 5_000, "city": 5_000, "country": 5_000}
SINGLES = {"tiny": 10, "town": 100, "city": 100, "country": 100}
TARGET_APPLIED_PER_S, TARGET_VISIBLE_P99_MS = 500.0, 1_000.0
SHOP_CLOCK_AHEAD_S = 2.0  # the shop's clock runs ahead, so every delivery is newer than the stock the sync stored
APPLY_TIMEOUT_S = 300.0
POST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Update:
    inventory_item_id: int
    location_id: int  # the fake's POS location number
    store: str  # the localshelf location's public id
    gtin: str
    title: str
    quantity: int
    coordinates: tuple[float, float]  # the store's, to search around


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Prepared:
    shop: Connected
    secret: str
    updates: list[Update]  # for the throughput run
    singles: list[Update]  # for the arrival -> visible run


def _eligible(shop: Connected) -> list[Update]:
    """Every (item, POS location) that has a searchable offer, in a seeded order, with a new quantity each."""
    rng = random.Random(SEED)
    updates = []
    for product in sorted(shop.shop.products.values(), key=lambda p: p.id):
        variant = product.variants[0]
        if product.status != "ACTIVE" or not variant.barcode or not is_valid_gtin(variant.barcode):
            continue
        for index, (pos, store) in enumerate(shop.stores.items()):
            coordinates = STORE_COORDINATES[index % len(STORE_COORDINATES)]  # as `connected_shop` placed them
            location = int(pos.rsplit("/", 1)[1])
            current = shop.shop.levels.get((variant.inventory_item_id, location), 0)
            quantity = current + rng.randrange(5, 50)
            gtin = normalize_gtin(variant.barcode)
            updates.append(
                Update(variant.inventory_item_id, location, store, gtin, product.title, quantity, coordinates)
            )
    rng.shuffle(updates)
    return updates


def _prepare(database: Database, scale: Scale) -> Prepared:
    shop = connected_shop(database, products=SKUS[scale.name], locations_count=LOCATIONS, seed=SEED)
    index_fake_variants(shop)
    anyio.run(map_and_queue, shop)
    state = anyio.run(run_queued_sync, shop)
    assert state == "succeeded", f"the initial sync ended {state}"
    secret = webhooks.new_secret()
    database.transaction(webhook_endpoint, shop.integration_id, secret)
    shop.state.clock = lambda: time.time() + SHOP_CLOCK_AHEAD_S
    updates = _eligible(shop)
    events, singles = EVENTS[scale.name], SINGLES[scale.name]
    assert len(updates) >= events + singles, f"only {len(updates)} offers to update"
    return Prepared(shop, secret, updates[:events], updates[events : events + singles])


@contextmanager
def _prepared(backend: str, scale: Scale, workdir: Path) -> Iterator[Prepared]:
    with bench_database(SUITE, scale.name, backend, workdir) as database:
        yield _prepare(database, scale)


def _delivery(sender: WebhookSender, shop: Connected, update: Update) -> Delivery:
    shop.state.set_available(shop.shop, update.inventory_item_id, update.location_id, update.quantity)
    payload = inventory_level_payload(shop.shop, update.inventory_item_id, update.location_id)
    body, headers = sender.build(shop.shop, TOPIC, payload)
    return Delivery(body, headers)


def _deliveries(prepared: Prepared) -> list[Delivery]:
    """One delivery per update, plus a re-delivery (same event id, new webhook id) of every tenth."""
    sender = WebhookSender(prepared.shop.state)
    first = [_delivery(sender, prepared.shop, update) for update in prepared.updates]
    again = [
        Delivery(d.body, {**d.headers, "X-Shopify-Webhook-Id": f"redelivery-{i}"})
        for i, d in enumerate(first[::REDELIVER_EVERY])
    ]
    return first + again


def _finished_events(database: Database) -> tuple[int, int]:
    """(events no longer pending, events applied)."""
    with database.session() as session:
        done = session.scalar(select(func.count()).where(WebhookEvent.state != "pending")) or 0
        applied = session.scalar(select(func.count()).where(WebhookEvent.state == "applied")) or 0
    return done, applied


# --- baseline: the same events stored and applied in-process -------------------------------------------------


def _apply_in_process(database: Database, secret: str, deliveries: list[Delivery]) -> float:
    """Store every delivery in its own unit of work (deduplicating), as the route does, then apply the stored
    events a batch per unit of work, as the worker does; events applied per second."""
    started = perf_counter()
    for delivery in deliveries:
        now = utcnow()
        event = (delivery.headers["X-Shopify-Event-Id"], TOPIC, delivery.body, now)
        shop = delivery.headers["X-Shopify-Shop-Domain"]
        outcome = database.transaction(
            webhooks.store_delivery, "shopify", secret, shop, [TOPIC], event, now, single_statement=True
        )
        assert outcome in ("accepted", "duplicate"), outcome
    after: int | None = 0
    while after is not None:
        batch = database.transaction(webhook_batch.apply_batch, EVENT_BATCH, after, utcnow())
        after = batch.last_id
    seconds = perf_counter() - started
    return _finished_events(database)[1] / seconds


# --- over HTTP -------------------------------------------------------------------------------------------------


def _server_env(shop: Connected) -> dict[str, str]:
    return {
        "LOCALSHELF_ENCRYPTION_KEYS": KEY,
        "LOCALSHELF_SHOPIFY_CLIENT_ID": CLIENT_ID,
        "LOCALSHELF_SHOPIFY_CLIENT_SECRET": CLIENT_SECRET,
        "LOCALSHELF_RATE_LIMIT_PER_MINUTE": "100000",  # the visibility loop searches back to back
        # never reached (the endpoint exists, the shop is synced); a closed loopback port if it ever were
        "LOCALSHELF_SHOPIFY_BASE_URL_TEMPLATE": "http://127.0.0.1:9/{shop}",
    }


@contextmanager
def _server(prepared: Prepared, workdir: Path) -> Iterator[str]:
    """The real server process; yields its base URL (without /mcp)."""
    log = workdir / f"{SUITE}-server.log"
    with running_http_server(prepared.shop.database, log, **_server_env(prepared.shop)) as mcp_url:
        yield mcp_url.removesuffix("/mcp")


class _KeepAliveSender:
    """POSTs over one kept-alive HTTP/1.1 connection, framed by h11 (httpx's own HTTP/1.1 layer, without the
    rest of httpx).

    The clients share the machine's two cores with the server: httpx costs ~1.5 ms of CPU per request here, which
    capped a trivial endpoint at 500-700 requests/s, so it measured the client. This costs a fraction of that;
    the server still gets complete, signed HTTP requests and answers each one before the next is sent."""

    def __init__(self, stream: anyio.abc.ByteStream, host: str, path: str) -> None:
        self.stream, self.host, self.path = stream, host, path
        self.connection = h11.Connection(h11.CLIENT)

    async def _next_event(self) -> object:
        while (event := self.connection.next_event()) is h11.NEED_DATA:
            self.connection.receive_data(await self.stream.receive())
        return event

    async def post(self, delivery: Delivery) -> int:
        """Send one delivery and read its whole answer; the answer's status code."""
        headers = [*delivery.headers.items(), ("Host", self.host), ("Content-Length", str(len(delivery.body)))]
        events = (
            h11.Request(method="POST", target=self.path, headers=headers),
            h11.Data(data=delivery.body),
            h11.EndOfMessage(),
        )
        await self.stream.send(b"".join(self.connection.send(event) or b"" for event in events))
        response = await self._next_event()
        assert isinstance(response, h11.Response), f"expected an answer, got {response!r}"
        while not isinstance(await self._next_event(), h11.EndOfMessage):
            pass  # the answer's body: read, not needed
        self.connection.start_next_cycle()
        return response.status_code


async def _post_all(url: str, deliveries: list[Delivery]) -> int:
    """POST every delivery from `CLIENTS` concurrent clients; how many were answered 200."""
    answered = 0
    target = httpx.URL(url)

    async def client(share: list[Delivery]) -> None:
        nonlocal answered
        assert target.port is not None
        async with await anyio.connect_tcp(target.host, target.port) as stream:
            sender = _KeepAliveSender(stream, f"{target.host}:{target.port}", target.raw_path.decode())
            for delivery in share:
                with anyio.fail_after(POST_TIMEOUT_S):
                    status = await sender.post(delivery)
                answered += status == 200

    async with anyio.create_task_group() as group:
        for index in range(CLIENTS):
            group.start_soon(client, deliveries[index::CLIENTS])
    return answered


async def _wait_applied(database: Database, expected: int) -> None:
    deadline = perf_counter() + APPLY_TIMEOUT_S
    while (await anyio.to_thread.run_sync(_finished_events, database))[0] < expected:
        assert perf_counter() < deadline, f"webhook events not applied within {APPLY_TIMEOUT_S:g} s"
        await anyio.sleep(0.01)


@dataclass(frozen=True)
class Ingest:
    accepted_per_s: float
    applied_per_s: float
    answered: int
    applied: int


async def _ingest(database: Database, url: str, deliveries: list[Delivery], unique: int) -> Ingest:
    started = perf_counter()
    answered = await _post_all(url, deliveries)
    posted = perf_counter() - started
    await _wait_applied(database, unique)
    seconds = perf_counter() - started
    applied = (await anyio.to_thread.run_sync(_finished_events, database))[1]
    return Ingest(len(deliveries) / posted, applied / seconds, answered, applied)


# --- arrival -> visible in search ------------------------------------------------------------------------------


def _shows(found: dict[str, object], update: Update) -> bool:
    hits = found.get("results")
    assert isinstance(hits, list)
    return any(
        hit["store"]["location_id"] == update.store
        and hit["product"]["gtin"] == update.gtin
        and hit["quantity_on_hand"] == update.quantity
        for hit in hits
    )


async def _search(client: Client, update: Update) -> dict[str, object]:
    lat, lon = update.coordinates
    return await call(client, "search_local_products", query=update.title, latitude=lat, longitude=lon, limit=100)


async def _until_visible(client: Client, update: Update) -> None:
    deadline = perf_counter() + 30
    while not _shows(await _search(client, update), update):
        assert perf_counter() < deadline, f"update of {update.gtin} at {update.store} never showed in search"


@asynccontextmanager
async def _session(prepared: Prepared, mcp_url: str) -> AsyncIterator[Client]:
    key = operator_key(prepared.shop.database, prepared.shop.organization_id)
    async with http_session(mcp_url, key) as client:
        yield client


async def _visibility(prepared: Prepared, base_url: str) -> tuple[list[float], list[float]]:
    """(arrival -> visible, one search call) in ms, per single update."""
    sender, url = WebhookSender(prepared.shop.state), f"{base_url}/webhooks/shopify/{prepared.secret}"
    visible, searches = [], []
    async with _session(prepared, f"{base_url}/mcp") as client, httpx.AsyncClient(timeout=30) as http:
        for update in prepared.singles:
            started = perf_counter()
            await _search(client, update)
            searches.append((perf_counter() - started) * 1000)
            delivery = _delivery(sender, prepared.shop, update)
            started = perf_counter()
            response = await http.post(url, content=delivery.body, headers=delivery.headers)
            assert response.status_code == 200, response.text
            await _until_visible(client, update)
            visible.append((perf_counter() - started) * 1000)
    return visible, searches


def _percentile(values: list[float], pct: int) -> float:
    return quantiles(values, n=100, method="inclusive")[pct - 1] if len(values) > 1 else values[0]


# --- the suite ---------------------------------------------------------------------------------------------------


def _baseline(backend: str, scale: Scale, workdir: Path) -> float:
    with _prepared(backend, scale, workdir) as prepared:
        return _apply_in_process(prepared.shop.database, prepared.secret, _deliveries(prepared))


def _over_http(backend: str, scale: Scale, workdir: Path) -> tuple[Ingest, list[float], list[float]]:
    with _prepared(backend, scale, workdir) as prepared, _server(prepared, workdir) as base_url:
        deliveries = _deliveries(prepared)
        url = f"{base_url}/webhooks/shopify/{prepared.secret}"
        ingest = anyio.run(_ingest, prepared.shop.database, url, deliveries, len(prepared.updates))
        visible, searches = anyio.run(_visibility, prepared, base_url)
    return ingest, visible, searches


def run(scale: Scale, backends: list[str], workdir: Path) -> list[Measure]:
    measures: list[Measure] = []
    for backend in backends:
        baseline = _baseline(backend, scale, workdir)
        ingest, visible, searches = _over_http(backend, scale, workdir)
        notes: dict[str, object] = {
            "scale": scale.name,
            "backend": backend,
            "events": EVENTS[scale.name],
            "redeliveries": len(range(0, EVENTS[scale.name], REDELIVER_EVERY)),
            "answered_200": ingest.answered,
            "applied": ingest.applied,
            "clients": CLIENTS,
            "accepted_per_s": round(ingest.accepted_per_s, 1),
            "single_updates": len(visible),
        }
        label = f"[{backend}]"
        in_process = "store_delivery + apply_batch in-process, no HTTP"
        search_ms = _percentile(searches, 50)
        measures += [
            Measure(
                SUITE,
                f"inventory updates applied via HTTP {label}",
                ingest.applied_per_s,
                "updates/s",
                baseline,
                in_process,
                f">= {TARGET_APPLIED_PER_S:g} updates/s",
                ingest.applied_per_s >= TARGET_APPLIED_PER_S,
                notes,
            ),
            Measure(
                SUITE,
                f"webhook arrival -> visible in search p50 {label}",
                _percentile(visible, 50),
                "ms",
                search_ms,
                "one search_local_products call p50",
                notes=notes,
            ),
            Measure(
                SUITE,
                f"webhook arrival -> visible in search p99 {label}",
                _percentile(visible, 99),
                "ms",
                search_ms,
                "one search_local_products call p50",
                f"<= {TARGET_VISIBLE_P99_MS:g} ms",
                _percentile(visible, 99) <= TARGET_VISIBLE_P99_MS,
                notes,
            ),
        ]
    return measures
