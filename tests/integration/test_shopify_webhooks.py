"""Shopify webhooks end to end: the fake signs and POSTs real deliveries into the real Starlette app (the
`/webhooks/shopify/{secret}` route of an HTTP-transport server), the route stores them, a worker applies them,
and the offers are compared with the fake's own ground truth, on both backends.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from mcp import Client
from sqlalchemy import func, select, update

from localshelf.domain.gtin import is_valid_gtin, normalize_gtin
from localshelf.fakes.shopify import (
    Product,
    Variant,
    app_uninstalled_payload,
    gid,
    inventory_level_payload,
    product_delete_payload,
    product_payload,
    sign_webhook,
)
from localshelf.server.state import utcnow
from localshelf.server.worker import Worker
from localshelf.services import pos_flows, webhooks
from localshelf.services.pos_flows import PosContext
from localshelf.store.db import Database
from localshelf.store.models import Integration, WebhookEndpoint, WebhookEvent
from tests.conftest import call, table_rows
from tests.integration.shopify_harness import (
    STORE_COORDINATES,
    Connected,
    connected_shop,
    expected_offers,
    settings,
    stored_offers,
)

pytestmark = pytest.mark.anyio

WEB_BASE_URL = "http://127.0.0.1:8765"  # the harness' public_url without /mcp
HOOK_PREFIX = f"{WEB_BASE_URL}/webhooks/shopify/"
FAKE_TOPICS = {
    "INVENTORY_LEVELS_UPDATE",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "PRODUCTS_DELETE",
    "APP_UNINSTALLED",
    "ORDERS_CREATE",
    "REFUNDS_CREATE",
}
OTHER_SHOP = "elm-street-books.myshopify.com"


@dataclass
class Hooks:
    """A connected shop with provisioned webhooks, an HTTP client into the real webhook route, and the worker's
    POS context."""

    shop: Connected
    pos: PosContext
    web: httpx.AsyncClient

    @property
    def database(self) -> Database:
        return self.shop.database

    def url(self) -> str:
        """The one delivery URL every subscription at the fake points at."""
        uris = {sub.uri for sub in self.shop.shop.subscriptions.values()}
        assert len(uris) == 1, uris
        return uris.pop()

    def secret(self) -> str:
        return self.url().removeprefix(HOOK_PREFIX)

    async def emit(self, topic: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The fake delivers one event to its subscription of `topic`; returns the route's JSON answer."""
        responses = await self.shop.fake.webhooks.emit(self.web, self.shop.shop, topic, payload)
        assert len(responses) == 1, [r.status_code for r in responses]
        assert responses[0].status_code == 200, responses[0].text
        answer: dict[str, Any] = responses[0].json()
        return answer

    def last_event_id(self) -> str:
        return self.shop.fake.webhooks.deliveries[-1].headers["X-Shopify-Event-Id"]

    async def apply(self) -> int:
        return await Worker(self.pos).apply_pending_events()


def integration_pk(database: Database, public_id: str) -> int:
    with database.session() as session:
        found = session.scalar(select(Integration.id).where(Integration.public_id == public_id))
    assert found is not None
    return found


def event_count(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


def event_states(database: Database) -> dict[str, tuple[str, str]]:
    """Stored events: provider event id -> (topic, state)."""
    with database.session() as session:
        rows = session.execute(select(WebhookEvent.event_id, WebhookEvent.topic, WebhookEvent.state))
        return {event_id: (topic, state) for event_id, topic, state in rows}


def state_of(database: Database, event_id: str) -> tuple[str, int, str | None]:
    """(state, attempts, outcome) of one stored event."""
    with database.session() as session:
        row = session.execute(
            select(WebhookEvent.state, WebhookEvent.attempts, WebhookEvent.outcome).where(
                WebhookEvent.event_id == event_id
            )
        ).one()
    return row[0], row[1], row[2]


def rest_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def barcoded_products(shop: Connected) -> list[Product]:
    """Active products whose (first) variant carries a valid GTIN, so they have offers, in id order."""
    return [
        product
        for product in sorted(shop.shop.products.values(), key=lambda p: p.id)
        if product.status == "ACTIVE"
        and len(product.variants) == 1
        and product.variants[0].barcode
        and is_valid_gtin(product.variants[0].barcode)
    ]


def first_location(shop: Connected) -> int:
    """The fake's lowest location id: the store at STORE_COORDINATES[0]."""
    return min(shop.shop.locations)


def offers_of(database: Database, sku: str) -> set[tuple[Any, ...]]:
    return {offer for offer in stored_offers(database) if offer[0] == sku}


async def first_sync(client: Client, shop: Connected) -> None:
    """Map every POS location to its store and run a full sync, as test_shopify_sync does."""
    await call(client, "list_pos_locations", integration_id=shop.integration_id)
    await call(client, "map_pos_locations", integration_id=shop.integration_id, mapping=shop.mapping())
    job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert job["state"] == "succeeded", job
    assert stored_offers(shop.database) == expected_offers(shop)


async def endpoint_of(client: Client, shop: Connected) -> dict[str, Any]:
    listed = await call(client, "list_webhook_endpoints", integration_id=shop.integration_id)
    assert len(listed["endpoints"]) == 1, listed
    endpoint: dict[str, Any] = listed["endpoints"][0]
    return endpoint


@pytest.fixture
def shop(database: Database) -> Connected:
    return connected_shop(database)


@pytest.fixture
async def hooks(shop: Connected) -> AsyncIterator[Hooks]:
    pos = PosContext(shop.database, settings(), utcnow, shop.http)
    assert await pos_flows.provision_webhooks(pos, integration_pk(shop.database, shop.integration_id))
    app = shop.server(transport="http").streamable_http_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB_BASE_URL) as web:
        yield Hooks(shop, pos, web)


