"""Search and availability latency through a real MCP client session, against the raw-SQL floor.

For each backend: load the scale's data, then run a fixed seeded mix of `search_local_products`
and `check_product_availability` calls through `mcp.Client(build_server(...))`, and the very same
SQL (built by `localshelf.store.queries`, the functions the services use) executed on a plain
driver connection. Figures are p50/p95/p99 with the floor's percentile as baseline; on PostGIS the
search and availability plans are checked for sequential scans of `in_store_offers`.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import psycopg
from mcp import Client
from sqlalchemy import ClauseElement
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

from localshelf.config import Settings
from localshelf.domain import ranking
from localshelf.domain.geo import distance_km
from localshelf.domain.gtin import normalize_gtin
from localshelf.domain.text import query_terms
from localshelf.server.app import build_server
from localshelf.store import queries
from localshelf.store.db import Database
from localshelf.store.dialects import DISTANCE_FUNCTION, NearbyStore

from . import data as bench_data
from .databases import bench_database
from .report import Measure
from .scales import Scale

SUITE = "search"
SEED = 7
CALLS = 300  # per tool; tiny runs fewer so the smoke test stays quick
TINY_CALLS = 60
WARMUP = 20
SEARCH_RADIUS_KM = 5.0
AVAILABILITY_RADIUS_KM = 10.0
SEARCH_LIMIT = 20
PERCENTILES = (50, 95, 99)
SEARCH, AVAILABILITY = "search_local_products", "check_product_availability"
FLOOR = "same SQL via driver"
SEQ_SCAN = "Seq Scan on in_store_offers"
# Indexes each call's plans must show on PostGIS (GiST for the radius, GIN for the words, the covering offer index
# for a product's offers), checked on the first calls of the mix; the first call's plans go into the report.
PLAN_INDEXES = {
    "search_local_products": ("ix_locations_geog", "ix_products_search_vector"),
    "check_product_availability": ("ix_offers_product_cover",),
}
PLAN_SAMPLE = 20
# The targets, city scale on PostGIS.
TARGET_SCALE, TARGET_BACKEND = "city", "postgis"
SEARCH_P95_MS, SEARCH_FLOOR_RATIO, AVAILABILITY_P95_MS = 25.0, 1.5, 15.0


@dataclass(frozen=True)
class SearchCall:
    query: str
    latitude: float
    longitude: float

    def arguments(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "radius_km": SEARCH_RADIUS_KM,
            "limit": SEARCH_LIMIT,
        }


@dataclass(frozen=True)
class AvailabilityCall:
    gtin: str
    latitude: float
    longitude: float

    def arguments(self) -> dict[str, Any]:
        return {
            "gtin": self.gtin,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "radius_km": AVAILABILITY_RADIUS_KM,
        }


def _query(rng: random.Random) -> str:
    noun = rng.choice([noun for nouns in bench_data.CATEGORIES.values() for noun in nouns])
    prefix = rng.choice(["", rng.choice(bench_data.ADJECTIVES), rng.choice(bench_data.BRANDS)])
    return f"{prefix} {noun}".strip()


def _near_store(rng: random.Random, stores: Sequence[bench_data.Store]) -> tuple[float, float]:
    store = rng.choice(stores)
    return round(store.latitude + rng.uniform(-0.004, 0.004), 6), round(store.longitude + rng.uniform(-0.004, 0.004), 6)


def _carried_nearby(rng: random.Random, data: bench_data.BenchData) -> AvailabilityCall:
    """A product some store carries, asked for right next to that store."""
    store = rng.choice(data.stores)
    product = data.products[rng.choice(bench_data.store_products(data, store))]
    return AvailabilityCall(product.gtin, *_near_store(rng, [store]))


def call_mix(data: bench_data.BenchData, calls: int) -> tuple[list[SearchCall], list[AvailabilityCall]]:
    """Queries from the generated vocabulary at points next to stores; the same for every backend."""
    rng = random.Random(f"{SEED}:{data.scale.name}")
    searches = [SearchCall(_query(rng), *_near_store(rng, data.stores)) for _ in range(calls)]
    checks = [_carried_nearby(rng, data) for _ in range(calls)]
    return searches, checks


# --- the floor: the services' statements on a plain driver connection ------------------------------


class _Recorder:
    """Stands in for a Session: records the statements a query function runs.

    With a real session behind it, the statements also run (before the clock starts), so a
    function whose later statements depend on earlier answers (nearby stores → offers) can go on.
    """

    def __init__(self, session: Session | None) -> None:
        self.session = session
        self.statements: list[ClauseElement] = []

    def execute(self, statement: ClauseElement, parameters: dict[str, Any] | None = None) -> Any:
        # Values passed at execution (the cached search statement's) are bound into the recorded copy.
        self.statements.append(statement.params(parameters) if parameters else statement)
        if self.session is None:
            return []
        return self.session.execute(statement, parameters)

    def connection(self) -> _Recorder:
        """Statements a query runs on the session's connection (plain rows) are recorded the same way."""
        return self

    def scalar(self, statement: ClauseElement) -> Any:
        self.statements.append(statement)
        return self.session.scalar(statement) if self.session is not None else None


