"""Who may do what, asked through the front door: real MCP sessions over streamable HTTP against a real server.

One server process per backend serves the whole module (API keys, and OAuth access tokens signed by a
JWK Set generated here); the throttle tests start a second one with a limit of 5 calls a minute. The
matrices are generated from the live tool list and `POLICIES`, so a new tool is covered, or fails
these tests, the day it is added.

"Nothing written" compares every data row before and after (`table_rows`; audit entries and throttle
state are record keeping, excluded by design), with API keys' `last_used_at` blanked: authenticating a
request stamps it, whatever the tool then does.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from mcp import Client
from mcp.types import CallToolResult, Tool
from sqlalchemy import func, select, update

from localshelf.domain.auth import ALL_SCOPES, Role, Scope
from localshelf.domain.gtin import with_check_digit
from localshelf.domain.ids import new_public_id
from localshelf.pos.crypto import TokenCipher
from localshelf.services import connect, keys
from localshelf.services.keys import CreatedApiKey
from localshelf.store.db import Database
from localshelf.store.models import ApiKey, AuditEntry
from localshelf.tools.policy import POLICIES
from tests.builders import (
    SELLWOOD,
    brand_row,
    finished_sync_job,
    http_session,
    onboard,
    operator_organization,
    publish_store,
    retailer_item,
    webhook_endpoint,
)
from tests.conftest import BACKENDS, ERROR_CODES, _require_postgis, _truncate_all, call, call_error, table_rows

pytestmark = pytest.mark.anyio

ISSUER = "https://auth.localshelf.test/realms/shelf"
KID = "localshelf-test-signing-key"
SERVER_START_SECONDS = 30
ENCRYPTION_KEY = TokenCipher.generate_key()
THROTTLED_RATE = 5  # calls per minute for the throttle server: one call every 12 s once the burst is spent

# Arguments that name an object of an organization, and the kind of id each takes.
TENANT_ID_KINDS = {
    "organization_id": "organization",
    "location_id": "location",
    "offer_id": "offer",
    "key_id": "api_key",
    "integration_id": "integration",
    "device_code": "device code",  # not a public id, but a tenant's object all the same
    "job_id": "sync_job",
    "endpoint_id": "webhook_endpoint",
    "item_id": "retailer_item",
}
# What a tenant's own call answers when it passes authorization but the object is not in a state to act on
# (the tenant's integration is pending, its sync job finished).
OWN_OBJECT_REFUSALS = {
    "trigger_sync": "not_connected",
    "rotate_webhook_secret": "not_connected",
    "cancel_sync_job": "already_finished",
    "claim_brand": "wrong_organization_kind",  # the tenants are retailers
}


def unknown_value(argument: str) -> str:
    """A well-formed name for an object that does not exist."""
    kind = TENANT_ID_KINDS[argument]
    return secrets.token_urlsafe(43) if kind == "device code" else new_public_id(kind)


# Read-only tools anyone with a credential may call: they must answer with public data only.
PUBLIC_READS = frozenset(
    {"search_local_products", "check_product_availability", "find_locations", "get_product", "brand_retail_footprint"}
)
# Which roles of an API key each access level admits. A key belongs to one organization and is
# never a signed-in user, so no key may create organizations.
ROLES_ADMITTED: dict[str, frozenset[Role]] = {
    "any key": frozenset(Role),
    "member": frozenset(Role),
    "owner or manager": frozenset({Role.OWNER, Role.MANAGER}),
    "owner or manager anywhere": frozenset({Role.OWNER, Role.MANAGER}),
    "owner": frozenset({Role.OWNER}),
    "signed-in user": frozenset(),
    "operator": frozenset(),  # only the local operator, never a key
    "verified brand owner": frozenset(),  # the tenants are retailers without brand claims
}
# Optional arguments worth giving: without them some tools have nothing to do (update_location) or
# cannot place a US store with no ZIP code (publish_location).
OPTIONAL_FILLED = frozenset({"name", "latitude", "longitude", "price_minor", "account"})
PUBLIC_ID = re.compile(r"\b[a-z]{3}_[0-9a-z]{12}\b")
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}

_numbers = itertools.count(1)


def fresh_gtin() -> str:
    """A valid UPC-A no other test (or earlier run on the same database) uses."""
    return with_check_digit(f"{6_000_000_000 + secrets.randbelow(999_999_999):011d}")


def valid_values() -> dict[str, Any]:
    """A valid value for every non-id argument the tools take, fresh where uniqueness matters."""
    n = next(_numbers)
    return {
        "name": f"Authz Corner Store {n}",
        "address_line1": "1 SE Main St",
        "city": "Portland",
        "country": "US",
        "latitude": SELLWOOD[0],
        "longitude": SELLWOOD[1],
        "sku": f"AUTHZ-{n}",
        "price_minor": 1234 + n,
        "quantity_on_hand": 7,
        "role": Role.STAFF.value,
        "scopes": [Scope.OFFERS_WRITE.value],
        "subject": f"authz-member-{n}",
        "gtin": fresh_gtin(),
        "query": "cordless drill",
        "provider": "shopify",
        "mapping": [],
        "account": f"authz-{n}.myshopify.com",
        "brand": "DeWalt",
        "brand_name": "DeWalt",
        "gtin_company_prefixes": ["0360002"],
        "delta": -1,
        "reason": "sale",
        "occurred_at": datetime.now(UTC).isoformat(),
        "external_id": f"authz-register:{n}:{secrets.token_hex(4)}",
        "decision": "verified",
    }


# --------------------------------------------------------------------------- the server and its data


@dataclass(frozen=True)
class Live:
    """A running server: its MCP endpoint, the database it serves, and the key that signs access tokens."""

    url: str
    database: Database
    signing_key: RSAKey

    def token(self, subject: str, scopes: frozenset[str] | str, **claims: Any) -> str:
        scope = scopes if isinstance(scopes, str) else " ".join(sorted(scopes))
        return sign(
            self.signing_key,
            {"iss": ISSUER, "aud": self.url, "sub": subject, "scope": scope, "exp": int(time.time()) + 600, **claims},
        )


@dataclass(frozen=True)
class Tenant:
    """An onboarded retailer: organization, published store, offered product, and two of its API keys."""

    org: str
    loc: str
    ofr: str
    prd: str
    gtin: str
    owner: CreatedApiKey  # role owner, every scope
    spare: CreatedApiKey  # a staff key, the object of revoke_api_key
    integration: str  # a pending Shopify integration
    device_code: str  # its connect grant's device code (a bearer secret of this tenant)
    job: str  # a finished sync job of that integration
    endpoint: str  # its webhook endpoint
    item: str  # a barcode-less retailer item
    brand: str  # a brand this tenant has no claim on

    @property
    def ids(self) -> dict[str, str]:
        """What each `*_id` argument names when a call is about this tenant."""
        return {
            "organization_id": self.org,
            "location_id": self.loc,
            "offer_id": self.ofr,
            "key_id": self.spare.id,
            "product_id": self.prd,
            "integration_id": self.integration,
            "device_code": self.device_code,
            "job_id": self.job,
            "endpoint_id": self.endpoint,
            "item_id": self.item,
            "claim_id": new_public_id("brand_claim"),  # verify_brand_claim refuses every key before looking
            "brand": self.brand,
        }


def sign(key: RSAKey, claims: dict[str, Any], kid: str = KID) -> str:
    header = {"alg": "RS256", "typ": "at+jwt", "kid": kid}
    return jwt.encode(header, claims, key, ["RS256"], default_type=None)


def new_key(
    database: Database,
    organization_id: str,
    role: Role = Role.OWNER,
    scopes: frozenset[str] = ALL_SCOPES,
    name: str | None = None,
    expires_in_days: int | None = None,
) -> CreatedApiKey:
    """An API key made by the local operator, as `localshelf keys create` does."""
    return database.transaction(
        keys.create_api_key,
        organization_id,
        role,
        sorted(scopes),
        name or f"authz {role.value} {secrets.token_hex(3)}",
        expires_in_days,
        datetime.now(UTC),
    )


async def new_tenant(live: Live, name: str, product: str = "DeWalt 20V Cordless Drill") -> Tenant:
    org = operator_organization(live.database, name)
    owner = new_key(live.database, org, name=f"{name} owner")
    spare = new_key(live.database, org, Role.STAFF, frozenset({Scope.OFFERS_WRITE}), name=f"{name} spare")
    gtin = fresh_gtin()
    async with http_session(live.url, owner.key) as client:
        shop = await onboard(client, organization_id=org, store=f"{name} – Sellwood", gtin=gtin, product=product)
    started = live.database.transaction(
        connect.start_pos_connect,
        org,
        "shopify",
        f"{secrets.token_hex(4)}.myshopify.com",
        datetime.now(UTC),
        "http://x",
        frozenset({"shopify"}),
    )
    return Tenant(
        org=shop.org,
        loc=shop.loc,
        ofr=shop.ofr,
        prd=shop.prd,
        gtin=gtin,
        owner=owner,
        spare=spare,
        integration=started.integration_id,
        device_code=started.device_code,
        job=live.database.transaction(finished_sync_job, started.integration_id),
        endpoint=live.database.transaction(webhook_endpoint, started.integration_id),
        item=live.database.transaction(retailer_item, org, f"{name} rag", f"RAG-{secrets.token_hex(3)}"),
        brand=live.database.transaction(brand_row, f"{name} Brand {secrets.token_hex(3)}"),
    )


def data_rows(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    rows = table_rows(database)
    stamp = list(ApiKey.__table__.columns.keys()).index("last_used_at")
    rows["api_keys"] = [(*row[:stamp], None, *row[stamp + 1 :]) for row in rows["api_keys"]]
    # search counters, flushed by the server's worker every few seconds whatever the calls under test do
    for counters in ("search_demand_daily", "search_impressions_daily"):
        rows.pop(counters)
    return rows


def audit_count(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def live_tools(client: Client) -> dict[str, Tool]:
    listed: list[Tool] = []
    cursor: str | None = None
    while True:
        page = await client.list_tools(cursor=cursor)
        listed.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return {tool.name: tool for tool in listed}


def arguments_for(tool: Tool, ids: dict[str, str]) -> dict[str, Any]:
    """Valid arguments for `tool`: every `*_id` from `ids`, required others (and a few optional) from the table."""
    schema = tool.input_schema
    required = set(schema.get("required", []))
    values = valid_values()
    arguments: dict[str, Any] = {}
    for name in schema.get("properties", {}):
        if (name.endswith("_id") and name != "external_id") or name == "device_code":
            assert name in ids, f"{tool.name}: no test object for {name}; add its kind to TENANT_ID_KINDS and Tenant"
            arguments[name] = ids[name]
        elif name in ids:  # a tenant's own value for a non-id argument (its brand)
            arguments[name] = ids[name]
        elif name in required or name in OPTIONAL_FILLED:
            assert name in values, f"{tool.name}: no valid value for argument {name!r}; add one to valid_values()"
            arguments[name] = values[name]
    return arguments


async def call_own(client: Client, name: str, arguments: dict[str, Any]) -> None:
    """A call about the caller's own objects: it passes authorization (see OWN_OBJECT_REFUSALS)."""
    if name in OWN_OBJECT_REFUSALS:
        code, message = await call_error(client, name, **arguments)
        assert code == OWN_OBJECT_REFUSALS[name], f"{name}: {code}: {message}"
    else:
        await call(client, name, **arguments)


