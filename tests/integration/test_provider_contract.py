"""The connector contract every POS provider must pass against its own wire-compatible fake, end to end:
connect (the person approves on the verification page, the provider's consent answers our callback), list
locations, full sync (offers equal the fake's ground truth exactly), a webhook-driven update, a deletion,
token refresh, throttling, and a rejected unauthenticated webhook. Adding a provider = one `ProviderCase`.

Everything is real HTTP: our Starlette app (HTTP-transport server) and each fake are ASGI apps behind httpx's
ASGITransport; MCP calls go through an in-process MCP client session.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

import httpx
import pytest
from mcp import Client
from sqlalchemy import func, select

from localshelf.config import Settings
from localshelf.domain.gtin import is_valid_gtin, normalize_gtin
from localshelf.fakes.clover import FakeClover
from localshelf.fakes.clover import Fault as CloverFault
from localshelf.fakes.clover.state import App as CloverApp
from localshelf.fakes.clover.state import CloverState
from localshelf.fakes.clover.webhooks import item_event
from localshelf.fakes.lightspeed import FakeLightspeed, LightspeedState
from localshelf.fakes.lightspeed import Fault as LightspeedFault
from localshelf.fakes.lightspeed.state import seed as lightspeed_seed
from localshelf.fakes.lightspeed.webhooks import WebhookSender as LightspeedWebhooks
from localshelf.fakes.lightspeed.webhooks import form_body as lightspeed_form_body
from localshelf.fakes.lightspeed.webhooks import signature_header as lightspeed_signature
from localshelf.fakes.shopify import App as ShopifyApp
from localshelf.fakes.shopify import FakeShopify, ShopifyState, inventory_level_payload, product_delete_payload
from localshelf.fakes.shopify import Fault as ShopifyFault
from localshelf.fakes.shopify import gid as shopify_gid
from localshelf.fakes.square import App, FakeSquare, SquareState, catalog_version_updated, inventory_count_updated
from localshelf.fakes.square import Fault as SquareFault
from localshelf.fakes.square import WebhookSender as SquareWebhooks
from localshelf.pos.crypto import TokenCipher
from localshelf.server.app import build_server
from localshelf.server.state import utcnow
from localshelf.server.worker import Worker
from localshelf.services import connect, locations
from localshelf.services.locations import LocationFields
from localshelf.services.pos_flows import PosContext
from localshelf.store.db import Database
from localshelf.store.models import Integration, WebhookEvent
from tests.builders import operator_organization
from tests.conftest import call, call_error
from tests.integration.shopify_harness import stored_offers

pytestmark = pytest.mark.anyio

WEB = "http://127.0.0.1:8765"
KEY = TokenCipher.generate_key()
SHOPIFY_SHOP = "alder-hardware.myshopify.com"
Offer = tuple[str, str, str, int, int, str]  # sku, store id, gtin, price minor, quantity, status


class ProviderCase(Protocol):
    """What the contract needs from one provider's fake."""

    provider: str
    account: str | None  # what start_pos_connect needs up front (Shopify's shop domain), else None
    expiring_tokens: bool  # False: offline tokens that never expire (Shopify), nothing to refresh
    host: str  # the fake's base URL

    def app(self) -> Any: ...

    def settings(self) -> dict[str, Any]: ...

    def locations(self) -> list[str]: ...  # POS location ids, as the connector reports them

    def expected(self, stores: dict[str, str]) -> set[Offer]: ...

    def sell_out_one(self) -> None: ...  # set one in-stock item's quantity to 0 at its location

    def delete_one(self) -> None: ...

    async def notify(self, client: httpx.AsyncClient, url: str) -> httpx.Response: ...  # about the last change

    async def notify_unauthenticated(self, client: httpx.AsyncClient, url: str) -> httpx.Response: ...

    def webhook_path(self) -> str: ...

    def throttle_next(self, count: int) -> None: ...

    def revoke(self) -> None: ...  # the merchant removes the app: every token, refresh included, stops working


