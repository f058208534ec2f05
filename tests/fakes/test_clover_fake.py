"""The Clover fake answers in Clover's documented wire format (checked with raw HTTP, independently of the connector)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from localshelf.domain.gtin import is_valid_gtin
from localshelf.fakes.clover import Address, App, CloverState, FakeClock, FakeClover, Fault, Merchant, item_event

pytestmark = pytest.mark.anyio

BASE = "https://api.clover.test"
APP = App("APPID00000001", "clover-client", "clover-secret", "static-auth-code")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state(clock: FakeClock) -> CloverState:
    state = CloverState(APP, clock, access_token_lifetime=600, refresh_token_lifetime=3600, max_limit=50)
    merchant = state.add_merchant(
        "Alder Hardware", address=Address(address1="1 Main St", city="Springfield", state="IL", zip="62701")
    )
    state.seed(merchant, items=120, seed=3)
    return state


@pytest.fixture
def merchant(state: CloverState) -> Merchant:
    return next(iter(state.merchants.values()))


@pytest.fixture
def fake(state: CloverState) -> FakeClover:
    return FakeClover(state)


@pytest.fixture
async def http(fake: FakeClover) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as client:
        yield client


async def install(http: httpx.AsyncClient) -> dict[str, object]:
    answer = await http.get(
        "/oauth/v2/authorize", params={"client_id": APP.client_id, "redirect_uri": "https://app/cb", "state": "n1"}
    )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    token = await http.post(
        "/oauth/v2/token",
        json={"client_id": APP.client_id, "client_secret": APP.client_secret, "code": query["code"][0]},
    )
    assert token.status_code == 200
    body: dict[str, object] = token.json()
    return body


def bearer(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------- OAuth


async def test_authorize_redirects_with_code_and_merchant(http: httpx.AsyncClient, merchant: Merchant) -> None:
    answer = await http.get(
        "/oauth/v2/authorize", params={"client_id": APP.client_id, "redirect_uri": "https://app/cb?x=1", "state": "s"}
    )
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    query = parse_qs(location.query)
    assert (location.netloc, location.path) == ("app", "/cb")
    assert query["merchant_id"] == [merchant.id] and query["state"] == ["s"] and query["x"] == ["1"]
    assert query["code"][0] and "hmac" not in query  # Clover callbacks are not signed
    bad = await http.get("/oauth/v2/authorize", params={"client_id": "nope", "redirect_uri": "https://app/cb"})
    assert bad.status_code == 400


async def test_token_exchange_shape_and_single_use_code(
    http: httpx.AsyncClient, clock: FakeClock, merchant: Merchant
) -> None:
    answer = await http.get("/oauth/v2/authorize", params={"client_id": APP.client_id, "redirect_uri": "https://a/"})
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    body = {"client_id": APP.client_id, "client_secret": APP.client_secret, "code": code}
    token = await http.post("/oauth/v2/token", json=body)
    grant = token.json()
    assert set(grant) == {"access_token", "access_token_expiration", "refresh_token", "refresh_token_expiration"}
    assert grant["access_token_expiration"] == int(clock.now) + 600
    assert grant["refresh_token_expiration"] == int(clock.now) + 3600
    assert (await http.post("/oauth/v2/token", json=body)).status_code == 401  # used
    wrong_secret = dict(body, client_secret="guess")
    assert (await http.post("/oauth/v2/token", json=wrong_secret)).status_code == 400
    ok = await http.get(f"/v3/merchants/{merchant.id}", headers=bearer(grant["access_token"]))
    assert ok.status_code == 200


async def test_refresh_token_is_single_use(http: httpx.AsyncClient, merchant: Merchant) -> None:
    grant = await install(http)
    first = await http.post(
        "/oauth/v2/refresh", json={"client_id": APP.client_id, "refresh_token": grant["refresh_token"]}
    )
    assert first.status_code == 200
    pair = first.json()
    assert pair["refresh_token"] != grant["refresh_token"] and pair["access_token"] != grant["access_token"]
    again = await http.post(
        "/oauth/v2/refresh", json={"client_id": APP.client_id, "refresh_token": grant["refresh_token"]}
    )
    assert again.status_code == 401 and "message" in again.json()
    newer = await http.post(
        "/oauth/v2/refresh", json={"client_id": APP.client_id, "refresh_token": pair["refresh_token"]}
    )
    assert newer.status_code == 200
    assert (await http.get(f"/v3/merchants/{merchant.id}", headers=bearer(newer.json()["access_token"]))).is_success


async def test_tokens_expire(http: httpx.AsyncClient, clock: FakeClock, merchant: Merchant) -> None:
    grant = await install(http)
    clock.advance(601)
    expired = await http.get(f"/v3/merchants/{merchant.id}/items", headers=bearer(grant["access_token"]))
    assert expired.status_code == 401 and expired.json() == {"message": "401 Unauthorized"}
    clock.advance(3000)
    refreshed = await http.post(
        "/oauth/v2/refresh", json={"client_id": APP.client_id, "refresh_token": grant["refresh_token"]}
    )
    assert refreshed.status_code == 401  # the refresh token outlived its lifetime


async def test_bad_or_foreign_token_is_401(http: httpx.AsyncClient, state: CloverState, merchant: Merchant) -> None:
    assert (await http.get(f"/v3/merchants/{merchant.id}/items")).status_code == 401
    assert (await http.get(f"/v3/merchants/{merchant.id}/items", headers=bearer("nope"))).status_code == 401
    other = state.add_merchant("Elsewhere")
    access, *_ = state.issue_tokens(other)
    assert (await http.get(f"/v3/merchants/{merchant.id}/items", headers=bearer(access))).status_code == 401


# ---------------------------------------------------------------- REST


async def test_merchant_address_and_properties(http: httpx.AsyncClient, state: CloverState, merchant: Merchant) -> None:
    access, *_ = state.issue_tokens(merchant)
    plain = (await http.get(f"/v3/merchants/{merchant.id}", headers=bearer(access))).json()
    assert plain["id"] == merchant.id and plain["name"] == "Alder Hardware"
    assert set(plain["address"]) == {"href"}
    expanded = (await http.get(f"/v3/merchants/{merchant.id}?expand=address", headers=bearer(access))).json()
    assert expanded["address"]["city"] == "Springfield" and expanded["address"]["zip"] == "62701"
    address = (await http.get(f"/v3/merchants/{merchant.id}/address", headers=bearer(access))).json()
    assert address["address1"] == "1 Main St" and address["state"] == "IL" and address["country"] == "US"
    properties = (await http.get(f"/v3/merchants/{merchant.id}/properties", headers=bearer(access))).json()
    assert properties["defaultCurrency"] == "USD"


async def test_items_paging_limit_and_shape(http: httpx.AsyncClient, state: CloverState, merchant: Merchant) -> None:
    access, *_ = state.issue_tokens(merchant)
    seen: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = await http.get(
            f"/v3/merchants/{merchant.id}/items",
            params={"limit": 1000, "offset": offset, "expand": "categories,itemStock"},
            headers=bearer(access),
        )
        elements = page.json()["elements"]
        assert len(elements) <= 50  # the configured max limit clamps 1000
        seen.extend(elements)
        offset += len(elements)
        if len(elements) < 50:
            break
    assert [e["id"] for e in seen] == list(merchant.items)
    default = (await http.get(f"/v3/merchants/{merchant.id}/items", headers=bearer(access))).json()
    assert len(default["elements"]) == 50 and "href" in default
    first = seen[0]
    assert isinstance(first["price"], int) and isinstance(first["modifiedTime"], int)
    assert {"id", "name", "hidden", "available", "price", "modifiedTime"} <= set(first)
    codes = [e.get("code") for e in seen]
    assert sum(1 for c in codes if c and is_valid_gtin(str(c))) > len(codes) // 2
    assert any(c is None for c in codes) and any(e["hidden"] for e in seen)
    stocked = [e for e in seen if "itemStock" in e]
    assert stocked and all(set(e["itemStock"]) == {"item", "stockCount", "quantity"} for e in stocked)
    with_category = [e for e in seen if e["categories"]["elements"]]
    assert with_category and set(with_category[0]["categories"]["elements"][0]) == {"id", "name", "sortOrder"}


async def test_filters_modified_time_and_deleted(
    http: httpx.AsyncClient, state: CloverState, clock: FakeClock, merchant: Merchant
) -> None:
    access, *_ = state.issue_tokens(merchant)
    ids = list(merchant.items)
    clock.advance(10)
    since = state.now_ms()
    state.update_item(merchant, ids[3], price=4242)
    state.delete_item(merchant, ids[4])
    url = f"/v3/merchants/{merchant.id}/items"
    changed = (await http.get(url, params={"filter": f"modifiedTime>={since}"}, headers=bearer(access))).json()
    assert [e["id"] for e in changed["elements"]] == [ids[3]] and changed["elements"][0]["price"] == 4242
    everything = (await http.get(url, params={"limit": 1000}, headers=bearer(access))).json()["elements"]
    assert ids[4] not in {e["id"] for e in everything}
    deleted = (await http.get(url, params={"filter": "deleted=true"}, headers=bearer(access))).json()["elements"]
    assert [(e["id"], e["deleted"]) for e in deleted] == [(ids[4], True)] and deleted[0]["deletedTime"] >= since
    both = await http.get(
        url, params=[("filter", f"modifiedTime>{since - 1}"), ("filter", "hidden=false")], headers=bearer(access)
    )
    assert all(not e["hidden"] for e in both.json()["elements"])
    bad = await http.get(url, params={"filter": "colour=red"}, headers=bearer(access))
    assert bad.status_code == 400 and "message" in bad.json()


async def test_item_stocks(http: httpx.AsyncClient, state: CloverState, merchant: Merchant) -> None:
    access, *_ = state.issue_tokens(merchant)
    item = next(i for i in merchant.items.values() if i.quantity is not None)
    state.set_stock(merchant, item.id, 2.5)
    page = (await http.get(f"/v3/merchants/{merchant.id}/item_stocks", headers=bearer(access))).json()
    assert all(set(e) == {"item", "stockCount", "quantity"} for e in page["elements"])
    one = (await http.get(f"/v3/merchants/{merchant.id}/item_stocks/{item.id}", headers=bearer(access))).json()
    assert one == {"item": {"id": item.id}, "stockCount": 3, "quantity": 2.5}
    negative = [i for i in merchant.items.values() if i.quantity is not None and i.quantity < 0]
    assert negative  # the seed includes oversold items


# ---------------------------------------------------------------- faults


async def test_faults(http: httpx.AsyncClient, fake: FakeClover, state: CloverState, merchant: Merchant) -> None:
    access, *_ = state.issue_tokens(merchant)
    url = f"/v3/merchants/{merchant.id}/items"
    fake.inject(Fault("rate_limit", retry_after=3))
    fake.inject(Fault("rate_limit"))
    fake.inject(Fault("server_error", status=503, path_contains="/items"))
    fake.inject(Fault("truncate"))
    limited = await http.get(url, headers=bearer(access))
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3" and "message" in limited.json()
    bare = await http.get(url, headers=bearer(access))
    assert bare.status_code == 429 and "retry-after" not in bare.headers
    assert (await http.get(url, headers=bearer(access))).status_code == 503
    cut = await http.get(url, headers=bearer(access))
    assert len(cut.content) < int(cut.headers["content-length"])
    with pytest.raises(ValueError):
        json.loads(cut.content)
    assert (await http.get(url, headers=bearer(access))).status_code == 200
    assert fake.faults == []


# ---------------------------------------------------------------- webhooks


async def test_webhook_body_and_header(fake: FakeClover, state: CloverState, merchant: Merchant) -> None:
    received: list[tuple[bytes, dict[str, str]]] = []

    async def receiver(request: Request) -> Response:
        received.append((await request.body(), dict(request.headers)))
        return Response(status_code=200)

    sink = Starlette(routes=[Route("/hooks/clover", receiver, methods=["POST"])])
    item_id = next(iter(merchant.items))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sink), base_url="https://app") as client:
        code, check = await fake.webhooks.verify(client, "https://app/hooks/clover")
        response = await fake.webhooks.send(
            client,
            "https://app/hooks/clover",
            {merchant.id: [item_event(item_id, "UPDATE", 1_700_000_000_123), item_event(item_id, "DELETE", 2)]},
        )
    assert check.status_code == 200 and response.status_code == 200
    assert json.loads(received[0][0]) == {"verificationCode": code} and "x-clover-auth" not in received[0][1]
    body, headers = received[1]
    assert headers["x-clover-auth"] == APP.webhook_auth_code
    assert json.loads(body) == {
        "appId": APP.app_id,
        "merchants": {
            merchant.id: [
                {"objectId": f"I:{item_id}", "type": "UPDATE", "ts": 1_700_000_000_123},
                {"objectId": f"I:{item_id}", "type": "DELETE", "ts": 2},
            ]
        },
    }
    assert [d.status_code for d in fake.webhooks.deliveries] == [200, 200]


def test_seed_is_deterministic() -> None:
    def catalog() -> list[tuple[str, int, str | None, bool, float | None]]:
        state = CloverState(APP, FakeClock())
        merchant = state.add_merchant("M")
        state.seed(merchant, items=40, seed=9)
        return [(i.name, i.price, i.code, i.hidden, i.quantity) for i in merchant.items.values()]

    assert catalog() == catalog()


async def test_delay_fault_waits_through_the_fakes_sleep(state: CloverState, merchant: Merchant) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    fake = FakeClover(state, sleep=record)
    fake.inject(Fault("delay", delay_seconds=2.5, path_contains="/properties"))
    access, *_ = state.issue_tokens(merchant)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as client:
        answer = await client.get(f"/v3/merchants/{merchant.id}/properties", headers=bearer(access))
    assert answer.status_code == 200 and waits == [2.5]


async def test_installing_merchant_is_configurable(http: httpx.AsyncClient, state: CloverState) -> None:
    other = state.add_merchant("Second Store")
    state.installing = other.id
    answer = await http.get("/oauth/v2/authorize", params={"client_id": APP.client_id, "redirect_uri": "https://a/"})
    assert parse_qs(urlsplit(answer.headers["location"]).query)["merchant_id"] == [other.id]
