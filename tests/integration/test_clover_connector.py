"""CloverCatalog and Clover OAuth/webhook helpers against the Clover fake over the wire (httpx ASGITransport).
No mocks: real HTTP to the fake; the recorded sleep advances the fake's clock instead of waiting."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from localshelf.fakes.clover import Address, App, CloverState, FakeClock, FakeClover, Fault, Merchant, item_event
from localshelf.pos.clover import (
    CloverCatalog,
    authorize_url,
    exchange_code,
    parse_webhook,
    refresh_grant,
    webhook_valid,
)
from localshelf.pos.contract import (
    CatalogChanged,
    PosAuthError,
    PosBadResponse,
    PosItem,
    PosLocation,
    PosRateLimited,
    PosStock,
    PosUnavailable,
    ProductDeleted,
)

pytestmark = pytest.mark.anyio

BASE_URL = "https://api.clover.test"
APP = App("APPID00000001", "clover-client", "clover-secret", "static-auth-code")


@dataclass
class Harness:
    state: CloverState
    merchant: Merchant
    fake: FakeClover
    token: str
    clock: FakeClock
    sleeps: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    def catalog(self, http: httpx.AsyncClient, **kwargs: object) -> CloverCatalog:
        return CloverCatalog(http, BASE_URL, self.token, self.merchant.id, sleep=self.sleep, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def harness() -> Harness:
    clock = FakeClock()
    state = CloverState(APP, clock, access_token_lifetime=3600, refresh_token_lifetime=86400)
    address = Address(address1="100 Main St", city="Springfield", state="IL", zip="62701", country="US")
    merchant = state.add_merchant("Alder Hardware", address=address)
    state.seed(merchant, items=2345, seed=1)
    token, *_ = state.issue_tokens(merchant)
    return Harness(state, merchant, FakeClover(state), token, clock)


@pytest.fixture
async def http(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=harness.fake), base_url=BASE_URL) as client:
        yield client


def expected_items(merchant: Merchant) -> list[PosItem]:
    return [
        PosItem(
            external_id=item.id,
            product_external_id=item.id,
            sku=item.sku,
            barcode=item.code,
            name=item.name,
            brand=None,
            category=item.categories[0].name if item.categories else None,
            description=None,
            image_urls=(),
            price_minor=item.price,
            currency=merchant.currency,
            active=not item.hidden and item.available,
            inventory_item_id=item.id,
            updated_at=datetime.fromtimestamp(item.modified_ms / 1000, UTC),
        )
        for item in merchant.items.values()
        if not item.deleted
    ]


async def read_all(catalog: CloverCatalog, **kwargs: object) -> tuple[list[PosItem], list[str | None]]:
    items: list[PosItem] = []
    cursors: list[str | None] = []
    async for page in catalog.items(**kwargs):  # type: ignore[arg-type]
        items.extend(page.items)
        cursors.append(page.next_cursor)
        assert page.skipped == 0
    return items, cursors


async def test_currency_and_the_one_location(harness: Harness, http: httpx.AsyncClient) -> None:
    catalog = harness.catalog(http)
    assert await catalog.shop_currency() == "USD"
    assert await catalog.locations() == [
        PosLocation(harness.merchant.id, "Alder Hardware", "100 Main St", "Springfield", "IL", "62701", "US", True)
    ]


async def test_every_item_read_once_and_equal_to_ground_truth(harness: Harness, http: httpx.AsyncClient) -> None:
    items, cursors = await read_all(harness.catalog(http))
    assert cursors == ["1000", "2000", None]
    queries = [parse_qs(q) for _m, path, q in harness.fake.request_log if path.endswith("/items")]
    assert [(q["limit"], q["offset"], q["expand"]) for q in queries] == [
        (["1000"], [str(n)], ["categories"]) for n in (0, 1000, 2000)
    ]
    assert [i.external_id for i in items] == list(harness.merchant.items)  # exactly once, in order
    assert items == expected_items(harness.merchant)
    assert any(i.barcode is None for i in items) and any(not i.active for i in items)


async def test_resume_from_a_cursor_and_small_pages(harness: Harness, http: httpx.AsyncClient) -> None:
    catalog = harness.catalog(http, page_size=500)
    first: list[PosItem] = []
    async for page in catalog.items():
        first, cursor = list(page.items), page.next_cursor
        break
    assert cursor == "500"
    rest, _ = await read_all(catalog, after=cursor)
    assert [*first, *rest] == expected_items(harness.merchant)


async def test_incremental_read(harness: Harness, http: httpx.AsyncClient) -> None:
    state, merchant = harness.state, harness.merchant
    ids = list(merchant.items)
    harness.clock.advance(60)
    since = datetime.fromtimestamp(harness.clock.now, UTC)
    state.update_item(merchant, ids[10], price=1234, hidden=True)
    state.update_item(merchant, ids[2000], name="Renamed")
    state.delete_item(merchant, ids[5])
    items, cursors = await read_all(harness.catalog(http), updated_since=since)
    assert cursors == [None]
    assert [i.external_id for i in items] == [ids[10], ids[2000]]
    assert items[0].price_minor == 1234 and not items[0].active and items[1].name == "Renamed"
    assert all(i.updated_at is not None and i.updated_at >= since for i in items)


async def test_stock(harness: Harness, http: httpx.AsyncClient) -> None:
    merchant = harness.merchant
    first = next(iter(merchant.items))
    harness.state.set_stock(merchant, first, 7.75)
    stock: list[PosStock] = []
    cursors: list[str | None] = []
    async for page in harness.catalog(http).stock(merchant.id):
        stock.extend(page.stock)
        cursors.append(page.next_cursor)
    expected = [
        PosStock(item.id, merchant.id, math.floor(item.quantity))
        for item in merchant.items.values()
        if item.quantity is not None
    ]
    assert stock == expected
    assert cursors == [str(1000 * (n + 1)) for n in range(len(expected) // 1000)] + [None]
    assert stock[0] == PosStock(first, merchant.id, 7)
    assert any(s.quantity < 0 for s in stock)


@pytest.mark.parametrize(
    ("fault", "expected_sleeps"),
    [
        (Fault("rate_limit", count=2, retry_after=4, path_contains="/items"), [4.0, 4.0]),
        (Fault("rate_limit", count=1, path_contains="/items"), None),
        (Fault("server_error", status=503, count=2, path_contains="/items"), None),
        (Fault("truncate", count=1, path_contains="/items"), None),
    ],
)
async def test_transient_failures_are_retried(
    harness: Harness, http: httpx.AsyncClient, fault: Fault, expected_sleeps: list[float] | None
) -> None:
    harness.fake.inject(fault)
    count = fault.count
    items, _ = await read_all(harness.catalog(http))
    assert items == expected_items(harness.merchant)
    assert len(harness.sleeps) == count
    if expected_sleeps is not None:
        assert harness.sleeps == expected_sleeps
    else:
        assert all(0 <= s <= 30 for s in harness.sleeps)


async def test_rate_limit_outlasting_the_budget(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.fake.inject(Fault("rate_limit", count=100, retry_after=5, path_contains="/properties"))
    with pytest.raises(PosRateLimited) as caught:
        await harness.catalog(http, max_wait_seconds=12).shop_currency()
    assert caught.value.retry_after == 5 and caught.value.status == 429
    assert harness.sleeps == [5.0, 5.0]


async def test_server_errors_outlasting_the_budget(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.fake.inject(Fault("server_error", status=503, count=100))
    with pytest.raises(PosUnavailable):
        await harness.catalog(http, max_wait_seconds=5).locations()


async def test_expired_token_is_an_auth_error_without_the_token(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.clock.advance(3601)
    with pytest.raises(PosAuthError) as caught:
        await harness.catalog(http).shop_currency()
    assert caught.value.status == 401
    assert harness.token not in str(caught.value) and harness.sleeps == []
    with pytest.raises(PosAuthError):
        async for _ in CloverCatalog(http, BASE_URL, "wrong-token", harness.merchant.id, sleep=harness.sleep).items():
            pass


async def test_oauth_exchange_and_single_use_refresh(harness: Harness, http: httpx.AsyncClient) -> None:
    url = authorize_url(BASE_URL, APP.client_id, "nonce-1", "https://app.test/clover/callback")
    assert urlsplit(url).path == "/oauth/v2/authorize"
    redirect = await http.get(url)
    callback = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert callback["state"] == ["nonce-1"] and callback["merchant_id"] == [harness.merchant.id]
    grant = await exchange_code(
        http, BASE_URL, APP.client_id, APP.client_secret, callback["code"][0], merchant_id=callback["merchant_id"][0]
    )
    assert grant.account == harness.merchant.id and grant.refresh_token
    assert grant.expires_at == datetime.fromtimestamp(int(harness.clock.now) + 3600, UTC)
    catalog = CloverCatalog(http, BASE_URL, grant.access_token, harness.merchant.id, sleep=harness.sleep)
    assert await catalog.shop_currency() == "USD"

    with pytest.raises(PosAuthError) as reused_code:
        await exchange_code(http, BASE_URL, APP.client_id, APP.client_secret, callback["code"][0])
    assert callback["code"][0] not in str(reused_code.value)

    renewed = await refresh_grant(http, BASE_URL, APP.client_id, grant.refresh_token)
    assert renewed.access_token != grant.access_token and renewed.refresh_token != grant.refresh_token
    with pytest.raises(PosAuthError) as refused:
        await refresh_grant(http, BASE_URL, APP.client_id, grant.refresh_token)
    assert grant.refresh_token not in str(refused.value)
    assert renewed.refresh_token is not None
    assert (await refresh_grant(http, BASE_URL, APP.client_id, renewed.refresh_token)).access_token


async def test_parsing_the_fakes_own_deliveries(harness: Harness) -> None:
    received: list[httpx.Request] = []

    def capture(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    ids = list(harness.merchant.items)
    async with httpx.AsyncClient(transport=httpx.MockTransport(capture)) as client:
        await harness.fake.webhooks.verify(client, "https://app.test/hooks/clover")
        await harness.fake.webhooks.send(
            client,
            "https://app.test/hooks/clover",
            {
                harness.merchant.id: [
                    item_event(ids[0], "UPDATE", 1),
                    item_event(ids[1], "CREATE", 2),
                    item_event(ids[2], "DELETE", 3),
                    item_event(ids[3], "UPDATE", 4, key="IS"),
                    item_event("CAT1", "UPDATE", 5, key="IC"),
                ]
            },
        )
    verification, notification = received
    assert parse_webhook(verification.content) == []
    events = parse_webhook(notification.content)
    assert [type(e) for e in events] == [CatalogChanged, CatalogChanged, ProductDeleted, CatalogChanged]  # IS: stock
    assert events[2] == ProductDeleted(ids[2])
    assert webhook_valid(APP.webhook_auth_code, notification.headers.get("x-clover-auth"))
    assert not webhook_valid(APP.webhook_auth_code, verification.headers.get("x-clover-auth"))
    assert not webhook_valid(APP.webhook_auth_code, "wrong")


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"appId":"A","merchants":[]}', b'{"merchants":{"M":[1]}}'])
def test_malformed_webhooks_are_bad_responses(body: bytes) -> None:
    with pytest.raises(PosBadResponse):
        parse_webhook(body)
