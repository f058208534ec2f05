"""Hostile input, fuzzed: every listed tool, arguments generated from its own JSON Schema, on both backends.

For each of the 48 tools, hypothesis draws arguments from the tool's `inputSchema` (as listed by
`tools/list`; every leaf value from hypothesis-jsonschema): valid-shaped calls (ids that exist, seeded
first), calls valid but for one field, calls hostile in any field, nested ones too, and calls with a
required argument dropped or an unknown one added. A hostile value is a hand-written nasty one (huge
strings, NUL bytes, unicode confusables, SQL and HTML injection, NaN/inf and out-of-range numbers,
wrong types, deep JSON) or an id that exists but of another kind.
Each call goes through a real MCP client session as the operator. The contract, per call:

- a normal result (with structured content), or `is_error` with one line `<code>: <message>` whose code is
  a known `ErrorCode` other than `internal_error` (our "500") and whose message is one human line with no
  traceback, file path, exception class path or SQL text;
- when the call errored, no data table changed (every row of every table compared before and after).

Examples per tool: LOCALSHELF_FUZZ_EXAMPLES (default 12, fast enough for CI); the long run is

    LOCALSHELF_FUZZ_EXAMPLES=2000 .venv/bin/pytest -p no:cacheprovider -q tests/integration/test_tool_fuzz.py

Under CI=true the draws are derandomized (the same cases every run). The number of cases tried and the
errors by code are printed per backend at the end of the module.
"""

from __future__ import annotations

import math
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from mcp import Client
from mcp.types import CallToolResult, TextContent, Tool

from localshelf.config import Settings
from localshelf.domain.errors import ErrorCode
from localshelf.server.app import build_server
from localshelf.store.db import Database
from tests.builders import (
    DRILL_UPC,
    SELLWOOD,
    brand_row,
    finished_sync_job,
    new_retailer,
    new_store,
    onboard,
    retailer_item,
    webhook_endpoint,
)
from tests.conftest import BACKENDS, FIXED_NOW, IN_CI, _require_postgis, _truncate_all, call, table_rows

EXAMPLES_ENV = "LOCALSHELF_FUZZ_EXAMPLES"
EXAMPLES = int(os.environ.get(EXAMPLES_ENV, "12"))
TOOL_COUNT = 48
KNOWN_CODES = frozenset(code.value for code in ErrorCode) - {ErrorCode.INTERNAL_ERROR.value}
UNREGISTERED_GTIN = "4006381333931"

# A failing case with a megabyte string is reported shortened (see `_shown`); hypothesis' own repr warns.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=IN_CI,
    database=None,  # no .hypothesis/ directory in the tree; a failure prints the falsifying call
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


# --------------------------------------------------------------------------- nasty values


