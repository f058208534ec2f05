"""POS secrets never leak: a real connect, sync and signed webhook run with marker values as the secrets, then
every place a secret could surface is scanned for them — the server's whole log at DEBUG (its own process,
uvicorn's access log included), every MCP tool result and error text, and every column of every table (only
ciphertext or hashes may be stored).

Shopify (offline access token, app client secret that signs callbacks and webhooks, secret webhook URL) and Square
(60-second access tokens that the server refreshes, refresh token, webhook signature key) each run end to end: a
`localshelf serve --transport http` process, the provider's fake under uvicorn on loopback, an agent over
streamable HTTP with an API key, a person approving on the verification page.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from sqlalchemy import select

from localshelf.domain.auth import Role
from localshelf.fakes.shopify import App, FakeShopify, Shop, ShopifyState, inventory_level_payload
from localshelf.fakes.square import inventory_count_updated
from localshelf.fakes.square.state import Grant, SquareState
from localshelf.pos.crypto import TokenCipher
from localshelf.server.log_redaction import RedactSecretUrls
from localshelf.store.db import Database
from localshelf.store.models import Base, Integration, WebhookEvent
from tests.builders import http_session, operator_key, operator_organization
from tests.conftest import ERROR_CODES
from tests.integration.test_onboarding_e2e import approve_as_the_person, eventually
from tests.integration.test_onboarding_e2e_providers import SquareOnboarding, provider_env, serve_on_loopback
from tests.integration.test_shopify_connect import CLIENT_ID, SHOP
from tests.integration.test_transports import running_http_server

pytestmark = pytest.mark.anyio


def marker(kind: str) -> str:
    return f"MARKER{kind}{secrets.token_hex(8)}"


class MarkedShopify(ShopifyState):
    """The Shopify fake, issuing access tokens that are easy to search for."""

    def issue_token(self, shop: Shop, scope: str) -> str:
        token = marker("shpat")
        shop.tokens[token] = scope
        return token


class MarkedSquare(SquareState):
    """The Square fake, issuing access and refresh tokens that are easy to search for."""

    def issue_grant(self, scopes: tuple[str, ...], refresh_token: str | None = None) -> Grant:
        grant = Grant(
            access_token=marker("sqaccess"),
            refresh_token=refresh_token or marker("sqrefresh"),
            expires_at=self.clock() + self.token_lifetime_seconds,
            scopes=scopes,
        )
        self.grants[grant.access_token] = grant
        return grant


@dataclass
class Transcript:
    """Every tool result the agent received, as the text a client would see."""

    texts: list[str] = field(default_factory=list)
    errors: int = 0

    async def call(self, agent: Client, tool: str, **arguments: Any) -> dict[str, Any]:
        result = await agent.call_tool(tool, arguments)
        self.texts.append(result.model_dump_json())
        assert not result.is_error, self.texts[-1]
        assert result.structured_content is not None
        return result.structured_content

    async def error(self, agent: Client, tool: str, **arguments: Any) -> str:
        result = await agent.call_tool(tool, arguments)
        self.texts.append(result.model_dump_json())
        assert result.is_error, self.texts[-1]
        self.errors += 1
        text: str = result.content[0].text  # type: ignore[union-attr]
        assert text.partition(": ")[0] in ERROR_CODES, text
        return text


def database_text(database: Database) -> str:
    """Every value of every column of every table, as text."""
    with database.session() as session:
        return "\n".join(
            repr(tuple(row)) for table in Base.metadata.sorted_tables for row in session.execute(select(table))
        )


def leaks(markers: dict[str, str], places: dict[str, str]) -> list[tuple[str, str]]:
    return [(name, place) for name, value in markers.items() for place, text in places.items() if value in text]


def stored_tokens(database: Database) -> list[tuple[str | None, str | None]]:
    with database.session() as session:
        rows = session.execute(select(Integration.access_token_encrypted, Integration.refresh_token_encrypted))
        return [(access, refresh) for access, refresh in rows]


async def finished_job(transcript: Transcript, agent: Client, integration: str) -> dict[str, Any] | None:
    jobs = (await transcript.call(agent, "list_sync_jobs", integration_id=integration))["jobs"]
    return jobs[0] if jobs and jobs[0]["state"] not in ("queued", "running") else None


async def connect_and_sync(
    transcript: Transcript, agent: Client, base: str, organization_id: str, provider: str, account: str | None
) -> tuple[str, dict[str, str]]:
    """The agent starts a connect, the person approves, the agent polls; the initial sync runs. The integration,
    and the connect's own secrets (the agent's to see, nobody else's)."""
    started = await transcript.call(
        agent, "start_pos_connect", organization_id=organization_id, provider=provider, account=account
    )
    approve_as_the_person(started["verification_uri_complete"], base, started["user_code"])
    polled = await transcript.call(agent, "poll_pos_connect", device_code=started["device_code"])
    assert polled["status"] == "connected", polled
    integration: str = polled["integration"]["id"]
    job = await eventually(lambda: finished_job(transcript, agent, integration), "the initial sync")
    assert job["state"] == "succeeded", job
    await transcript.call(agent, "list_webhook_endpoints", integration_id=integration)
    await transcript.call(agent, "get_integration", integration_id=integration)
    connect_secrets = {
        "device code": started["device_code"],
        "install token": started["install_url"].rsplit("token=", 1)[1],
        "user code": started["user_code"],
    }
    return integration, connect_secrets


