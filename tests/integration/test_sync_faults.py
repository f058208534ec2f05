"""Full syncs under injected faults, every provider, as a hypothesis property.

Each example connects a fresh integration to a freshly seeded provider fake (through the pages, as the contract
test does), then queues a random mix of faults on the fake — 429 with and without ``Retry-After``, 500/502/503/504,
timeouts, connection resets, truncated bodies, non-JSON and wrongly shaped bodies, slow pages, a page answered
again — on random paths (catalog, stock, locations, token refresh, any), and runs ``trigger_sync`` through a real
MCP client session. The property:

- the job ``succeeded``, every stored offer equals the fake's ground truth (every field of every offer), the
  job's counters equal those of a sync without faults, and every ``Retry-After`` answered was waited exactly; or
- the job ``failed`` with one clear line that names the POS problem (no traceback, no exception class, not our
  "internal error"), and no offer is claimed complete;
- either way the integration stays connected (no fault here is the merchant revoking access).

Waits cost no wall time: the connectors wait through a fake clock (``pos.http.RETRY_SLEEP``) and the fakes' slow
and hanging answers sleep on it too. Examples per provider: ``LOCALSHELF_FAULT_EXAMPLES`` on SQLite (default 8),
a quarter of it on PostGIS (at least 2); under CI=true the draws are derandomized. The long run:

    LOCALSHELF_FAULT_EXAMPLES=200 .venv/bin/pytest -p no:cacheprovider -q tests/integration/test_sync_faults.py

The cases, faults answered and outcomes are printed per provider and backend at the end of the module.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from localshelf.fakes.faults import FakeClock, Fault, FaultKind
from localshelf.pos.http import RETRY_SLEEP
from localshelf.store.db import Database
from localshelf.store.models import Integration
from tests.conftest import BACKENDS, IN_CI, _require_postgis, _truncate_all, call
from tests.integration.shopify_harness import stored_offers
from tests.integration.test_provider_contract import (
    CASES,
    ProviderCase,
    SquareCase,
    connect_through_the_pages,
    open_live,
    publish_stores,
)

EXAMPLES_ENV = "LOCALSHELF_FAULT_EXAMPLES"
EXAMPLES = int(os.environ.get(EXAMPLES_ENV, "8"))
POSTGIS_EXAMPLES = max(2, EXAMPLES // 4)
EXAMPLE_WALL_LIMIT_SECONDS = 60.0  # a sync that hangs fails the example instead of the run

KINDS: tuple[FaultKind, ...] = (
    "rate_limit",
    "server_error",
    "delay",
    "truncate",
    "timeout",
    "reset",
    "invalid_json",
    "repeat_page",
)
# Where faults land: the catalog's own requests three times in four; else any request ("") or the token refresh,
# which every sync makes first (the cases' tokens are always about to expire) and which some providers do not retry.
CATALOG_PATHS: dict[str, tuple[str, ...]] = {
    "shopify": ("/graphql.json",),
    "clover": ("/v3/merchants/", "/items", "/item_stocks"),
    "square": ("/v2/catalog", "/v2/inventory", "/v2/locations"),
    "lightspeed": ("/api/2.0/products", "/api/2.0/inventory", "/api/2.0/outlets"),
}
ODDS = st.sampled_from([True, True, True, False])  # the catalog's paths three times in four
TOKEN = {"shopify": "/admin/oauth/", "clover": "/oauth/v2/", "square": "/oauth2/", "lightspeed": "/api/1.0/token"}
COUNTS = st.sampled_from([1, 1, 1, 1, 2, 2, 3, 30])
RETRY_AFTER = st.sampled_from([None, None, None, 0, 1, 7, 61])  # 61 s is over what a request may wait
# Cases the property found, run on every run besides the drawn ones (see docs/RELIABILITY.md).
PINNED: dict[str, list[list[Fault]]] = {
    "square": [
        [Fault("repeat_page", path_contains="/v2/locations")],  # the main location's answer as the listing
        [Fault("repeat_page", path_contains="/v2/inventory")],  # a stock page answered twice
        [Fault("repeat_page", count=2)],  # the token answer as the catalog pages: read as an empty catalog
    ],
    "clover": [
        # the refresh's answer lost after Clover rotated the single-use refresh token
        [Fault("rate_limit", path_contains="/oauth/v2/refresh"), Fault("truncate", path_contains="/oauth/v2/refresh")]
    ],
    "shopify": [
        [Fault("timeout"), Fault("reset", count=30)],  # messages without exception class names
        # the first location's stock answered for the second
        [Fault("delay", count=3, delay_seconds=1.0), Fault("repeat_page", path_contains="/graphql.json")],
    ],
    "lightspeed": [[Fault("timeout", path_contains="/api/1.0/token")]],
}
INTERNALS = re.compile(r"Traceback|File \"|\b\w+(Error|Exception|Timeout)\b|localshelf\.|httpx|[<>]")


@st.composite
def faults(draw: st.DrawFn, provider: str) -> list[Fault]:
    drawn = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(KINDS))
        drawn.append(
            Fault(
                kind,
                count=draw(COUNTS),
                status=draw(st.sampled_from([500, 502, 503, 504])),
                retry_after=draw(RETRY_AFTER) if kind in ("rate_limit", "server_error") else None,
                delay_seconds=draw(st.floats(0.5, 30.0)) if kind == "delay" else 0.0,
                path_contains=draw(st.sampled_from(CATALOG_PATHS[provider] if draw(ODDS) else ("", TOKEN[provider]))),
                wrong_shape=draw(st.booleans()) if kind == "invalid_json" else False,
            )
        )
    return drawn


@dataclass
class Outcome:
    job: dict[str, Any]
    offers: set[tuple[Any, ...]]
    expected: set[tuple[Any, ...]]
    integration_status: str
    retry_waits: list[float]
    answered: list[Fault]  # as the fake left them (`answered`: the paths of the requests each one answered)
    token_path: str


@dataclass
class Tally:
    cases: Counter[tuple[str, str]] = field(default_factory=Counter)
    faults: Counter[tuple[str, str]] = field(default_factory=Counter)
    outcomes: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    kinds: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # failed jobs' messages, numbers blanked


TALLY = Tally()


def _small_pages(case: ProviderCase) -> None:
    """Square's fake can page shorter than asked (Square may): several catalog and stock pages per sync. The
    other connectors end a listing at a short page, so their fakes answer whole pages."""
    if isinstance(case, SquareCase):
        case.state.page_size = 9
        case.fake.counts_page_size = 13


async def _sync_once(provider: str, database: Database, planned: list[Fault]) -> Outcome:
    case = CASES[provider]()
    _small_pages(case)
    clock, retry_waits = FakeClock(), []

    async def waited(seconds: float) -> None:
        retry_waits.append(seconds)
        await clock.sleep(seconds)

    case.fake.sleep = clock.sleep  # type: ignore[attr-defined]  # every fake has one
    RETRY_SLEEP.set(waited)  # this task's context, which the server's tasks below inherit
    injected = [dataclasses.replace(fault, answered=[], recorded=None) for fault in planned]
    with anyio.fail_after(EXAMPLE_WALL_LIMIT_SECONDS):
        async with open_live(case, database) as live:
            integration = await connect_through_the_pages(live)
            stores = publish_stores(live)
            async with live.agent() as agent:
                await call(agent, "list_pos_locations", integration_id=integration)
                mapping = [{"pos_location_id": pos, "location_id": store} for pos, store in stores.items()]
                await call(agent, "map_pos_locations", integration_id=integration, mapping=mapping)
                case.fake.faults.extend(injected)  # type: ignore[attr-defined]
                job = (await call(agent, "trigger_sync", integration_id=integration))["job"]
    status = _status(database, integration)
    return Outcome(job, stored_offers(database), case.expected(stores), status, retry_waits, injected, TOKEN[provider])


def _status(database: Database, integration_id: str) -> str:
    with database.session() as session:
        status = session.scalar(select(Integration.status).where(Integration.public_id == integration_id))
        assert status is not None
        return status


def _lost_a_rotated_grant(outcome: Outcome) -> bool:
    """A token refresh the POS carried out (rotating a single-use refresh token) but whose answer was lost."""
    return any(
        fault.kind in ("truncate", "repeat_page") and any(outcome.token_path in path for path in fault.answered)
        for fault in outcome.answered
    )


def _check(outcome: Outcome, baseline: dict[str, int]) -> None:
    job = outcome.job
    if outcome.integration_status != "connected":
        assert outcome.integration_status == "reauthorization_required" and _lost_a_rotated_grant(outcome), job
        assert job["state"] == "failed" and "start_pos_connect" in job["error_message"], job
    if job["state"] == "succeeded":
        assert job["error_message"] is None
        missing, extra = outcome.expected - outcome.offers, outcome.offers - outcome.expected
        assert not missing and not extra, f"succeeded with missing {sorted(missing)} and extra {sorted(extra)}"
        assert job["counters"] == baseline, (job["counters"], baseline)
        told = Counter(
            float(fault.retry_after)
            for fault in outcome.answered
            if fault.retry_after is not None
            for _ in fault.answered
        )
        assert not told - Counter(outcome.retry_waits), ("Retry-After not waited", told, outcome.retry_waits)
        return
    assert job["state"] == "failed", job
    message = job["error_message"] or ""
    assert message.strip() and "\n" not in message and len(message) <= 500, message
    assert not INTERNALS.search(message), message
    assert not message.startswith("Internal error"), message  # a POS fault must be reported as one
    assert job["phase"] == "done"


def _tally(provider: str, backend: str, outcome: Outcome) -> None:
    key = (provider, backend)
    TALLY.cases[key] += 1
    for fault in outcome.answered:
        TALLY.faults[key] += len(fault.answered)
        TALLY.kinds[fault.kind] += len(fault.answered)
    TALLY.outcomes[key][outcome.job["state"]] += 1
    if outcome.job["error_message"]:
        TALLY.errors[re.sub(r"\d+", "N", outcome.job["error_message"])] += 1


@pytest.fixture
def fresh_databases(
    backend: str, request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[Iterator[Database]]:
    """A new empty database per example: a copied SQLite file, or the session's PostGIS database emptied."""
    opened: list[Database] = []

    def sqlite() -> Iterator[Database]:
        for number in range(1_000_000):
            path = tmp_path / f"example-{number}.db"
            shutil.copyfile(sqlite_template, path)
            database = Database.from_url(f"sqlite:///{path}")
            opened.append(database)
            yield database
            database.dispose()
            path.unlink()

    def postgis() -> Iterator[Database]:
        engine = _require_postgis(request.getfixturevalue("postgis_engine_or_reason"))
        while True:
            _truncate_all(engine)
            yield Database(engine)

    yield sqlite() if backend == "sqlite" else postgis()
    for database in opened:
        database.dispose()


