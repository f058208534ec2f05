"""Hostile input on the headless connect (RFC 8628): code guessing is throttled per client and locked out per
code, expired and reused codes are refused, tampered OAuth callbacks are refused, and the verification page
escapes every value it shows, checks its CSRF token and sends strict security headers in every state.

An agent drives the flow over a real MCP client session; the person (and the attacker) speak real HTTP to the
server's Starlette app through httpx's ASGITransport, from the client address each test chooses; the Shopify
fake answers the consent and the code exchange. The server's clock is the test's, so codes can expire.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from mcp import Client
from sqlalchemy import select

from localshelf.domain import device_codes as codes
from localshelf.fakes.shopify import App, FakeShopify, ShopifyState, callback_hmac
from localshelf.server.app import build_server
from localshelf.server.connect_pages import ATTEMPTS_PER_MINUTE, CSRF_COOKIE
from localshelf.store.db import Database
from localshelf.store.models import ConnectGrant, Integration
from tests.builders import operator_organization
from tests.conftest import FIXED_NOW, call, call_error
from tests.integration.shopify_harness import CLIENT_ID, CLIENT_SECRET, SHOP, settings

pytestmark = pytest.mark.anyio

WEB = "http://127.0.0.1:8765"  # the harness' public_url without /mcp
OTHER_SHOP = "elm-street-books.myshopify.com"
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "' onmouseover='alert(3)",
    'Tom & Jerry\'s "Tools"',
    "\uff1cscript\uff1e Ａlder \u202eevil\u202c",  # fullwidth brackets, confusables, a bidi override
)
HOSTILE_NAME = " ".join(HOSTILE)
RAW_MARKUP = ("<script", "<img")  # escaped, a hostile value's `<` is `&lt;`; attributes are checked by parsing
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "p", "strong", "a", "form"}
ALLOWED_TAGS |= {"input", "label", "button"}


@dataclass
class Clock:
    now: datetime = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Connect:
    """One server's MCP side (the agent) and web side (people, by client address), the Shopify fake, the clock."""

    database: Database
    clock: Clock
    fake: FakeShopify
    agent: Client
    app: Any
    organization_id: str
    people: list[httpx.AsyncClient] = field(default_factory=list)

    def pos_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.fake), timeout=20)

    def person(self, address: str = "192.0.2.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        client = httpx.AsyncClient(transport=transport, base_url=WEB, follow_redirects=False, timeout=20)
        self.people.append(client)
        return client

    async def start(self, account: str = SHOP) -> dict[str, Any]:
        return await call(
            self.agent, "start_pos_connect", organization_id=self.organization_id, provider="shopify", account=account
        )

    async def poll(self, started: dict[str, Any]) -> str:
        self.clock.advance(codes.DEFAULT_INTERVAL_SECONDS)  # never too fast: the status is what matters here
        return str((await call(self.agent, "poll_pos_connect", device_code=started["device_code"]))["status"])

    def grant(self, started: dict[str, Any]) -> ConnectGrant:
        with self.database.session() as session:
            grant = session.scalar(
                select(ConnectGrant).where(ConnectGrant.device_code_hash == codes.code_hash(started["device_code"]))
            )
            assert grant is not None
            return grant


@asynccontextmanager
async def connect_server(
    database: Database, organization_name: str = "Alder Street Hardware"
) -> AsyncIterator[Connect]:
    clock = Clock()
    state = ShopifyState(App(client_id=CLIENT_ID, client_secret=CLIENT_SECRET), clock=time.time)
    for shop in (SHOP, OTHER_SHOP):
        state.seed(state.add_shop(shop), products=2, locations=1, seed=3)
    fake = FakeShopify(state)
    organization_id = operator_organization(database, organization_name)
    holder: list[Connect] = []

    def pos_http() -> httpx.AsyncClient:
        return holder[0].pos_http()

    mcp = build_server(settings(), database=database, clock=clock, pos_http=pos_http)
    web = build_server(settings(transport="http"), database=database, clock=clock, pos_http=pos_http)
    async with Client(mcp) as agent:
        connect = Connect(database, clock, fake, agent, web.streamable_http_app(), organization_id)
        holder.append(connect)
        try:
            yield connect
        finally:
            for person in connect.people:
                await person.aclose()


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def enter(person: httpx.AsyncClient, user_code: str) -> httpx.Response:
    """Open the page and type a code, as a person (or a guesser) does: the confirmation page or a refusal."""
    entry = await person.get("/connect")
    return await person.post("/connect", data={"user_code": user_code, "csrf": csrf_of(entry)})


async def decide(person: httpx.AsyncClient, user_code: str, decision: str) -> httpx.Response:
    entry = await person.get("/connect")
    return await person.post(
        "/connect/decision", data={"user_code": user_code, "decision": decision, "csrf": csrf_of(entry)}
    )


async def approve(person: httpx.AsyncClient, user_code: str) -> str:
    """Enter, confirm and approve `user_code`: the URL of the provider's consent screen."""
    confirm = await enter(person, user_code)
    assert confirm.status_code == 200, confirm.text
    to_shopify = await person.post(
        "/connect/decision", data={"user_code": user_code, "decision": "approve", "csrf": csrf_of(confirm)}
    )
    assert to_shopify.status_code == 303, to_shopify.text
    return str(to_shopify.headers["location"])


async def consent_callback(connect: Connect, authorize_url: str) -> str:
    """The merchant approves at the fake's consent screen: the callback (path and query) it sends them to."""
    async with connect.pos_http() as shopify:
        consent = await shopify.get(authorize_url)
    assert consent.status_code == 302, consent.text
    location = urlsplit(consent.headers["location"])
    return f"{location.path}?{location.query}"


def wrong_code_like(user_code: str, same_first_group: bool) -> str:
    """A well-formed code other than `user_code`: with its first group (aimed at it) or not."""
    normalized = codes.normalize_user_code(user_code)
    assert normalized is not None
    while True:
        candidate = codes.normalize_user_code(codes.new_user_code())
        assert candidate is not None
        if same_first_group:
            candidate = normalized[: codes.USER_CODE_GROUP] + candidate[codes.USER_CODE_GROUP :]
        shares = candidate[: codes.USER_CODE_GROUP] == normalized[: codes.USER_CODE_GROUP]
        if candidate != normalized and shares == same_first_group:
            return f"{candidate[:4]}-{candidate[4:]}"


def refused_code(page: httpx.Response) -> bool:
    return page.status_code == 400 and ("Code not recognised" in page.text or "Code expired" in page.text)


def connected_integrations(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(Integration.external_account).where(Integration.status == "connected")))