# ------------------------------------------------------------------------------------------- provisioning


async def test_provisioning_subscribes_seven_topics_to_one_secret_url_stored_only_hashed(hooks: Hooks) -> None:
    """Provisioning makes one endpoint with seven topics, seven subscriptions at the fake and no plain secret."""
    shop = hooks.shop
    subscriptions = list(shop.shop.subscriptions.values())
    assert len(subscriptions) == 7
    assert {sub.topic for sub in subscriptions} == FAKE_TOPICS
    assert all(sub.uri.startswith(HOOK_PREFIX) for sub in subscriptions)
    secret = hooks.secret()
    assert len(secret) >= 32

    async with shop.client() as client:
        endpoint = await endpoint_of(client, shop)
    assert sorted(endpoint["topics"]) == sorted(webhooks.SHOPIFY_TOPICS)
    assert endpoint["integration_id"] == shop.integration_id
    assert endpoint["url_hint"] == f"{HOOK_PREFIX}…" and secret not in json.dumps(endpoint)
    assert endpoint["deliveries_accepted"] == endpoint["deliveries_duplicate"] == 0

    with hooks.database.session() as session:
        rows = session.execute(select(WebhookEndpoint.__table__)).all()
    assert len(rows) == 1
    stored = [str(value) for value in rows[0] if value is not None]
    assert not [value for value in stored if secret in value], "the URL secret is stored in plain text"
    assert hashlib.sha256(secret.encode()).hexdigest() in stored  # only its hash is kept


# ------------------------------------------------------------------------------------------- applying


async def test_an_inventory_update_is_stored_applied_and_matches_the_fake(hooks: Hooks) -> None:
    """inventory_levels/update after a first sync is accepted, applied, and the offer follows the fake."""
    shop = hooks.shop
    async with shop.client() as client:
        await first_sync(client, shop)
        variant = barcoded_products(shop)[0].variants[0]
        location = first_location(shop)
        before = shop.shop.levels[(variant.inventory_item_id, location)]
        quantity = 0 if before > 0 else 30
        shop.state.set_available(shop.shop, variant.inventory_item_id, location, quantity)
        answer = await hooks.emit(
            "inventory_levels/update", inventory_level_payload(shop.shop, variant.inventory_item_id, location)
        )
        assert answer == {"outcome": "accepted"}
        assert event_states(hooks.database) == {hooks.last_event_id(): ("inventory_levels/update", "pending")}
        assert stored_offers(hooks.database) != expected_offers(shop)  # stored, not yet applied

        assert await hooks.apply() == 1
        assert event_states(hooks.database) == {hooks.last_event_id(): ("inventory_levels/update", "applied")}
        assert stored_offers(hooks.database) == expected_offers(shop)

        lat, lon = STORE_COORDINATES[0]
        assert variant.barcode is not None
        found = await call(
            client, "check_product_availability", gtin=normalize_gtin(variant.barcode), latitude=lat, longitude=lon
        )
    store = shop.stores[gid("Location", location)]
    at_store = [hit for hit in found["stores"] if hit["store"]["location_id"] == store]
    assert len(at_store) == 1
    assert at_store[0]["quantity_on_hand"] == quantity
    assert at_store[0]["status"] == ("out_of_stock" if quantity == 0 else "in_stock")