async def applied_events(transcript: Transcript, agent: Client, integration: str, database: Database) -> bool | None:
    """True once a delivery was accepted and the worker has applied every stored event."""
    endpoints = (await transcript.call(agent, "list_webhook_endpoints", integration_id=integration))["endpoints"]
    with database.session() as session:
        states = set(session.scalars(select(WebhookEvent.state)))
    accepted = sum(endpoint["deliveries_accepted"] for endpoint in endpoints)
    return True if accepted and states and "pending" not in states else None


@pytest.fixture
def shopify_markers() -> Iterator[tuple[str, FakeShopify, dict[str, str]]]:
    markers = {"client secret": marker("shpss")}
    state = MarkedShopify(App(client_id=CLIENT_ID, client_secret=markers["client secret"]), clock=time.time)
    state.seed(state.add_shop(SHOP), products=5, locations=2, seed=1)
    fake = FakeShopify(state)
    with serve_on_loopback(fake) as url:
        yield url, fake, markers


async def test_shopify_tokens_client_secret_and_webhook_url_never_leak(
    database: Database, tmp_path: Path, shopify_markers: tuple[str, FakeShopify, dict[str, str]]
) -> None:
    fake_url, fake, markers = shopify_markers
    markers["encryption key"] = TokenCipher.generate_key()
    organization_id = operator_organization(database, "Alder Street Hardware")
    markers["api key"] = operator_key(database, organization_id, Role.OWNER)
    env = {
        "LOCALSHELF_ENCRYPTION_KEYS": markers["encryption key"],
        "LOCALSHELF_SHOPIFY_CLIENT_ID": CLIENT_ID,
        "LOCALSHELF_SHOPIFY_CLIENT_SECRET": markers["client secret"],
        "LOCALSHELF_SHOPIFY_BASE_URL_TEMPLATE": fake_url,
        "LOCALSHELF_LOG_LEVEL": "DEBUG",
    }
    log = tmp_path / "server.log"
    transcript = Transcript()
    shop = fake.state.shops[SHOP]
    with running_http_server(database, log, **env) as mcp_url:
        base = mcp_url.removesuffix("/mcp")
        async with http_session(mcp_url, markers["api key"]) as agent:
            integration, agent_secrets = await connect_and_sync(
                transcript, agent, base, organization_id, "shopify", SHOP
            )
            markers["access token"] = next(iter(shop.tokens))
            markers["webhook URL secret"] = next(iter(shop.subscriptions.values())).uri.rsplit("/", 1)[1]
            level = next(iter(shop.levels))
            fake.state.set_available(shop, level[0], level[1], 0)
            async with httpx.AsyncClient(timeout=10) as sender:
                answers = await fake.webhooks.emit(
                    sender, shop, "inventory_levels/update", inventory_level_payload(shop, *level)
                )
            assert [answer.status_code for answer in answers] == [200]
            await eventually(lambda: applied_events(transcript, agent, integration, database), "the webhook")
            rotated = await transcript.call(
                agent,
                "rotate_webhook_secret",
                endpoint_id=(await transcript.call(agent, "list_webhook_endpoints", integration_id=integration))[
                    "endpoints"
                ][0]["id"],
            )
            assert rotated
            markers["rotated webhook URL secret"] = next(iter(shop.subscriptions.values())).uri.rsplit("/", 1)[1]
            assert markers["rotated webhook URL secret"] != markers["webhook URL secret"]
            # Errors along the way: a secret passed where it does not belong, and a token the POS refuses.
            await transcript.error(agent, "poll_pos_connect", device_code=markers["access token"])
            shop.tokens.clear()
            job = (await transcript.call(agent, "trigger_sync", integration_id=integration))["job"]
            assert job["state"] == "failed", job
            await transcript.call(agent, "get_integration", integration_id=integration)
            await transcript.error(agent, "trigger_sync", integration_id=integration)

    assert_nothing_leaked(markers, agent_secrets, log, transcript, database)