def _recorded(fn: Callable[..., Any], *args: Any, session: Session | None = None) -> tuple[list[ClauseElement], Any]:
    recorder = _Recorder(session)
    answer = fn(cast(Session, recorder), *args)
    return recorder.statements, answer


@dataclass(frozen=True)
class DriverSql:
    sql: str
    params: Sequence[Any] | dict[str, Any]


class Floor:
    """Compiles the statements as the ORM would and runs them through the bare DB-API driver."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.connection = self._connect(database)

    @staticmethod
    def _connect(database: Database) -> Any:
        url = database.engine.url
        if database.dialect == "sqlite":
            connection = sqlite3.connect(str(url.database), check_same_thread=False)
            connection.create_function(DISTANCE_FUNCTION, 4, distance_km, deterministic=True)
            return connection
        return psycopg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(False), autocommit=True, prepare_threshold=None
        )

    def close(self) -> None:
        self.connection.close()

    def compile(self, statement: ClauseElement) -> DriverSql:
        compiled = cast(SQLCompiler, statement.compile(dialect=self.database.engine.dialect))
        expanded = compiled.construct_expanded_state()  # IN lists expanded, as at execution
        # The column types' bind processing (e.g. UTC datetimes as text on SQLite), as the ORM applies it.
        processors = cast("dict[str, Callable[[Any], Any]]", expanded.processors)  # no tuple binds here
        values = {k: processors[k](v) if k in processors else v for k, v in expanded.parameters.items()}
        positions = expanded.positiontup
        params = [values[name] for name in positions] if positions else values
        return DriverSql(expanded.statement, params)

    def run(self, statements: list[DriverSql]) -> int:
        """Execute in order and fetch everything; returns the row count of the last (the answer)."""
        rows = 0
        for sql in statements:
            cursor = self.connection.cursor()
            cursor.execute(sql.sql, sql.params)
            rows = len(cursor.fetchall())
            cursor.close()
        return rows

    def explain(self, sql: DriverSql) -> str:
        with self.connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql.sql}", sql.params)
            return "\n".join(row[0] for row in cursor.fetchall())


def _nearby(
    session: Session, database: Database, latitude: float, longitude: float, radius_km: float
) -> tuple[list[ClauseElement], list[NearbyStore]]:
    statements, nearby = _recorded(
        queries.nearby_stores, database.rules, latitude, longitude, radius_km, session=session
    )
    return statements, nearby


def search_statements(session: Session, database: Database, call: SearchCall, now: datetime) -> list[ClauseElement]:
    """As `services.search.search_local_products` runs them: nearby stores, the search, and only when that
    found nothing the vocabulary look-up."""
    terms = query_terms(call.query)
    nearby_sql, nearby = _nearby(session, database, call.latitude, call.longitude, SEARCH_RADIUS_KM)

    def search(words: list[str]) -> tuple[list[ClauseElement], Any]:
        return _recorded(
            queries.search_offers,
            database.rules,
            words,
            nearby,
            SEARCH_RADIUS_KM,
            ranking.IN_STOCK_STATUSES,
            SEARCH_LIMIT,
            now,
            session=session,
        )

    statements, rows = search(terms)
    if rows:
        return nearby_sql + statements
    lookups, known = _recorded(queries.known_term_prefixes, terms, session=session)
    if not set(terms) <= known:  # then the service would look for typos: the mix has none
        raise RuntimeError(f"benchmark query {call.query!r} has a word no product contains")
    return nearby_sql + statements + lookups


def availability_statements(
    session: Session, database: Database, call: AvailabilityCall, product_ids: dict[str, int]
) -> list[ClauseElement]:
    gtin14 = normalize_gtin(call.gtin)
    lookup, _ = _recorded(queries.product_row_by_gtin, gtin14)
    offers, _ = _recorded(
        queries.availability,
        database.rules,
        product_ids[gtin14],
        call.latitude,
        call.longitude,
        AVAILABILITY_RADIUS_KM,
        session=session,
    )
    return lookup + offers


# --- paired timing: each call through MCP and its floor back to back, so both see the same machine load ---


@dataclass(frozen=True)
class Paired:
    tool: str
    arguments: dict[str, Any]
    sql: list[DriverSql]  # compiled before the clock starts: the floor is the driver's round trips


@dataclass
class Timings:
    mcp_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    floor_rows: list[int] = field(default_factory=list)
    validation_ms: list[float] = field(default_factory=list)  # part of mcp_ms: the client checking the answer


class ValidationClock:
    """Times the MCP client's own check of each answer against the tool's output schema (the mcp SDK's
    `validate_tool_result`, jsonschema): part of every call's latency, spent in the client, not the server."""

    def __init__(self, client: Client) -> None:
        session = client.session
        validate = session.validate_tool_result
        self.last_ms = 0.0

        async def timed(name: str, result: Any) -> None:
            start = time.perf_counter()
            try:
                await validate(name, result)
            finally:
                self.last_ms = (time.perf_counter() - start) * 1000

        session.validate_tool_result = timed  # type: ignore[method-assign]


