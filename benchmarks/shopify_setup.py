"""Shared by the sync and webhook suites: a connected, mapped Shopify shop in a `bench_database`.

The shop is the integration tests' harness (`tests/integration/shopify_harness.connected_shop`): the Shopify fake
as an ASGI app answering instantly (its cost bucket refills at 100,000 points/s), an organization with a
connected integration and one published store per POS location. `map_and_queue` maps every POS location and
queues a full sync; `run_queued_sync` claims and runs it with the real `SyncRunner`.

`remote_fake` serves the same seeded catalog from a process of its own (uvicorn on 127.0.0.1, real HTTP):
Shopify is remote in production, so the process that syncs should not hold the POS's whole catalog in its
memory (a 100k-SKU fake catalog alone is ~190 MB) nor spend its CPU answering itself. It answers instantly, as
the suite asks of it: every GraphQL answer a full sync asks for is rendered once before the timed part
(`AnsweringInstantly`), by the real connector reading the whole catalog, and served as stored bytes; rendering a
page took ~2 ms of the fake's CPU, on the sync's critical path and on the same two cores.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from multiprocessing.queues import Queue
from typing import Any

import anyio
import httpx
import sqlalchemy as sa
from starlette.types import Message, Receive, Scope, Send

from localshelf.fakes.shopify import FakeShopify, Shop
from localshelf.pos.registry import connector
from localshelf.services import pos_gateway, pos_locations, sync_jobs
from localshelf.services.pos_flows import PosContext
from localshelf.services.pos_gateway import HttpFactory, require_app
from localshelf.services.pos_locations import LocationMapping
from localshelf.store.db import Database
from localshelf.store.models import Integration
from tests.integration.shopify_harness import SHOP, Connected, settings
from tests.integration.sync_child import build_state


def utcnow() -> datetime:
    return datetime.now(UTC)


def url_of(database: Database) -> str:
    """The URL a child process opens the same database with."""
    return database.engine.url.render_as_string(hide_password=False)


def index_fake_variants(shop: Connected) -> None:
    """Give the fake an O(1) `variant_by_item` (its own is a scan of the whole catalog, called per stock level).

    Without this the fake, not localshelf, dominates a 10k-SKU sync (quadratic: 5.1 s of 18.8 s at 5k SKUs).
    The catalog does not change while a suite runs, so the index stays right.
    """
    index_variants(shop.shop)


def index_variants(shop: Shop) -> None:
    index = {variant.inventory_item_id: variant for p in shop.products.values() for variant in p.variants}
    shop.variant_by_item = index.get  # type: ignore[method-assign]


class _ToLocalFake(httpx.AsyncBaseTransport):
    """Sends every request to the fake on 127.0.0.1:port; the Host header still names the shop."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self._port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass(frozen=True)
class RemoteFake:
    port: int
    variants: int  # POS items in its catalog
    pid: int | None  # the fake's process (its CPU time is read from /proc)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=_ToLocalFake(self.port), timeout=60)


