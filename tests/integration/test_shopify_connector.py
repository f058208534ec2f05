"""ShopifyCatalog against the Shopify fake over the wire (httpx ASGITransport): pagination, checkpoints,
retries, throttling and typed errors. Pure HTTP, no database; nothing really sleeps (the recorded sleep
advances the fake's clock, so the cost bucket refills as it would in real time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from localshelf.fakes.shopify import App, FakeClock, FakeShopify, Fault, Shop, ShopifyState, gid
from localshelf.pos.contract import (
    PosAuthError,
    PosBadResponse,
    PosError,
    PosItem,
    PosLocation,
    PosRateLimited,
    PosStock,
    PosUnavailable,
)
from localshelf.pos.shopify import ShopifyCatalog

pytestmark = pytest.mark.anyio

DOMAIN = "alder-hardware.myshopify.com"
BASE_URL = f"https://{DOMAIN}"
SCOPE = "read_products,read_inventory,read_locations"
HUGE_BUCKET = 10.0**9  # no GraphQL throttling unless a test wants it


@dataclass
class Harness:
    state: ShopifyState
    shop: Shop
    fake: FakeShopify
    token: str
    clock: FakeClock
    sleeps: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    def catalog(self, http: httpx.AsyncClient, **kwargs: object) -> ShopifyCatalog:
        return ShopifyCatalog(http, BASE_URL, self.token, sleep=self.sleep, **kwargs)  # type: ignore[arg-type]


def make_harness(
    *,
    products: int = 600,
    locations: int = 3,
    variants: int = 2,
    bucket_max: float = HUGE_BUCKET,
    restore_rate: float = HUGE_BUCKET,
) -> Harness:
    clock = FakeClock()
    state = ShopifyState(App("localshelf-test-app", "localshelf-test-secret"), clock=clock)
    shop = state.add_shop(DOMAIN, bucket_max=bucket_max, restore_rate=restore_rate)
    state.seed(shop, products=products, locations=locations, variants_per_product=variants, seed=1)
    token = state.issue_token(shop, SCOPE)
    return Harness(state, shop, FakeShopify(state), token, clock)


@pytest.fixture
async def harness() -> Harness:
    h = make_harness()
    # One product with more variants than a products page asks for (the connector fetches it again alone).
    many: list[tuple[str | None, str | None, str]] = [(f"WIDE-{i}", None, f"{i + 1}.50") for i in range(30)]
    h.state.add_product(h.shop, "Wide Bin", variants=many, vendor="Northwind", status="DRAFT")
    return h


@pytest.fixture
async def http(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=harness.fake), base_url=BASE_URL) as client:
        yield client


def expected_items(shop: Shop) -> list[PosItem]:
    items = []
    for _, product in sorted(shop.products.items()):
        for variant in product.variants:
            name = product.title if variant.title == "Default Title" else f"{product.title} - {variant.title}"
            stamp = datetime.fromtimestamp(int(max(product.updated_at, variant.updated_at)), UTC)
            items.append(
                PosItem(
                    external_id=gid("ProductVariant", variant.id),
                    product_external_id=gid("Product", product.id),
                    sku=variant.sku,
                    barcode=variant.barcode,
                    name=name,
                    brand=product.vendor or None,
                    category=product.product_type or None,
                    description=product.description or None,
                    image_urls=(product.image_url,) if product.image_url else (),
                    price_minor=int(Decimal(variant.price) * 100),
                    currency="USD",
                    active=product.status == "ACTIVE",
                    inventory_item_id=gid("InventoryItem", variant.inventory_item_id),
                    updated_at=stamp,
                )
            )
    return items


def expected_stock(shop: Shop, location_id: int) -> set[PosStock]:
    return {
        PosStock(
            gid("InventoryItem", item),
            gid("Location", loc),
            quantity,
            datetime.fromtimestamp(int(shop.level_updated[(item, loc)]), UTC),
        )
        for (item, loc), quantity in shop.levels.items()
        if loc == location_id
    }


async def all_items(catalog: ShopifyCatalog, after: str | None = None) -> list[PosItem]:
    return [item async for page in catalog.items(after) for item in page.items]


async def test_reads_all_locations(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.state.add_location(harness.shop, "Closed Depot", is_active=False, city="Shelbyville")
    catalog = harness.catalog(http, page_size=2)  # several pages of locations
    locations = await catalog.locations()
    expected = [
        PosLocation(
            external_id=gid("Location", loc.id),
            name=loc.name,
            address_line1=loc.address1 or None,
            city=loc.city or None,
            region=loc.province_code or None,
            postal_code=loc.zip or None,
            country=loc.country_code or None,
            active=loc.is_active,
        )
        for _, loc in sorted(harness.shop.locations.items())
    ]
    assert locations == expected
    assert [loc.active for loc in locations] == [True, True, True, False]
    assert await catalog.shop_currency() == "USD"


async def test_pages_through_the_whole_catalog_exactly(harness: Harness, http: httpx.AsyncClient) -> None:
    catalog = harness.catalog(http)
    pages = [page async for page in catalog.items()]
    assert len(pages) == 7  # 601 products, 100 a page
    assert all(page.next_cursor is not None for page in pages[:-1]) and pages[-1].next_cursor is None
    items = [item for page in pages for item in page.items]
    expected = expected_items(harness.shop)
    assert len(items) == 600 * 2 + 30
    assert items == expected
    statuses = {p.status for p in harness.shop.products.values()}
    assert statuses == {"ACTIVE", "DRAFT", "ARCHIVED"}
    inactive = {gid("Product", p.id) for p in harness.shop.products.values() if p.status != "ACTIVE"}
    assert {i.product_external_id for i in items if not i.active} == inactive
    assert any(i.barcode is None for i in items) and any(i.barcode for i in items)
    wide = [i for i in items if i.name.startswith("Wide Bin")]
    assert len(wide) == 30 and wide[0].name == "Wide Bin - Option 1" and wide[-1].price_minor == 3050


async def test_stock_per_location_matches_the_fake(harness: Harness, http: httpx.AsyncClient) -> None:
    catalog = harness.catalog(http, page_size=250)
    for location in await catalog.locations():
        pages = [page async for page in catalog.stock(location.external_id)]
        assert len(pages) == 5  # 1200 levels at 250 a page
        stock = [s for page in pages for s in page.stock]
        assert len(stock) == len(set(stock))
        location_id = int(location.external_id.rsplit("/", 1)[1])
        assert set(stock) == expected_stock(harness.shop, location_id)


async def test_stock_resumes_from_a_checkpoint(harness: Harness, http: httpx.AsyncClient) -> None:
    catalog = harness.catalog(http)
    location = (await catalog.locations())[0]
    first = await anext(aiter(catalog.stock(location.external_id)))
    assert first.next_cursor is not None
    rest = [s async for page in catalog.stock(location.external_id, first.next_cursor) for s in page.stock]
    combined = list(first.stock) + rest
    location_id = int(location.external_id.rsplit("/", 1)[1])
    assert len(combined) == len(set(combined)) and set(combined) == expected_stock(harness.shop, location_id)


async def test_items_resume_from_a_checkpoint_without_duplicates(harness: Harness, http: httpx.AsyncClient) -> None:
    catalog = harness.catalog(http)
    first = await anext(aiter(catalog.items()))
    assert first.next_cursor is not None and len(first.items) == 200
    resumed = await all_items(harness.catalog(http), first.next_cursor)
    ids = [i.external_id for i in list(first.items) + resumed]
    assert len(ids) == len(set(ids))
    assert list(first.items) + resumed == expected_items(harness.shop)


async def test_transient_faults_are_retried_and_the_result_is_still_exact(
    harness: Harness, http: httpx.AsyncClient
) -> None:
    catalog = harness.catalog(http)
    harness.fake.inject(Fault("rate_limit"))  # 429 without Retry-After: jittered backoff
    harness.fake.inject(Fault("rate_limit", retry_after=7))
    harness.fake.inject(Fault("server_error", status=503))
    harness.fake.inject(Fault("truncate"))
    items = await all_items(catalog)
    assert items == expected_items(harness.shop)
    assert len(harness.sleeps) == 4
    assert 0.0 <= harness.sleeps[0] <= 0.5  # full jitter on the first retry
    assert harness.sleeps[1] == 7.0  # Retry-After honoured exactly
    assert not harness.fake.faults


async def test_503_with_retry_after_waits_that_long(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.fake.inject(Fault("server_error", status=503, retry_after=3))
    assert await harness.catalog(http).shop_currency() == "USD"
    assert harness.sleeps == [3.0]


async def test_throttled_waits_what_the_bucket_needs() -> None:
    harness = make_harness(products=120, variants=1, bucket_max=300, restore_rate=10)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=harness.fake), base_url=BASE_URL) as http:
        catalog = harness.catalog(http, page_size=10)  # requested cost 2 + 10 x (1 + 20) = 212
        assert await catalog.shop_currency() == "USD"
        # Drain the bucket to a known level: 112 available, 212 needed, 10 points/s → exactly 10 s.
        harness.shop.bucket.available = 112
        harness.shop.bucket.updated = harness.clock()
        pages = catalog.items()
        first = await anext(pages)
        assert harness.sleeps == [10.0]
        rest = [item async for page in pages for item in page.items]
        assert list(first.items) + rest == expected_items(harness.shop)
    # Every later throttle was waited out in one sleep too: each sleep is followed by a successful retry.
    graphql_requests = sum(1 for _, path in harness.fake.request_log if path.endswith("graphql.json"))
    assert graphql_requests == 1 + 12 + len(harness.sleeps)
    assert len(harness.sleeps) > 1 and all(0 < s <= 21.2 for s in harness.sleeps)


async def test_query_larger_than_the_bucket_fails_fast() -> None:
    harness = make_harness(products=5, locations=1, variants=1, bucket_max=100, restore_rate=10)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=harness.fake), base_url=BASE_URL) as http:
        with pytest.raises(PosBadResponse, match="exceeds the bucket"):
            await all_items(harness.catalog(http, page_size=10))
    assert harness.sleeps == []


async def test_revoked_token_is_an_auth_error_at_once(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.state.uninstall(harness.shop)
    catalog = harness.catalog(http)
    with pytest.raises(PosAuthError) as caught:
        await catalog.locations()
    assert caught.value.status == 401
    assert harness.sleeps == []
    assert len(harness.fake.request_log) == 1
    assert harness.token not in str(caught.value) and harness.token not in repr(caught.value)


async def test_missing_scope_is_an_auth_error(harness: Harness, http: httpx.AsyncClient) -> None:
    narrow = harness.state.issue_token(harness.shop, "read_products")
    catalog = ShopifyCatalog(http, BASE_URL, narrow, sleep=harness.sleep)
    with pytest.raises(PosAuthError, match="ACCESS_DENIED"):
        await catalog.locations()
    assert harness.sleeps == []


async def test_persistent_503_gives_up_after_the_bounded_wait(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.fake.inject(Fault("server_error", status=503, count=10_000))
    catalog = harness.catalog(http, max_wait_seconds=20.0)
    with pytest.raises(PosUnavailable) as caught:
        await catalog.shop_currency()
    assert caught.value.status == 503
    assert sum(harness.sleeps) <= 20.0
    assert len(harness.fake.request_log) == len(harness.sleeps) + 1 >= 2
    assert harness.token not in str(caught.value)


async def test_persistent_429_gives_up_as_rate_limited(harness: Harness, http: httpx.AsyncClient) -> None:
    harness.fake.inject(Fault("rate_limit", retry_after=15, count=10_000))
    catalog = harness.catalog(http, max_wait_seconds=40.0)
    with pytest.raises(PosRateLimited) as caught:
        await catalog.shop_currency()
    assert caught.value.retry_after == 15.0
    assert harness.sleeps == [15.0, 15.0]  # a third 15 s wait would exceed the 40 s budget


async def test_other_4xx_is_not_retried(harness: Harness, http: httpx.AsyncClient) -> None:
    catalog = ShopifyCatalog(http, BASE_URL, harness.token, api_version="1999-01", sleep=harness.sleep)
    with pytest.raises(PosBadResponse) as caught:
        await catalog.shop_currency()
    assert caught.value.status == 404 and harness.sleeps == []


async def test_unknown_location_stock_is_a_bad_response(harness: Harness, http: httpx.AsyncClient) -> None:
    catalog = harness.catalog(http)
    with pytest.raises(PosBadResponse):
        await anext(aiter(catalog.stock(gid("Location", 999_999_999))))


async def test_the_token_never_appears_in_any_error(harness: Harness, http: httpx.AsyncClient) -> None:
    errors: list[PosError] = []
    harness.fake.inject(Fault("truncate", count=10_000))
    try:
        await harness.catalog(http, max_wait_seconds=5.0).shop_currency()
    except PosError as exc:
        errors.append(exc)
    harness.fake.faults.clear()
    harness.state.uninstall(harness.shop)
    try:
        await harness.catalog(http).locations()
    except PosError as exc:
        errors.append(exc)
    assert [type(e) for e in errors] == [PosUnavailable, PosAuthError]
    for error in errors:
        assert harness.token not in str(error) and harness.token not in repr(error.args)
        assert harness.token not in str(error.__cause__) and harness.token not in str(error.__context__)