async def test_square_access_and_refresh_tokens_and_signature_key_never_leak(
    database: Database, tmp_path: Path
) -> None:
    case = SquareOnboarding()
    case.state = MarkedSquare(case.state.app, clock=time.time, token_lifetime_seconds=60.0)
    case.state.seed(items=10, locations=2, seed=5)
    case.fake.state = case.state
    case.fake.webhooks.state = case.state
    markers = {"client secret": marker("sq0csp"), "signature key": marker("sqsig")}
    settings = case.settings()
    case.state.app.client_secret = settings["square_client_secret"] = markers["client secret"]
    settings["square_webhook_signature_key"] = markers["signature key"]
    case.settings = lambda: settings  # type: ignore[method-assign]
    organization_id = operator_organization(database, "Alder Street Hardware")
    markers["api key"] = operator_key(database, organization_id, Role.OWNER)
    log = tmp_path / "server.log"
    transcript = Transcript()
    with serve_on_loopback(case.app()) as fake_url:
        env = {**provider_env(case, fake_url), "LOCALSHELF_LOG_LEVEL": "DEBUG"}
        markers["encryption key"] = env["LOCALSHELF_ENCRYPTION_KEYS"]
        with running_http_server(database, log, **env) as mcp_url:
            base = mcp_url.removesuffix("/mcp")
            async with http_session(mcp_url, markers["api key"]) as agent:
                integration, agent_secrets = await connect_and_sync(
                    transcript, agent, base, organization_id, "square", None
                )
                location = next(iter(case.state.locations))
                variation = next(v for item in case.state.items.values() for v in item.variations)
                case.state.set_count(variation.id, location, "0")
                case.payload = inventory_count_updated(case.state, [(variation.id, location)])
                async with httpx.AsyncClient(timeout=10) as sender:
                    answer = await case.notify(sender, f"{base}{case.webhook_path()}")
                assert answer.status_code == 200, answer.text
                await eventually(lambda: applied_events(transcript, agent, integration, database), "the webhook")
                job = (await transcript.call(agent, "trigger_sync", integration_id=integration))["job"]
                assert job["state"] == "succeeded", job
                await transcript.error(agent, "poll_pos_connect", device_code=markers["signature key"])
    grants = list(case.state.grants.values())
    assert len(grants) > 1, "the server refreshed its 60-second token at least once"
    for number, grant in enumerate(grants):
        markers[f"access token {number}"] = grant.access_token
        markers[f"refresh token {number}"] = grant.refresh_token

    assert_nothing_leaked(markers, agent_secrets, log, transcript, database)


def assert_nothing_leaked(
    markers: dict[str, str], agent_secrets: dict[str, str], log: Path, transcript: Transcript, database: Database
) -> None:
    server_log = log.read_text()
    assert "DEBUG" in server_log and '"POST /mcp HTTP/1.1"' in server_log  # the scan saw debug and access logs
    assert "/webhooks/" in server_log  # the delivery's request line was logged (masked)
    assert transcript.errors >= 1 and len(transcript.texts) > 10
    places = {"server log": server_log, "database": database_text(database)}
    places |= {f"tool result {number}": text for number, text in enumerate(transcript.texts)}
    assert leaks(markers, places) == []
    # The connect's codes go to the agent (tool results) and, the user code, to the person; never to a log.
    assert leaks(agent_secrets, {"server log": server_log}) == []
    hashed_only = {name: value for name, value in agent_secrets.items() if name != "user code"}
    assert leaks(hashed_only, {"database": places["database"]}) == []
    cipher = TokenCipher.from_setting(markers["encryption key"])
    stored = [value for pair in stored_tokens(database) for value in pair if value]
    plain = {cipher.decrypt(value) for value in stored}
    assert plain and plain <= set(markers.values())  # the stored ciphertexts are of the very tokens scanned for


@pytest.mark.parametrize(
    ("target", "logged"),
    [
        ("/webhooks/shopify/s3cr3t-XYZ", "/webhooks/shopify/[redacted]"),
        ("/webhooks/lightspeed/s3cr3t?x=1", "/webhooks/lightspeed/[redacted]?x=1"),
        ("/webhooks/square", "/webhooks/square"),
        (
            "/integrations/shopify/callback?code=abc&shop=a.myshopify.com&state=xyz&hmac=00",
            "/integrations/shopify/callback?code=[redacted]&shop=a.myshopify.com&state=[redacted]&hmac=[redacted]",
        ),
        ("/integrations/square/install?token=t0k&shop=", "/integrations/square/install?token=[redacted]&shop="),
        ("/connect?user_code=BCDF-GHJK", "/connect?user_code=[redacted]"),
        ("/mcp", "/mcp"),
    ],
)
def test_access_log_request_lines_are_masked(target: str, logged: str) -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None)
    record.args = ("127.0.0.1:5000", "GET", target, "1.1", 200)
    assert RedactSecretUrls().filter(record)
    assert record.getMessage() == f'127.0.0.1:5000 - "GET {logged} HTTP/1.1" 200'