class AnsweringInstantly:
    """The fake, with each GraphQL answer it gave stored by (access token, request body) and given again as the same
    bytes. The catalog does not change while a sync suite runs, so a stored answer stays right; the cost bucket
    refills at 100,000 points/s, so its throttle status is the same full bucket every time."""

    def __init__(self, app: FakeShopify) -> None:
        self._app = app
        self._answers: dict[tuple[bytes, bytes], tuple[int, list[Any], bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/graphql.json"):
            await self._app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        key = (dict(scope["headers"]).get(b"x-shopify-access-token", b""), body)
        answer = self._answers.get(key)
        if answer is None:
            answer = await self._rendered(scope, body)
            if answer[0] == 200 and b'"errors"' not in answer[2]:  # never a throttled or failed answer
                self._answers[key] = answer
        status, headers, content = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _rendered(self, scope: Scope, body: bytes) -> tuple[int, list[Any], bytes]:
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def replay() -> Message:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._app(scope, replay, capture)
        return started["status"], list(started.get("headers", [])), b"".join(chunks)


async def render_a_full_sync(app: AnsweringInstantly, token: str) -> None:
    """Read the whole catalog as a full sync does (same connector, same settings, so the same request bodies)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        reader = connector("shopify").catalog(client, require_app(settings(), "shopify"), SHOP, token)
        await reader.shop_currency()
        await reader.prices_include_tax()
        locations = await reader.locations()
        async for _page in reader.items(after=None, updated_since=None):
            pass
        for location in locations:
            async for _levels in reader.stock(location.external_id, after=None):
                pass


def _serve_fake(products: int, locations: int, seed: int, token: str, ready: Queue[Any]) -> None:
    """Entry point of the fake's process: the harness's catalog (same seed, same ids), served until killed."""
    import uvicorn

    state = build_state(products, locations, seed, time.time(), token)
    shop = state.shops[SHOP]
    index_variants(shop)
    shop.bucket.restore_rate = 1e9  # in-process the pages follow each other within microseconds: never throttled
    app = AnsweringInstantly(FakeShopify(state))
    anyio.run(render_a_full_sync, app, token)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit it: without it uvicorn's separate header and body writes meet the client's
    # delayed ACK and every answer waits ~40 ms (Nagle).
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    ready.put((listener.getsockname()[1], sum(len(p.variants) for p in shop.products.values())))
    server.run(sockets=[listener])


@contextmanager
def remote_fake(shop: Connected, products: int, locations: int, seed: int) -> Iterator[RemoteFake]:
    """The catalog `connected_shop(products=products, ...)` would seed, in its own process, accepting the token
    of `shop` (whose own in-memory fake may then be empty: its location ids are the same)."""
    context = get_context("spawn")
    ready: Queue[Any] = context.Queue()
    token = next(iter(shop.shop.tokens))
    process = context.Process(target=_serve_fake, args=(products, locations, seed, token, ready), daemon=True)
    process.start()
    try:
        port, variants = ready.get(timeout=600)
        yield RemoteFake(port, variants, process.pid)
    finally:
        process.terminate()
        process.join(timeout=30)


def pos_context(shop: Connected, http: HttpFactory | None = None) -> PosContext:
    return PosContext(shop.database, settings(), utcnow, http or shop.http)


async def map_and_queue(shop: Connected, http: HttpFactory | None = None) -> None:
    """Store the POS locations, map each to its published store and queue a full sync."""
    pos = pos_context(shop, http)
    account = await pos_gateway.live_account(shop.database, pos.settings, _integration_pk(shop), pos.http, utcnow())
    assert account is not None, "the harness's integration is not connected"
    async with pos_gateway.open_catalog(pos.settings, account, pos.http) as reader:
        seen = await reader.locations()
    await shop.database.run(pos_locations.store_pos_locations, shop.integration_id, seen, utcnow())
    mapping = [LocationMapping(pos_location_id=pos_id, location_id=store) for pos_id, store in shop.stores.items()]
    await shop.database.run(pos_locations.map_pos_locations, shop.integration_id, mapping, utcnow())
    await shop.database.run(sync_jobs.request_sync, shop.integration_id, "full", utcnow())


def _integration_pk(shop: Connected) -> int:
    with shop.database.session() as session:
        pk = session.scalar(sa.select(Integration.id).where(Integration.public_id == shop.integration_id))
    assert pk is not None
    return pk


async def run_queued_sync(shop: Connected, http: HttpFactory | None = None) -> str:
    """Claim the queued job and run it to its end; the job's final state."""
    ticket = await shop.database.run(sync_jobs.claim, None, utcnow())
    assert ticket is not None, "no sync job was queued"
    await pos_context(shop, http).runner().run(ticket)
    view = await shop.database.read(sync_jobs.view_by_pk, ticket.job_id)
    return view.state
