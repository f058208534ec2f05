"""Hostile webhook deliveries, every provider, in one place (issue 8): each is answered with its status and stores
nothing: no webhook event, no sync job, no offer changed (the worker applies whatever is pending after each).

For each provider an integration is connected through the real pages, its stores mapped and a first sync run
(`test_webhook_ordering.connect_once`); every case then starts from a genuine delivery about a real change on
the fake (a stock level), tampers with it and posts it to our real ASGI app over httpx.

  case                      Shopify  Square  Clover            Lightspeed (X-Signature check on)
  missing signature          401      401     401               401
  wrong signature            401      401     401               401
  truncated signature        401      401     401               401
  signature, modified body   401      401     200 stored (a)    401
  replayed delivery          200 once 200 once 200 once         200 once (b)
  body over 1 MB (c)         413      413     413               413
  same, streamed (chunked)   413      413     413               413
  empty body, signed         401 (d)  400     400               400
  malformed JSON, signed     400      400     400               400

(a) Clover signs nothing: its static X-Clover-Auth code is the only check (POS-REFERENCE §3.5), so a body altered
    by someone who holds the code is indistinguishable from Clover's (here: the notice names another item). Its
    notices carry no data: a forged one can queue a sync (which reads the truth), or, as a DELETE, remove an
    item's offers until the item changes again. Keep the code secret; TLS keeps it off the wire.
(b) Stored once per provider event id (Shopify X-Shopify-Event-Id, Square event_id, Clover the body's hash,
    Lightspeed type + record + version); the copy is answered 200 so the provider stops retrying. No timestamp
    window: Shopify retries the original payload for 4 h and Square for 24 h (POS-REFERENCE §1.5, §2.5), so a
    window would refuse genuine retries; an old event replayed under a new id changes nothing, as staged rows
    only move forward in POS time.
(c) `webhook_routes.MAX_BODY_BYTES` = 1,000,000 bytes, declared (Content-Length) or counted as it streams.
(d) Shopify's SDK fails verification of an empty body; we do the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from sqlalchemy import func, select

from localshelf.fakes.clover.webhooks import item_event
from localshelf.fakes.lightspeed.webhooks import form_body, inventory_payload, signature_header
from localshelf.fakes.shopify import inventory_level_payload
from localshelf.fakes.shopify.webhooks import sign_webhook
from localshelf.fakes.square import inventory_count_updated
from localshelf.fakes.square.webhooks import SIGNATURE_HEADER, sign
from localshelf.server.webhook_routes import MAX_BODY_BYTES
from localshelf.services import sync_jobs
from localshelf.store.models import SyncJob, WebhookEvent
from tests.integration import test_provider_contract as contract
from tests.integration.test_provider_contract import CASES, WEB, Live
from tests.integration.test_webhook_ordering import Connected, connect_once, drain, offers_of, utcnow

pytestmark = pytest.mark.anyio
live = contract.live  # the contract's fixture (our HTTP app and the fake), parametrized by `case` below


@dataclass(frozen=True)
class Delivery:
    url: str
    body: Any  # bytes, or an async iterator of chunks (no Content-Length)
    headers: dict[str, str]


@dataclass(frozen=True)
class Scheme:
    """How one provider authenticates a delivery, and a genuine delivery about a fresh change."""

    header: str  # the signature (or auth code) header
    sign: Callable[[bytes], str]  # a valid header value for a body
    forge: Callable[[bytes], str]  # the same scheme, the wrong key
    tamper: Callable[[bytes], bytes]  # a modified body (same shape, another quantity)
    genuine: Callable[[], Delivery]


def _json_tamper(change: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def tamper(body: bytes) -> bytes:
        payload = json.loads(body)
        change(payload)
        return json.dumps(payload, separators=(",", ":")).encode()

    return tamper


def shopify(live: Live) -> Scheme:
    case = live.case
    assert isinstance(case, contract.ShopifyCase)
    shop, secret = case.shop, "shopify-secret"
    url = next(s.uri for s in shop.subscriptions.values() if s.topic == "INVENTORY_LEVELS_UPDATE")
    levels = iter(sorted(shop.levels))

    def genuine() -> Delivery:
        item, location = next(levels)
        case.state.set_available(shop, item, location, 1)
        body, headers = case.fake.webhooks.build(
            shop, "inventory_levels/update", inventory_level_payload(shop, item, location)
        )
        return Delivery(url, body, headers)

    def more(payload: dict[str, Any]) -> None:
        payload["available"] += 100

    return Scheme(
        "X-Shopify-Hmac-Sha256",
        lambda body: sign_webhook(secret, body),
        lambda body: sign_webhook("not-the-app-secret", body),
        _json_tamper(more),
        genuine,
    )


def square(live: Live) -> Scheme:
    case = live.case
    assert isinstance(case, contract.SquareCase)
    state, key, url = case.state, "square-signature-key", f"{WEB}/webhooks/square"
    counts = iter(sorted(state.counts))

    def genuine() -> Delivery:
        variation, location = next(counts)
        state.set_count(variation, location, "1")
        sent = case.fake.webhooks.delivery(inventory_count_updated(state, [(variation, location)]))
        return Delivery(sent.url, sent.body, sent.headers)

    def more(payload: dict[str, Any]) -> None:
        payload["data"]["object"]["inventory_counts"][0]["quantity"] = "100"

    return Scheme(
        SIGNATURE_HEADER,
        lambda body: sign(key, url, body),
        lambda body: sign("not-the-key", url, body),
        _json_tamper(more),
        genuine,
    )


def clover(live: Live) -> Scheme:
    case = live.case
    assert isinstance(case, contract.CloverCase)
    state, merchant, code = case.state, case.merchant, "clover-auth-code"
    items = iter(sorted(i.id for i in merchant.items.values() if i.quantity is not None and not i.deleted))

    def genuine() -> Delivery:
        item = next(items)
        state.set_stock(merchant, item, 1)
        body, headers = case.fake.webhooks.build({merchant.id: [item_event(item, "UPDATE", state.now_ms(), key="IS")]})
        return Delivery(f"{WEB}/webhooks/clover", body, headers)

    def another_item(payload: dict[str, Any]) -> None:
        payload["merchants"][merchant.id][0]["objectId"] = f"IS:{next(items)}"

    return Scheme("X-Clover-Auth", lambda body: code, lambda body: "not-the-code", _json_tamper(another_item), genuine)


def lightspeed(live: Live) -> Scheme:
    case = live.case
    assert isinstance(case, contract.LightspeedCase)
    state, secret = case.state, "ls-secret"
    url = next(w.url for w in state.webhooks.values() if w.type == "inventory.update")
    levels = iter(sorted(state.inventory))

    def genuine() -> Delivery:
        record = state.set_inventory(*next(levels), 1)
        body = form_body("inventory.update", state.domain_prefix, inventory_payload(record))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Signature": signature_header(secret, body)}
        return Delivery(url, body, headers)

    def tamper(body: bytes) -> bytes:
        fields = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        fields["payload"] = json.dumps({**json.loads(fields["payload"]), "count": 100.0})
        return urlencode(fields).encode()

    return Scheme(
        "X-Signature",
        lambda body: signature_header(secret, body),
        lambda body: signature_header("not-the-client-secret", body),
        tamper,
        genuine,
    )


SCHEMES: dict[str, Callable[[Live], Scheme]] = {
    "shopify": shopify,
    "square": square,
    "clover": clover,
    "lightspeed": lightspeed,
}


# ---------------------------------------------------------------- the hostile cases


def _signed(scheme: Scheme, delivery: Delivery, body: bytes) -> Delivery:
    return replace(delivery, body=body, headers={**delivery.headers, scheme.header: scheme.sign(body)})


def _truncated(value: str) -> str:
    if value.startswith("signature="):  # Lightspeed: signature=<hex>, algorithm=...
        digest, _, rest = value.removeprefix("signature=").partition(",")
        return f"signature={digest[:-2]},{rest}"
    return value[:-4] if len(value) > 8 else value[:-1]


def missing_signature(scheme: Scheme, delivery: Delivery) -> Delivery:
    return replace(delivery, headers={k: v for k, v in delivery.headers.items() if k.lower() != scheme.header.lower()})


def wrong_signature(scheme: Scheme, delivery: Delivery) -> Delivery:
    return replace(delivery, headers={**delivery.headers, scheme.header: scheme.forge(delivery.body)})


def truncated_signature(scheme: Scheme, delivery: Delivery) -> Delivery:
    return replace(delivery, headers={**delivery.headers, scheme.header: _truncated(scheme.sign(delivery.body))})


def modified_body(scheme: Scheme, delivery: Delivery) -> Delivery:
    return replace(delivery, body=scheme.tamper(delivery.body))  # the signature of the original body


def oversized(scheme: Scheme, delivery: Delivery) -> Delivery:
    return _signed(scheme, delivery, delivery.body + b" " * (MAX_BODY_BYTES + 1 - len(delivery.body)))


def oversized_streamed(scheme: Scheme, delivery: Delivery) -> Delivery:
    async def chunks() -> AsyncIterator[bytes]:
        yield delivery.body
        for _ in range(10):
            yield b" " * 100_000

    return replace(delivery, body=chunks())


def empty_body(scheme: Scheme, delivery: Delivery) -> Delivery:
    return _signed(scheme, delivery, b"")


def malformed_json(scheme: Scheme, delivery: Delivery) -> Delivery:
    if delivery.body.startswith(b"{"):
        return _signed(scheme, delivery, delivery.body[: len(delivery.body) // 2])
    return _signed(scheme, delivery, b"type=inventory.update&payload=%7B%22id%22%3A")  # a form whose JSON is cut


Tamper = Callable[[Scheme, Delivery], Delivery]
REJECTED: dict[str, tuple[Tamper, dict[str, int]]] = {  # case -> (tamper, status per provider; default first)
    "missing signature": (missing_signature, {"": 401}),
    "wrong signature": (wrong_signature, {"": 401}),
    "truncated signature": (truncated_signature, {"": 401}),
    "valid signature over a modified body": (modified_body, {"": 401, "clover": 200}),
    "body over the limit": (oversized, {"": 413}),
    "streamed body over the limit": (oversized_streamed, {"": 413}),
    "empty body, signed": (empty_body, {"": 400, "shopify": 401}),
    "malformed JSON, signed": (malformed_json, {"": 400}),
}


# ---------------------------------------------------------------- the test


def stored(live: Live) -> tuple[Any, ...]:
    """Everything a delivery could write: webhook events, sync jobs, offers."""
    with live.database.session() as session:
        events = session.execute(select(WebhookEvent.id, WebhookEvent.state).order_by(WebhookEvent.id)).all()
        jobs = session.scalar(select(func.count()).select_from(SyncJob))
    return tuple(events), jobs, frozenset(offers_of(live))


async def post(connected: Connected, delivery: Delivery) -> tuple[int, str]:
    answer = await connected.live.web.post(delivery.url, content=delivery.body, headers=delivery.headers)
    return answer.status_code, answer.json()["outcome"]


async def settle(connected: Connected) -> None:
    await connected.worker().apply_pending_events()


async def replay_under_a_new_event_id(connected: Connected, scheme: Scheme) -> None:
    """Shopify's event id is a header, outside the signature: a captured delivery can be replayed as a new event.
    It is stored, but changes nothing, since the level has moved on in POS time."""
    live, case = connected.live, connected.live.case
    assert isinstance(case, contract.ShopifyCase)
    old = scheme.genuine()
    assert await post(connected, old) == (200, "accepted")
    level = json.loads(old.body)
    at = time.time() + 5  # the next change, in a later second (Shopify's times are whole seconds)
    case.state.clock = lambda: at
    case.state.set_available(case.shop, level["inventory_item_id"], level["location_id"], 7)
    live.database.transaction(sync_jobs.request_sync, connected.integration_id, "full", utcnow())
    await drain(connected)
    synced = offers_of(live)
    assert synced == connected.expected()
    replayed = replace(old, headers={**old.headers, "X-Shopify-Event-Id": "a-new-event-id"})
    assert await post(connected, replayed) == (200, "accepted")
    await drain(connected)
    assert offers_of(live) == synced


@pytest.fixture(params=sorted(SCHEMES))
def case(request: pytest.FixtureRequest) -> Any:
    return CASES[request.param]()


async def test_every_hostile_delivery_is_refused_with_its_status_and_stores_nothing(
    live: Live, subtests: pytest.Subtests
) -> None:
    connected = await connect_once(live)
    provider = live.case.provider
    scheme = SCHEMES[provider](live)
    for name, (tamper, statuses) in REJECTED.items():
        with subtests.test(case=name):
            before = stored(live)
            status, outcome = await post(connected, tamper(scheme, scheme.genuine()))
            await settle(connected)
            assert status == statuses.get(provider, statuses[""]), outcome
            if status != 200:
                assert stored(live) == before
            else:  # (a) Clover: the auth code is the only check, a modified body is Clover's as far as we can tell
                assert provider == "clover" and outcome == "accepted"
                assert stored(live) != before

    with subtests.test(case="replayed delivery"):
        genuine = scheme.genuine()
        assert await post(connected, genuine) == (200, "accepted")
        await settle(connected)
        first = stored(live)
        status, outcome = await post(connected, genuine)
        await settle(connected)
        assert status == 200 and outcome in ("duplicate", "ignored")  # app-wide URLs: no integration stored it
        assert stored(live) == first

    with subtests.test(case="a genuine delivery after all that"):  # the endpoint was live throughout
        events_before = len(stored(live)[0])
        assert await post(connected, scheme.genuine()) == (200, "accepted")
        await drain(connected)  # Clover's notices queue a sync
        assert len(stored(live)[0]) == events_before + 1
        # The refused deliveries were about real changes: only the next sync learns them, and then all of them.
        # (A Clover notice carries nothing but "changed": it queued a sync that has already read everything.)
        assert (offers_of(live) == connected.expected()) is (provider == "clover")
        live.database.transaction(sync_jobs.request_sync, connected.integration_id, "full", utcnow())
        await drain(connected)
        assert offers_of(live) == connected.expected()

    if provider == "shopify":
        with subtests.test(case="an old delivery replayed under a new event id"):
            await replay_under_a_new_event_id(connected, scheme)