async def _time_tool(client: Client, call: Paired) -> float:
    start = time.perf_counter()
    result = await client.call_tool(call.tool, call.arguments)
    elapsed = (time.perf_counter() - start) * 1000
    if result.is_error:
        raise RuntimeError(f"{call.tool} failed: {result.content}")
    return elapsed


def _time_floor(floor: Floor, call: Paired) -> tuple[float, int]:
    start = time.perf_counter()
    rows = floor.run(call.sql)
    return (time.perf_counter() - start) * 1000, rows


async def _paired_timings(client: Client, clock: ValidationClock, floor: Floor, calls: list[Paired]) -> Timings:
    for call in calls[:WARMUP]:
        await _time_tool(client, call)
        _time_floor(floor, call)
    timings = Timings()
    for index, call in enumerate(calls):
        # Whichever runs second finds the pages the first one read in the caches: take turns going first.
        if index % 2:
            floor_ms, rows = _time_floor(floor, call)
            timings.mcp_ms.append(await _time_tool(client, call))
        else:
            timings.mcp_ms.append(await _time_tool(client, call))
            floor_ms, rows = _time_floor(floor, call)
        timings.validation_ms.append(clock.last_ms)
        timings.floor_ms.append(floor_ms)
        timings.floor_rows.append(rows)
    return timings


async def _measure(database: Database, floor: Floor, searches: list[Paired], checks: list[Paired]) -> list[Timings]:
    url = database.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, sync_worker=False, auto_migrate=False)
    async with Client(build_server(settings, database=database)) as client:
        clock = ValidationClock(client)
        return [await _paired_timings(client, clock, floor, calls) for calls in (searches, checks)]


# --- figures -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def _target(scale: Scale, backend: str, tool: str, p: int) -> tuple[str | None, Callable[[float, float], bool] | None]:
    if (scale.name, backend, p) != (TARGET_SCALE, TARGET_BACKEND, 95):
        return None, None
    if tool == SEARCH:
        return (
            f"<= {SEARCH_P95_MS:g} ms and <= {SEARCH_FLOOR_RATIO:g}x floor",
            lambda value, floor: value <= SEARCH_P95_MS and value <= SEARCH_FLOOR_RATIO * floor,
        )
    return f"<= {AVAILABILITY_P95_MS:g} ms", lambda value, _floor: value <= AVAILABILITY_P95_MS


