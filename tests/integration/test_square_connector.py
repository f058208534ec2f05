"""SquareCatalog and the Square OAuth/webhook helpers against the Square fake over the wire (httpx ASGITransport).
No mocks: real HTTP to the fake; the recorded sleep advances the fake's clock instead of waiting."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from localshelf.fakes.square import (
    SIGNATURE_HEADER,
    FakeClock,
    FakeSquare,
    Fault,
    SquareState,
    catalog_version_updated,
    inventory_count_updated,
)
from localshelf.pos.contract import (
    CatalogChanged,
    ItemPage,
    PosAuthError,
    PosBadResponse,
    PosItem,
    PosLocation,
    PosRateLimited,
    PosStock,
    PosUnavailable,
    StockChanged,
)
from localshelf.pos.square import (
    DEFAULT_SCOPES,
    SquareCatalog,
    authorize_url,
    exchange_code,
    parse_webhook,
    refresh_grant,
    webhook_valid,
)

pytestmark = pytest.mark.anyio

BASE_URL = "https://connect.squareup.com"
REDIRECT = "https://app.example/oauth/square/callback"


@dataclass
class Harness:
    state: SquareState
    fake: FakeSquare
    clock: FakeClock
    token: str = ""
    sleeps: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    def catalog(self, http: httpx.AsyncClient, token: str | None = None, **kwargs: float) -> SquareCatalog:
        return SquareCatalog(http, BASE_URL, self.token if token is None else token, sleep=self.sleep, **kwargs)


@pytest.fixture
def harness() -> Harness:
    clock = FakeClock()
    state = SquareState(clock=clock, page_size=7)
    state.seed(items=45, locations=3, seed=11)
    harness = Harness(state, FakeSquare(state), clock)
    harness.token = state.issue_grant(DEFAULT_SCOPES).access_token
    return harness


@pytest.fixture
async def http(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=harness.fake), base_url=BASE_URL) as client:
        yield client


def expected_items(state: SquareState, since: float | None = None) -> tuple[dict[str, PosItem], int]:
    """The fake's ground truth as PosItems (and how many variations have no price and must be skipped)."""
    expected: dict[str, PosItem] = {}
    skipped = 0
    for item in state.items.values():
        if since is not None and item.updated_at <= since:
            continue
        image = state.images[item.image_id].url if item.image_id else None
        for v in item.variations:
            if v.price is None:
                skipped += 1
                continue
            expected[v.id] = PosItem(
                external_id=v.id,
                product_external_id=item.id,
                sku=v.sku,
                barcode=v.upc,
                name=item.name if v.name == "Regular" else f"{item.name} - {v.name}",
                brand=None,
                category=state.categories[item.category_id].name if item.category_id else None,
                description=item.description,
                image_urls=(image,) if image else (),
                price_minor=v.price,
                currency="USD",
                active=not item.is_archived and not item.is_deleted and v.sellable,
                inventory_item_id=v.id,
                updated_at=datetime.fromtimestamp(v.updated_at, UTC),
                deleted=item.is_deleted,
            )
    return expected, skipped


async def read_all(catalog: SquareCatalog, **kwargs: object) -> tuple[list[PosItem], int, int]:
    items: list[PosItem] = []
    skipped = pages = 0
    async for page in catalog.items(**kwargs):  # type: ignore[arg-type]
        items += page.items
        skipped += page.skipped
        pages += 1
    return items, skipped, pages


# ---------------------------------------------------------------- reads


async def test_locations_and_currency(harness: Harness, http: httpx.AsyncClient) -> None:
    catalog = harness.catalog(http)
    locations = await catalog.locations()
    assert locations[0] == PosLocation(
        external_id=next(iter(harness.state.locations)),
        name="Store 1",
        address_line1="1 Main St",
        city="Springfield",
        region=None,
        postal_code=None,
        country="US",
        active=True,
    )
    assert len(locations) == 3
    assert await catalog.shop_currency() == "USD"
    harness.state.main_location().currency = "EUR"
    assert await harness.catalog(http).shop_currency() == "EUR"


