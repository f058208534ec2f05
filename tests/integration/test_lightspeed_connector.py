"""LightspeedCatalog and the X-Series OAuth/webhook helpers against the fake over the wire (httpx
ASGITransport). No mocks of our code: real HTTP to the fake; the sleep records waits instead of waiting."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from localshelf.fakes.lightspeed import FakeClock, FakeLightspeed, Fault, LightspeedState, Product, seed
from localshelf.fakes.lightspeed.webhooks import WebhookSender
from localshelf.pos.contract import (
    CatalogChanged,
    ItemsChanged,
    PosAuthError,
    PosBadResponse,
    PosItem,
    PosRateLimited,
    PosStock,
    ProductDeleted,
    StockChanged,
)
from localshelf.pos.lightspeed import (
    LightspeedCatalog,
    authorize_url,
    combined_stock,
    exchange_code,
    parse_webhook,
    refresh_grant,
)

pytestmark = pytest.mark.anyio
BASE = "https://mystore.retail.lightspeed.app"
API = f"{BASE}/api/2.0"
TOKEN_URL = f"{BASE}/api/1.0/token"


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def fake() -> FakeLightspeed:
    return FakeLightspeed(seed(LightspeedState(clock=FakeClock()), products=25, outlets=3))


@pytest.fixture
async def http(fake: FakeLightspeed) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as client:
        yield client


@pytest.fixture
def token(fake: FakeLightspeed) -> str:
    return fake.state.issue_grant().access_token


def catalog(http: httpx.AsyncClient, token: str, sleeps: Sleeps | None = None, page_size: int = 7) -> LightspeedCatalog:
    return LightspeedCatalog(http, API, token, page_size=page_size, sleep=sleeps or Sleeps())


async def all_items(reader: LightspeedCatalog) -> list[PosItem]:
    return [item async for page in reader.items() for item in page.items]


def expected(p: Product) -> tuple[object, ...]:
    codes = [c["code"] for c in p.product_codes if c["type"] in ("UPC", "EAN")]
    return (
        p.variant_parent_id or p.id,
        p.sku,
        codes[0] if codes else None,
        p.variant_name or p.name,
        int(p.price_excluding_tax * 100),
        p.active and p.deleted_at is None,
        p.id,
        datetime.fromisoformat(p.updated_at),
    )


def actual(i: PosItem) -> tuple[object, ...]:
    return (
        i.product_external_id,
        i.sku,
        i.barcode,
        i.name,
        i.price_minor,
        i.active,
        i.inventory_item_id,
        i.updated_at,
    )


async def test_outlets_and_currency(fake: FakeLightspeed, http: httpx.AsyncClient, token: str) -> None:
    reader = catalog(http, token)
    locations = await reader.locations()
    assert [loc.external_id for loc in locations] == list(fake.state.outlets)
    assert all(loc.active and loc.city for loc in locations)
    assert await reader.shop_currency() == "USD"


async def test_every_item_once_field_by_field(fake: FakeLightspeed, http: httpx.AsyncClient, token: str) -> None:
    reader = catalog(http, token)
    pages = [page async for page in reader.items()]
    assert len(pages) > 3 and pages[-1].next_cursor is None
    items = [i for page in pages for i in page.items]
    assert sorted(i.external_id for i in items) == sorted(fake.state.products)
    by_id = {i.external_id: i for i in items}
    for product in fake.state.products.values():
        assert actual(by_id[product.id]) == expected(product), product.sku
        assert by_id[product.id].currency == "USD"


async def test_resume_from_cursor_and_deletions(fake: FakeLightspeed, http: httpx.AsyncClient, token: str) -> None:
    reader = catalog(http, token)
    pages = [page async for page in reader.items()]
    cursor = pages[0].next_cursor
    assert cursor is not None
    rest = [i.external_id async for page in reader.items(after=cursor) for i in page.items]
    assert sorted([i.external_id for i in pages[0].items] + rest) == sorted(fake.state.products)
    last_version = str(max(p.version for p in fake.state.products.values()))
    victim = next(p for p in fake.state.products.values() if p.active)
    fake.state.delete_product(victim.id)
    changed = [i async for page in reader.items(after=last_version) for i in page.items]
    assert [(i.external_id, i.active) for i in changed] == [(victim.id, False)]
    full = {i.external_id: i for i in await all_items(reader)}
    assert full[victim.id].active is False


async def test_tax_inclusive_outlets_show_inclusive_price(
    fake: FakeLightspeed, http: httpx.AsyncClient, token: str
) -> None:
    for outlet in fake.state.outlets.values():
        outlet.display_prices = "inclusive"
    product = next(iter(fake.state.products.values()))
    items = {i.external_id: i for i in await all_items(catalog(http, token))}
    assert items[product.id].price_minor == int(product.price_including_tax * 100)


async def test_stock_per_outlet_and_combined(fake: FakeLightspeed, http: httpx.AsyncClient, token: str) -> None:
    reader = catalog(http, token, page_size=13)
    per_outlet: dict[str, list[PosStock]] = {}
    for outlet_id in fake.state.outlets:
        per_outlet[outlet_id] = [s async for page in reader.stock(outlet_id) for s in page.stock]
        truth = {p: int(r.inventory_level) for (p, o), r in fake.state.inventory.items() if o == outlet_id}
        assert {s.inventory_item_id: s.quantity for s in per_outlet[outlet_id]} == truth
        assert len(per_outlet[outlet_id]) == len(truth)
    first, second, _ = fake.state.outlets
    everything = [s for levels in per_outlet.values() for s in levels]
    product = next(iter(fake.state.products))
    mine = [s for s in everything if s.inventory_item_id == product]
    want = sum(int(fake.state.inventory[(product, o)].inventory_level) for o in (first, second))
    assert combined_stock(mine, {first, second}) == want


def test_combined_stock_ignores_other_outlets_and_negatives() -> None:
    levels = [PosStock("p", "a", 3), PosStock("p", "b", -2), PosStock("p", "c", 5)]
    assert combined_stock(levels, {"a", "b"}) == 3
    assert combined_stock(levels, {"a", "c"}) == 8
    assert combined_stock(levels, set()) == 0


@pytest.mark.parametrize(
    ("fault", "waits"),
    [
        (Fault("rate_limit", retry_after=3, path_contains="/products"), [3.0]),
        (Fault("server_error", status=503, path_contains="/products"), None),
        (Fault("truncate", path_contains="/products"), None),
    ],
)
async def test_faults_are_retried(
    fake: FakeLightspeed, http: httpx.AsyncClient, token: str, fault: Fault, waits: list[float] | None
) -> None:
    fake.inject(fault)
    sleeps = Sleeps()
    items = await all_items(catalog(http, token, sleeps))
    assert len(items) == len(fake.state.products)
    assert len(sleeps.waits) == 1
    if waits is not None:
        assert sleeps.waits == waits


async def test_429_without_retry_after_backs_off(fake: FakeLightspeed, http: httpx.AsyncClient, token: str) -> None:
    fake.inject(Fault("rate_limit", count=2))
    sleeps = Sleeps()
    assert await catalog(http, token, sleeps).locations()
    assert len(sleeps.waits) == 2 and all(w >= 0 for w in sleeps.waits)


async def test_rate_limit_outlasting_budget(fake: FakeLightspeed, http: httpx.AsyncClient, token: str) -> None:
    fake.inject(Fault("rate_limit", count=100, retry_after=30))
    reader = LightspeedCatalog(http, API, token, max_wait_seconds=60, sleep=Sleeps())
    with pytest.raises(PosRateLimited) as caught:
        await reader.locations()
    assert caught.value.retry_after == 30


async def test_401_is_auth_error_without_token(http: httpx.AsyncClient) -> None:
    secret = "leaky-token-value-123"
    with pytest.raises(PosAuthError) as caught:
        await catalog(http, secret).locations()
    assert secret not in str(caught.value) and caught.value.status == 401


async def test_oauth_exchange_and_rotating_refresh(fake: FakeLightspeed, http: httpx.AsyncClient) -> None:
    url = authorize_url(BASE, "ls-client", "csrf-1", "https://app.test/cb")
    redirect = await http.get(url)
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert query["state"] == ["csrf-1"]
    grant = await exchange_code(http, TOKEN_URL, "ls-client", "ls-secret", query["code"][0], "https://app.test/cb")
    assert grant.account == "mystore" and grant.refresh_token and grant.expires_at is not None
    assert grant.expires_at > datetime.fromtimestamp(fake.state.clock(), UTC)
    assert await catalog(http, grant.access_token).locations()
    fresh = await refresh_grant(http, TOKEN_URL, "ls-client", "ls-secret", grant.refresh_token)
    assert fresh.refresh_token != grant.refresh_token
    with pytest.raises(PosAuthError) as caught:
        await refresh_grant(http, TOKEN_URL, "ls-client", "ls-secret", grant.refresh_token)
    assert grant.refresh_token not in str(caught.value)
    with pytest.raises(PosAuthError):
        await exchange_code(http, TOKEN_URL, "ls-client", "ls-secret", query["code"][0], "https://app.test/cb")


async def test_webhooks_from_the_fake(fake: FakeLightspeed) -> None:
    bodies: list[bytes] = []

    async def receiver(scope: object, receive: object, send: object) -> None:
        from starlette.requests import Request
        from starlette.responses import Response

        bodies.append(await Request(scope, receive).body())  # type: ignore[arg-type]
        await Response(status_code=200)(scope, receive, send)  # type: ignore[arg-type]

    for topic in ("inventory.update", "product.update"):
        fake.state.add_webhook("https://hooks.test/", topic)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver)) as client:
        sender = WebhookSender(fake.state, client)
        product = next(p for p in fake.state.products.values() if p.variant_parent_id)  # a variant
        record = fake.state.set_inventory(product.id, next(iter(fake.state.outlets)), Decimal(9))
        await sender.inventory_update(record)
        await sender.product_update(fake.state.touch(product.id))
        await sender.product_update(fake.state.delete_product(product.id))
    stock, changed, deleted = (parse_webhook(body, "USD") for body in bodies)
    assert stock == [StockChanged(PosStock(product.id, record.outlet_id, 9))]
    assert isinstance(changed[0], ItemsChanged) and changed[0].items[0].external_id == product.id
    assert changed[0].product_external_id == product.variant_parent_id
    assert changed[0].all_variants is False  # one variant's record says nothing about its siblings
    assert changed[0].items[0].price_minor == int(product.price_excluding_tax * 100)
    inclusive = parse_webhook(bodies[1], "USD", tax_inclusive=True)[0]
    assert isinstance(inclusive, ItemsChanged)
    assert inclusive.items[0].price_minor == int(product.price_including_tax * 100)
    assert isinstance(deleted[0], ItemsChanged) and deleted[0].items[0].deleted
    gone = (
        b"type=product.update&payload=" + quote(json.dumps({"id": "p9", "deleted_at": "2026-01-01T00:00:00Z"})).encode()
    )
    assert parse_webhook(gone, "USD") == [ProductDeleted("p9")]
    assert parse_webhook(b"type=sale.update&payload=%7B%7D", "USD") == []
    thin = parse_webhook(b"type=product.update&payload=%7B%22id%22%3A%22p1%22%7D", "USD")
    assert isinstance(thin[0], CatalogChanged)


@pytest.mark.parametrize("body", [b"type=inventory.update", b"type=product.update&payload=%5B", b"\xff\xfe"])
def test_malformed_webhooks(body: bytes) -> None:
    with pytest.raises(PosBadResponse):
        parse_webhook(body, "USD")


async def test_request_budget_waits_for_the_window() -> None:
    clock = FakeClock(start=1_767_225_600.0 + 290)
    fake = FakeLightspeed(seed(LightspeedState(clock=clock), products=3, outlets=1), budget=1)
    token = fake.state.issue_grant().access_token
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as client:
        reader = LightspeedCatalog(client, API, token, page_size=100, sleep=sleep)
        assert len(await all_items(reader)) == 3
    assert waits and waits[0] == 10.0