def latency_measures(scale: Scale, backend: str, tool: str, timings: Timings) -> list[Measure]:
    notes = {
        "scale": scale.name,
        "backend": backend,
        "calls": len(timings.mcp_ms),
        "warmup": WARMUP,
        "mean_answer_rows": statistics.fmean(timings.floor_rows),
        "empty_answers": sum(1 for rows in timings.floor_rows if rows == 0),
    }
    measures = []
    for p in PERCENTILES:
        value, floor = percentile(timings.mcp_ms, p), percentile(timings.floor_ms, p)
        target, check = _target(scale, backend, tool, p)
        measures.append(
            Measure(
                suite=SUITE,
                name=f"{backend} {tool} p{p} via MCP",
                value=value,
                unit="ms",
                baseline=floor,
                baseline_name=FLOOR,
                target=target,
                passed=check(value, floor) if check else None,
                notes=dict(notes),
            )
        )
    measures.append(
        Measure(
            suite=SUITE,
            name=f"{backend} {tool} p50 client-side validation (in the MCP figures)",
            value=percentile(timings.validation_ms, 50),
            unit="ms",
            notes={**notes, "p95_ms": percentile(timings.validation_ms, 95)},
        )
    )
    return measures


def plan_measure(scale: Scale, tool: str, call_plans: list[list[str]]) -> Measure:
    """Every statement of each sampled call explained; a call fails if an index it should use is missing or
    a sequential scan of offers appears. Value: the failing calls."""
    required = PLAN_INDEXES[tool]
    failures = []
    for number, plans in enumerate(call_plans, start=1):
        text = "\n".join(plans)
        missing = [index for index in required if index not in text]
        if missing or SEQ_SCAN in text:
            failures.append(f"call {number}: missing {missing}" + (f", {SEQ_SCAN}" if SEQ_SCAN in text else ""))
    first = "\n\n".join(f"-- statement {n}\n{plan}" for n, plan in enumerate(call_plans[0], start=1))
    return Measure(
        suite=SUITE,
        name=f"postgis {tool} plans: index use",
        value=float(len(failures)),
        unit=f"of {len(call_plans)} calls failing",
        target=f"uses {', '.join(required)}; no {SEQ_SCAN}",
        passed=not failures,
        notes={"scale": scale.name, "backend": "postgis", "plan": first, "failures": failures},
    )


# --- the suite ---------------------------------------------------------------------------------


def _explain(floor: Floor, scale: Scale, searches: list[Paired], checks: list[Paired]) -> list[Measure]:
    return [
        plan_measure(scale, calls[0].tool, [[floor.explain(sql) for sql in call.sql] for call in calls[:PLAN_SAMPLE]])
        for calls in (searches, checks)
    ]


def _paired_calls(
    database: Database, floor: Floor, data: bench_data.BenchData, calls: int
) -> tuple[list[Paired], list[Paired]]:
    searches, checks = call_mix(data, calls)
    product_ids = {normalize_gtin(p.gtin): p.id for p in data.products}  # the loader writes these ids
    now = datetime.now(UTC)

    def compiled(statements: list[ClauseElement]) -> list[DriverSql]:
        return [floor.compile(statement) for statement in statements]

    with Session(database.engine) as session:
        return (
            [Paired(SEARCH, c.arguments(), compiled(search_statements(session, database, c, now))) for c in searches],
            [
                Paired(
                    AVAILABILITY, c.arguments(), compiled(availability_statements(session, database, c, product_ids))
                )
                for c in checks
            ],
        )


def _run_backend(scale: Scale, backend: str, workdir: Path) -> list[Measure]:
    generated = bench_data.generate(scale)
    with bench_database(SUITE, scale.name, backend, workdir) as database:
        bench_data.load(database, generated)
        floor = Floor(database)
        try:
            searches, checks = _paired_calls(database, floor, generated, TINY_CALLS if scale.name == "tiny" else CALLS)
            search_timings, check_timings = asyncio.run(_measure(database, floor, searches, checks))
            plans = _explain(floor, scale, searches, checks) if backend == "postgis" else []
        finally:
            floor.close()
    return (
        latency_measures(scale, backend, SEARCH, search_timings)
        + latency_measures(scale, backend, AVAILABILITY, check_timings)
        + plans
    )


def run(scale: Scale, backends: list[str], workdir: Path) -> list[Measure]:
    measures: list[Measure] = []
    for backend in backends:
        if backend == "sqlite" and scale.postgis_only:
            print(f"search: {scale.name} scale runs on PostGIS only; skipping sqlite")
            continue
        measures += _run_backend(scale, backend, workdir)
    return measures