# ------------------------------------------------------------------------------------------ guessing the code


async def test_code_entries_are_throttled_per_client_address_on_both_forms(database: Database) -> None:
    async with connect_server(database) as connect:
        started = await connect.start()
        guesser = connect.person("198.51.100.7")
        for _ in range(ATTEMPTS_PER_MINUTE):
            assert refused_code(await enter(guesser, wrong_code_like(started["user_code"], same_first_group=False)))
        blocked = await enter(guesser, started["user_code"])  # even the right code tells this client nothing now
        assert blocked.status_code == 429 and "Too many attempts" in blocked.text
        assert int(blocked.headers["retry-after"]) >= 1 and "Alder Street Hardware" not in blocked.text
        assert (await decide(guesser, started["user_code"], "approve")).status_code == 429

        # The decision form takes a code too: it is throttled the same way (it was an unthrottled oracle).
        other = connect.person("198.51.100.8")
        for _ in range(ATTEMPTS_PER_MINUTE):
            assert refused_code(await decide(other, wrong_code_like(started["user_code"], False), "approve"))
        assert (await decide(other, started["user_code"], "approve")).status_code == 429
        assert (await decide(other, started["user_code"], "deny")).status_code == 429

        # Another address is not held up, and the code is still good: nothing was approved or denied above.
        person = connect.person("203.0.113.20")
        confirm = await enter(person, started["user_code"])
        assert confirm.status_code == 200 and "Alder Street Hardware" in confirm.text
        assert await connect.poll(started) == "authorization_pending"
        assert connect.grant(started).wrong_attempts == 0  # none of those guesses aimed at this code


