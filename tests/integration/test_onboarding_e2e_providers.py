"""The seed's onboarding end to end for Square, Clover and Lightspeed, as `test_onboarding_e2e.py` does it for
Shopify: a real `localshelf serve --transport http` process (background worker on), the provider's fake under
uvicorn on a loopback port (real clock, 60-second access tokens so the server refreshes them), an OAuth-signed-in
agent calling MCP tools over streamable HTTP, and a person approving on the verification pages.

create organization → start_pos_connect → approve → the provider's consent → poll until connected → webhook
endpoint recorded → the initial sync reads the fake's whole catalog → publish and map a store: its offers equal
the fake's ground truth → search_local_products at the store finds the retailer → the POS sells an item out and
tells us with its webhook → the offer is out of stock.

What each provider's fake looks like (seeding, settings, webhooks, expected offers) comes from the provider
contract's cases (`test_provider_contract.py`); only what an end-to-end run adds is defined here.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import uvicorn
from joserfc.jwk import KeySet, RSAKey
from mcp import Client

from localshelf.fakes.square import WebhookSender as SquareWebhooks
from localshelf.fakes.square import inventory_count_updated
from localshelf.pos.crypto import TokenCipher
from localshelf.store.db import Database
from tests.builders import http_session
from tests.conftest import call
from tests.integration.test_onboarding_e2e import (
    ISSUER,
    STORE,
    _finished_job,
    _offer_with_status,
    access_token,
    approve_as_the_person,
    eventually,
    publish_sellwood_store,
)
from tests.integration.test_provider_contract import CloverCase, LightspeedCase, Offer, SquareCase
from tests.integration.test_transports import _free_port, running_http_server

pytestmark = pytest.mark.anyio


class OnboardingCase(Protocol):
    """What this test needs from a provider contract case, plus the sync's ground truth and a sale at a store."""

    provider: str

    def app(self) -> Any: ...

    def settings(self) -> dict[str, Any]: ...

    def locations(self) -> list[str]: ...

    def expected(self, stores: dict[str, str]) -> set[Offer]: ...

    def items_seen(self) -> int: ...  # POS variants a full sync reads

    def tokens_issued(self) -> int: ...  # access tokens the fake handed out: code exchange, then refreshes

    def sell_out(self, sku: str, pos_location_id: str) -> None: ...  # and remember it for `notify`

    async def notify(self, client: httpx.AsyncClient, url: str) -> httpx.Response: ...  # about the sale

    def webhook_path(self) -> str: ...


class SquareOnboarding(SquareCase):
    def items_seen(self) -> int:
        return sum(  # variations without a price (set at the register) are skipped
            1
            for item in self.state.items.values()
            if not item.is_deleted
            for variation in item.variations
            if variation.price is not None
        )

    def tokens_issued(self) -> int:
        return len(self.state.grants)

    def sell_out(self, sku: str, pos_location_id: str) -> None:
        variation = next(v for i in self.state.items.values() for v in i.variations if (v.sku or v.id) == sku)
        self.state.set_count(variation.id, pos_location_id, "0")
        self.payload = inventory_count_updated(self.state, [(variation.id, pos_location_id)])

    async def notify(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        # Square signs the notification URL with the body: the subscription points at the server's real URL.
        self.fake.webhooks = SquareWebhooks(self.state, url, str(self.settings()["square_webhook_signature_key"]))
        return await super().notify(client, url)


class CloverOnboarding(CloverCase):
    def items_seen(self) -> int:
        return sum(1 for item in self.merchant.items.values() if not item.deleted)

    def tokens_issued(self) -> int:
        return len(self.state.access_tokens)

    def sell_out(self, sku: str, pos_location_id: str) -> None:
        assert pos_location_id == self.merchant.id  # a Clover merchant is one store
        item = next(i for i in self.merchant.items.values() if (i.sku or i.id) == sku)
        self.state.set_stock(self.merchant, item.id, 0)
        self.changed = [item.id, "IS"]


class LightspeedOnboarding(LightspeedCase):
    def items_seen(self) -> int:
        return len(self.state.products)  # deleted products are read too (they turn inactive)

    def tokens_issued(self) -> int:
        return sum(1 for method, path, _ in self.fake.request_log if (method, path) == ("POST", "/api/1.0/token"))

    def sell_out(self, sku: str, pos_location_id: str) -> None:
        product = next(p for p in self.state.products.values() if (p.sku or p.id) == sku)
        self.last = ("inventory.update", self.state.set_inventory(product.id, pos_location_id, 0))


CASES: dict[str, Callable[[], OnboardingCase]] = {
    "square": SquareOnboarding,
    "clover": CloverOnboarding,
    "lightspeed": LightspeedOnboarding,
}


@contextmanager
def serve_on_loopback(app: Any) -> Iterator[str]:
    """An ASGI app under uvicorn on a free loopback port, in a thread; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the fake did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(params=sorted(CASES))
def provider(request: pytest.FixtureRequest) -> Iterator[tuple[str, OnboardingCase]]:
    """One provider's fake on a real loopback port, with the URL the server must use for it."""
    case = CASES[request.param]()
    with serve_on_loopback(case.app()) as url:
        yield url, case


def provider_env(case: OnboardingCase, fake_url: str) -> dict[str, str]:
    """The case's settings as `LOCALSHELF_*` variables, every provider host pointing at the fake on loopback (a
    Lightspeed base URL without `{account}` serves every domain prefix)."""
    hosts = ("_url", "_url_template")
    env = {
        f"LOCALSHELF_{name.upper()}": fake_url if name.endswith(hosts) else str(value)
        for name, value in case.settings().items()
    }
    return {"LOCALSHELF_ENCRYPTION_KEYS": TokenCipher.generate_key(), **env}


def signed_in(tmp_path: Path) -> tuple[RSAKey, dict[str, str]]:
    """An issuer's signing key and the settings that make the server trust it (JWKS from a file)."""
    signing_key = RSAKey.generate_key(2048, parameters={"kid": "e2e", "use": "sig"})
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(KeySet([signing_key]).as_dict(private=False)))
    return signing_key, {"LOCALSHELF_OAUTH_ISSUER": ISSUER, "LOCALSHELF_OAUTH_JWKS_FILE": str(jwks)}


