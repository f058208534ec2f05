"""The Shopify fake answers in Shopify's documented wire format (checked here independently of the fake's code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from localshelf.fakes.shopify import (
    App,
    FakeClock,
    FakeShopify,
    Fault,
    ShopifyState,
    callback_message,
    inventory_level_payload,
    parse_gid,
    product_payload,
    sign_webhook,
)

pytestmark = pytest.mark.anyio

DOMAIN = "alder-hardware.myshopify.com"
BASE = f"https://{DOMAIN}"
SECRET = "s3cr3t-app-secret"
GRAPHQL = "/admin/api/2025-10/graphql.json"
SCOPES = "read_products,read_inventory,read_locations"

PRODUCTS_PAGE = """
query ProductsPage($first: Int!, $after: String, $variantsFirst: Int) {
  products(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id title status vendor productType
      variants(first: $variantsFirst) { nodes { id sku barcode price inventoryItem { id } } } }
  }
}
"""

# Test vectors from /work/shared/POS-REFERENCE.md §0.
OAUTH_VECTOR_MESSAGE = (
    "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173"
)
OAUTH_VECTOR_HMAC = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
WEBHOOK_VECTOR_BODY = b'{"id":788032119674292922,"title":"Example T-Shirt"}'
WEBHOOK_VECTOR_HMAC = "PChQV/s9qVvLuYZx4s3CvtPkNn5M2k1OrvTkc0qHHSM="


def documented_callback_hmac(secret: str, query: str) -> str:
    """Shopify's documented algorithm, written out independently: drop hmac, sort, join k=v with &."""
    pairs = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("hmac", "signature"))
    message = "&".join(f"{k}={v}" for k, v in pairs)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def documented_webhook_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state(clock: FakeClock) -> ShopifyState:
    state = ShopifyState(App(client_id="localshelf-client", client_secret=SECRET), clock=clock)
    shop = state.add_shop(DOMAIN)
    state.seed(shop, products=600, locations=3, seed=7)
    return state


@pytest.fixture
def fake(state: ShopifyState) -> FakeShopify:
    return FakeShopify(state)


@pytest.fixture
async def client(fake: FakeShopify) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as c:
        yield c


@pytest.fixture
def token(state: ShopifyState) -> str:
    return state.issue_token(state.shops[DOMAIN], SCOPES)


