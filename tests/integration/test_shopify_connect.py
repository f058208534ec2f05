"""Headless Shopify connect end to end: an agent starts it over MCP, a person approves on the verification
page, Shopify's consent (the fake, under uvicorn) calls back, and the agent's poll turns `connected`."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from localshelf.domain.auth import Role, Scope
from localshelf.fakes.shopify import App, FakeShopify, ShopifyState, callback_hmac
from localshelf.pos.crypto import TokenCipher
from localshelf.services import locations
from localshelf.services.locations import LocationFields
from localshelf.store.db import Database
from localshelf.store.models import Integration
from tests.builders import http_session, operator_key, operator_organization
from tests.conftest import call, call_error
from tests.integration.test_transports import _free_port, running_http_server

pytestmark = pytest.mark.anyio

SHOP = "alder-hardware.myshopify.com"
CLIENT_ID, CLIENT_SECRET = "localshelf-test-app", "localshelf-test-secret"


@pytest.fixture
def fake_shopify() -> Iterator[tuple[str, FakeShopify]]:
    """The Shopify fake on a real loopback port, with the real clock (callbacks carry real timestamps)."""
    state = ShopifyState(App(client_id=CLIENT_ID, client_secret=CLIENT_SECRET), clock=time.time)
    state.seed(state.add_shop(SHOP), products=5, locations=2, seed=1)
    fake = FakeShopify(state)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(fake, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "fake Shopify did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def server_env(fake_url: str, encryption_keys: str | None = None) -> dict[str, str]:
    """What `localshelf serve` needs to connect shops of the fake."""
    return {
        "LOCALSHELF_ENCRYPTION_KEYS": encryption_keys or TokenCipher.generate_key(),
        "LOCALSHELF_SHOPIFY_CLIENT_ID": CLIENT_ID,
        "LOCALSHELF_SHOPIFY_CLIENT_SECRET": CLIENT_SECRET,
        "LOCALSHELF_SHOPIFY_BASE_URL_TEMPLATE": fake_url,
    }


def operator_store(database: Database, organization_id: str, name: str) -> str:
    fields = LocationFields(
        name=name, address_line1="1 SE Main St", city="Portland", country="US", latitude=45.5, longitude=-122.6
    )
    return database.transaction(locations.publish_location, organization_id, fields).id


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def test_an_agent_connects_a_shop_through_a_person_approving_on_any_device(
    database: Database, tmp_path: Path, fake_shopify: tuple[str, FakeShopify]
) -> None:
    fake_url, fake = fake_shopify
    key_material = TokenCipher.generate_key()
    organization_id = operator_organization(database, "Alder Street Hardware")
    key = operator_key(database, organization_id, Role.MANAGER, frozenset({Scope.INTEGRATIONS_WRITE}))
    env = server_env(fake_url, key_material)
    with running_http_server(database, tmp_path / "connect.log", **env) as mcp_url:
        base = mcp_url.removesuffix("/mcp")
        async with http_session(mcp_url, key) as agent:
            started = await call(
                agent, "start_pos_connect", organization_id=organization_id, provider="shopify", account=SHOP
            )
            assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", started["user_code"])
            assert started["interval"] == 5 and started["expires_in"] == 900
            first = await call(agent, "poll_pos_connect", device_code=started["device_code"])
            assert first["status"] == "authorization_pending"
            again = await call(agent, "poll_pos_connect", device_code=started["device_code"])
            assert again["status"] == "slow_down" and again["interval"] == 10

            # The person, on another device: the link with the code filled in.
            with httpx.Client(follow_redirects=False, timeout=10) as person:
                assert started["verification_uri"] == f"{base}/connect"
                entry = person.get(started["verification_uri_complete"])
                assert entry.status_code == 200 and started["user_code"] in entry.text
                assert (
                    entry.headers["x-frame-options"] == "DENY"
                    and "default-src 'none'" in entry.headers["content-security-policy"]
                )
                confirm = person.post(
                    f"{base}/connect", data={"user_code": started["user_code"].lower(), "csrf": csrf_of(entry)}
                )
                assert confirm.status_code == 200
                assert "Alder Street Hardware" in confirm.text and SHOP in confirm.text
                to_shopify = person.post(
                    f"{base}/connect/decision",
                    data={"user_code": started["user_code"], "decision": "approve", "csrf": csrf_of(confirm)},
                )
                assert to_shopify.status_code == 303
                assert to_shopify.headers["location"].startswith(f"{fake_url}/admin/oauth/authorize?")
                consent = person.get(to_shopify.headers["location"])  # the fake merchant approves at once
                assert consent.status_code == 302
                callback = consent.headers["location"]
                landed = person.get(callback)
                assert landed.status_code == 200 and "is connected" in landed.text
                replayed = person.get(callback)  # state and code are single-use
                assert replayed.status_code == 400

            done = await call(agent, "poll_pos_connect", device_code=started["device_code"])
            assert done["status"] == "connected"
            assert done["integration"]["status"] == "connected" and done["integration"]["external_account"] == SHOP
            assert (await call(agent, "poll_pos_connect", device_code=started["device_code"]))["status"] == (
                "expired_token"
            )
            listed = await call(agent, "list_integrations", organization_id=organization_id)
            assert [i["status"] for i in listed["integrations"]] == ["connected"]
            integration_id = listed["integrations"][0]["id"]

            # Map the POS's locations to localshelf stores (suggested by name).
            pos_names = sorted(location.name for location in fake.state.shops[SHOP].locations.values())
            store = operator_store(database, organization_id, pos_names[0])
            found = await call(agent, "list_pos_locations", integration_id=integration_id)
            assert found["refreshed"] is True
            assert sorted(p["name"] for p in found["locations"]) == pos_names
            first = next(p for p in found["locations"] if p["name"] == pos_names[0])
            assert first["suggested_location_id"] == store and first["mapped_location_id"] is None
            mapped = await call(
                agent,
                "map_pos_locations",
                integration_id=integration_id,
                mapping=[{"pos_location_id": first["pos_location_id"], "location_id": store}],
            )
            assert {p["name"]: p["mapped_location_id"] for p in mapped["locations"]}[pos_names[0]] == store
            other = operator_store(database, operator_organization(database, "Someone Else"), "Elsewhere")
            code, _ = await call_error(
                agent,
                "map_pos_locations",
                integration_id=integration_id,
                mapping=[{"pos_location_id": first["pos_location_id"], "location_id": other}],
            )
            assert code == "not_found"

    issued = next(iter(fake.state.shops[SHOP].tokens))
    with database.session() as session:
        stored = session.query(Integration).one().access_token_encrypted
    assert stored and issued not in stored
    assert TokenCipher.from_setting(key_material).decrypt(stored) == issued


async def test_tampered_callbacks_and_denials_never_connect(
    database: Database, tmp_path: Path, fake_shopify: tuple[str, FakeShopify]
) -> None:
    fake_url, _ = fake_shopify
    organization_id = operator_organization(database, "Birch Books")
    key = operator_key(database, organization_id, Role.OWNER, frozenset({Scope.INTEGRATIONS_WRITE}))
    env = server_env(fake_url)
    with running_http_server(database, tmp_path / "tamper.log", **env) as mcp_url:
        base = mcp_url.removesuffix("/mcp")
        async with http_session(mcp_url, key) as agent:
            approved = await call(
                agent, "start_pos_connect", organization_id=organization_id, provider="shopify", account=SHOP
            )
            denied = await call(
                agent, "start_pos_connect", organization_id=organization_id, provider="shopify", account=SHOP
            )
            with httpx.Client(follow_redirects=False, timeout=10) as person:
                entry = person.get(f"{base}/connect")
                forged = person.post(f"{base}/connect", data={"user_code": approved["user_code"], "csrf": "forged"})
                assert forged.status_code == 403
                confirm = person.post(
                    f"{base}/connect", data={"user_code": approved["user_code"], "csrf": csrf_of(entry)}
                )
                to_shopify = person.post(
                    f"{base}/connect/decision",
                    data={"user_code": approved["user_code"], "decision": "approve", "csrf": csrf_of(confirm)},
                )
                callback = person.get(to_shopify.headers["location"]).headers["location"]
                for tampered in (
                    re.sub(r"hmac=[0-9a-f]+", "hmac=" + "0" * 64, callback),
                    re.sub(r"state=[^&]+", "state=forged", callback),
                    callback.replace(SHOP, "evil-shop.myshopify.com"),
                ):
                    assert person.get(tampered).status_code == 400
                entry = person.get(f"{base}/connect")
                confirm = person.post(
                    f"{base}/connect", data={"user_code": denied["user_code"], "csrf": csrf_of(entry)}
                )
                no = person.post(
                    f"{base}/connect/decision",
                    data={"user_code": denied["user_code"], "decision": "deny", "csrf": csrf_of(confirm)},
                )
                assert no.status_code == 200 and "denied" in no.text.lower()
            assert (await call(agent, "poll_pos_connect", device_code=approved["device_code"]))["status"] == (
                "authorization_pending"
            )
            assert (await call(agent, "poll_pos_connect", device_code=denied["device_code"]))["status"] == (
                "access_denied"
            )
            wrong = await call_error(
                agent, "start_pos_connect", organization_id=organization_id, provider="square", account=SHOP
            )
            assert wrong[0] == "unavailable" and "LOCALSHELF_SQUARE_CLIENT_ID" in wrong[1]
    with database.session() as session:
        assert {i.status for i in session.query(Integration)} == {"pending"}


async def test_the_browser_install_flow_one_click_link_and_shopify_launched_installs(
    database: Database, tmp_path: Path, fake_shopify: tuple[str, FakeShopify]
) -> None:
    fake_url, _ = fake_shopify
    organization_id = operator_organization(database, "Cedar Cycles")
    key = operator_key(database, organization_id, Role.OWNER, frozenset({Scope.INTEGRATIONS_WRITE}))
    env = server_env(fake_url)
    with running_http_server(database, tmp_path / "install.log", **env) as mcp_url:
        base = mcp_url.removesuffix("/mcp")
        async with http_session(mcp_url, key) as agent:
            started = await call(
                agent, "start_pos_connect", organization_id=organization_id, provider="shopify", account=SHOP
            )
            install = started["install_url"]
            assert install.startswith(f"{base}/integrations/shopify/install?shop={SHOP}&token=")
            with httpx.Client(follow_redirects=False, timeout=10) as person:
                other_shop = install.replace(SHOP, "other-shop.myshopify.com")
                assert person.get(other_shop).status_code == 400
                to_shopify = person.get(install)
                assert to_shopify.status_code == 303
                assert to_shopify.headers["location"].startswith(f"{fake_url}/admin/oauth/authorize?")
                assert person.get(install).status_code == 400  # single use
                consent = person.get(to_shopify.headers["location"])
                landed = person.get(consent.headers["location"])
                assert landed.status_code == 200 and "is connected" in landed.text

                # Launched from Shopify's admin: signed by Shopify, then the person's code says which organization.
                params = {"shop": SHOP, "timestamp": str(int(time.time()))}
                signed = {**params, "hmac": callback_hmac(CLIENT_SECRET, params)}
                launched = person.get(f"{base}/integrations/shopify/install", params=signed)
                assert launched.status_code == 303 and launched.headers["location"] == f"/connect?shop={SHOP}"
                forged = person.get(f"{base}/integrations/shopify/install", params={**signed, "hmac": "0" * 64})
                assert forged.status_code == 400
                entry = person.get(f"{base}{launched.headers['location']}")
                assert SHOP in entry.text
                elsewhere = await call(
                    agent,
                    "start_pos_connect",
                    organization_id=organization_id,
                    provider="shopify",
                    account="elsewhere.myshopify.com",
                )
                wrong_shop = person.post(
                    f"{base}/connect", data={"user_code": elsewhere["user_code"], "shop": SHOP, "csrf": csrf_of(entry)}
                )
                assert wrong_shop.status_code == 400
        polled = await _poll(mcp_url, key, started["device_code"])
    assert polled == "connected"


async def _poll(mcp_url: str, key: str, device_code: str) -> str:
    async with http_session(mcp_url, key) as agent:
        return str((await call(agent, "poll_pos_connect", device_code=device_code))["status"])