async def all_offers(agent: Client, organization: str, location: str) -> list[dict[str, Any]]:
    offers: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page_cursor = {"cursor": cursor} if cursor else {}
        page = await call(
            agent, "list_in_store_offers", organization_id=organization, location_id=location, limit=200, **page_cursor
        )
        offers += page["offers"]
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(offers) == page["total"]
            return offers


def as_offer(offer: dict[str, Any]) -> Offer:
    price = offer["price"]["amount_minor"]
    return (
        offer["sku"],
        offer["location_id"],
        offer["product"]["gtin"],
        price,
        offer["quantity_on_hand"],
        offer["status"],
    )


async def test_a_new_retailer_on_each_provider_goes_from_signed_up_to_found_in_local_search(
    database: Database, tmp_path: Path, provider: tuple[str, OnboardingCase]
) -> None:
    fake_url, case = provider
    signing_key, oauth_env = signed_in(tmp_path)
    env = {**oauth_env, **provider_env(case, fake_url)}
    with running_http_server(database, tmp_path / f"e2e-{case.provider}.log", **env) as mcp_url:
        base = mcp_url.removesuffix("/mcp")
        async with http_session(mcp_url, access_token(signing_key, mcp_url, "owner@alder.test")) as agent:
            # 1. the retailer signs up
            organization = await call(agent, "create_organization", name="Alder Street Hardware", kind="retailer")
            org = organization["id"]
            # 2-4. headless connect: no account up front, the provider's consent names it on the callback
            started = await call(agent, "start_pos_connect", organization_id=org, provider=case.provider)
            approve_as_the_person(started["verification_uri_complete"], base, started["user_code"])
            polled = await call(agent, "poll_pos_connect", device_code=started["device_code"])
            assert polled["status"] == "connected", polled
            integration = polled["integration"]["id"]
            # 5. live updates are wired
            endpoints = await call(agent, "list_webhook_endpoints", integration_id=integration)
            assert [e["provider"] for e in endpoints["endpoints"]] == [case.provider], endpoints
            # 6. the initial full sync runs by itself and reads the whole catalog
            job = await eventually(lambda: _finished_job(agent, integration), "the initial sync")
            assert job["kind"] == "full" and job["state"] == "succeeded", job
            assert job["counters"]["items_seen"] == case.items_seen(), job
            assert case.tokens_issued() > 1  # the 60-second access token was refreshed before use
            # 7. a store with real coordinates, mapped to the first POS location: its offers are the POS's
            store = await publish_sellwood_store(agent, org)
            pos_locations = await call(agent, "list_pos_locations", integration_id=integration)
            assert {p["pos_location_id"] for p in pos_locations["locations"]} == set(case.locations())
            first = pos_locations["locations"][0]
            await call(
                agent,
                "map_pos_locations",
                integration_id=integration,
                mapping=[{"pos_location_id": first["pos_location_id"], "location_id": store["id"]}],
            )
            offers = await all_offers(agent, org, store["id"])
            assert offers
            unmapped = dict.fromkeys(case.locations(), "unmapped")
            expected = case.expected({**unmapped, first["pos_location_id"]: store["id"]})
            assert {as_offer(o) for o in offers} == {o for o in expected if o[1] == store["id"]}
            # 8. a shopper nearby finds the retailer
            in_stock = next(o for o in offers if o["status"] in ("in_stock", "low_stock") and o["quantity_on_hand"] > 0)
            words = in_stock["product"]["name"].split()[:2]
            found = await call(
                agent, "search_local_products", query=" ".join(words), latitude=STORE[0], longitude=STORE[1]
            )
            assert any(hit["store"]["organization_id"] == org for hit in found["results"]), found
            # 9. the POS sells out of that item and tells the server; the offer stops being promised
            case.sell_out(in_stock["sku"], first["pos_location_id"])
            async with httpx.AsyncClient(timeout=10) as sender:
                answer = await case.notify(sender, f"{base}{case.webhook_path()}")
            assert answer.status_code == 200, answer.text
            sold_out = await eventually(
                lambda: _offer_with_status(agent, org, store["id"], in_stock["id"], "out_of_stock"), "the sale"
            )
            assert sold_out["quantity_on_hand"] == 0