async def test_wrong_entries_aimed_at_a_code_lock_it_out_whatever_the_client(database: Database) -> None:
    async with connect_server(database) as connect:
        target, bystander = await connect.start(), await connect.start()
        while bystander["user_code"][:4] == target["user_code"][:4]:
            bystander = await connect.start()
        for attempt in range(1, codes.MAX_WRONG_ATTEMPTS):
            guesser = connect.person(f"198.51.100.{attempt}")  # a new address each time: the per-client limit
            assert refused_code(await enter(guesser, wrong_code_like(target["user_code"], same_first_group=True)))
            assert connect.grant(target).wrong_attempts == attempt
        assert (await enter(connect.person("203.0.113.1"), "not a code")).status_code == 400
        assert connect.grant(target).wrong_attempts == codes.MAX_WRONG_ATTEMPTS - 1  # malformed aims at nothing
        assert (await enter(connect.person("203.0.113.2"), target["user_code"])).status_code == 200  # still live

        last = await decide(connect.person("198.51.100.99"), wrong_code_like(target["user_code"], True), "deny")
        assert refused_code(last)
        locked = connect.grant(target)
        assert (locked.wrong_attempts, locked.status) == (codes.MAX_WRONG_ATTEMPTS, "expired")

        person = connect.person("203.0.113.3")
        assert refused_code(await enter(person, target["user_code"]))
        assert refused_code(await decide(person, target["user_code"], "approve"))
        assert await connect.poll(target) == "expired_token"
        assert connect.grant(target).wrong_attempts == codes.MAX_WRONG_ATTEMPTS  # a dead code counts no further
        assert (await connect.person("203.0.113.4").get(target["install_url"].removeprefix(WEB))).status_code == 400

        # The other code, another first group, is untouched and still connects.
        assert connect.grant(bystander).wrong_attempts == 0
        callback = await consent_callback(connect, await approve(connect.person("203.0.113.5"), bystander["user_code"]))
        assert (await connect.person("203.0.113.5").get(callback)).status_code == 200
        assert await connect.poll(bystander) == "connected"


# ------------------------------------------------------------------------------------- expired and reused codes


async def test_expired_codes_are_refused_everywhere(database: Database) -> None:
    async with connect_server(database) as connect:
        started = await connect.start()
        approved = await connect.start()
        person = connect.person()
        authorize_url = await approve(person, approved["user_code"])
        callback = await consent_callback(connect, authorize_url)
        connect.clock.advance(codes.DEFAULT_EXPIRES_IN_SECONDS)

        assert refused_code(await enter(person, started["user_code"]))
        assert refused_code(await decide(person, started["user_code"], "approve"))
        assert refused_code(await decide(person, started["user_code"], "deny"))
        assert (await person.get(started["install_url"].removeprefix(WEB))).status_code == 400
        assert (await person.get(callback)).status_code == 400  # consent given in time, callback too late
        assert await connect.poll(started) == "expired_token"
        assert await connect.poll(approved) == "expired_token"
        assert connected_integrations(database) == []


async def test_used_codes_links_and_device_codes_are_refused(database: Database) -> None:
    async with connect_server(database) as connect:
        connected, denied = await connect.start(), await connect.start()
        person = connect.person()
        callback = await consent_callback(connect, await approve(person, connected["user_code"]))
        assert refused_code(await enter(person, connected["user_code"]))  # approved: the code is spent
        assert refused_code(await decide(person, connected["user_code"], "deny"))
        assert (await person.get(connected["install_url"].removeprefix(WEB))).status_code == 400
        assert (await person.get(callback)).status_code == 200
        assert (await person.get(callback)).status_code == 400  # state and code are single-use
        assert refused_code(await decide(person, connected["user_code"], "approve"))
        assert await connect.poll(connected) == "connected"
        assert await connect.poll(connected) == "expired_token"  # the device code is single-use too

        assert (await decide(person, denied["user_code"], "deny")).status_code == 200
        assert refused_code(await enter(person, denied["user_code"]))
        assert refused_code(await decide(person, denied["user_code"], "approve"))
        assert await connect.poll(denied) == "access_denied"

        code, _ = await call_error(connect.agent, "poll_pos_connect", device_code=codes.new_device_code())
        assert code == "not_found"
        assert connected_integrations(database) == [SHOP]


# ---------------------------------------------------------------------------------------- OAuth callback state