async def test_a_redelivered_event_is_a_duplicate_and_stores_nothing_new(hooks: Hooks) -> None:
    """The same event delivered again answers duplicate, adds no row, and the endpoint counts it."""
    shop = hooks.shop
    variant = barcoded_products(shop)[0].variants[0]
    payload = inventory_level_payload(shop.shop, variant.inventory_item_id, first_location(shop))
    assert await hooks.emit("inventory_levels/update", payload) == {"outcome": "accepted"}
    assert event_count(hooks.database) == 1

    again = await shop.fake.webhooks.redeliver(hooks.web, shop.fake.webhooks.deliveries[-1])
    assert again.status_code == 200 and again.json() == {"outcome": "duplicate"}
    assert event_count(hooks.database) == 1
    async with shop.client() as client:
        endpoint_id = (await endpoint_of(client, shop))["id"]
        endpoint = await call(client, "get_webhook_endpoint", endpoint_id=endpoint_id)
    assert endpoint["deliveries_accepted"] == 1
    assert endpoint["deliveries_duplicate"] == 1
    assert endpoint["last_delivery_at"] is not None


async def test_an_older_inventory_update_delivered_late_is_ignored(hooks: Hooks) -> None:
    """Of two updates for one item and location, the newer wins even when it arrives first."""
    shop = hooks.shop
    async with shop.client() as client:
        await first_sync(client, shop)
    variant = barcoded_products(shop)[0].variants[0]
    location = first_location(shop)
    shop.state.set_available(shop.shop, variant.inventory_item_id, location, 17)  # the POS's final word
    base = inventory_level_payload(shop.shop, variant.inventory_item_id, location)
    now = datetime.now(UTC)
    newer = {**base, "available": 17, "updated_at": rest_time(now + timedelta(minutes=2))}
    older = {**base, "available": 2, "updated_at": rest_time(now + timedelta(minutes=1))}

    assert await hooks.emit("inventory_levels/update", newer) == {"outcome": "accepted"}
    newer_id = hooks.last_event_id()
    assert await hooks.emit("inventory_levels/update", older) == {"outcome": "accepted"}
    older_id = hooks.last_event_id()
    assert await hooks.apply() == 2

    states = event_states(hooks.database)
    assert states[newer_id] == ("inventory_levels/update", "applied")
    assert states[older_id] == ("inventory_levels/update", "ignored")
    store = shop.stores[gid("Location", location)]
    sku = variant.sku
    assert sku is not None
    assert {(offer[1], offer[4]) for offer in offers_of(hooks.database, sku)} >= {(store, 17)}
    assert stored_offers(hooks.database) == expected_offers(shop)


async def test_a_price_change_and_a_deleted_product_reach_the_offers(hooks: Hooks) -> None:
    """products/update changes the offers' price; products/delete removes that product's offers only."""
    shop = hooks.shop
    async with shop.client() as client:
        await first_sync(client, shop)
    repriced, deleted = barcoded_products(shop)[:2]
    variant: Variant = repriced.variants[0]
    assert variant.sku is not None and deleted.variants[0].sku is not None
    new_price = "123.45" if variant.price != "123.45" else "99.99"
    variant.price, variant.updated_at = new_price, time.time()
    repriced.updated_at = time.time()
    assert await hooks.emit("products/update", product_payload(repriced, shop.shop)) == {"outcome": "accepted"}
    del shop.shop.products[deleted.id]
    assert await hooks.emit("products/delete", product_delete_payload(deleted.id)) == {"outcome": "accepted"}
    others = {
        offer for offer in stored_offers(hooks.database) if offer[0] not in (variant.sku, deleted.variants[0].sku)
    }
    assert offers_of(hooks.database, deleted.variants[0].sku)  # offered before the deletion is applied

    assert await hooks.apply() == 2

    repriced_offers = offers_of(hooks.database, variant.sku)
    assert len(repriced_offers) == len(shop.stores)
    assert {offer[3] for offer in repriced_offers} == {int(Decimal(new_price) * 100)}
    assert offers_of(hooks.database, deleted.variants[0].sku) == set()
    assert others <= stored_offers(hooks.database)
    assert stored_offers(hooks.database) == expected_offers(shop)
    assert {state for _topic, state in event_states(hooks.database).values()} == {"applied"}


# ------------------------------------------------------------------------------------------- rejections