def outcome(result: CallToolResult) -> str:
    """'ok', or the error code of a well-formed error answer."""
    if not result.is_error:
        return "ok"
    assert result.structured_content is None and len(result.content) == 1
    code = result.content[0].text.partition(": ")[0]  # type: ignore[union-attr]
    assert code in ERROR_CODES, result.content
    return code


def masked(message: str) -> str:
    """A message with every public id replaced by its prefix, to compare answers about different ids."""
    return PUBLIC_ID.sub(lambda m: m.group()[:4] + "…", message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(database: Database, workdir: Path, jwks_file: Path, **settings: str) -> Iterator[str]:
    """`localshelf serve --transport http` on a free port, with OAuth configured; yields its MCP URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LOCALSHELF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "LOCALSHELF_LOG_LEVEL": "WARNING",
        "LOCALSHELF_PUBLIC_URL": url,
        "LOCALSHELF_OAUTH_ISSUER": ISSUER,
        "LOCALSHELF_OAUTH_JWKS_FILE": str(jwks_file),
        "LOCALSHELF_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "LOCALSHELF_SHOPIFY_CLIENT_ID": "authz-app",
        "LOCALSHELF_SHOPIFY_CLIENT_SECRET": "authz-app-secret",
        **{f"LOCALSHELF_{name.upper()}": value for name, value in settings.items()},
    }
    log_path = workdir / f"server-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "localshelf", "serve", "--transport", "http", "--port", str(port)],
            env=env,
            cwd=workdir,  # no stray .env file can change the settings
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + SERVER_START_SECONDS
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    assert process.poll() is None, log_path.read_text()
                    assert time.monotonic() < deadline, "server did not start:\n" + log_path.read_text()
                    time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig"})


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, signing_key: RSAKey) -> Path:
    path = tmp_path_factory.mktemp("authorization")
    (path / "jwks.json").write_text(json.dumps(KeySet([signing_key]).as_dict(private=False)))
    return path


@pytest.fixture(scope="module", params=BACKENDS)
def shelf_database(request: pytest.FixtureRequest, workdir: Path) -> Iterator[Database]:
    """This module's database, shared by its servers: a private SQLite file, or the run's PostGIS database."""
    if request.param == "postgis":
        engine = _require_postgis(request.getfixturevalue("postgis_engine_or_reason"))
        _truncate_all(engine)
        yield Database(engine)
        return
    path = workdir / f"shelf-{secrets.token_hex(3)}.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    database = Database.from_url(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def live(shelf_database: Database, workdir: Path, signing_key: RSAKey) -> Iterator[Live]:
    with running_server(shelf_database, workdir, workdir / "jwks.json") as url:
        yield Live(url=url, database=shelf_database, signing_key=signing_key)


@pytest.fixture
def throttled(live: Live, workdir: Path) -> Iterator[str]:
    """A second server on the same database, allowing each credential 5 tool calls a minute."""
    with running_server(
        live.database, workdir, workdir / "jwks.json", rate_limit_per_minute=str(THROTTLED_RATE)
    ) as url:
        yield url


# --------------------------------------------------------------------------- 1. tenant isolation


async def test_every_tool_has_a_policy_and_every_tenant_scoped_tool_hides_other_tenants_objects(live: Live) -> None:
    """A fully authorised owner of A naming B's objects gets exactly what an unknown id gets, and changes nothing."""
    a = await new_tenant(live, "Alder Hardware")
    b = await new_tenant(live, "Birch Books")
    async with http_session(live.url, a.owner.key) as client:
        tools = await live_tools(client)
        assert set(tools) == set(POLICIES), "every listed tool needs exactly one POLICIES row"
        tenant_scoped = {name for name in tools if POLICIES[name].tenant_scoped}
        covered: set[str] = set()
        before = data_rows(live.database)
        for name in sorted(tenant_scoped):
            tool = tools[name]
            named = [arg for arg in tool.input_schema.get("properties", {}) if arg in TENANT_ID_KINDS]
            assert named, f"{name} is tenant-scoped but names no organization object"
            # All of B's objects, and (for tools naming several) each of B's objects among A's own.
            variants = [set(named)] + ([{arg} for arg in named] if len(named) > 1 else [])
            for foreign in variants:
                arguments = arguments_for(tool, {**a.ids, **{arg: b.ids[arg] for arg in foreign}})
                unknown = {**arguments, **{arg: unknown_value(arg) for arg in foreign}}
                code, message = await call_error(client, name, **arguments)
                unknown_code, unknown_message = await call_error(client, name, **unknown)
                assert code == unknown_code == "not_found", f"{name} with B's {sorted(foreign)}: {code}: {message}"
                assert masked(message) == masked(unknown_message)
            covered.add(name)
        assert data_rows(live.database) == before
        # The same calls about A's own objects pass: the refusals above were about whose objects they name.
        for name in sorted(tenant_scoped):
            await call_own(client, name, arguments_for(tools[name], a.ids))
    assert covered == tenant_scoped
    async with http_session(live.url, b.spare.key) as client:  # B's key named in revoke_api_key still works
        await call(client, "get_organization", organization_id=b.org)


async def test_public_tools_show_another_tenants_published_data_and_nothing_private(live: Live) -> None:
    a = await new_tenant(live, "Aspen Outfitters")
    b = await new_tenant(live, "Beacon Marine", product="Brass Ship Lantern")
    async with http_session(live.url, b.owner.key) as client:
        hidden = await publish_store(client, b.org, "Beacon Marine – Back Room", SELLWOOD)
        hidden_offer = await call(
            client,
            "create_in_store_offer",
            organization_id=b.org,
            location_id=hidden["id"],
            gtin=b.gtin,
            sku="HIDDEN-1",
            price_minor=4200,
            quantity_on_hand=3,
        )
        await call(client, "unpublish_location", location_id=hidden["id"])
    private = {hidden["id"], hidden_offer["id"], b.owner.id, b.owner.prefix, b.spare.id, b.spare.prefix}
    async with http_session(live.url, a.owner.key) as client:
        tools = await live_tools(client)
        public_reads = {n for n in tools if POLICIES[n].access == "any key" and POLICIES[n].scope is None}
        assert public_reads == PUBLIC_READS
        here = {"latitude": SELLWOOD[0], "longitude": SELLWOOD[1]}
        answers = {
            "find_locations": await call(client, "find_locations", organization_id=b.org, radius_km=1, **here),
            "get_product": await call(client, "get_product", product_id=b.prd),
            "search_local_products": await call(
                client, "search_local_products", query="ship lantern", radius_km=1, limit=100, **here
            ),
            "check_product_availability": await call(client, "check_product_availability", gtin=b.gtin, **here),
            "brand_retail_footprint": await call(client, "brand_retail_footprint", brand="DeWalt", radius_km=1, **here),
        }
    assert [loc["id"] for loc in answers["find_locations"]["locations"]] == [b.loc]
    assert answers["get_product"]["id"] == b.prd
    assert [hit["offer_id"] for hit in answers["search_local_products"]["results"]] == [b.ofr]
    assert [store["offer_id"] for store in answers["check_product_availability"]["stores"]] == [b.ofr]
    footprint = answers["brand_retail_footprint"]
    assert footprint["visibility"] == "public" and footprint["totals"]["offer_count"] is None
    for name, answer in answers.items():
        text = json.dumps(answer)
        assert not [value for value in private if value in text], f"{name} shows private data of B"


# --------------------------------------------------------------------------- 2. scopes


async def test_every_scoped_tool_refuses_a_credential_without_its_scope_and_runs_with_it(live: Live) -> None:
    tenant = await new_tenant(live, "Cedar Cycles")
    async with http_session(live.url, tenant.owner.key) as client:
        tools = await live_tools(client)
    scoped = {name: POLICIES[name].scope for name in tools if POLICIES[name].scope is not None}
    assert scoped, "no tool needs a scope?"
    for name, scope in sorted(scoped.items()):
        assert scope is not None
        lacking, holding = ALL_SCOPES - {scope.value}, ALL_SCOPES
        if POLICIES[name].access == "signed-in user":  # API keys cannot act as a person: use access tokens
            subject = f"scope-tester-{secrets.token_hex(4)}"
            without, with_scope = live.token(subject, lacking), live.token(subject, holding)
        else:
            without = new_key(live.database, tenant.org, Role.OWNER, lacking).key
            with_scope = new_key(live.database, tenant.org, Role.OWNER, holding).key
        arguments = arguments_for(tools[name], tenant.ids)
        async with http_session(live.url, without) as client:
            before = data_rows(live.database)
            code, message = await call_error(client, name, **arguments)
            assert code == "insufficient_scope", f"{name} without {scope}: {code}: {message}"
            assert scope.value in message
            assert data_rows(live.database) == before, f"{name} wrote without {scope}"
        async with http_session(live.url, with_scope) as client:
            if POLICIES[name].access == "operator":  # the scope is not enough: no key is the operator
                assert (await call_error(client, name, **arguments))[0] == "forbidden"
            else:
                await call_own(client, name, arguments)


# --------------------------------------------------------------------------- 3. roles


# The cases the issue names, stated independently of POLICIES: a role denied these gets `forbidden`.
DENIED = {
    Role.STAFF: {"publish_location", "update_location", "create_in_store_offer", "update_in_store_offer"},
    Role.MANAGER: {"create_api_key", "list_api_keys", "revoke_api_key", "add_member", "list_audit_entries"},
    Role.OWNER: set(),
}
ALLOWED = {Role.STAFF: {"get_organization", "list_in_store_offers"}, Role.MANAGER: {"publish_location"}}


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
async def test_each_role_may_call_exactly_the_tools_its_access_level_admits(live: Live, role: Role) -> None:
    tenant = await new_tenant(live, f"Dogwood {role.value.title()} Supply")
    key = new_key(live.database, tenant.org, role, ALL_SCOPES)
    outcomes: dict[str, str] = {}
    async with http_session(live.url, key.key) as client:
        tools = await live_tools(client)
        unknown_levels = {POLICIES[name].access for name in tools} - set(ROLES_ADMITTED)
        assert not unknown_levels, f"decide which roles {unknown_levels} admit"
        for name in sorted(tools):
            arguments = arguments_for(tools[name], tenant.ids)
            before = data_rows(live.database)
            outcomes[name] = outcome(await client.call_tool(name, arguments))
            if outcomes[name] != "ok":
                assert data_rows(live.database) == before, f"{role.value} changed data through {name}"
    admitted = {n: OWN_OBJECT_REFUSALS.get(n, "ok") for n in tools}
    expected = {n: admitted[n] if role in ROLES_ADMITTED[POLICIES[n].access] else "forbidden" for n in tools}
    assert outcomes == expected
    assert all(outcomes[name] == "forbidden" for name in DENIED[role])
    assert all(outcomes[name] == "ok" for name in ALLOWED.get(role, set()))
    if role is Role.OWNER:  # an owner's key may do everything but act as a person
        refused = {n for n, outcome in outcomes.items() if outcome != "ok"}
        no_key = {n for n in tools if not ROLES_ADMITTED[POLICIES[n].access]}
        assert refused == {"create_organization", *OWN_OBJECT_REFUSALS, *no_key}


async def test_a_key_cannot_hand_out_scopes_or_powers_it_does_not_hold(live: Live) -> None:
    tenant = await new_tenant(live, "Elm Street Paints")
    offers_and_keys = new_key(live.database, tenant.org, Role.OWNER, frozenset({Scope.OFFERS_WRITE, Scope.KEYS_WRITE}))
    offers_only = new_key(live.database, tenant.org, Role.OWNER, frozenset({Scope.OFFERS_WRITE}))
    manager = new_key(live.database, tenant.org, Role.MANAGER, ALL_SCOPES)
    request = {"organization_id": tenant.org, "name": "escalated", "role": "staff"}
    before = data_rows(live.database)
    async with http_session(live.url, offers_and_keys.key) as client:
        code, message = await call_error(client, "create_api_key", scopes=["locations:write"], **request)
        assert code == "forbidden" and "locations:write" in message
    async with http_session(live.url, offers_only.key) as client:  # cannot even manage keys
        code, _ = await call_error(client, "create_api_key", scopes=["locations:write"], **request)
        assert code == "insufficient_scope"
    async with http_session(live.url, manager.key) as client:  # managers never manage keys
        code, _ = await call_error(client, "create_api_key", scopes=["offers:write"], **request)
        assert code == "forbidden"
    assert data_rows(live.database) == before
    async with http_session(live.url, offers_and_keys.key) as client:  # within its own powers it may
        created = await call(client, "create_api_key", scopes=["offers:write"], **request)
    assert created["scopes"] == ["offers:write"] and created["created_by"] == offers_and_keys.prefix


# --------------------------------------------------------------------------- 4. credentials


def _mcp_request(organization_id: str) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "get_organization", "arguments": {"organization_id": organization_id}},
    }


