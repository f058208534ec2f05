"""Lightspeed X-Series webhooks through our HTTP app, beyond the contract suite: what is subscribed, what a
delivery must carry to be stored, deduplication without a delivery id, tax-inclusive prices, and rotation moving
the POS webhooks to the new secret URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from localshelf.fakes.lightspeed.webhooks import WebhookSender, form_body, inventory_payload, signature_header
from localshelf.server.app import build_server
from localshelf.store.models import Integration, WebhookEndpoint
from tests.conftest import call
from tests.integration.shopify_harness import stored_offers
from tests.integration.test_provider_contract import (
    WEB,
    LightspeedCase,
    Live,
    connect_through_the_pages,
    events,
    publish_stores,
)
from tests.integration.test_provider_contract import live as live  # the fixture, for this module's `case`

pytestmark = pytest.mark.anyio
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


@pytest.fixture
def case() -> LightspeedCase:
    return LightspeedCase()


async def connect_map_and_sync(live: Live) -> tuple[str, dict[str, str]]:
    integration = await connect_through_the_pages(live)
    stores = publish_stores(live)
    async with live.agent() as agent:
        await call(agent, "list_pos_locations", integration_id=integration)
        mapping = [{"pos_location_id": pos, "location_id": store} for pos, store in stores.items()]
        await call(agent, "map_pos_locations", integration_id=integration, mapping=mapping)
        assert (await call(agent, "trigger_sync", integration_id=integration))["job"]["state"] == "succeeded"
    return integration, stores


@pytest.fixture
async def synced(live: Live) -> AsyncIterator[tuple[Live, str, dict[str, str]]]:
    integration, stores = await connect_map_and_sync(live)
    yield live, integration, stores


def lightspeed(live: Live) -> LightspeedCase:
    assert isinstance(live.case, LightspeedCase)
    return live.case


def signed(state: Any, body: bytes) -> dict[str, str]:
    return {**FORM, "X-Signature": signature_header(state.client_secret, body)}


async def test_connect_subscribes_each_topic_to_one_secret_url_stored_only_hashed(live: Live) -> None:
    integration = await connect_through_the_pages(live)
    subscribed = lightspeed(live).state.webhooks.values()
    assert sorted(w.type for w in subscribed) == ["inventory.update", "product.update"]
    urls = {w.url for w in subscribed}
    assert len(urls) == 1 and next(iter(urls)).startswith(f"{WEB}/webhooks/lightspeed/")
    secret = next(iter(urls)).rsplit("/", 1)[1]
    with live.database.session() as session:
        endpoint = session.scalar(select(WebhookEndpoint))
        assert endpoint is not None and secret not in (endpoint.token_hash or "")
        assert sorted(endpoint.subscription_ids) == sorted(w.id for w in subscribed)
    async with live.agent() as agent:
        listed = await call(agent, "list_webhook_endpoints", integration_id=integration)
        assert [e["provider"] for e in listed["endpoints"]] == ["lightspeed"]
        assert secret not in str(listed)


async def test_a_redelivery_is_a_duplicate_and_an_applied_change_matches_the_fake(
    synced: tuple[Live, str, dict[str, str]],
) -> None:
    live, _, stores = synced
    case = lightspeed(live)
    product = case._sellable()[0]
    record = case.state.set_inventory(product.id, next(iter(case.state.outlets)), Decimal(42))
    sender = WebhookSender(case.state, live.web)
    first, again = [await sender.inventory_update(record) for _ in range(2)]
    assert [a.json()["outcome"] for a in first + again] == ["accepted", "duplicate"]
    await live.worker().apply_pending_events()
    assert stored_offers(live.database) == case.expected(stores)
    assert any(offer[4] == 42 for offer in stored_offers(live.database))


@pytest.mark.parametrize(
    ("tamper", "status"),
    [
        ("wrong_url", 401),
        ("no_signature", 401),
        ("signature_of_another_body", 401),
        ("other_store", 401),
        ("not_a_form", 400),
    ],
)
async def test_a_rejected_delivery_stores_nothing(
    synced: tuple[Live, str, dict[str, str]], tamper: str, status: int
) -> None:
    live, _, _ = synced
    case = lightspeed(live)
    url = next(iter(case.state.webhooks.values())).url
    record = next(iter(case.state.inventory.values()))
    body = form_body("inventory.update", case.state.domain_prefix, inventory_payload(record))
    headers = signed(case.state, body)
    if tamper == "wrong_url":
        url = f"{WEB}/webhooks/lightspeed/not-a-secret"
    elif tamper == "no_signature":
        headers = FORM
    elif tamper == "signature_of_another_body":
        headers = signed(case.state, body + b"&x=1")
    elif tamper == "other_store":
        body = form_body("inventory.update", "another-store", inventory_payload(record))
        headers = signed(case.state, body)
    else:
        body = b"type=inventory.update&payload=%5Bnot-json"
        headers = signed(case.state, body)
    before = events(live.database)
    answer = await live.web.post(url, content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert events(live.database) == before


async def test_unsigned_deliveries_are_accepted_when_the_check_is_off_and_other_types_ignored(live: Live) -> None:
    """The X-Signature scheme is unconfirmed, so by default the secret URL alone authenticates."""
    case = lightspeed(live)
    await connect_through_the_pages(live)
    url = next(iter(case.state.webhooks.values())).url
    body = form_body(
        "inventory.update", case.state.domain_prefix, inventory_payload(next(iter(case.state.inventory.values())))
    )
    sale = form_body("sale.update", case.state.domain_prefix, {"id": "s1"})
    settings = live.settings(transport="http", lightspeed_require_webhook_signature=False)
    server = build_server(settings, database=live.database, pos_http=live.pos_http)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.streamable_http_app()), base_url=WEB) as web:
        unsigned = await web.post(url, content=body, headers=FORM)
        ignored = await web.post(url, content=sale, headers=FORM)
    assert unsigned.json()["outcome"] == "accepted" and ignored.json()["outcome"] == "ignored"
    assert events(live.database) == 1


async def test_rotation_moves_the_pos_webhooks_and_the_old_url_keeps_working(
    synced: tuple[Live, str, dict[str, str]],
) -> None:
    live, integration, _ = synced
    case = lightspeed(live)
    old_url = next(iter(case.state.webhooks.values())).url
    async with live.agent() as agent:
        endpoint = (await call(agent, "list_webhook_endpoints", integration_id=integration))["endpoints"][0]
        rotated = await call(agent, "rotate_webhook_secret", endpoint_id=endpoint["id"])
    assert rotated["previous_secret_valid_until"] is not None
    new_urls = {w.url for w in case.state.webhooks.values()}
    assert len(new_urls) == 1 and old_url not in new_urls
    record = next(iter(case.state.inventory.values()))
    for version, url in enumerate((old_url, *new_urls), start=record.version + 1):
        body = form_body(
            "inventory.update", case.state.domain_prefix, {**inventory_payload(record), "version": version}
        )
        answer = await live.web.post(url, content=body, headers=signed(case.state, body))
        assert answer.json()["outcome"] == "accepted", url


async def test_tax_inclusive_outlets_price_webhook_products_like_the_full_sync(live: Live) -> None:
    case = lightspeed(live)
    for outlet in case.state.outlets.values():
        outlet.display_prices = "inclusive"
    _, stores = await connect_map_and_sync(live)
    with live.database.session() as session:
        assert session.scalar(select(Integration.prices_include_tax)) is True
    product = case._sellable()[0]
    product.price_including_tax, product.price_excluding_tax = Decimal("55.00"), Decimal("50.00")
    answers = await WebhookSender(case.state, live.web).product_update(case.state.touch(product.id))
    assert answers[0].json()["outcome"] == "accepted"
    await live.worker().apply_pending_events()
    assert stored_offers(live.database) == case.expected(stores)
    assert any(offer[3] == 5500 for offer in stored_offers(live.database))