@pytest.mark.parametrize("provider", sorted(CASES))
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_full_sync_under_faults_is_exact_or_fails_clearly(
    provider: str, backend: str, fresh_databases: Iterator[Database]
) -> None:
    clean = anyio.run(_sync_once, provider, next(fresh_databases), [])
    assert clean.job["state"] == "succeeded" and clean.offers == clean.expected, clean.job
    baseline: dict[str, int] = clean.job["counters"]

    @settings(
        max_examples=EXAMPLES if backend == "sqlite" else POSTGIS_EXAMPLES,
        derandomize=IN_CI,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(planned=faults(provider))
    def one_sync(planned: list[Fault]) -> None:
        outcome = anyio.run(_sync_once, provider, next(fresh_databases), planned)
        _tally(provider, backend, outcome)
        _check(outcome, baseline)

    for planned in PINNED[provider]:
        one_sync = example(planned=planned)(one_sync)
    one_sync()


@pytest.fixture(scope="module", autouse=True)
def report_cases_tried(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        for key in sorted(TALLY.cases):
            provider, backend = key
            outcomes = dict(TALLY.outcomes[key])
            reporter.write_line(
                f"sync faults [{provider}, {backend}]: {TALLY.cases[key]} syncs, "
                f"{TALLY.faults[key]} faulty answers, outcomes {outcomes}"
            )
        reporter.write_line(f"sync faults, answers by kind: {dict(TALLY.kinds.most_common())}")
        if os.environ.get("LOCALSHELF_FAULT_MESSAGES"):
            for message, count in TALLY.errors.most_common():
                reporter.write_line(f"  {count:4d} x {message}")