async def test_every_variation_is_read_once_field_by_field(harness: Harness, http: httpx.AsyncClient) -> None:
    items, skipped, pages = await read_all(harness.catalog(http))
    expected, unpriced = expected_items(harness.state)
    assert pages == -(-len(harness.state.items) // 7)
    assert len(items) == len({i.external_id for i in items})
    assert {i.external_id: i for i in items} == expected
    assert skipped == unpriced > 0
    assert any(not i.active for i in items) and any(i.barcode is None for i in items)


async def test_resuming_from_a_cursor_reads_the_rest(harness: Harness, http: httpx.AsyncClient) -> None:
    catalog = harness.catalog(http)
    pages = cast(AsyncGenerator[ItemPage, None], catalog.items())
    first = await anext(pages)
    await pages.aclose()
    assert first.next_cursor is not None
    rest, _, _ = await read_all(catalog, after=first.next_cursor)
    expected, _ = expected_items(harness.state)
    assert {i.external_id for i in (*first.items, *rest)} == set(expected)


async def test_incremental_read_returns_changed_items_and_deletions(harness: Harness, http: httpx.AsyncClient) -> None:
    since = harness.clock.now
    harness.clock.advance(60)
    changed, deleted = list(harness.state.items.values())[3], list(harness.state.items.values())[9]
    changed.name = "Renamed Kettle"
    harness.state.touch(changed)
    deleted.is_deleted = True
    harness.state.touch(deleted)
    items, _, _ = await read_all(harness.catalog(http), updated_since=datetime.fromtimestamp(since, UTC))
    expected, _ = expected_items(harness.state, since=since)
    assert {i.external_id: i for i in items} == expected
    assert {i.product_external_id for i in items} <= {changed.id, deleted.id}
    assert all(not i.active and i.deleted for i in items if i.product_external_id == deleted.id)
    full, _, _ = await read_all(harness.catalog(http))
    assert deleted.id not in {i.product_external_id for i in full}  # ListCatalog never lists deleted objects


async def test_stock_per_location(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.fake.counts_page_size = 10
    location_id = list(harness.state.locations)[1]
    variation_id = next(v for v, loc in harness.state.counts if loc == location_id)
    harness.state.set_count(variation_id, location_id, "4.75")
    stock: list[PosStock] = []
    pages = 0
    async for page in harness.catalog(http).stock(location_id):
        stock += page.stock
        pages += 1
    expected = {
        var: PosStock(var, loc, int(Decimal(qty)), datetime.fromtimestamp(at, UTC))
        for (var, loc), (qty, at) in harness.state.counts.items()
        if loc == location_id
    }
    assert pages > 1
    assert {s.inventory_item_id: s for s in stock} == expected
    assert len(stock) == len(expected)
    assert expected[variation_id].quantity == 4


# ---------------------------------------------------------------- faults


async def test_rate_limits_and_server_errors_are_retried(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.fake.inject(Fault("rate_limit", retry_after=2, path_contains="/v2/locations"))
    harness.fake.inject(Fault("rate_limit", path_contains="/v2/locations"))
    harness.fake.inject(Fault("server_error", status=503, path_contains="/v2/locations"))
    harness.fake.inject(Fault("truncate", path_contains="/v2/locations"))
    assert len(await harness.catalog(http).locations()) == 3
    assert harness.sleeps[0] == 2.0 and len(harness.sleeps) == 4
    assert harness.fake.request_log.count(("GET", "/v2/locations")) == 5


async def test_persistent_throttling_ends_typed(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.fake.inject(Fault("rate_limit", count=1000, retry_after=5))
    with pytest.raises(PosRateLimited) as caught:
        await harness.catalog(http, max_wait_seconds=20).locations()
    assert caught.value.retry_after == 5.0 and "RATE_LIMITED" in caught.value.message
    harness.fake.faults.clear()
    harness.fake.inject(Fault("server_error", status=503, count=1000))
    with pytest.raises(PosUnavailable):
        await harness.catalog(http, max_wait_seconds=5).locations()


async def test_bad_token_is_an_auth_error_without_the_token(harness: Harness, http: httpx.AsyncClient) -> None:
    secret = "EAAAsecret-token-value"
    with pytest.raises(PosAuthError) as caught:
        await harness.catalog(http, token=secret).locations()
    assert caught.value.status == 401 and secret not in str(caught.value)
    assert harness.sleeps == []


# ---------------------------------------------------------------- OAuth


async def test_oauth_exchange_refresh_and_expiry(harness: Harness, http: httpx.AsyncClient) -> None:
    app = harness.state.app
    harness.state.token_lifetime_seconds = 3600
    url = authorize_url(BASE_URL, app.client_id, DEFAULT_SCOPES, "csrf-1", REDIRECT)
    assert "scope=ITEMS_READ+INVENTORY_READ+MERCHANT_PROFILE_READ" in url
    callback = await http.get(url)
    query = parse_qs(urlsplit(callback.headers["location"]).query)
    assert query["state"] == ["csrf-1"]
    grant = await exchange_code(http, BASE_URL, app.client_id, app.client_secret, query["code"][0], REDIRECT)
    assert grant.account == harness.state.merchant_id
    assert grant.expires_at == datetime.fromtimestamp(harness.clock.now + 3600, UTC)
    assert grant.refresh_token is not None
    assert len(await harness.catalog(http, token=grant.access_token).locations()) == 3

    harness.clock.advance(3601)
    with pytest.raises(PosAuthError) as expired:
        await harness.catalog(http, token=grant.access_token).locations()
    assert "ACCESS_TOKEN_EXPIRED" in expired.value.message and grant.access_token not in expired.value.message

    refreshed = await refresh_grant(http, BASE_URL, app.client_id, app.client_secret, grant.refresh_token)
    assert refreshed.refresh_token == grant.refresh_token and refreshed.access_token != grant.access_token
    assert len(await harness.catalog(http, token=refreshed.access_token).locations()) == 3

    with pytest.raises(PosAuthError) as refused:
        await refresh_grant(http, BASE_URL, app.client_id, app.client_secret, "EQAAbogus-refresh")
    assert "EQAAbogus-refresh" not in str(refused.value) and app.client_secret not in str(refused.value)
    with pytest.raises(PosAuthError):  # codes are single-use
        await exchange_code(http, BASE_URL, app.client_id, app.client_secret, query["code"][0], REDIRECT)


async def test_denied_authorization_redirects_with_access_denied(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.state.deny_authorization = True
    url = authorize_url(BASE_URL, harness.state.app.client_id, DEFAULT_SCOPES, "csrf-2", REDIRECT)
    query = parse_qs(urlsplit((await http.get(url)).headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["csrf-2"] and "code" not in query


# ---------------------------------------------------------------- webhooks


def test_parses_the_fakes_own_deliveries(harness: Harness) -> None:
    state, sender = harness.state, harness.fake.webhooks
    changes = list(state.counts)[:3]
    state.set_count(*changes[0], "12.5")
    delivery = sender.delivery(inventory_count_updated(state, changes))
    assert webhook_valid(
        sender.signature_key, sender.notification_url, delivery.body, delivery.headers[SIGNATURE_HEADER]
    )
    assert not webhook_valid(
        sender.signature_key, sender.notification_url, delivery.body + b" ", delivery.headers[SIGNATURE_HEADER]
    )
    events = parse_webhook(delivery.body, "USD")
    assert events == [
        StockChanged(
            PosStock(
                v, loc, int(Decimal(state.counts[(v, loc)][0])), datetime.fromtimestamp(state.counts[(v, loc)][1], UTC)
            )
        )
        for v, loc in changes
    ]
    catalog = sender.delivery(catalog_version_updated(state))
    parsed = parse_webhook(catalog.body, "USD")
    assert len(parsed) == 1 and isinstance(parsed[0], CatalogChanged)


def test_webhook_edge_cases() -> None:
    assert parse_webhook(json.dumps({"type": "payment.created", "data": {}}).encode(), "USD") == []
    sold = {
        "type": "inventory.count.updated",
        "data": {
            "type": "inventory_counts",
            "id": "x",
            "object": {
                "inventory_counts": [
                    {
                        "catalog_object_id": "V",
                        "location_id": "L",
                        "state": "SOLD",
                        "quantity": "1",
                        "calculated_at": "2019-10-29T18:38:45.10296Z",
                    },
                    {
                        "catalog_object_id": "V",
                        "location_id": "L",
                        "state": "IN_STOCK",
                        "quantity": "3",
                        "calculated_at": "2019-10-29T18:38:45.455006797Z",
                    },
                ]
            },
        },
    }
    events = parse_webhook(json.dumps(sold).encode(), "USD")
    assert events == [StockChanged(PosStock("V", "L", 3, datetime(2019, 10, 29, 18, 38, 45, 455006, UTC)))]
    with pytest.raises(PosBadResponse):
        parse_webhook(b'{"type": "inventory.count', "USD")
    assert not webhook_valid("key", "https://a.example/hook", b"{}", None)