def _post(url: str, authorization: str | None, organization_id: str) -> httpx.Response:
    headers = {**MCP_HEADERS, **({"Authorization": authorization} if authorization is not None else {})}
    return httpx.post(url, headers=headers, json=_mcp_request(organization_id), timeout=10)


def _claims(live: Live, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": live.url, "sub": "somebody", "scope": "offers:write", "exp": now + 600, **overrides}


async def _bad_authorization(kind: str, live: Live, organization_id: str) -> str | None:
    """The Authorization header of each kind of bad credential (the revoked and expired keys worked before)."""
    if kind == "no header":
        return None
    if kind == "garbage bearer":
        return "Bearer definitely-not-a-credential"
    if kind == "malformed jwt":
        return "Bearer eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"
    if kind == "expired jwt":
        return "Bearer " + sign(live.signing_key, _claims(live, exp=int(time.time()) - 3600))
    if kind == "jwt for another audience":
        return "Bearer " + sign(live.signing_key, _claims(live, aud="https://elsewhere.example.test/mcp"))
    if kind == "jwt signed by an impostor key":
        impostor = RSAKey.generate_key(2048, parameters={"kid": KID})
        return "Bearer " + sign(impostor, _claims(live))
    if kind == "unknown api key":
        return "Bearer lsk_" + "x" * 8 + "_" + "y" * 32
    if kind == "revoked api key":
        victim = new_key(live.database, organization_id, Role.STAFF, frozenset())
        owner = new_key(live.database, organization_id)
        async with http_session(live.url, victim.key) as client:
            await call(client, "get_organization", organization_id=organization_id)
        async with http_session(live.url, owner.key) as client:
            await call(client, "revoke_api_key", key_id=victim.id)
        return f"Bearer {victim.key}"
    if kind == "expired api key":
        expiring = new_key(live.database, organization_id, Role.STAFF, frozenset(), expires_in_days=1)
        async with http_session(live.url, expiring.key) as client:
            await call(client, "get_organization", organization_id=organization_id)
        with live.database.session() as session, session.begin():
            session.execute(
                update(ApiKey)
                .where(ApiKey.public_id == expiring.id)
                .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )
        return f"Bearer {expiring.key}"
    raise AssertionError(kind)


BAD_CREDENTIALS = [
    "no header",
    "garbage bearer",
    "malformed jwt",
    "expired jwt",
    "jwt for another audience",
    "jwt signed by an impostor key",
    "unknown api key",
    "revoked api key",
    "expired api key",
]


@pytest.mark.parametrize("kind", BAD_CREDENTIALS)
async def test_a_bad_credential_gets_401_with_the_resource_metadata_challenge_and_no_data(
    live: Live, kind: str
) -> None:
    organization_id = operator_organization(live.database, f"Fir Tree Florist {secrets.token_hex(3)}")
    valid = new_key(live.database, organization_id, Role.STAFF, frozenset())
    assert _post(live.url, f"Bearer {valid.key}", organization_id).status_code != 401  # the request itself is fine
    authorization = await _bad_authorization(kind, live, organization_id)
    response = _post(live.url, authorization, organization_id)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
    assert re.search(
        r'resource_metadata="http://127\.0\.0\.1:\d+/\.well-known/oauth-protected-resource/mcp"', challenge
    )
    assert set(response.json()) <= {"error", "error_description"}
    assert organization_id not in response.text and "Fir Tree" not in response.text


def test_the_protected_resource_metadata_names_this_resource_and_the_issuer(live: Live) -> None:
    challenge = _post(live.url, None, "org_000000000000").headers["www-authenticate"]
    found = re.search(r'resource_metadata="([^"]+)"', challenge)
    assert found is not None
    assert found.group(1) == live.url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
    metadata = httpx.get(found.group(1), timeout=10).json()
    assert metadata["resource"] == live.url
    assert [server.rstrip("/") for server in metadata["authorization_servers"]] == [ISSUER]


# --------------------------------------------------------------------------- 5. people signing in


async def test_a_signed_in_user_owns_what_they_create_and_shares_it_only_by_adding_members(live: Live) -> None:
    scopes = "organizations:write locations:write offers:write"
    owner, colleague = f"alice-{secrets.token_hex(4)}", f"bob-{secrets.token_hex(4)}"
    store = {
        "name": "Ginkgo Games – Sellwood",
        "address_line1": "1 SE Main St",
        "city": "Portland",
        "country": "US",
        "latitude": SELLWOOD[0],
        "longitude": SELLWOOD[1],
    }
    async with http_session(live.url, live.token(owner, scopes)) as alice:
        org = (await call(alice, "create_organization", name="Ginkgo Games"))["id"]
        assert (await call(alice, "get_organization", organization_id=org))["name"] == "Ginkgo Games"
        await call(alice, "publish_location", organization_id=org, **store)
        async with http_session(live.url, live.token(colleague, scopes)) as bob:
            assert (await call_error(bob, "get_organization", organization_id=org))[0] == "not_found"
            added = await call(alice, "add_member", organization_id=org, subject=colleague, role="staff")
            assert (added["subject"], added["role"]) == (colleague, "staff")
            assert (await call(bob, "get_organization", organization_id=org))["location_count"] == 1
            before = data_rows(live.database)
            assert (await call_error(bob, "publish_location", organization_id=org, **store))[0] == "forbidden"
            assert data_rows(live.database) == before


# --------------------------------------------------------------------------- 6. audit


async def test_owners_read_every_write_attempt_newest_first_and_nobody_else_reads_them(live: Live) -> None:
    tenant = await new_tenant(live, "Hazel & Co")
    staff = new_key(live.database, tenant.org, Role.STAFF, ALL_SCOPES, name="hazel staff")
    manager = new_key(live.database, tenant.org, Role.MANAGER, ALL_SCOPES, name="hazel manager")
    no_locations = new_key(live.database, tenant.org, Role.OWNER, ALL_SCOPES - {"locations:write"}, name="hazel sync")
    outsider = await new_tenant(live, "Ivy Interiors")
    store = {"name": "Hazel – Annex", "address_line1": "2 SE Main St", "city": "Portland", "country": "US"}
    here = {"latitude": SELLWOOD[0], "longitude": SELLWOOD[1]}
    owner = tenant.owner
    async with http_session(live.url, owner.key) as client:
        annex = await call(client, "publish_location", organization_id=tenant.org, **store, **here)
        await call(client, "update_in_store_offer", offer_id=tenant.ofr, price_minor=2500)
        await call(client, "get_organization", organization_id=tenant.org)  # reads are not audited
        bad = await call_error(
            client, "publish_location", organization_id=tenant.org, latitude=95, longitude=0, **store
        )
        duplicate = {
            "location_id": tenant.loc,
            "product_id": tenant.prd,
            "sku": "A1",
            "price_minor": 1,
            "quantity_on_hand": 1,
        }
        dup = await call_error(client, "create_in_store_offer", organization_id=tenant.org, **duplicate)
    async with http_session(live.url, staff.key) as client:
        denied = await call_error(client, "publish_location", organization_id=tenant.org, **store, **here)
    async with http_session(live.url, no_locations.key) as client:
        unscoped = await call_error(client, "publish_location", organization_id=tenant.org, **store, **here)
    assert (bad[0], dup[0], denied[0], unscoped[0]) == (
        "invalid_coordinates",
        "duplicate_offer",
        "forbidden",
        "insufficient_scope",
    )
    expected = [  # newest first: (principal, key_prefix, tool, target_ids, outcome)
        (no_locations.name, no_locations.prefix, "publish_location", [tenant.org], "insufficient_scope"),
        (staff.name, staff.prefix, "publish_location", [tenant.org], "forbidden"),
        (owner.name, owner.prefix, "create_in_store_offer", [tenant.loc, tenant.org, tenant.prd], "duplicate_offer"),
        (owner.name, owner.prefix, "publish_location", [tenant.org], "invalid_coordinates"),
        (owner.name, owner.prefix, "update_in_store_offer", [tenant.ofr], "ok"),
        (owner.name, owner.prefix, "publish_location", [tenant.org, annex["id"]], "ok"),
    ]
    async with http_session(live.url, owner.key) as client:
        page = await call(client, "list_audit_entries", organization_id=tenant.org, limit=len(expected))
    seen = [(e["principal"], e["key_prefix"], e["tool"], e["target_ids"], e["outcome"]) for e in page["entries"]]
    assert seen == expected
    times = [entry["occurred_at"] for entry in page["entries"]]
    assert times == sorted(times, reverse=True)
    for reader, answer in ((staff, "forbidden"), (manager, "forbidden"), (outsider.owner, "not_found")):
        async with http_session(live.url, reader.key) as client:
            assert (await call_error(client, "list_audit_entries", organization_id=tenant.org))[0] == answer


async def test_owners_also_read_failed_writes_that_name_only_a_location_offer_or_key(live: Live) -> None:
    tenant = await new_tenant(live, "Holly Home Goods")
    staff = new_key(live.database, tenant.org, Role.STAFF, ALL_SCOPES, name="holly staff")
    unscoped = new_key(live.database, tenant.org, Role.OWNER, frozenset({Scope.OFFERS_WRITE}), name="holly sync")
    async with http_session(live.url, staff.key) as client:
        assert (await call_error(client, "update_location", location_id=tenant.loc, name="Moved"))[0] == "forbidden"
        assert (await call_error(client, "update_in_store_offer", offer_id=tenant.ofr, price_minor=1))[0] == "forbidden"
    async with http_session(live.url, unscoped.key) as client:
        assert (await call_error(client, "revoke_api_key", key_id=tenant.spare.id))[0] == "insufficient_scope"
    async with http_session(live.url, tenant.owner.key) as client:
        page = await call(client, "list_audit_entries", organization_id=tenant.org, limit=3)
    assert [(e["tool"], e["target_ids"], e["outcome"]) for e in page["entries"]] == [
        ("revoke_api_key", [tenant.spare.id], "insufficient_scope"),
        ("update_in_store_offer", [tenant.ofr], "forbidden"),
        ("update_location", [tenant.loc], "forbidden"),
    ]


# --------------------------------------------------------------------------- 7. throttle


async def test_a_throttled_key_is_refused_before_anything_runs_and_other_keys_carry_on(
    live: Live, throttled: str
) -> None:
    tenant = await new_tenant(live, "Juniper Pharmacy")
    busy = new_key(live.database, tenant.org)
    other = new_key(live.database, tenant.org)
    offer = {
        "organization_id": tenant.org,
        "location_id": tenant.loc,
        "product_id": tenant.prd,
        "sku": "THROTTLE-1",
        "price_minor": 999,
        "quantity_on_hand": 4,
    }
    async with http_session(throttled, busy.key) as client:
        for _ in range(THROTTLED_RATE):
            await call(client, "get_organization", organization_id=tenant.org)
        rows, audited = data_rows(live.database), audit_count(live.database)
        result: CallToolResult = await client.call_tool("create_in_store_offer", offer)
    assert result.is_error
    assert result.content[0].text.startswith("rate_limited: ")  # type: ignore[union-attr]
    assert result.meta is not None
    assert 0 < result.meta["retry_after_seconds"] <= 60 / THROTTLED_RATE
    assert data_rows(live.database) == rows
    assert audit_count(live.database) == audited  # a flood leaves no trace to fill the audit log
    async with http_session(throttled, other.key) as client:
        created = await call(client, "create_in_store_offer", **offer)
    assert created["sku"] == "THROTTLE-1"


PROBE_STORE = {
    "name": "Probe",
    "address_line1": "1 Probe St",
    "city": "Portland",
    "country": "US",
    "latitude": SELLWOOD[0],
    "longitude": SELLWOOD[1],
}


async def test_an_outsiders_attempt_is_not_filed_under_the_tenant_it_aimed_at(live: Live) -> None:
    target = await new_tenant(live, "Juniper Joinery")
    prober = await new_tenant(live, "Kestrel Kitchens")
    async with http_session(live.url, prober.owner.key) as client:
        code, _ = await call_error(client, "update_location", location_id=target.loc, name="Mine now")
        assert code == "not_found"
        code, _ = await call_error(client, "publish_location", organization_id=target.org, **PROBE_STORE)
        assert code == "not_found"
    async with http_session(live.url, target.owner.key) as client:
        page = await call(client, "list_audit_entries", organization_id=target.org, limit=50)
    assert prober.owner.prefix not in {entry["key_prefix"] for entry in page["entries"]}