def _deep_list(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def _deep_object(depth: int) -> Any:
    value: Any = {"id": "org_000000000000"}
    for _ in range(depth):
        value = {"a": value}
    return value


def _long_string(length: int) -> str:
    return "x" * length


def _long_list(length: int) -> list[str]:
    return ["a"] * length


NASTY_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "\x00",
    "org_\x00\x00\x00\x00\x00\x00\x00\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: valid in JSON ("\\ud800"), not encodable as UTF-8
    "drill\udfff",
    "\r\n",
    "\t\v\f",
    "é" * 129,  # 129 characters, 258 bytes
    "' OR '1'='1",
    "'; DROP TABLE organizations; --",
    "1 UNION SELECT secret_hash FROM api_keys --",
    "\\'; SELECT pg_sleep(10); --",
    '" OR ""="',
    "%",
    "_",
    "%_%' ESCAPE '\\",
    "\\",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&lt;b&gt;&amp;",
    "оrg_7k3m9x2p4q8r",  # Cyrillic о
    "ｏｒｇ＿７ｋ３ｍ９ｘ２ｐ４ｑ８ｒ",  # fullwidth
    "٠٣٦٠٠٠٢٩١٤٥٢",  # Arabic-Indic digits
    "03600029145２",  # a fullwidth check digit
    "ᴅᴇᴡᴀʟᴛ",
    "DeWalt\u200b",  # zero-width space
    "\u202edlrow",  # right-to-left override
    "\ufeffBOM",
    "e\u0301" * 150,  # combining accents
    "🧰🔧" * 60,
    "../../etc/passwd",
    "{{7*7}}${7*7}",
    "${jndi:ldap://127.0.0.1/a}",
    "NaN",
    "Infinity",
    "-1e309",
    "null",
    "true",
    "2026-02-30T25:61:00Z",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59+14:00",
    "2026-11-24T12:00:00",  # no offset
)
NASTY_NUMBERS: tuple[Any, ...] = (
    math.nan,
    math.inf,
    -math.inf,
    0,
    -0.0,
    -1,
    0.5,
    1e308,
    -1e308,
    5e-324,
    90.0000001,
    -180.0000001,
    2**31,
    2**53 + 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**100,
    True,
    False,
)
# Big values are built when drawn, so that the strategies' own repr (shown on failures) stays short.
HUGE_STRINGS = st.sampled_from((65, 129, 201, 301, 2_001, 100_000, 1_000_001)).map(_long_string)
NASTY_STRING = st.sampled_from(range(len(NASTY_STRINGS))).map(NASTY_STRINGS.__getitem__) | HUGE_STRINGS
NASTY_NUMBER = st.sampled_from(range(len(NASTY_NUMBERS))).map(NASTY_NUMBERS.__getitem__)
NASTY_SHAPE = st.one_of(
    st.sampled_from((None, [], {}, [None], {"$ne": None}, {"__proto__": {"admin": True}})),
    st.sampled_from((1_000, 100_000)).map(_long_list),
    st.sampled_from((50, 200)).map(_deep_list),
    st.sampled_from((50, 200)).map(_deep_object),
)
NASTY_ANY = NASTY_STRING | NASTY_NUMBER | NASTY_SHAPE
UNKNOWN_ARGUMENTS = ("radius", "__proto__", "organization_id\x00", "ORGANIZATION_ID", "x" * 300)


# --------------------------------------------------------------------------- strategies from a JSON Schema