Tamper = Callable[[str, bytes, dict[str, str]], tuple[str, Any, dict[str, str]]]


def _without_signature(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, Any, dict[str, str]]:
    return url, body, {k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"}


def _wrong_signature(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, Any, dict[str, str]]:
    return url, body, {**headers, "X-Shopify-Hmac-Sha256": sign_webhook("not-the-app-secret", body)}


def _modified_body(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, Any, dict[str, str]]:
    payload = json.loads(body)
    payload["available"] += 100
    return url, json.dumps(payload, separators=(",", ":")).encode(), headers


def _unknown_secret(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, Any, dict[str, str]]:
    return HOOK_PREFIX + webhooks.new_secret(), body, headers


def _other_shop(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, Any, dict[str, str]]:
    return url, body, {**headers, "X-Shopify-Shop-Domain": OTHER_SHOP}


def _oversized(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, Any, dict[str, str]]:
    big = json.dumps({**json.loads(body), "padding": "x" * 1_000_000}).encode()
    return url, big, {**headers, "X-Shopify-Hmac-Sha256": sign_webhook(settings().shopify_client_secret or "", big)}


def _oversized_streamed(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, Any, dict[str, str]]:
    """No Content-Length (chunked): the route must count the bytes as they come."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(11):
            yield b" " * 100_000

    return url, chunks(), headers


REJECTIONS: list[tuple[str, Tamper, int, str]] = [
    ("missing signature", _without_signature, 401, "invalid signature"),
    ("wrong signature", _wrong_signature, 401, "invalid signature"),
    ("signature over another body", _modified_body, 401, "invalid signature"),
    ("unknown secret", _unknown_secret, 401, "unknown endpoint"),
    ("another shop", _other_shop, 401, "unknown endpoint"),
    ("body over the limit", _oversized, 413, "body too large"),
    ("streamed body over the limit", _oversized_streamed, 413, "body too large"),
]


@pytest.mark.parametrize(("tamper", "status", "outcome"), [r[1:] for r in REJECTIONS], ids=[r[0] for r in REJECTIONS])
async def test_a_rejected_delivery_stores_nothing(hooks: Hooks, tamper: Tamper, status: int, outcome: str) -> None:
    """Bad signature, unknown URL, wrong shop or oversized body: refused and nothing written."""
    shop = hooks.shop
    variant = barcoded_products(shop)[0].variants[0]
    payload = inventory_level_payload(shop.shop, variant.inventory_item_id, first_location(shop))
    body, headers = shop.fake.webhooks.build(shop.shop, "inventory_levels/update", payload)
    before = table_rows(hooks.database)

    url, content, sent_headers = tamper(hooks.url(), body, headers)
    refused = await hooks.web.post(url, content=content, headers=sent_headers)
    assert (refused.status_code, refused.json()) == (status, {"outcome": outcome})
    assert table_rows(hooks.database) == before
    assert event_count(hooks.database) == 0

    genuine = await hooks.web.post(hooks.url(), content=body, headers=headers)  # the untouched delivery passes
    assert (genuine.status_code, genuine.json()) == (200, {"outcome": "accepted"})
    assert event_count(hooks.database) == 1


async def endpoint_counters(shop: Connected) -> tuple[int, int, str | None]:
    """(deliveries accepted, deliveries duplicate, last delivery at) of the one endpoint, as the tools read them."""
    async with shop.client() as client:
        endpoint = await endpoint_of(client, shop)
    return endpoint["deliveries_accepted"], endpoint["deliveries_duplicate"], endpoint["last_delivery_at"]


async def test_the_endpoint_counts_stored_and_duplicate_deliveries_and_nothing_else(hooks: Hooks) -> None:
    """Each stored delivery and each re-delivery moves the endpoint's counters and last delivery time at once; a
    refused delivery (another shop) and an ignored one (integration not connected) move nothing."""
    shop = hooks.shop
    variant = barcoded_products(shop)[0].variants[0]
    payload = inventory_level_payload(shop.shop, variant.inventory_item_id, first_location(shop))
    assert await endpoint_counters(shop) == (0, 0, None)
    for count in (1, 2, 3):
        assert await hooks.emit("inventory_levels/update", payload) == {"outcome": "accepted"}
        accepted, duplicate, last = await endpoint_counters(shop)
        assert (accepted, duplicate) == (count, 0) and last is not None
    first = shop.fake.webhooks.deliveries[0]
    for count in (1, 2):
        again = await shop.fake.webhooks.redeliver(hooks.web, first)
        assert again.json() == {"outcome": "duplicate"}
        accepted, duplicate, newer = await endpoint_counters(shop)
        assert (accepted, duplicate) == (3, count) and newer is not None and newer >= last
        last = newer

    body, headers = shop.fake.webhooks.build(shop.shop, "inventory_levels/update", payload)
    url, content, other_shop = _other_shop(hooks.url(), body, headers)
    refused = await hooks.web.post(url, content=content, headers=other_shop)
    assert refused.status_code == 401
    with hooks.database.session() as session, session.begin():
        session.execute(update(Integration).values(status="disconnected"))
    ignored = await hooks.web.post(hooks.url(), content=body, headers=headers)
    assert ignored.json() == {"outcome": "ignored"}
    assert await endpoint_counters(shop) == (3, 2, last)
    assert event_count(hooks.database) == 3


# ------------------------------------------------------------------------------------------- lifecycle


async def test_app_uninstalled_disconnects_keeps_offers_and_ignores_later_deliveries(hooks: Hooks) -> None:
    """app/uninstalled disconnects the integration, keeps its offers, and later deliveries are ignored."""
    shop = hooks.shop
    async with shop.client() as client:
        await first_sync(client, shop)
        offers = stored_offers(hooks.database)
        url = hooks.url()
        assert await hooks.emit("app/uninstalled", app_uninstalled_payload(shop.shop)) == {"outcome": "accepted"}
        shop.state.uninstall(shop.shop)  # the fake drops the token and the subscriptions
        assert await hooks.apply() == 1
        integration = await call(client, "get_integration", integration_id=shop.integration_id)
    assert integration["status"] == "disconnected"
    assert offers and stored_offers(hooks.database) == offers
    assert event_states(hooks.database) == {hooks.last_event_id(): ("app/uninstalled", "applied")}

    variant = barcoded_products(shop)[0].variants[0]
    shop.state.set_available(shop.shop, variant.inventory_item_id, first_location(shop), 99)
    payload = inventory_level_payload(shop.shop, variant.inventory_item_id, first_location(shop))
    later = await shop.fake.webhooks.send(hooks.web, url, shop.shop, "inventory_levels/update", payload)
    assert later.status_code == 200 and later.json() == {"outcome": "ignored"}
    assert event_count(hooks.database) == 1
    assert stored_offers(hooks.database) == offers


async def test_app_uninstalled_before_the_first_sync_still_disconnects(hooks: Hooks) -> None:
    """An uninstall that arrives before the first sync disconnects the integration all the same."""
    shop = hooks.shop
    assert await hooks.emit("app/uninstalled", app_uninstalled_payload(shop.shop)) == {"outcome": "accepted"}
    shop.state.uninstall(shop.shop)
    assert await hooks.apply() == 1
    assert event_states(hooks.database) == {hooks.last_event_id(): ("app/uninstalled", "applied")}
    async with shop.client() as client:
        integration = await call(client, "get_integration", integration_id=shop.integration_id)
    assert integration["status"] == "disconnected"


async def test_rotating_the_secret_moves_the_subscriptions_and_keeps_the_old_url_for_a_day(hooks: Hooks) -> None:
    """rotate_webhook_secret points the fake at a new URL; both URLs work, the old one only within 24 h."""
    shop = hooks.shop
    old_url, old_secret = hooks.url(), hooks.secret()
    async with shop.client() as client:
        endpoint_id = (await endpoint_of(client, shop))["id"]
        rotated = await call(client, "rotate_webhook_secret", endpoint_id=endpoint_id)
    new_url, new_secret = hooks.url(), hooks.secret()
    assert new_url != old_url and new_url.startswith(HOOK_PREFIX)
    assert len(shop.shop.subscriptions) == 7
    rotated_at = datetime.fromisoformat(rotated["rotated_at"])
    assert datetime.fromisoformat(rotated["previous_secret_valid_until"]) == rotated_at + webhooks.SECRET_GRACE

    variant = barcoded_products(shop)[0].variants[0]
    payload = inventory_level_payload(shop.shop, variant.inventory_item_id, first_location(shop))
    assert await hooks.emit("inventory_levels/update", payload) == {"outcome": "accepted"}  # to the new URL
    assert shop.fake.webhooks.deliveries[-1].url == new_url
    old = await shop.fake.webhooks.send(hooks.web, old_url, shop.shop, "inventory_levels/update", payload)
    assert old.status_code == 200 and old.json() == {"outcome": "accepted"}
    assert event_count(hooks.database) == 2

    def receiver(secret: str, at: datetime) -> webhooks.Receiver | None:
        return hooks.database.transaction(webhooks.receiver_for, "shopify", secret, at)

    pk = integration_pk(hooks.database, shop.integration_id)
    within, after = rotated_at + timedelta(hours=23), rotated_at + timedelta(hours=25)
    assert (found := receiver(old_secret, within)) is not None and found.integration_id == pk
    assert receiver(old_secret, after) is None
    assert (found := receiver(new_secret, after)) is not None and found.integration_id == pk
    assert receiver(webhooks.new_secret(), within) is None


async def test_acknowledged_deliveries_survive_a_restart_and_are_all_applied(hooks: Hooks) -> None:
    """Deliveries stored while no worker runs are applied by a worker started later on a fresh engine."""
    shop = hooks.shop
    async with shop.client() as client:
        await first_sync(client, shop)
    products = barcoded_products(shop)
    for index, product in enumerate(products[:4]):
        item = product.variants[0].inventory_item_id
        for location in sorted(shop.shop.locations):
            shop.state.set_available(shop.shop, item, location, index * 5)
            payload = inventory_level_payload(shop.shop, item, location)
            assert await hooks.emit("inventory_levels/update", payload) == {"outcome": "accepted"}
    repriced = products[4]
    repriced.variants[0].price, repriced.variants[0].updated_at = "7.77", time.time()
    repriced.updated_at = time.time()
    assert await hooks.emit("products/update", product_payload(repriced, shop.shop)) == {"outcome": "accepted"}
    delivered = 4 * len(shop.shop.locations) + 1
    assert event_count(hooks.database) == delivered
    assert {state for _topic, state in event_states(hooks.database).values()} == {"pending"}
    assert stored_offers(hooks.database) != expected_offers(shop)

    url = hooks.database.engine.url.render_as_string(hide_password=False)
    restarted = Database.from_url(url)  # a new process: its own engine, nothing carried over in memory
    try:
        worker = Worker(PosContext(restarted, settings(), utcnow, shop.http))
        assert await worker.apply_pending_events() == delivered
        assert await worker.apply_pending_events() == 0
    finally:
        restarted.dispose()
    assert {state for _topic, state in event_states(hooks.database).values()} == {"applied"}
    assert stored_offers(hooks.database) == expected_offers(shop)


async def test_an_event_waiting_for_a_first_sync_survives_a_worker_pass_that_applies_others(hooks: Hooks) -> None:
    """An event of a not-yet-synced integration keeps waiting while another integration's event is applied."""
    shop = hooks.shop
    async with shop.client() as client:
        await first_sync(client, shop)
    second = connected_shop(hooks.database, seed=11)  # connected and provisioned, first sync still queued
    second_pos = PosContext(hooks.database, settings(), utcnow, second.http)
    assert await pos_flows.provision_webhooks(second_pos, integration_pk(hooks.database, second.integration_id))

    variant = barcoded_products(second)[0].variants[0]
    location = first_location(second)
    second.state.set_available(second.shop, variant.inventory_item_id, location, 0)
    payload = inventory_level_payload(second.shop, variant.inventory_item_id, location)
    waiting = await second.fake.webhooks.emit(hooks.web, second.shop, "inventory_levels/update", payload)
    assert [r.json() for r in waiting] == [{"outcome": "accepted"}]
    waiting_id = second.fake.webhooks.deliveries[-1].headers["X-Shopify-Event-Id"]
    item = barcoded_products(shop)[0].variants[0].inventory_item_id
    shop.state.set_available(shop.shop, item, first_location(shop), 3)
    payload = inventory_level_payload(shop.shop, item, first_location(shop))
    assert await hooks.emit("inventory_levels/update", payload) == {"outcome": "accepted"}

    applied = await hooks.apply()  # one worker pass
    state, attempts, outcome = state_of(hooks.database, waiting_id)
    assert state == "pending", (state, attempts, outcome)  # left for a later pass, not given up on
    assert applied == 1  # the synced integration's event only

    async with second.client() as client:
        await call(client, "list_pos_locations", integration_id=second.integration_id)
        await call(client, "map_pos_locations", integration_id=second.integration_id, mapping=second.mapping())
        await call(client, "trigger_sync", integration_id=second.integration_id)
    assert await hooks.apply() == 1
    assert event_states(hooks.database)[waiting_id] == ("inventory_levels/update", "applied")
    assert stored_offers(hooks.database) == expected_offers(shop) | expected_offers(second)