def _status(active: bool, quantity: int) -> str:
    if not active:
        return "discontinued"
    return "out_of_stock" if quantity <= 0 else "low_stock" if quantity <= 3 else "in_stock"


class CloverCase:
    provider = "clover"
    host = "https://clover.fake"
    account = None
    expiring_tokens = True

    def __init__(self) -> None:
        app = CloverApp("APPID0000001", "clover-client", "clover-secret", "clover-auth-code")
        self.state = CloverState(app, clock=time.time, access_token_lifetime=60.0)  # always about to expire
        self.merchant = self.state.add_merchant("Alder Street Hardware")
        self.state.seed(self.merchant, items=60, seed=3)
        self.fake = FakeClover(self.state)
        self.changed: list[str] = []
        self.refreshes = 0

    def app(self) -> Any:
        return self.fake

    def settings(self) -> dict[str, Any]:
        return {
            "clover_client_id": "clover-client",
            "clover_client_secret": "clover-secret",
            "clover_base_url": self.host,
            "clover_authorize_url": self.host,
            "clover_webhook_auth_code": "clover-auth-code",
        }

    def locations(self) -> list[str]:
        return [self.merchant.id]

    def expected(self, stores: dict[str, str]) -> set[Offer]:
        store = stores[self.merchant.id]
        found = set()
        for item in self.merchant.items.values():
            if item.deleted or item.quantity is None or not item.code or not is_valid_gtin(item.code):
                continue
            quantity = max(0, math.floor(item.quantity))
            active = not item.hidden and item.available
            found.add(
                (item.sku or item.id, store, normalize_gtin(item.code), item.price, quantity, _status(active, quantity))
            )
        return found

    def _live_items(self) -> list[Any]:
        return [i for i in self.merchant.items.values() if not i.deleted and i.code and (i.quantity or 0) > 3]

    def sell_out_one(self) -> None:
        item = self._live_items()[0]
        self.state.set_stock(self.merchant, item.id, 0)
        self.changed = [item.id, "IS"]

    def delete_one(self) -> None:
        item = self._live_items()[-1]
        self.state.delete_item(self.merchant, item.id)
        self.changed = [item.id, "DELETE"]

    async def notify(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        item_id, kind = self.changed
        event = (
            item_event(item_id, "UPDATE", self.state.now_ms(), key="IS")
            if kind == "IS"
            else item_event(item_id, "DELETE", self.state.now_ms())
        )
        return await self.fake.webhooks.send(client, url, {self.merchant.id: [event]})

    async def notify_unauthenticated(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        body = b'{"appId":"APPID0000001","merchants":{"' + self.merchant.id.encode() + b'":[]}}'
        return await client.post(url, content=body, headers={"X-Clover-Auth": "not-the-code"})

    def webhook_path(self) -> str:
        return "/webhooks/clover"

    def throttle_next(self, count: int) -> None:
        self.fake.faults += [CloverFault("rate_limit", count=count, retry_after=0, path_contains="/v3/")]

    def revoke(self) -> None:
        self.state.access_tokens.clear()
        self.state.refresh_tokens.clear()


class SquareCase:
    provider = "square"
    host = "https://connect.squareup.fake"
    account = None
    expiring_tokens = True

    def __init__(self) -> None:
        self.state = SquareState(App("sq0idp-test", "sq0csp-test"), clock=time.time, token_lifetime_seconds=60.0)
        self.state.seed(items=40, locations=2, seed=5)
        self.fake = FakeSquare(self.state)
        self.fake.webhooks = SquareWebhooks(self.state, f"{WEB}/webhooks/square", "square-signature-key")
        self.payload: dict[str, Any] = {}

    def app(self) -> Any:
        return self.fake

    def settings(self) -> dict[str, Any]:
        return {
            "square_client_id": "sq0idp-test",
            "square_client_secret": "sq0csp-test",
            "square_base_url": self.host,
            "square_webhook_signature_key": "square-signature-key",
        }

    def locations(self) -> list[str]:
        return list(self.state.locations)

    def expected(self, stores: dict[str, str]) -> set[Offer]:
        found = set()
        for item in self.state.items.values():
            for variation in item.variations:
                if item.is_deleted or variation.price is None or not variation.upc or not is_valid_gtin(variation.upc):
                    continue
                for (variation_id, location), (quantity_text, _) in self.state.counts.items():
                    if variation_id != variation.id:
                        continue
                    quantity = max(0, math.floor(float(quantity_text)))
                    active = not item.is_archived and variation.sellable
                    sku = variation.sku or variation.id
                    gtin = normalize_gtin(variation.upc)
                    found.add((sku, stores[location], gtin, variation.price, quantity, _status(active, quantity)))
        return found

    def _in_stock(self) -> list[tuple[Any, Any]]:
        return [
            (item, variation)
            for item in self.state.items.values()
            for variation in item.variations
            if not item.is_deleted and not item.is_archived and variation.upc and variation.price is not None
        ]

    def sell_out_one(self) -> None:
        _, variation = self._in_stock()[0]
        location = next(iter(self.state.locations))
        self.state.set_count(variation.id, location, "0")
        self.payload = inventory_count_updated(self.state, [(variation.id, location)])

    def delete_one(self) -> None:
        item, _ = self._in_stock()[-1]
        item.is_deleted = True
        self.state.touch(item)
        self.payload = catalog_version_updated(self.state)

    async def notify(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        return await self.fake.webhooks.send(client, self.payload)

    async def notify_unauthenticated(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        delivery = self.fake.webhooks.delivery(catalog_version_updated(self.state))
        headers = {**delivery.headers, "x-square-hmacsha256-signature": "bm90IHRoZSBzaWduYXR1cmU="}
        return await client.post(url, content=delivery.body, headers=headers)

    def webhook_path(self) -> str:
        return "/webhooks/square"

    def throttle_next(self, count: int) -> None:
        self.fake.inject(SquareFault("rate_limit", count=count, retry_after=0, path_contains="/v2/"))

    def revoke(self) -> None:
        self.state.grants.clear()


class LightspeedCase:
    """X-Series: a webhook per topic subscribed through the API at connect, form-encoded deliveries to the
    integration's secret URL; the unconfirmed X-Signature check is switched on here (the fake signs)."""

    provider = "lightspeed"
    host = "https://mystore.lightspeed.fake"
    account = None
    expiring_tokens = True

    def __init__(self) -> None:
        self.state = lightspeed_seed(LightspeedState(clock=time.time, access_ttl=60), products=30, outlets=2)
        self.fake = FakeLightspeed(self.state)
        self.last: tuple[str, Any] = ("", None)

    def app(self) -> Any:
        return self.fake

    def settings(self) -> dict[str, Any]:
        return {
            "lightspeed_client_id": "ls-client",
            "lightspeed_client_secret": "ls-secret",
            "lightspeed_base_url_template": "https://{account}.lightspeed.fake",
            "lightspeed_authorize_url": self.host,
            "lightspeed_require_webhook_signature": True,
        }

    def locations(self) -> list[str]:
        return list(self.state.outlets)

    def expected(self, stores: dict[str, str]) -> set[Offer]:
        inclusive = any(o.display_prices == "inclusive" for o in self.state.outlets.values())
        found = set()
        for product in self.state.products.values():
            codes = [c for c in product.product_codes if c.get("code")]
            preferred = [c["code"] for c in codes if c.get("type", "").upper() in ("UPC", "EAN")]
            barcode = (preferred or [c["code"] for c in codes] or [None])[0]
            if product.deleted_at or not barcode or not is_valid_gtin(barcode):
                continue
            price = product.price_including_tax if inclusive else product.price_excluding_tax
            for (product_id, outlet), record in self.state.inventory.items():
                if product_id != product.id:
                    continue
                quantity = max(0, int(record.inventory_level))
                status = _status(product.active, quantity)
                gtin = normalize_gtin(barcode)
                found.add((product.sku or product.id, stores[outlet], gtin, int(price * 100), quantity, status))
        return found

    def _sellable(self) -> list[Any]:
        return [p for p in self.state.products.values() if p.active and not p.deleted_at and p.product_codes]

    def sell_out_one(self) -> None:
        product = self._sellable()[0]
        self.last = ("inventory.update", self.state.set_inventory(product.id, next(iter(self.state.outlets)), 0))

    def delete_one(self) -> None:
        variant = next(p for p in reversed(self._sellable()) if p.variant_parent_id)  # its siblings stay
        self.last = ("product.update", self.state.delete_product(variant.id))

    async def notify(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        topic, record = self.last
        sender = LightspeedWebhooks(self.state, client)
        answers = await (
            sender.inventory_update(record) if topic == "inventory.update" else sender.product_update(record)
        )
        assert len(answers) == 1, "one subscription per topic"
        return answers[0]

    async def notify_unauthenticated(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        subscription = next(iter(self.state.webhooks.values()))
        body = lightspeed_form_body("inventory.update", self.state.domain_prefix, {"id": "x", "count": 1})
        forged = lightspeed_signature("not-the-client-secret", body)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Signature": forged}
        return await client.post(subscription.url, content=body, headers=headers)

    def webhook_path(self) -> str:
        return "/webhooks/lightspeed/<subscribed>"

    def throttle_next(self, count: int) -> None:
        self.fake.inject(LightspeedFault("rate_limit", count=count, retry_after=0, path_contains="/api/2.0/"))

    def revoke(self) -> None:
        self.state.grants.clear()


class ShopifyCase:
    """Shopify: offline tokens (no expiry), a webhook subscription per topic at a per-integration secret URL,
    HMAC-signed deliveries, GraphQL cost throttling."""

    provider = "shopify"
    account = SHOPIFY_SHOP
    expiring_tokens = False
    host = f"https://{SHOPIFY_SHOP}"

    def __init__(self) -> None:
        self.state = ShopifyState(ShopifyApp("shopify-client", "shopify-secret"), clock=time.time)
        self.shop = self.state.add_shop(SHOPIFY_SHOP, restore_rate=100_000.0)
        self.state.seed(self.shop, products=30, locations=2, variants_per_product=2, seed=11)
        self.fake = FakeShopify(self.state)
        self.last: tuple[str, dict[str, Any]] = ("", {})

    def app(self) -> Any:
        return self.fake

    def settings(self) -> dict[str, Any]:
        return {
            "shopify_client_id": "shopify-client",
            "shopify_client_secret": "shopify-secret",
            "shopify_base_url_template": "https://{shop}",
        }

    def locations(self) -> list[str]:
        return [shopify_gid("Location", location) for location in self.shop.locations]

    def expected(self, stores: dict[str, str]) -> set[Offer]:
        found = set()
        for product in self.shop.products.values():
            for variant in product.variants:
                if not variant.barcode or not is_valid_gtin(variant.barcode):
                    continue
                for (item, location), quantity in self.shop.levels.items():
                    if item != variant.inventory_item_id:
                        continue
                    price = int(Decimal(variant.price) * 100)
                    sku = variant.sku or shopify_gid("ProductVariant", variant.id)
                    status = _status(product.status == "ACTIVE", max(quantity, 0))
                    store = stores[shopify_gid("Location", location)]
                    found.add((sku, store, normalize_gtin(variant.barcode), price, max(quantity, 0), status))
        return found

    def _barcoded(self) -> list[Any]:
        return [p for p in self.shop.products.values() if p.status == "ACTIVE" and all(v.barcode for v in p.variants)]

    def sell_out_one(self) -> None:
        variant = self._barcoded()[0].variants[0]
        location = next(iter(self.shop.locations))
        self.state.set_available(self.shop, variant.inventory_item_id, location, 0)
        payload = inventory_level_payload(self.shop, variant.inventory_item_id, location)
        self.last = ("inventory_levels/update", payload)

    def delete_one(self) -> None:
        product = self._barcoded()[-1]
        del self.shop.products[product.id]
        for key in [key for key in self.shop.levels if self.shop.variant_by_item(key[0]) is None]:
            del self.shop.levels[key]
        self.last = ("products/delete", product_delete_payload(product.id))

    async def notify(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        topic, payload = self.last
        answers = await self.fake.webhooks.emit(client, self.shop, topic, payload)
        assert len(answers) == 1, "one subscription per topic"
        return answers[0]

    async def notify_unauthenticated(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        subscription = next(iter(self.shop.subscriptions.values()))
        body, headers = self.fake.webhooks.build(self.shop, "inventory_levels/update", {"inventory_item_id": 1})
        forged = {**headers, "X-Shopify-Hmac-Sha256": "bm90IHRoZSBzaWduYXR1cmU="}
        return await client.post(subscription.uri, content=body, headers=forged)

    def webhook_path(self) -> str:
        return "/webhooks/shopify/<subscribed>"

    def throttle_next(self, count: int) -> None:
        self.fake.inject(ShopifyFault("rate_limit", count=count, retry_after=0, path_contains="/graphql.json"))

    def revoke(self) -> None:
        self.shop.tokens.clear()


CASES: dict[str, Callable[[], ProviderCase]] = {
    "shopify": ShopifyCase,
    "clover": CloverCase,
    "square": SquareCase,
    "lightspeed": LightspeedCase,
}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> ProviderCase:
    return CASES[request.param]()


@dataclass
class Live:
    case: ProviderCase
    database: Database
    web: httpx.AsyncClient  # our HTTP app (pages, callbacks, webhooks)
    organization_id: str

    def pos_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.case.app()), base_url=self.case.host)

    def settings(self, **extra: Any) -> Settings:
        values = {"database_url": "sqlite://", "sync_worker": False, "encryption_keys": KEY}
        return Settings(**{**values, "public_url": f"{WEB}/mcp", **self.case.settings(), **extra})

    @asynccontextmanager
    async def agent(self) -> AsyncIterator[Client]:
        async with Client(build_server(self.settings(), database=self.database, pos_http=self.pos_http)) as client:
            yield client

    def worker(self) -> Worker:
        return Worker(PosContext(self.database, self.settings(), utcnow, self.pos_http))


@pytest.fixture
async def live(case: ProviderCase, database: Database) -> AsyncIterator[Live]:
    async with open_live(case, database) as opened:
        yield opened


@asynccontextmanager
async def open_live(case: ProviderCase, database: Database) -> AsyncIterator[Live]:
    """Our HTTP app in front of `database`, its POS calls going to `case`'s fake (also for other test modules)."""
    organization_id = operator_organization(database, "Alder Street Hardware")
    holder: dict[str, Live] = {}
    server = build_server(
        Settings(
            database_url="sqlite://",
            sync_worker=False,
            transport="http",
            encryption_keys=KEY,
            public_url=f"{WEB}/mcp",
            **case.settings(),
        ),
        database=database,
        pos_http=lambda: holder["live"].pos_http(),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.streamable_http_app()), base_url=WEB) as web:
        holder["live"] = Live(case, database, web, organization_id)
        yield holder["live"]


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def connect_through_the_pages(live: Live) -> str:
    """start → the person enters the code and approves → the provider's consent → our callback → connected."""
    now = datetime.now(UTC)
    started = live.database.transaction(
        connect.start_pos_connect,
        live.organization_id,
        live.case.provider,
        live.case.account,
        now,
        WEB,
        frozenset({live.case.provider}),
    )
    entry = await live.web.get("/connect")
    confirm = await live.web.post("/connect", data={"user_code": started.user_code, "csrf": csrf(entry)})
    assert confirm.status_code == 200, confirm.text
    to_provider = await live.web.post(
        "/connect/decision", data={"user_code": started.user_code, "decision": "approve", "csrf": csrf(confirm)}
    )
    assert to_provider.status_code == 303 and to_provider.headers["location"].startswith(live.case.host)
    async with live.pos_http() as provider:
        consent = await provider.get(to_provider.headers["location"])
    assert consent.status_code in (302, 303), consent.text
    callback = consent.headers["location"]
    assert callback.startswith(f"{WEB}/integrations/{live.case.provider}/callback")
    landed = await live.web.get(callback.removeprefix(WEB))
    assert landed.status_code == 200 and "is connected" in landed.text, landed.text
    polled = live.database.transaction(connect.poll_pos_connect, started.device_code, datetime.now(UTC))
    assert polled.status == "connected" and polled.integration is not None
    return polled.integration.id


def publish_stores(live: Live) -> dict[str, str]:
    stores = {}
    for index, pos_location in enumerate(live.case.locations()):
        fields = LocationFields(
            name=f"Store {index + 1}",
            address_line1=f"{index + 1} SE Main St",
            city="Portland",
            country="US",
            latitude=45.5 + index / 100,
            longitude=-122.6,
        )
        stores[pos_location] = live.database.transaction(locations.publish_location, live.organization_id, fields).id
    return stores


def stored_tokens(database: Database, integration_id: str) -> tuple[str, str | None]:
    """The integration's (access, refresh) tokens, decrypted."""
    cipher = TokenCipher.from_setting(KEY)
    with database.session() as session:
        row = session.scalar(select(Integration).where(Integration.public_id == integration_id))
        assert row is not None and row.access_token_encrypted
        refresh = row.refresh_token_encrypted
        return cipher.decrypt(row.access_token_encrypted), cipher.decrypt(refresh) if refresh else None


def events(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


async def test_a_provider_connects_syncs_exactly_and_follows_its_webhooks(live: Live) -> None:
    integration = await connect_through_the_pages(live)
    stores = publish_stores(live)
    issued = stored_tokens(live.database, integration)
    async with live.agent() as agent:
        listed = await call(agent, "list_pos_locations", integration_id=integration)
        assert {p["pos_location_id"] for p in listed["locations"]} == set(stores)
        mapping = [{"pos_location_id": pos, "location_id": store} for pos, store in stores.items()]
        await call(agent, "map_pos_locations", integration_id=integration, mapping=mapping)
        live.case.throttle_next(2)
        job = (await call(agent, "trigger_sync", integration_id=integration))["job"]
        assert job["state"] == "succeeded", job
        assert stored_offers(live.database) == live.case.expected(stores)
        refreshed = stored_tokens(live.database, integration)
        # an expiring access token was refreshed before it expired; an offline one is kept
        assert (refreshed[0] != issued[0]) is live.case.expiring_tokens

        for change in (live.case.sell_out_one, live.case.delete_one):
            change()
            answer = await live.case.notify(live.web, f"{WEB}{live.case.webhook_path()}")
            assert answer.status_code == 200, answer.text
            worker = live.worker()
            await worker.apply_pending_events()
            while await worker.run_next_job():
                pass
            assert stored_offers(live.database) == live.case.expected(stores)

    before = events(live.database)
    refused = await live.case.notify_unauthenticated(live.web, f"{WEB}{live.case.webhook_path()}")
    assert refused.status_code == 401 and events(live.database) == before
    with live.database.session() as session:
        stored = session.scalar(select(Integration).where(Integration.public_id == integration))
        assert stored is not None and stored.status == "connected"
        assert (stored.token_expires_at is not None) is live.case.expiring_tokens


async def test_a_refused_token_refresh_asks_for_reauthorization_in_every_tool(live: Live) -> None:
    integration = await connect_through_the_pages(live)
    live.case.revoke()
    async with live.agent() as agent:
        job = (await call(agent, "trigger_sync", integration_id=integration))["job"]
        assert job["state"] == "failed" and "start_pos_connect" in job["error_message"]
        shown = await call(agent, "get_integration", integration_id=integration)
        assert shown["status"] == "reauthorization_required" and shown["error_message"]
        code, message = await call_error(agent, "trigger_sync", integration_id=integration)
        assert code == "not_connected" and "reconnect" in message
        locations = await call(agent, "list_pos_locations", integration_id=integration)
        assert locations["refreshed"] is False and locations["integration_status"] == "reauthorization_required"
