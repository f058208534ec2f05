"""The Square fake against Square's own OpenAPI document (square/connect-api-specification, 2025-08-20): every
answer of the operations we use validates against its response schema, with unknown fields refused too.
Also OAuth (grant, refresh, expiry), webhook signatures and fault injection. Real HTTP through ASGITransport."""

from __future__ import annotations

import base64
import copy
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from localshelf.fakes.square import (
    SIGNATURE_HEADER,
    FakeClock,
    FakeSquare,
    Fault,
    SquareState,
    catalog_version_updated,
    decode_cursor,
    inventory_count_updated,
    sign,
)
from localshelf.pos.signatures import square_webhook_valid

pytestmark = pytest.mark.anyio

SPEC = Path("/work/shared/specs/square-api-2025-08-20.json")
BASE = "https://connect.squareup.com"
SCOPES = "ITEMS_READ INVENTORY_READ MERCHANT_PROFILE_READ"
REDIRECT = "https://app.example/cb"
# The spec's CatalogVersionUpdatedEventData omits ``id`` although its own example (and the docs) carry data.id.
OPEN_SCHEMAS = frozenset({"CatalogVersionUpdatedEventData"})


@cache
def _components() -> dict[str, Any]:
    """The spec's schemas, closed: every object schema with properties refuses properties it does not declare."""
    schemas: dict[str, Any] = copy.deepcopy(json.loads(SPEC.read_text())["components"]["schemas"])

    def close(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    for name, schema in schemas.items():
        if name not in OPEN_SCHEMAS:
            close(schema)
    return schemas


def assert_conforms(instance: object, schema_name: str) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": {"schemas": _components()}}
    errors = sorted(Draft7Validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def response_schema(path: str, method: str) -> str:
    operation = json.loads(SPEC.read_text())["paths"][path][method]
    ref: str = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


@pytest.fixture
def fake() -> FakeSquare:
    state = SquareState(clock=FakeClock())
    state.seed(items=60, locations=3, seed=7)
    state.page_size = 25
    return FakeSquare(state)


@pytest.fixture
async def http(fake: FakeSquare) -> Any:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as client:
        yield client


async def authorize(http: httpx.AsyncClient, fake: FakeSquare, scope: str = SCOPES) -> dict[str, Any]:
    params = {"client_id": fake.state.app.client_id, "scope": scope, "state": "xyz", "redirect_uri": REDIRECT}
    redirect = await http.get("/oauth2/authorize", params=params)
    assert redirect.status_code == 302
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert query["state"] == ["xyz"] and query["response_type"] == ["code"]
    body = {
        "client_id": fake.state.app.client_id,
        "client_secret": fake.state.app.client_secret,
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": REDIRECT,
    }
    answer = await http.post("/oauth2/token", json=body)
    assert answer.status_code == 200
    grant: dict[str, Any] = answer.json()
    assert_conforms(grant, response_schema("/oauth2/token", "post"))
    return grant


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------- conformance


async def test_every_used_operation_conforms_to_the_spec(http: httpx.AsyncClient, fake: FakeSquare) -> None:
    headers = bearer((await authorize(http, fake))["access_token"])
    locations = await http.get("/v2/locations", headers=headers)
    assert_conforms(locations.json(), response_schema("/v2/locations", "get"))
    assert [loc["name"] for loc in locations.json()["locations"]] == ["Store 1", "Store 2", "Store 3"]
    main = await http.get("/v2/locations/main", headers=headers)
    assert_conforms(main.json(), response_schema("/v2/locations/{location_id}", "get"))
    assert main.json()["location"]["id"] == next(iter(fake.state.locations))
    assert (await http.get("/v2/locations/NOPE", headers=headers)).status_code == 404

    cursor, pages = None, 0
    while True:
        params = {"types": "ITEM,ITEM_VARIATION,CATEGORY,IMAGE", **({"cursor": cursor} if cursor else {})}
        page = (await http.get("/v2/catalog/list", params=params, headers=headers)).json()
        assert_conforms(page, response_schema("/v2/catalog/list", "get"))
        assert len(page["objects"]) <= 25
        pages += 1
        cursor = page.get("cursor")
        if cursor is None:
            break
    assert pages > 2

    search = await http.post(
        "/v2/catalog/search",
        json={"object_types": ["ITEM"], "include_related_objects": True, "include_deleted_objects": True},
        headers=headers,
    )
    assert_conforms(search.json(), response_schema("/v2/catalog/search", "post"))
    assert search.json()["related_objects"]

    counts = await http.post(
        "/v2/inventory/counts/batch-retrieve",
        json={"location_ids": [next(iter(fake.state.locations))], "states": ["IN_STOCK"]},
        headers=headers,
    )
    assert_conforms(counts.json(), response_schema("/v2/inventory/counts/batch-retrieve", "post"))
    times = [c["calculated_at"] for c in counts.json()["counts"]]
    assert times == sorted(times, reverse=True)


async def test_errors_use_squares_envelope(http: httpx.AsyncClient, fake: FakeSquare) -> None:
    refused = await http.get("/v2/locations", headers=bearer("nope"))
    assert refused.status_code == 401
    assert_conforms(refused.json(), "ListLocationsResponse")
    assert refused.json()["errors"][0]["code"] == "UNAUTHORIZED"
    fake.inject(Fault("rate_limit"))
    limited = await http.get("/v2/locations", headers=bearer("nope"))
    assert limited.status_code == 429 and "retry-after" not in limited.headers
    assert_conforms(limited.json(), "ListLocationsResponse")
    assert limited.json()["errors"][0] == {
        "category": "RATE_LIMIT_ERROR",
        "code": "RATE_LIMITED",
        "detail": "This request was rate limited. Please retry later.",
    }


def test_seed_is_deterministic_and_varied() -> None:
    one, two = SquareState(clock=FakeClock()), SquareState(clock=FakeClock())
    one.seed(items=80, locations=2, seed=3)
    two.seed(items=80, locations=2, seed=3)
    assert [(i.name, [(v.upc, v.price) for v in i.variations]) for i in one.items.values()] == [
        (i.name, [(v.upc, v.price) for v in i.variations]) for i in two.items.values()
    ]
    variations = [v for i in one.items.values() for v in i.variations]
    assert {len(i.variations) for i in one.items.values()} == {1, 2, 3}
    assert any(v.upc is None for v in variations) and sum(v.upc is not None for v in variations) > len(variations) / 2
    assert any(v.price is None for v in variations)
    assert any(i.is_archived for i in one.items.values())
    assert len(one.counts) == len(variations) * 2


# ---------------------------------------------------------------- OAuth


async def test_refresh_returns_the_same_refresh_token_and_tokens_expire(
    http: httpx.AsyncClient, fake: FakeSquare
) -> None:
    fake.state.token_lifetime_seconds = 60
    grant = await authorize(http, fake)
    assert grant["merchant_id"] == fake.state.merchant_id and grant["token_type"] == "bearer"
    assert (await http.get("/v2/locations", headers=bearer(grant["access_token"]))).status_code == 200
    clock = fake.state.clock
    assert isinstance(clock, FakeClock)
    clock.advance(61)
    expired = await http.get("/v2/locations", headers=bearer(grant["access_token"]))
    assert expired.status_code == 401 and expired.json()["errors"][0]["code"] == "ACCESS_TOKEN_EXPIRED"
    body = {
        "client_id": fake.state.app.client_id,
        "client_secret": fake.state.app.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": grant["refresh_token"],
    }
    refreshed = (await http.post("/oauth2/token", json=body)).json()
    assert refreshed["refresh_token"] == grant["refresh_token"]
    assert refreshed["access_token"] != grant["access_token"]
    assert (await http.get("/v2/locations", headers=bearer(refreshed["access_token"]))).status_code == 200
    refused = await http.post("/oauth2/token", json={**body, "refresh_token": "EQAAbogus"})
    assert refused.status_code == 401 and refused.json()["errors"][0]["category"] == "AUTHENTICATION_ERROR"


async def test_codes_are_single_use_and_denial_redirects(http: httpx.AsyncClient, fake: FakeSquare) -> None:
    params = {"client_id": fake.state.app.client_id, "scope": SCOPES, "state": "s1", "redirect_uri": REDIRECT}
    code = parse_qs(urlsplit((await http.get("/oauth2/authorize", params=params)).headers["location"]).query)["code"][0]
    body = {
        "client_id": fake.state.app.client_id,
        "client_secret": fake.state.app.client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
    }
    assert (await http.post("/oauth2/token", json=body)).status_code == 200
    assert (await http.post("/oauth2/token", json=body)).status_code == 401
    fake.state.deny_authorization = True
    denied = await http.get("/oauth2/authorize", params=params)
    assert parse_qs(urlsplit(denied.headers["location"]).query) == {
        "error": ["access_denied"],
        "error_description": ["user_denied"],
        "state": ["s1"],
    }


async def test_missing_scope_is_403(http: httpx.AsyncClient, fake: FakeSquare) -> None:
    token = (await authorize(http, fake, scope="ITEMS_READ"))["access_token"]
    refused = await http.get("/v2/locations", headers=bearer(token))
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "INSUFFICIENT_SCOPES"


# ---------------------------------------------------------------- webhooks


def test_signing_matches_squares_published_vectors() -> None:
    body = b'{"data":{"type":"webhooks","id":">id<"}}'
    assert (
        sign("signature-key", "https://webhook.site/webhooks", body) == "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U="
    )


def test_deliveries_verify_and_follow_the_documented_shape(fake: FakeSquare) -> None:
    state = fake.state
    (variation_id, location_id) = next(iter(state.counts))
    state.set_count(variation_id, location_id, "7.5")
    for payload, schema in (
        (inventory_count_updated(state, [(variation_id, location_id)]), "InventoryCountUpdatedEvent"),
        (catalog_version_updated(state), "CatalogVersionUpdatedEvent"),
    ):
        delivery = fake.webhooks.delivery(payload)
        header = delivery.headers[SIGNATURE_HEADER]
        assert square_webhook_valid(fake.webhooks.signature_key, delivery.url, delivery.body, header)
        assert not square_webhook_valid(fake.webhooks.signature_key, delivery.url + "?x", delivery.body, header)
        assert not square_webhook_valid("other-key", delivery.url, delivery.body, header)
        assert len(base64.b64decode(header)) == 32
        parsed = json.loads(delivery.body)
        assert set(parsed) == {"merchant_id", "type", "event_id", "created_at", "data"}
        assert set(parsed["data"]) == {"type", "id", "object"}
        assert_conforms(parsed, schema)
    counts = json.loads(fake.webhooks.sent[0].body)["data"]["object"]["inventory_counts"]
    assert counts[0]["quantity"] == "7.5" and counts[0]["state"] == "IN_STOCK"


# ---------------------------------------------------------------- faults


async def test_faults(http: httpx.AsyncClient, fake: FakeSquare) -> None:
    headers = bearer((await authorize(http, fake))["access_token"])
    fake.inject(Fault("rate_limit", retry_after=3, path_contains="/v2/locations"))
    fake.inject(Fault("server_error", status=503, path_contains="/v2/locations"))
    fake.inject(Fault("truncate", path_contains="/v2/locations"))
    first = await http.get("/v2/locations", headers=headers)
    assert first.status_code == 429 and first.headers["retry-after"] == "3"
    second = await http.get("/v2/locations", headers=headers)
    assert second.status_code == 503 and second.json()["errors"][0]["code"] == "SERVICE_UNAVAILABLE"
    truncated = await http.get("/v2/locations", headers=headers)
    assert int(truncated.headers["content-length"]) > len(truncated.content)
    with pytest.raises(ValueError):
        truncated.json()
    assert (await http.get("/v2/locations", headers=headers)).status_code == 200


def test_foreign_cursors_are_refused() -> None:
    assert decode_cursor(None) == 0
    assert decode_cursor("not-ours!!") is None