async def gql(
    client: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post(
        GRAPHQL, json={"query": query, "variables": variables or {}}, headers={"X-Shopify-Access-Token": token}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# ------------------------------------------------------------------ OAuth


def test_callback_hmac_matches_documented_vector() -> None:
    assert hmac.new(b"hush", OAUTH_VECTOR_MESSAGE.encode(), hashlib.sha256).hexdigest() == OAUTH_VECTOR_HMAC
    params = dict(parse_qsl(OAUTH_VECTOR_MESSAGE))
    params["hmac"] = OAUTH_VECTOR_HMAC
    assert callback_message(params) == OAUTH_VECTOR_MESSAGE
    assert documented_callback_hmac("hush", OAUTH_VECTOR_MESSAGE + "&hmac=x") == OAUTH_VECTOR_HMAC


async def test_oauth_round_trip(client: httpx.AsyncClient, clock: FakeClock) -> None:
    redirect_uri = "https://localshelf.example/shopify/callback"
    response = await client.get(
        "/admin/oauth/authorize",
        params={
            "client_id": "localshelf-client",
            "scope": SCOPES,
            "redirect_uri": redirect_uri,
            "state": "nonce-123",
            "grant_options[]": "",
        },
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
    params = dict(parse_qsl(location.query, keep_blank_values=True))
    assert set(params) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert params["shop"] == DOMAIN
    assert params["state"] == "nonce-123"
    assert abs(int(params["timestamp"]) - clock()) <= 90
    assert hmac.compare_digest(params["hmac"], documented_callback_hmac(SECRET, location.query))
    assert params["hmac"] != documented_callback_hmac("wrong-secret", location.query)

    exchange = {"client_id": "localshelf-client", "client_secret": SECRET, "code": params["code"]}
    wrong = await client.post("/admin/oauth/access_token", json={**exchange, "client_secret": "nope"})
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_client"

    granted = await client.post("/admin/oauth/access_token", json=exchange, headers={"Accept": "application/json"})
    assert granted.status_code == 200
    body = granted.json()
    assert set(body) == {"access_token", "scope"}
    assert body["scope"] == SCOPES

    reused = await client.post("/admin/oauth/access_token", json=exchange)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_request"

    shop = await gql(client, body["access_token"], "query Shop { shop { id name myshopifyDomain } }")
    assert shop["data"]["shop"]["myshopifyDomain"] == DOMAIN


async def test_token_exchange_accepts_form_bodies_and_merchant_can_deny(
    client: httpx.AsyncClient, state: ShopifyState
) -> None:
    authorize = {
        "client_id": "localshelf-client",
        "scope": "read_products",
        "redirect_uri": "https://a.example/cb",
        "state": "s",
    }
    response = await client.get("/admin/oauth/authorize", params=authorize)
    code = dict(parse_qsl(urlsplit(response.headers["location"]).query))["code"]
    form = await client.post(
        "/admin/oauth/access_token", data={"client_id": "localshelf-client", "client_secret": SECRET, "code": code}
    )
    assert form.status_code == 200
    assert form.json()["scope"] == "read_products"

    state.shops[DOMAIN].approve_installs = False
    denied = await client.get("/admin/oauth/authorize", params=authorize)
    query = urlsplit(denied.headers["location"]).query
    params = dict(parse_qsl(query))
    assert params["error"] == "access_denied"
    assert "code" not in params
    assert params["hmac"] == documented_callback_hmac(SECRET, query)


# ------------------------------------------------------------------ GraphQL


async def test_missing_wrong_or_uninstalled_token_is_401(
    client: httpx.AsyncClient, token: str, state: ShopifyState
) -> None:
    body = {"query": "query Shop { shop { id } }"}
    missing = await client.post(GRAPHQL, json=body)
    wrong = await client.post(GRAPHQL, json=body, headers={"X-Shopify-Access-Token": "shpat_forged"})
    assert (await client.post(GRAPHQL, json=body, headers={"X-Shopify-Access-Token": token})).status_code == 200
    state.uninstall(state.shops[DOMAIN])
    revoked = await client.post(GRAPHQL, json=body, headers={"X-Shopify-Access-Token": token})
    for response in (missing, wrong, revoked):
        assert response.status_code == 401
        assert "Invalid API key or access token" in response.json()["errors"]


async def test_pages_through_600_products_in_pages_of_250(
    client: httpx.AsyncClient, token: str, clock: FakeClock
) -> None:
    seen: list[str] = []
    pages: list[tuple[int, bool]] = []
    cursor: str | None = None
    while True:
        body = await gql(client, token, PRODUCTS_PAGE, {"first": 250, "after": cursor, "variantsFirst": 1})
        if "errors" in body:  # honour the documented throttle: wait (fake clock) and retry
            assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
            cost = body["extensions"]["cost"]
            status = cost["throttleStatus"]
            clock.advance(
                math.ceil((cost["requestedQueryCost"] - status["currentlyAvailable"]) / status["restoreRate"])
            )
            continue
        products = body["data"]["products"]
        pages.append((len(products["nodes"]), products["pageInfo"]["hasNextPage"]))
        seen.extend(node["id"] for node in products["nodes"])
        for node in products["nodes"]:
            variant = node["variants"]["nodes"][0]
            assert node["status"] in {"ACTIVE", "DRAFT", "ARCHIVED"}
            assert isinstance(variant["price"], str) and "." in variant["price"]
            assert parse_gid(variant["inventoryItem"]["id"], "InventoryItem") is not None
        assert set(body["extensions"]["cost"]) == {"requestedQueryCost", "actualQueryCost", "throttleStatus"}
        if not products["pageInfo"]["hasNextPage"]:
            break
        cursor = products["pageInfo"]["endCursor"]
        assert isinstance(cursor, str)
    assert pages == [(250, True), (250, True), (100, False)]
    assert len(seen) == len(set(seen)) == 600
    ids = [parse_gid(g, "Product") for g in seen]
    assert ids == sorted(ids)  # type: ignore[type-var]


async def test_page_size_and_unknown_operations_are_graphql_errors(client: httpx.AsyncClient, token: str) -> None:
    too_big = await gql(client, token, PRODUCTS_PAGE, {"first": 251})
    assert too_big["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unknown = await gql(client, token, "query Orders { orders(first: 5) { nodes { id } } }")
    assert unknown["errors"][0]["extensions"]["code"] == "UNSUPPORTED_OPERATION"
    bad_cursor = await gql(client, token, PRODUCTS_PAGE, {"first": 5, "after": "not-a-cursor"})
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_costly = await gql(client, token, PRODUCTS_PAGE, {"first": 250, "variantsFirst": 10})
    assert too_costly["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


async def test_throttle_then_recover_with_fake_clock(client: httpx.AsyncClient, token: str, clock: FakeClock) -> None:
    variables = {"first": 249, "variantsFirst": 3}  # requested 2 + 249 × 4 = 998; actual 2 + 249 × 2 = 500
    first = await gql(client, token, PRODUCTS_PAGE, variables)
    cost = first["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 998
    assert cost["actualQueryCost"] == 500
    assert cost["throttleStatus"] == {"maximumAvailable": 1000.0, "currentlyAvailable": 500, "restoreRate": 50.0}

    throttled = await gql(client, token, PRODUCTS_PAGE, variables)
    assert "data" not in throttled
    assert throttled["errors"][0]["message"] == "Throttled"
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    status = throttled["extensions"]["cost"]
    assert status["actualQueryCost"] is None
    assert status["throttleStatus"]["currentlyAvailable"] == 500

    clock.advance(math.ceil((998 - 500) / 50.0) - 1)  # one second short: still throttled
    assert (await gql(client, token, PRODUCTS_PAGE, variables))["errors"][0]["extensions"]["code"] == "THROTTLED"
    clock.advance(1)
    recovered = await gql(client, token, PRODUCTS_PAGE, variables)
    assert len(recovered["data"]["products"]["nodes"]) == 249


async def test_locations_and_inventory_levels(client: httpx.AsyncClient, token: str, state: ShopifyState) -> None:
    locations = await gql(
        client, token, "query Locations($first: Int!) { locations(first: $first) { nodes { id name } } }", {"first": 10}
    )
    nodes = locations["data"]["locations"]["nodes"]
    assert [n["name"] for n in nodes] == ["Store 1", "Store 2", "Store 3"]

    shop = state.shops[DOMAIN]
    item_id = shop.inventory_item_ids()[0]
    item_gid = f"gid://shopify/InventoryItem/{item_id}"
    levels = await gql(
        client,
        token,
        "query InventoryLevels($inventoryItemId: ID!, $first: Int!) { inventoryItem(id: $inventoryItemId) { id } }",
        {"inventoryItemId": item_gid, "first": 50, "names": ["available", "on_hand"]},
    )
    level_nodes = levels["data"]["inventoryItem"]["inventoryLevels"]["nodes"]
    assert len(level_nodes) == 3
    location_id = parse_gid(level_nodes[0]["location"]["id"], "Location")
    assert location_id is not None
    assert level_nodes[0]["quantities"][0] == {
        "name": "available",
        "quantity": shop.levels[(item_id, location_id)],
        "updatedAt": level_nodes[0]["quantities"][0]["updatedAt"],
    }

    per_location = await gql(
        client,
        token,
        "query LocationInventory($locationId: ID!, $first: Int!, $after: String) { location(id: $locationId) { id } }",
        {"locationId": nodes[0]["id"], "first": 250},
    )
    connection = per_location["data"]["location"]["inventoryLevels"]
    assert len(connection["nodes"]) == 250
    assert connection["pageInfo"]["hasNextPage"] is True

    limited = state.issue_token(shop, "read_products")
    denied = await gql(
        client, limited, "query Locations($first: Int!) { locations(first: $first) { nodes { id } } }", {"first": 1}
    )
    assert denied["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"


def test_seed_is_deterministic() -> None:
    def snapshot(seed: int) -> list[tuple[str, str | None, str | None, str]]:
        state = ShopifyState()
        state.seed(state.add_shop(DOMAIN), products=1000, locations=2, seed=seed)
        shop = state.shops[DOMAIN]
        return [(p.title, v.sku, v.barcode, v.price) for p in shop.products.values() for v in p.variants]

    first = snapshot(3)
    assert len(first) == 1000
    assert first == snapshot(3)
    assert first != snapshot(4)


# ------------------------------------------------------------------ webhooks


def test_webhook_signature_matches_documented_vector() -> None:
    assert sign_webhook("hush", WEBHOOK_VECTOR_BODY) == WEBHOOK_VECTOR_HMAC
    assert documented_webhook_hmac("hush", WEBHOOK_VECTOR_BODY) == WEBHOOK_VECTOR_HMAC


async def test_webhook_delivery_headers_and_subscription(
    client: httpx.AsyncClient, token: str, fake: FakeShopify, state: ShopifyState
) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def receive(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=200)

    receiver = Starlette(routes=[Route("/hooks", receive, methods=["POST"])])
    created = await gql(
        client,
        token,
        "mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) { x }",
        {
            "topic": "INVENTORY_LEVELS_UPDATE",
            "webhookSubscription": {"callbackUrl": "https://app.example/hooks", "format": "JSON"},
        },
    )
    result = created["data"]["webhookSubscriptionCreate"]
    assert result["userErrors"] == []
    assert result["webhookSubscription"]["topic"] == "INVENTORY_LEVELS_UPDATE"

    shop = state.shops[DOMAIN]
    item_id = shop.inventory_item_ids()[0]
    location_id = next(iter(shop.locations))
    state.set_available(shop, item_id, location_id, 7)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver)) as hooks:
        responses = await fake.webhooks.emit(
            hooks, shop, "inventory_levels/update", inventory_level_payload(shop, item_id, location_id)
        )
        assert [r.status_code for r in responses] == [200]
        product = next(iter(shop.products.values()))
        await fake.webhooks.send(
            hooks, "https://app.example/hooks", shop, "products/update", product_payload(product, shop)
        )
        await fake.webhooks.redeliver(hooks, fake.webhooks.deliveries[0])

    assert len(received) == 3
    headers, body = received[0]
    assert headers["x-shopify-hmac-sha256"] == documented_webhook_hmac(SECRET, body)
    assert headers["x-shopify-topic"] == "inventory_levels/update"
    assert headers["x-shopify-shop-domain"] == DOMAIN
    assert headers["x-shopify-api-version"] == "2025-10"
    assert headers["x-shopify-triggered-at"].endswith("Z")
    payload = json.loads(body)
    assert payload["inventory_item_id"] == item_id
    assert payload["location_id"] == location_id
    assert payload["available"] == 7

    update_headers, update_body = received[1]
    assert update_headers["x-shopify-topic"] == "products/update"
    assert json.loads(update_body)["variants"][0]["price"] == product.variants[0].price

    retry_headers, retry_body = received[2]
    assert retry_body == body
    assert retry_headers["x-shopify-event-id"] == headers["x-shopify-event-id"]
    assert retry_headers["x-shopify-webhook-id"] != headers["x-shopify-webhook-id"]


WEBHOOK_CREATE = (
    "mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, "
    "$webhookSubscription: WebhookSubscriptionInput!) { x }"
)
WEBHOOK_UPDATE = "mutation WebhookSubscriptionUpdate($id: ID!, $webhookSubscription: WebhookSubscriptionInput!) { x }"
WEBHOOK_DELETE = "mutation WebhookSubscriptionDelete($id: ID!) { webhookSubscriptionDelete(id: $id) { x } }"


async def test_webhook_subscription_update_and_delete(
    client: httpx.AsyncClient, token: str, state: ShopifyState
) -> None:
    shop = state.shops[DOMAIN]
    created = await gql(
        client,
        token,
        WEBHOOK_CREATE,
        {
            "topic": "PRODUCTS_UPDATE",
            "webhookSubscription": {"callbackUrl": "https://app.example/old", "format": "JSON"},
        },
    )
    sub_id = created["data"]["webhookSubscriptionCreate"]["webhookSubscription"]["id"]
    other = await gql(
        client,
        token,
        WEBHOOK_CREATE,
        {"topic": "PRODUCTS_UPDATE", "webhookSubscription": {"callbackUrl": "https://app.example/taken"}},
    )
    assert other["data"]["webhookSubscriptionCreate"]["userErrors"] == []

    updated = await gql(
        client, token, WEBHOOK_UPDATE, {"id": sub_id, "webhookSubscription": {"callbackUrl": "https://app.example/new"}}
    )
    assert updated["extensions"]["cost"]["requestedQueryCost"] == 10
    result = updated["data"]["webhookSubscriptionUpdate"]
    assert result["userErrors"] == []
    assert result["webhookSubscription"] == {
        "id": sub_id,
        "topic": "PRODUCTS_UPDATE",
        "format": "JSON",
        "uri": "https://app.example/new",
        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": "https://app.example/new"},
    }
    number = parse_gid(sub_id, "WebhookSubscription")
    assert number is not None
    assert shop.subscriptions[number].uri == "https://app.example/new"

    via_uri = await gql(
        client, token, WEBHOOK_UPDATE, {"id": sub_id, "webhookSubscription": {"uri": "https://b.example/x"}}
    )
    assert via_uri["data"]["webhookSubscriptionUpdate"]["webhookSubscription"]["uri"] == "https://b.example/x"

    invalid = await gql(
        client, token, WEBHOOK_UPDATE, {"id": sub_id, "webhookSubscription": {"callbackUrl": "ftp://x"}}
    )
    assert invalid["data"]["webhookSubscriptionUpdate"]["webhookSubscription"] is None
    assert invalid["data"]["webhookSubscriptionUpdate"]["userErrors"][0]["field"] == [
        "webhookSubscription",
        "callbackUrl",
    ]
    taken = await gql(
        client,
        token,
        WEBHOOK_UPDATE,
        {"id": sub_id, "webhookSubscription": {"callbackUrl": "https://app.example/taken"}},
    )
    assert taken["data"]["webhookSubscriptionUpdate"]["userErrors"][0]["field"] == ["address"]
    assert shop.subscriptions[number].uri == "https://b.example/x"

    unknown_id = "gid://shopify/WebhookSubscription/999999"
    unknown = await gql(
        client, token, WEBHOOK_UPDATE, {"id": unknown_id, "webhookSubscription": {"callbackUrl": "https://a.example"}}
    )
    assert unknown["data"]["webhookSubscriptionUpdate"] == {
        "webhookSubscription": None,
        "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
    }
    not_a_gid = await gql(client, token, WEBHOOK_UPDATE, {"id": "42", "webhookSubscription": {}})
    assert not_a_gid["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    no_input = await gql(client, token, WEBHOOK_UPDATE, {"id": sub_id})
    assert no_input["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    deleted = await gql(client, token, WEBHOOK_DELETE, {"id": sub_id})
    assert deleted["extensions"]["cost"]["requestedQueryCost"] == 10
    assert deleted["data"]["webhookSubscriptionDelete"] == {"deletedWebhookSubscriptionId": sub_id, "userErrors": []}
    assert number not in shop.subscriptions
    assert len(shop.subscriptions) == 1

    again = await gql(client, token, WEBHOOK_DELETE, {"id": sub_id})
    assert again["data"]["webhookSubscriptionDelete"] == {
        "deletedWebhookSubscriptionId": None,
        "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
    }
    missing_id = await gql(client, token, WEBHOOK_DELETE)
    assert missing_id["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# ------------------------------------------------------------------ faults


async def test_fault_injection(client: httpx.AsyncClient, token: str, fake: FakeShopify) -> None:
    shop_query = {"query": "query Shop { shop { id } }"}
    headers = {"X-Shopify-Access-Token": token}
    fake.inject(Fault("rate_limit", count=2, retry_after=2))
    fake.inject(Fault("rate_limit", count=1))
    fake.inject(Fault("server_error", status=503, retry_after=5))
    fake.inject(Fault("server_error", status=502))

    first = await client.post(GRAPHQL, json=shop_query, headers=headers)
    second = await client.post(GRAPHQL, json=shop_query, headers=headers)
    assert (first.status_code, first.headers["retry-after"]) == (429, "2")
    assert (second.status_code, second.headers["retry-after"]) == (429, "2")
    no_header = await client.post(GRAPHQL, json=shop_query, headers=headers)
    assert no_header.status_code == 429
    assert "retry-after" not in no_header.headers
    unavailable = await client.post(GRAPHQL, json=shop_query, headers=headers)
    assert (unavailable.status_code, unavailable.headers["retry-after"]) == (503, "5")
    assert (await client.post(GRAPHQL, json=shop_query, headers=headers)).status_code == 502
    assert (await client.post(GRAPHQL, json=shop_query, headers=headers)).status_code == 200

    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    fake.sleep = record
    fake.inject(Fault("delay", delay_seconds=4.5))
    assert (await client.post(GRAPHQL, json=shop_query, headers=headers)).status_code == 200
    assert slept == [4.5]

    fake.inject(Fault("truncate"))
    truncated = await client.post(GRAPHQL, json=shop_query, headers=headers)
    assert int(truncated.headers["content-length"]) > len(truncated.content)
    with pytest.raises(ValueError):
        truncated.json()
    assert (
        (await client.post(GRAPHQL, json=shop_query, headers=headers))
        .json()["data"]["shop"]["id"]
        .startswith("gid://shopify/Shop/")
    )