def resigned(callback: str, **changes: str) -> str:
    """The callback with `changes` applied and a valid `hmac` (as if the attacker knew the app secret)."""
    params = {k: v for k, v in parse_qsl(urlsplit(callback).query) if k != "hmac"}
    params.update(changes)
    params = {k: v for k, v in params.items() if v != ""}
    return f"{urlsplit(callback).path}?{urlencode({**params, 'hmac': callback_hmac(CLIENT_SECRET, params)})}"


def tampered(callback: str, **changes: str) -> str:
    """The callback with `changes` applied and its original `hmac` kept."""
    params = dict(parse_qsl(urlsplit(callback).query))
    params.update(changes)
    return f"{urlsplit(callback).path}?{urlencode(params)}"


async def test_tampered_oauth_callback_states_are_refused_and_the_real_one_still_works(database: Database) -> None:
    async with connect_server(database) as connect:
        mine, elsewhere = await connect.start(), await connect.start(OTHER_SHOP)
        person = connect.person()
        callback = await consent_callback(connect, await approve(person, mine["user_code"]))
        other_callback = await consent_callback(connect, await approve(person, elsewhere["user_code"]))
        state = dict(parse_qsl(urlsplit(callback).query))["state"]
        other_state = dict(parse_qsl(urlsplit(other_callback).query))["state"]
        stale = str(int(time.time()) - 3600)
        attempts = {
            "state removed": tampered(callback, state=""),
            "state forged, hmac kept": tampered(callback, state="forged"),
            "state forged, signed": resigned(callback, state=codes.new_device_code()),
            "state changed by one character": tampered(callback, state=state[:-1] + ("A" if state[-1] != "A" else "B")),
            "another grant's state, signed": resigned(callback, state=other_state),
            "the state at another shop, signed": resigned(callback, shop=OTHER_SHOP),
            "the state with a stale timestamp, signed": resigned(callback, timestamp=stale),
            "hmac zeroed": tampered(callback, hmac="0" * 64),
            "denial with a forged state": resigned(callback, state="forged", code="", error="access_denied"),
            "another provider's callback": callback.replace("/shopify/", "/square/"),
        }
        for what, url in attempts.items():
            answer = await person.get(url)
            assert answer.status_code == 400 and "Could not connect" in answer.text, what
        assert connected_integrations(database) == []
        assert await connect.poll(mine) == "authorization_pending"  # no tampering consumed or denied the grant

        assert (await person.get(callback)).status_code == 200
        assert (await person.get(resigned(callback, error="access_denied", code=""))).status_code == 400
        assert (await person.get(other_callback)).status_code == 200  # its own state still works for its shop
        assert sorted(connected_integrations(database)) == sorted([SHOP, OTHER_SHOP])


# ----------------------------------------------------------------------------------------- the page itself