@dataclass(frozen=True)
class SchemaStrategies:
    """Strategies for one tool's arguments, built from its input schema and the ids that exist."""

    defs: dict[str, Any]
    known: dict[str, list[Any]]  # argument name -> values that exist or make sense (e.g. the shop's ids)
    every_id: list[str]  # the ids of every kind: an id that exists, in the wrong place

    def value(self, schema: dict[str, Any], name: str = "") -> st.SearchStrategy[Any]:
        """A value for `schema`: valid-shaped, or (at every level) a nasty or existing value instead."""
        if "$ref" in schema:
            return self.value(self.defs[schema["$ref"].rsplit("/", 1)[-1]], name)
        if "anyOf" in schema:
            return st.one_of([self.value(branch, name) for branch in schema["anyOf"]])
        options = [self.shaped(schema), NASTY_ANY]
        if schema.get("type") in ("string", "number", "integer"):
            options.append(NASTY_STRING if schema["type"] == "string" else NASTY_NUMBER)
        if name in self.known:
            options.append(st.sampled_from(self.known[name]))
        if name.endswith("_id"):
            options.append(st.sampled_from(self.every_id))
        return st.one_of(options)

    def shaped(self, schema: dict[str, Any], nasty: bool = True) -> st.SearchStrategy[Any]:
        """A value of `schema`'s shape; its parts may be nasty (`nasty`) or not. Leaves come from
        hypothesis-jsonschema (its object strategy does not run on current hypothesis, so objects and
        arrays are walked here)."""
        if "$ref" in schema:
            return self.shaped(self.defs[schema["$ref"].rsplit("/", 1)[-1]], nasty)
        if "anyOf" in schema:
            return st.one_of([self.shaped(branch, nasty) for branch in schema["anyOf"]])
        kind = schema.get("type")
        if kind == "object" and "properties" in schema:
            return self.object(schema, nasty)
        if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
            part = schema["additionalProperties"]
            keys = st.sampled_from(("mon", "tue", "sun")) | (NASTY_STRING if nasty else st.text(max_size=5))
            values = self.value(part) if nasty else self.shaped(part, nasty=False)
            return st.dictionaries(keys, values, max_size=4)
        if kind == "array" and isinstance(schema.get("items"), dict):
            most = schema.get("maxItems", 5)
            part = self.value(schema["items"]) if nasty else self.shaped(schema["items"], nasty=False)
            within = st.lists(part, max_size=min(most, 5))
            return within | st.lists(self.shaped(schema["items"], False), min_size=most + 1, max_size=most + 2)
        return from_schema(schema)

    def object(self, schema: dict[str, Any], nasty: bool = True) -> st.SearchStrategy[dict[str, Any]]:
        properties: dict[str, Any] = schema["properties"]
        required = set(schema.get("required", []))
        fields = {
            name: self.value(sub, name) if nasty else self.existing(name, sub) for name, sub in properties.items()
        }
        return st.fixed_dictionaries(
            {name: strategy for name, strategy in fields.items() if name in required},
            optional={name: strategy for name, strategy in fields.items() if name not in required},
        )

    def existing(self, name: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        """A valid value: for an id, one that exists (a random one is merely not found)."""
        shaped = self.shaped(schema, nasty=False)
        if name not in self.known:
            return shaped
        return st.sampled_from(self.known[name]) if name.endswith("_id") else st.sampled_from(self.known[name]) | shaped

    def arguments(self, schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        """Whole calls: valid-shaped; valid but for one hostile field (so the hostile value gets past the other
        arguments' checks); hostile in any field; or with an argument missing or unknown."""
        strictly_valid = self.object(schema, nasty=False)
        properties: dict[str, Any] = schema["properties"]

        def one_hostile(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
            return st.sampled_from(sorted(properties)).flatmap(
                lambda name: self.value(properties[name], name).map(lambda value: {**valid, name: value})
            )

        one_wrong = strictly_valid.flatmap(one_hostile)
        fields = self.object(schema)
        return st.one_of(
            strictly_valid,
            one_wrong,
            one_wrong,
            fields,
            strictly_valid.flatmap(_without_one_argument),
            st.tuples(strictly_valid, st.sampled_from(UNKNOWN_ARGUMENTS), NASTY_ANY).map(
                lambda drawn: {**drawn[0], drawn[1]: drawn[2]}
            ),
        )


def _without_one_argument(arguments: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    if not arguments:
        return st.just(arguments)
    return st.sampled_from(sorted(arguments)).map(lambda dropped: {k: v for k, v in arguments.items() if k != dropped})


# --------------------------------------------------------------------------- the world the calls act on


def _refuse_every_request(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, text="no POS in this test")


def _no_pos_http() -> httpx.AsyncClient:
    """No call of a fuzzed tool may leave the machine: every POS request gets a 503."""
    return httpx.AsyncClient(transport=httpx.MockTransport(_refuse_every_request))


def _fuzz_settings() -> Settings:
    return Settings(
        database_url="sqlite://",
        sync_worker=False,
        encryption_keys=Fernet.generate_key().decode(),
        shopify_client_id="fuzz-client",
        shopify_client_secret="fuzz-secret",
    )


async def _seed(client: Client, database: Database) -> dict[str, list[Any]]:
    """Create one of everything the tools take an id of; return the values each argument name may take."""
    shop = await onboard(client)
    other_org = await new_retailer(client, "Birch Books")
    other_loc = await new_store(client, other_org, "Birch Books – Hawthorne", (45.5120, -122.6270))
    maker = (await call(client, "create_organization", name="DeWalt Inc.", kind="brand"))["id"]
    claim = await call(
        client, "claim_brand", organization_id=maker, brand_name="DeWalt", gtin_company_prefixes=["0360002"]
    )
    key = await call(client, "create_api_key", organization_id=shop.org, name="fuzz", role="staff", scopes=[])
    connect = await call(
        client, "start_pos_connect", organization_id=shop.org, provider="shopify", account="alder.myshopify.com"
    )
    integration = connect["integration_id"]
    job = database.transaction(finished_sync_job, integration)
    endpoint = database.transaction(webhook_endpoint, integration)
    item = database.transaction(retailer_item, shop.org)
    brand = database.transaction(brand_row, "Makita")
    own = {
        "organization_id": [shop.org, other_org, maker],
        "location_id": [shop.loc, other_loc],
        "product_id": [shop.prd],
        "offer_id": [shop.ofr],
        "integration_id": [integration],
        "job_id": [job],
        "endpoint_id": [endpoint],
        "key_id": [key["id"]],
        "claim_id": [claim["id"]],
        "item_id": [item],
        "device_code": [connect["device_code"]],
    }
    return {
        **own,
        "brand": ["DeWalt", "Makita", brand, claim["brand_id"]],
        "brand_name": ["DeWalt", "Makita"],
        "gtin": [DRILL_UPC, UNREGISTERED_GTIN],
        "latitude": [SELLWOOD[0], 90.0, -90.0],
        "longitude": [SELLWOOD[1], 180.0, -180.0],
        "radius_km": [100.0, 1e-9],
        "occurred_at": [FIXED_NOW.isoformat()],
        "query": ["cordless drill", "drill"],
        "currency": ["USD", "EUR", "usd"],
        "country": ["US", "us", "USA"],
        "cursor": [None],
    }


# --------------------------------------------------------------------------- one call, checked

LEAKS = (
    "Traceback",
    'File "',
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "[SQL:",
    "sqlalchemy",
    "psycopg",
    "sqlite3",
    "pydantic_core",
    "localshelf.",
    "builtins.",
    "Exception",
)


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def _leaks_in(message: str, arguments: dict[str, Any]) -> list[str]:
    """Markers of internals in `message` that the caller did not send itself (echoing input is not a leak)."""
    sent = list(_strings_in(arguments))
    return [leak for leak in LEAKS if leak in message and not any(leak in text for text in sent)]


def _problem_with(result: CallToolResult, arguments: dict[str, Any]) -> str | None:
    """What breaks the contract in `result`, or None."""
    if not result.is_error:
        return None if result.structured_content is not None else "a result without structured content"
    if result.structured_content is not None or len(result.content) != 1:
        return f"an error result that is not one text line: {result}"
    first = result.content[0]
    if not isinstance(first, TextContent):
        return f"an error result that is not text: {first}"
    code, _, message = first.text.partition(": ")
    if code not in KNOWN_CODES:
        return f"error code {code!r} is not a known, anticipated code: {first.text!r}"
    if not message.strip() or "\n" in message or "\r" in message or len(message) > 500:
        return f"the message is not one human line: {message[:600]!r}"
    leaks = _leaks_in(message, arguments)
    return f"the message leaks internals {leaks}: {message!r}" if leaks else None


@dataclass
class Tally:
    """Cases tried and their outcomes ('ok' or the error code), per backend."""

    outcomes: dict[str, Counter[str]]
    tools: dict[str, set[str]]
    writes_on_error: Counter[str] = field(default_factory=Counter)

    def add(self, backend: str, tool: str, outcome: str) -> None:
        self.outcomes.setdefault(backend, Counter())[outcome] += 1
        self.tools.setdefault(backend, set()).add(tool)


TALLY = Tally({}, {})


@dataclass
class FuzzSession:
    portal: BlockingPortal
    client: Client
    database: Database
    backend: str
    tools: dict[str, Tool]
    known: dict[str, list[Any]]
    every_id: list[str]

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)  # every table, after the last call

    def check(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        """Call `tool` and hold the answer to the contract (see the module docstring); returns the answer."""
        before = self.rows or table_rows(self.database)
        result: CallToolResult = self.portal.call(self.client.call_tool, tool, arguments)
        self.rows = table_rows(self.database)
        outcome = "ok" if not result.is_error else _code_of(result)
        TALLY.add(self.backend, tool, outcome)
        problem = _problem_with(result, arguments)
        assert problem is None, f"{tool}({_shown(arguments)}): {problem}"
        if result.is_error:
            changed = sorted(name for name in before if before[name] != self.rows[name])
            TALLY.writes_on_error[self.backend] += bool(changed)
            assert not changed, f"{tool}({_shown(arguments)}) failed with {outcome} but changed {changed}"
        return result


def _code_of(result: CallToolResult) -> str:
    first = result.content[0] if result.content else None
    return first.text.partition(":")[0] if isinstance(first, TextContent) else "?"


def _shown(arguments: dict[str, Any]) -> str:
    text = repr(arguments)
    return text if len(text) <= 400 else text[:400] + f"... ({len(text)} chars)"


@pytest.fixture(scope="module", autouse=True)
def report_cases_tried(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    for backend, outcomes in sorted(TALLY.outcomes.items()):
        errors = {code: count for code, count in outcomes.most_common() if code != "ok"}
        line = (
            f"tool fuzz [{backend}]: {sum(outcomes.values())} cases over {len(TALLY.tools[backend])} tools, "
            f"{outcomes['ok']} results, errors by code {errors}, writes on error {TALLY.writes_on_error[backend]}"
        )
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)


@pytest.fixture(scope="module")
def tool_names() -> list[str]:
    """The listed tools (on a throwaway server: listing does not touch the database)."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(build_server(_fuzz_settings()))) as client,
    ):
        return sorted(tool.name for tool in _list_tools(portal, client).values())


def _list_tools(portal: BlockingPortal, client: Client) -> dict[str, Tool]:
    listed: list[Tool] = []
    cursor: str | None = None
    while True:
        page = portal.call(partial(client.list_tools, cursor=cursor))
        listed.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            return {tool.name: tool for tool in listed}


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Database]:
    """One database per backend for the whole module: seeding one per tool would cost more than the fuzzing.
    Calls that succeed accumulate in it, as they would on a live server."""
    if request.param == "postgis":
        engine = _require_postgis(request.getfixturevalue("postgis_engine_or_reason"))
        _truncate_all(engine)
        yield Database(engine)
        return
    path = tmp_path_factory.mktemp("fuzz") / "localshelf.db"
    shutil.copyfile(sqlite_template, path)
    database = Database.from_url(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def fuzz_session(fuzz_database: Database) -> Iterator[FuzzSession]:
    database = fuzz_database
    backend = database.engine.dialect.name.replace("postgresql", "postgis")
    server = build_server(_fuzz_settings(), database=database, clock=lambda: FIXED_NOW, pos_http=_no_pos_http)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(Client(server)) as client:
        known = portal.call(_seed, client, database)
        every_id = sorted({value for name, values in known.items() if name.endswith("_id") for value in values})
        yield FuzzSession(portal, client, database, backend, _list_tools(portal, client), known, every_id)


# --------------------------------------------------------------------------- the tests


def test_every_tool_is_fuzzed(tool_names: list[str]) -> None:
    assert len(tool_names) == TOOL_COUNT
    assert tool_names == sorted(TOOL_NAMES)


TOOL_NAMES = (
    "add_member",
    "brand_coverage_gaps",
    "brand_retail_footprint",
    "brand_search_demand",
    "cancel_sync_job",
    "check_product_availability",
    "claim_brand",
    "create_api_key",
    "create_in_store_offer",
    "create_organization",
    "disconnect_integration",
    "find_locations",
    "get_integration",
    "get_onboarding_status",
    "get_organization",
    "get_product",
    "get_product_stock",
    "get_search_impressions",
    "get_sync_job",
    "get_webhook_endpoint",
    "list_api_keys",
    "list_audit_entries",
    "list_brand_claims",
    "list_in_store_offers",
    "list_integrations",
    "list_inventory_movements",
    "list_low_stock",
    "list_pos_locations",
    "list_sync_jobs",
    "list_unmatched_items",
    "list_webhook_endpoints",
    "map_pos_locations",
    "match_retailer_item",
    "poll_pos_connect",
    "publish_location",
    "record_inventory_movement",
    "register_product",
    "republish_location",
    "revoke_api_key",
    "rotate_webhook_secret",
    "search_local_products",
    "set_stock_rules",
    "start_pos_connect",
    "trigger_sync",
    "unpublish_location",
    "update_in_store_offer",
    "update_location",
    "verify_brand_claim",
)


def _fuzz(session: FuzzSession, tool: str) -> Callable[[], None]:
    schema = session.tools[tool].input_schema
    strategies = SchemaStrategies(schema.get("$defs", {}), session.known, session.every_id)

    @FUZZ
    @given(arguments=strategies.arguments(schema))
    def one_call(arguments: dict[str, Any]) -> None:
        session.check(tool, arguments)

    return one_call


@pytest.mark.parametrize("tool", TOOL_NAMES)
def test_any_input_gets_a_result_or_a_typed_error_and_an_error_writes_nothing(
    fuzz_session: FuzzSession, tool: str
) -> None:
    _fuzz(fuzz_session, tool)()


# --------------------------------------------------------------------------- what the fuzzing found, pinned

MOVEMENT = {"delta": -1, "reason": "sale", "occurred_at": FIXED_NOW.isoformat(), "external_id": "fuzz-1"}
# (tool, arguments, the code expected); "<offer>" stands for the seeded offer's id.
FOUND: list[tuple[str, dict[str, Any], str]] = [
    # PostgreSQL refuses NUL in a query parameter: these ids reached the database unchecked (internal_error).
    ("get_integration", {"integration_id": "\x00"}, "invalid_id"),
    ("trigger_sync", {"integration_id": "int_\x00"}, "invalid_id"),
    ("get_sync_job", {"job_id": "\x00"}, "invalid_id"),
    ("cancel_sync_job", {"job_id": "\x00"}, "invalid_id"),
    ("get_webhook_endpoint", {"endpoint_id": "\x00"}, "invalid_id"),
    ("revoke_api_key", {"key_id": "\x00"}, "invalid_id"),
    # A lone surrogate (JSON "\ud800") cannot be encoded for either database (internal_error).
    ("create_organization", {"name": "\ud800"}, "invalid_argument"),
    ("create_organization", {"name": "Cedar\udfff Cycles"}, "invalid_argument"),
    # Messages that echoed hostile input whole: kilobytes long, or a raw NUL in the text line.
    ("record_inventory_movement", {**MOVEMENT, "offer_id": "<offer>", "delta": ["a"] * 1000}, "invalid_quantity"),
    ("create_organization", {"name": "Cedar Cycles", "x" * 1000: 1}, "invalid_argument"),
    ("create_organization", {"name": "Cedar Cycles", **{f"extra_{n}": n for n in range(1000)}}, "invalid_argument"),
    ("create_organization", {"name": "Cedar Cycles", "kind\x00\n": "brand"}, "invalid_argument"),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "code"), FOUND, ids=[f"{tool}-{n}" for n, (tool, _, _) in enumerate(FOUND)]
)
def test_inputs_the_fuzzing_found_get_their_typed_error_in_one_short_line(
    fuzz_session: FuzzSession, tool: str, arguments: dict[str, Any], code: str
) -> None:
    offer = fuzz_session.known["offer_id"][0]
    arguments = {name: offer if value == "<offer>" else value for name, value in arguments.items()}
    result = fuzz_session.check(tool, arguments)
    assert _code_of(result) == code
    first = result.content[0]
    assert isinstance(first, TextContent) and len(first.text) <= 300
