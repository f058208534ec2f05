"""The seed's onboarding, end to end, as an agent and a person do it: a real `localshelf serve --transport http`
process (background worker on), the Shopify fake under uvicorn, an OAuth-signed-in agent calling MCP tools over
streamable HTTP, and a person approving on the verification pages with a plain HTTP client.

create organization → start_pos_connect → approve → poll until connected → webhook endpoints exist → the initial
sync succeeds → publish and map a store, offers appear → search_local_products at the store finds the retailer
→ a webhook from the POS changes stock, and search shows it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from mcp import Client

from localshelf.domain.auth import ALL_SCOPES
from localshelf.fakes.shopify import FakeShopify, gid, inventory_level_payload
from localshelf.store.db import Database
from tests.builders import http_session
from tests.conftest import call
from tests.integration.test_shopify_connect import SHOP, csrf_of, fake_shopify, server_env
from tests.integration.test_transports import running_http_server

pytestmark = pytest.mark.anyio
__all__ = ["fake_shopify"]  # the fixture, used by name below

ISSUER = "https://auth.localshelf.test/realms/e2e"
STORE = (45.4665, -122.6490)
T = TypeVar("T")


def access_token(key: RSAKey, audience: str, subject: str) -> str:
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": subject,
        "scope": " ".join(sorted(ALL_SCOPES)),
        "exp": int(time.time()) + 600,
    }
    return jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": "e2e"}, claims, key, ["RS256"], default_type=None)


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, seconds: float = 30.0) -> T:
    """Poll until `probe` answers something, as an agent polls; fail with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await probe()
        if found is not None:
            return found
        await anyio.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def approve_as_the_person(verification_uri_complete: str, base: str, user_code: str) -> None:
    with httpx.Client(follow_redirects=False, timeout=10) as person:
        entry = person.get(verification_uri_complete)
        confirm = person.post(f"{base}/connect", data={"user_code": user_code, "csrf": csrf_of(entry)})
        assert "Alder Street Hardware" in confirm.text
        to_shopify = person.post(
            f"{base}/connect/decision", data={"user_code": user_code, "decision": "approve", "csrf": csrf_of(confirm)}
        )
        consent = person.get(to_shopify.headers["location"])
        landed = person.get(consent.headers["location"])
        assert landed.status_code == 200 and "is connected" in landed.text, landed.text


async def test_a_new_retailer_goes_from_signed_up_to_found_in_local_search(
    database: Database, tmp_path: Path, fake_shopify: tuple[str, FakeShopify]
) -> None:
    fake_url, fake = fake_shopify
    signing_key = RSAKey.generate_key(2048, parameters={"kid": "e2e", "use": "sig"})
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(KeySet([signing_key]).as_dict(private=False)))
    env = {"LOCALSHELF_OAUTH_ISSUER": ISSUER, "LOCALSHELF_OAUTH_JWKS_FILE": str(jwks), **server_env(fake_url)}
    shop = fake.state.shops[SHOP]
    with running_http_server(database, tmp_path / "e2e.log", **env) as mcp_url:
        base = mcp_url.removesuffix("/mcp")
        async with http_session(mcp_url, access_token(signing_key, mcp_url, "owner@alder.test")) as agent:
            # 1. the retailer signs up
            organization = await call(agent, "create_organization", name="Alder Street Hardware", kind="retailer")
            org = organization["id"]
            # 2-4. headless connect: code for the person, approval on their device, the agent's poll
            started = await call(agent, "start_pos_connect", organization_id=org, provider="shopify", account=SHOP)
            approve_as_the_person(started["verification_uri_complete"], base, started["user_code"])
            polled = await call(agent, "poll_pos_connect", device_code=started["device_code"])
            assert polled["status"] == "connected"
            integration = polled["integration"]["id"]
            # 5. live updates are wired
            endpoints = await call(agent, "list_webhook_endpoints", integration_id=integration)
            assert len(endpoints["endpoints"]) > 0 and len(shop.subscriptions) == 7
            # 6. the initial full sync runs by itself
            job = await eventually(lambda: _finished_job(agent, integration), "the initial sync")
            assert job["kind"] == "full" and job["state"] == "succeeded", job
            variants = sum(len(p.variants) for p in shop.products.values())
            assert job["counters"]["items_seen"] == variants
            # 7. a store with real coordinates, mapped to the POS location
            store = await publish_sellwood_store(agent, org)
            pos_locations = await call(agent, "list_pos_locations", integration_id=integration)
            first = pos_locations["locations"][0]
            await call(
                agent,
                "map_pos_locations",
                integration_id=integration,
                mapping=[{"pos_location_id": first["pos_location_id"], "location_id": store["id"]}],
            )
            offers = await call(agent, "list_in_store_offers", organization_id=org, location_id=store["id"])
            assert offers["total"] > 0
            # 8. a shopper nearby finds the retailer
            in_stock = next(
                o for o in offers["offers"] if o["status"] in ("in_stock", "low_stock") and o["quantity_on_hand"] > 0
            )
            words = in_stock["product"]["name"].split()[:2]
            found = await call(
                agent, "search_local_products", query=" ".join(words), latitude=STORE[0], longitude=STORE[1]
            )
            assert any(hit["store"]["organization_id"] == org for hit in found["results"]), found
            # 9. the POS sells out of that item: its webhook reaches the server and search stops promising it
            variant = next(v for p in shop.products.values() for v in p.variants if v.sku == in_stock["sku"])
            location_id = int(first["pos_location_id"].rsplit("/", 1)[1])
            fake.state.set_available(shop, variant.inventory_item_id, location_id, 0)
            async with httpx.AsyncClient(timeout=10) as sender:
                answers = await fake.webhooks.emit(
                    sender,
                    shop,
                    "inventory_levels/update",
                    inventory_level_payload(shop, variant.inventory_item_id, location_id),
                )
            assert [answer.status_code for answer in answers] == [200]
            sold_out = await eventually(
                lambda: _offer_with_status(agent, org, store["id"], in_stock["id"], "out_of_stock"), "the webhook"
            )
            assert sold_out["quantity_on_hand"] == 0
            assert gid("Location", location_id) == first["pos_location_id"]


async def publish_sellwood_store(agent: Client, organization: str) -> dict[str, Any]:
    """The retailer's store, with the entrance's real coordinates."""
    return await call(
        agent,
        "publish_location",
        organization_id=organization,
        name="Alder Street Hardware – Sellwood",
        address_line1="8001 SE 13th Ave",
        city="Portland",
        region="OR",
        postal_code="97202",
        country="US",
        latitude=STORE[0],
        longitude=STORE[1],
    )


async def _finished_job(agent: Client, integration: str) -> dict[str, Any] | None:
    jobs = (await call(agent, "list_sync_jobs", integration_id=integration))["jobs"]
    return jobs[0] if jobs and jobs[0]["state"] not in ("queued", "running") else None


async def _offer_with_status(
    agent: Client, organization: str, location: str, offer_id: str, status: str
) -> dict[str, Any] | None:
    offers = await call(agent, "list_in_store_offers", organization_id=organization, location_id=location, limit=100)
    return next((o for o in offers["offers"] if o["id"] == offer_id and o["status"] == status), None)
