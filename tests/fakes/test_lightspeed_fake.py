"""The fake X-Series itself, over the wire: OAuth with rotating refresh and expiry, version paging, deleted
products in the feed, fault injection and the form-encoded webhook body."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from localshelf.fakes.lightspeed import FakeClock, FakeLightspeed, Fault, LightspeedState, WebhookSender, seed

pytestmark = pytest.mark.anyio
BASE = "https://mystore.retail.lightspeed.app"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeLightspeed:
    return FakeLightspeed(seed(LightspeedState(clock=clock, access_ttl=3600), products=12, outlets=2))


@pytest.fixture
async def http(fake: FakeLightspeed) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as client:
        yield client


async def _grant(http: httpx.AsyncClient) -> dict[str, object]:
    connect = await http.get(
        "/connect",
        params={"response_type": "code", "client_id": "ls-client", "redirect_uri": "https://app/cb", "state": "s1"},
    )
    assert connect.status_code == 302
    query = parse_qs(urlsplit(connect.headers["location"]).query)
    assert query["state"] == ["s1"] and query["domain_prefix"] == ["mystore"]
    form = {
        "code": query["code"][0],
        "client_id": "ls-client",
        "client_secret": "ls-secret",
        "grant_type": "authorization_code",
        "redirect_uri": "https://app/cb",
    }
    answer = await http.post("/api/1.0/token", data=form)
    assert answer.status_code == 200
    body: dict[str, object] = answer.json()
    return body


def _auth(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_code_exchange_answers_documented_fields(http: httpx.AsyncClient, clock: FakeClock) -> None:
    grant = await _grant(http)
    assert grant["token_type"] == "Bearer" and grant["domain_prefix"] == "mystore"
    assert grant["expires_in"] == 3600 and grant["expires"] == int(clock.now) + 3600
    assert (await http.get("/api/2.0/outlets", headers=_auth(grant["access_token"]))).status_code == 200


async def test_code_is_single_use_and_json_body_refused(http: httpx.AsyncClient) -> None:
    answer = await http.post("/api/1.0/token", json={"grant_type": "authorization_code"})
    assert answer.status_code == 400


async def test_refresh_rotates_and_old_token_stops_working(http: httpx.AsyncClient) -> None:
    grant = await _grant(http)
    form = {
        "refresh_token": grant["refresh_token"],
        "client_id": "ls-client",
        "client_secret": "ls-secret",
        "grant_type": "refresh_token",
    }
    fresh = await http.post("/api/1.0/token", data=form)
    assert fresh.status_code == 200 and fresh.json()["refresh_token"] != grant["refresh_token"]
    assert (await http.post("/api/1.0/token", data=form)).status_code == 400
    assert (await http.get("/api/2.0/outlets", headers=_auth(fresh.json()["access_token"]))).status_code == 200


async def test_expired_and_bad_tokens_answer_401(http: httpx.AsyncClient, clock: FakeClock) -> None:
    grant = await _grant(http)
    assert (await http.get("/api/2.0/products", headers=_auth("nope"))).status_code == 401
    clock.advance(3601)
    answer = await http.get("/api/2.0/products", headers=_auth(grant["access_token"]))
    assert answer.status_code == 401 and "error" in answer.json()


async def test_version_paging_and_deleted_products(fake: FakeLightspeed, http: httpx.AsyncClient) -> None:
    headers = _auth((await _grant(http))["access_token"])
    victim = next(iter(fake.state.products))
    fake.state.delete_product(victim)
    seen: list[dict[str, object]] = []
    after = 0
    while True:
        body = (await http.get("/api/2.0/products", params={"after": after, "page_size": 5}, headers=headers)).json()
        if not body["data"]:
            assert "version" not in body
            break
        versions = [p["version"] for p in body["data"]]
        assert body["version"] == {"min": min(versions), "max": max(versions)} and len(versions) <= 5
        seen.extend(body["data"])
        after = body["version"]["max"]
    assert victim not in {p["id"] for p in seen}
    assert len(seen) == len(fake.state.products) - 1
    with_deleted = (await http.get("/api/2.0/products", params={"deleted": "true"}, headers=headers)).json()
    deleted = [p for p in with_deleted["data"] if p["id"] == victim]
    assert deleted and deleted[0]["deleted_at"] and with_deleted["data"][-1]["id"] == victim


async def test_seed_shapes(fake: FakeLightspeed) -> None:
    products = list(fake.state.products.values())
    assert any(p.variant_parent_id for p in products) and any(not p.product_codes for p in products)
    assert any(not p.active for p in products)
    assert len(fake.state.inventory) == len(products) * len(fake.state.outlets)
    again = seed(LightspeedState(), products=12, outlets=2)
    assert [p.sku for p in again.products.values()] == [p.sku for p in products]


@pytest.mark.parametrize(
    ("fault", "status"),
    [(Fault("rate_limit", retry_after=2), 429), (Fault("rate_limit"), 429), (Fault("server_error", status=503), 503)],
)
async def test_faults(fake: FakeLightspeed, http: httpx.AsyncClient, fault: Fault, status: int) -> None:
    fake.inject(fault)
    answer = await http.get("/api/2.0/outlets")
    assert answer.status_code == status
    assert answer.headers.get("retry-after") == (str(fault.retry_after) if fault.retry_after else None)
    assert (await http.get("/api/2.0/outlets")).status_code == 401  # the fault was used up


async def test_truncated_body(fake: FakeLightspeed, http: httpx.AsyncClient) -> None:
    headers = _auth((await _grant(http))["access_token"])
    fake.inject(Fault("truncate"))
    try:
        answer = await http.get("/api/2.0/outlets", headers=headers)
    except httpx.HTTPError:
        return  # the transport noticed the short body
    with pytest.raises(ValueError):
        json.loads(answer.content)


async def test_webhook_form_body(fake: FakeLightspeed) -> None:
    received: list[tuple[str, bytes]] = []

    async def receiver(scope: object, receive: object, send: object) -> None:  # a tiny ASGI endpoint
        from starlette.requests import Request
        from starlette.responses import Response

        request = Request(scope, receive)  # type: ignore[arg-type]
        received.append((request.headers["content-type"], await request.body()))
        await Response(status_code=200)(scope, receive, send)  # type: ignore[arg-type]

    fake.state.add_webhook("https://hooks.test/ls", "inventory.update")
    fake.state.add_webhook("https://hooks.test/other", "product.update")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver)) as client:
        sender = WebhookSender(fake.state, client)
        record = next(iter(fake.state.inventory.values()))
        assert [answer.status_code for answer in await sender.inventory_update(record)] == [200]
    assert len(received) == 1  # only the webhook of that type
    content_type, body = received[0]
    assert content_type.startswith("application/x-www-form-urlencoded")
    fields = parse_qs(body.decode())
    assert fields["type"] == ["inventory.update"] and fields["domain_prefix"] == ["mystore"]
    payload = json.loads(fields["payload"][0])
    assert payload["product_id"] == record.product_id and payload["count"] == float(record.inventory_level)


async def test_request_budget(clock: FakeClock) -> None:
    fake = FakeLightspeed(seed(LightspeedState(clock=clock), products=2, outlets=1), budget=2)
    token = fake.state.issue_grant().access_token
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as http:
        statuses = [(await http.get("/api/2.0/outlets", headers=_auth(token))) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert statuses[2].headers["retry-after"] == "300" and statuses[2].headers["x-ratelimit-remaining"] == "0"
        clock.advance(300)
        assert (await http.get("/api/2.0/outlets", headers=_auth(token))).status_code == 200


async def test_webhooks_are_managed_through_the_api(fake: FakeLightspeed) -> None:
    headers = _auth(fake.state.issue_grant().access_token)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as http:
        created = await http.post(
            "/api/2.0/webhooks",
            headers=headers,
            json={"url": "https://a.test/1", "active": True, "type": "product.update"},
        )
        assert created.status_code == 200
        webhook = created.json()["data"]
        assert webhook["type"] == "product.update" and webhook["active"] is True
        moved = await http.put(f"/api/2.0/webhooks/{webhook['id']}", headers=headers, json={"url": "https://a.test/2"})
        assert moved.json()["data"]["url"] == "https://a.test/2"
        listed = (await http.get("/api/2.0/webhooks", headers=headers)).json()["data"]
        assert [w["url"] for w in listed] == ["https://a.test/2"]
        refused = await http.post(
            "/api/2.0/webhooks", headers=headers, json={"url": "https://a.test/3", "type": "nope"}
        )
        assert refused.status_code == 400
        assert (await http.post("/api/2.0/webhooks", json={"url": "x", "type": "product.update"})).status_code == 401
        assert (await http.delete(f"/api/2.0/webhooks/{webhook['id']}", headers=headers)).status_code == 204
        assert (await http.get(f"/api/2.0/webhooks/{webhook['id']}", headers=headers)).status_code == 404
    assert fake.state.webhooks == {}
