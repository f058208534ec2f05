"""Browser tests: Debian's headless Chromium (never a downloaded one) driven by Playwright, against real HTTP
servers on loopback ports — our app (uvicorn, in a thread) and the POS fakes, each on its own port.

The browser comes from `/usr/bin/chromium` (LOCALSHELF_CHROMIUM to override); scripts/test.sh installs it.
Without it, or without the `playwright` package, these tests FAIL under CI=true and are skipped, loudly,
elsewhere (as PostGIS tests are).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from localshelf.config import Settings
from localshelf.domain.auth import Role
from localshelf.fakes.shopify import App as ShopifyApp
from localshelf.fakes.shopify import FakeShopify, ShopifyState
from localshelf.fakes.square import App as SquareApp
from localshelf.fakes.square import FakeSquare, SquareState
from localshelf.pos.crypto import TokenCipher
from localshelf.server.app import build_server
from localshelf.store.db import Database
from tests.builders import operator_key, operator_organization
from tests.conftest import IN_CI

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM = os.environ.get("LOCALSHELF_CHROMIUM", "/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("LOCALSHELF_ARTIFACTS", REPO / "build" / "artifacts")) / "e2e"
SHOP = "alder-hardware.myshopify.com"
ORGANIZATION = "Alder Street Hardware"


def _browser_missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found: apt-get install chromium (scripts/test.sh does it)"
    return None


# Module-scoped, not session-scoped: while Playwright's sync API runs, its event loop counts as running in this
# thread, and every async (anyio) test would fail; it must be stopped before the next test file starts.
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    missing = _browser_missing()
    if missing is not None:
        if IN_CI:
            pytest.fail(f"{missing} (CI=true: browser tests must run)")
        pytest.skip(f"SKIPPING BROWSER TESTS: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield chromium
    chromium.close()


class MovableClock:
    """The server's clock: real time plus an offset a test moves (to expire a code, or to wait out `interval`)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def _listening_socket() -> socket.socket:
    """A bound, listening loopback socket: connections made before uvicorn serves wait in its backlog."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def _url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def _serving(*apps: tuple[Any, socket.socket]) -> Iterator[None]:
    """Each ASGI app served by uvicorn, in a thread of its own, on its socket; all stopped together."""
    servers = [
        uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning", lifespan="on")) for app, _ in apps
    ]
    threads = [
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="e2e-uvicorn", daemon=True)
        for server, (_, sock) in zip(servers, apps, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        for server in servers:
            server.should_exit = True
        for thread in threads:
            thread.join(timeout=15)
        for _, sock in apps:
            sock.close()
        assert not any(thread.is_alive() for thread in threads), "uvicorn did not stop within 15 s"


@dataclass
class Site:
    """Our server and the two POS fakes, live on loopback; an operator key for the agent."""

    web: str
    database: Database
    clock: MovableClock
    organization_id: str
    key: str
    shopify: ShopifyState
    square: SquareState
    shopify_url: str
    square_url: str

    @property
    def mcp_url(self) -> str:
        return f"{self.web}/mcp"


def _fakes() -> tuple[ShopifyState, SquareState]:
    shopify = ShopifyState(ShopifyApp("shopify-client", "shopify-secret"), clock=time.time)  # signs callbacks now
    shopify.seed(shopify.add_shop(SHOP, name=ORGANIZATION), products=3, locations=1, seed=7)
    shopify.shops[SHOP].consent_page = True
    square = SquareState(SquareApp("sq0idp-e2e", "sq0csp-e2e"), clock=time.time)
    square.seed(items=3, locations=1, seed=7)
    square.consent_page = True
    return shopify, square


@pytest.fixture
def site(database: Database) -> Iterator[Site]:
    shopify, square = _fakes()
    ours, shopify_sock, square_sock = _listening_socket(), _listening_socket(), _listening_socket()
    settings = Settings(
        database_url="sqlite://",
        sync_worker=False,
        transport="http",
        encryption_keys=TokenCipher.generate_key(),
        public_url=f"{_url(ours)}/mcp",
        shopify_client_id="shopify-client",
        shopify_client_secret="shopify-secret",
        shopify_base_url_template=_url(shopify_sock),  # the fake answers for its one shop on any host
        square_client_id="sq0idp-e2e",
        square_client_secret="sq0csp-e2e",
        square_base_url=_url(square_sock),
    )
    clock = MovableClock()
    server = build_server(settings, database=database, clock=clock)
    organization_id = operator_organization(database, ORGANIZATION)
    key = operator_key(database, organization_id, Role.OWNER)
    with _serving(
        (FakeShopify(shopify), shopify_sock), (FakeSquare(square), square_sock), (server.streamable_http_app(), ours)
    ):
        yield Site(
            _url(ours), database, clock, organization_id, key, shopify, square, _url(shopify_sock), _url(square_sock)
        )