class _Markup(HTMLParser):
    """The tags and attributes a page really contains, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs}
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def assert_safe_page(page: httpx.Response, state: str) -> None:
    """No hostile value became markup, and the headers forbid scripts, framing, sniffing, referrers and caching."""
    markup = _Markup()
    markup.feed(page.text)
    assert markup.tags <= ALLOWED_TAGS, (state, markup.tags - ALLOWED_TAGS)
    assert not {name for name in markup.attributes if name.startswith("on")}, (state, markup.attributes)
    for raw in RAW_MARKUP:
        assert raw not in page.text, (state, raw)
    assert_security_headers(page, state)
    for style in markup.styles:
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in page.headers["content-security-policy"], state  # the page's own style


def assert_security_headers(response: httpx.Response, state: str) -> None:
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in response.headers["content-security-policy"].split(";")
        if directive.strip()
    }
    assert policy["default-src"] == ["'none'"] and "script-src" not in policy, (state, policy)
    assert "'unsafe-inline'" not in response.headers["content-security-policy"], state
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"], state
    assert response.headers["x-frame-options"] == "DENY", state
    assert response.headers["x-content-type-options"] == "nosniff", state
    assert response.headers["referrer-policy"] == "no-referrer", state
    assert response.headers["cache-control"] == "no-store", state


async def test_every_state_of_the_page_escapes_hostile_values_and_sends_security_headers(database: Database) -> None:
    async with connect_server(database, organization_name=HOSTILE_NAME) as connect:
        started, denied, spent = await connect.start(), await connect.start(), await connect.start()
        person = connect.person()
        pages: dict[str, httpx.Response] = {}
        for value in HOSTILE:
            pages[f"enter code, prefilled {value!r}"] = await person.get("/connect", params={"user_code": value})
            pages[f"enter code, shop {value!r}"] = await person.get("/connect", params={"shop": value})
            pages[f"code {value!r} refused"] = await enter(person, value)
            pages[f"install for shop {value!r}"] = await person.get(
                "/integrations/shopify/install", params={"shop": value, "token": "x"}
            )
            pages[f"callback error {value!r}"] = await person.get(
                "/integrations/shopify/callback", params={"shop": value, "state": value, "code": value}
            )
        pages["denied"] = await decide(person, denied["user_code"], "deny")
        confirm = pages["confirm"] = await enter(person, started["user_code"])
        assert confirm.status_code == 200
        assert escape(HOSTILE_NAME) in confirm.text  # shown, as text
        pages["session expired (no CSRF)"] = await person.post("/connect", data={"user_code": started["user_code"]})
        pages["to the consent screen"] = to_shopify = await person.post(
            "/connect/decision",
            data={"user_code": started["user_code"], "decision": "approve", "csrf": csrf_of(confirm)},
        )
        assert to_shopify.status_code == 303, to_shopify.text
        callback = await consent_callback(connect, to_shopify.headers["location"])
        pages["connected"] = await person.get(callback)
        pages["callback replayed"] = await person.get(callback)
        pages["used code"] = await enter(person, started["user_code"])
        connect.clock.advance(codes.DEFAULT_EXPIRES_IN_SECONDS)
        pages["expired code"] = await enter(person, spent["user_code"])
        pages["expired link"] = await person.get(spent["install_url"].removeprefix(WEB))
        for _ in range(ATTEMPTS_PER_MINUTE):
            await enter(person, "BCDF-GHJK")
        pages["too many attempts"] = await enter(person, spent["user_code"])

        assert {name: page.status_code for name, page in pages.items() if name in ("connected", "denied")} == {
            "connected": 200,
            "denied": 200,
        }
        assert pages["too many attempts"].status_code == 429 and pages["expired code"].status_code == 400
        assert pages["session expired (no CSRF)"].status_code == 403
        for name, page in pages.items():
            if page.status_code in (302, 303):
                assert_security_headers(page, name)
            else:
                assert_safe_page(page, name)


async def test_forms_refuse_a_missing_or_forged_csrf_token_and_change_nothing(database: Database) -> None:
    async with connect_server(database) as connect:
        started = await connect.start()
        person = connect.person()
        entry = await person.get("/connect")
        token = csrf_of(entry)
        cookie = entry.headers["set-cookie"]
        assert cookie.startswith(f"{CSRF_COOKIE}={token};")
        assert {"httponly", "samesite=strict", "path=/"} <= {part.strip().lower() for part in cookie.split(";")}
        assert "secure" not in cookie.lower()  # this server is on plain http://
        assert csrf_of(await person.get("/connect")) != token  # a fresh token per page

        stranger = connect.person("192.0.2.66")  # a cross-site form post: no cookie of ours
        forged = [
            await stranger.post("/connect", data={"user_code": started["user_code"], "csrf": token}),
            await person.post("/connect", data={"user_code": started["user_code"]}),
            await person.post("/connect", data={"user_code": started["user_code"], "csrf": token + "x"}),
            await stranger.post(
                "/connect/decision", data={"user_code": started["user_code"], "decision": "deny", "csrf": token}
            ),
            await person.post(
                "/connect/decision", data={"user_code": started["user_code"], "decision": "approve", "csrf": "forged"}
            ),
        ]
        for answer in forged:
            assert answer.status_code == 403 and "Session expired" in answer.text
            assert "Alder Street Hardware" not in answer.text
        assert await connect.poll(started) == "authorization_pending"
        assert connect.grant(started).oauth_state_hash is None

    secure = build_server(settings(transport="http", public_url="https://shelf.example/mcp"), database=database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=secure.streamable_http_app())) as client:
        page = await client.get("https://shelf.example/connect")
    assert "secure" in {part.strip().lower() for part in page.headers["set-cookie"].split(";")}
