"""Load and soak at and above the per-key throttle, over streamable HTTP (issue 8).

    python -m benchmarks.load --minutes 5 --keys 20 --rate-factor 1.5 [--store sqlite|postgis] [--limit 300]

Starts `localshelf serve --transport http` as a real process on a fresh database (an SQLite file, or a PostGIS
database on `LOCALSHELF_BENCH_POSTGRES_URL`) holding the Portland demo data, makes K staff API keys (as
`localshelf keys create` does) and drives each key through its own MCP session
(`mcp.Client(streamable_http_client(...))`) at a fixed rate: a third of the keys at 0.5x the per-key limit, a
third at exactly 1x, the rest spread from `--rate-factor` to `--max-factor` times it. The load is open-loop:
every call has a scheduled send time (key k's i-th call at phase_k + i / rate_k) and is sent then, whether or not
the earlier calls have been answered. The calls alternate `search_local_products` and
`check_product_availability` (seeded, next to demo stores).

Measured, and checked (a FAIL line makes the exit code 1):

- per key, the calls allowed against the exact GCRA expectation: `gcra_us` replayed over the key's own send
  times (a fresh key spends a burst of one minute's allowance, then one call per 60/limit s), within
  `COUNT_TOLERANCE`; the closed form burst + rate x elapsed is in the notes;
- errors: every answer is a result or `rate_limited`; anything else (another error code, a transport failure)
  fails;
- latency p50/p95/p99 per window (a minute by default) of every answered call: held when the last window's p99
  is within `HOLD_RATIO` of the second window's (the first holds the bursts of the keys above the limit);
- the server's RSS (`VmRSS` from /proc every 5 s): flat when the last window's mean is within `RSS_RATIO` of the
  second window's.
"""

from __future__ import annotations

import argparse
import functools
import logging
import math
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select

from localshelf.demo.dataset import DEFAULT_SEED, DemoDataset, build_dataset
from localshelf.demo.load import demo_public_id, load_dataset
from localshelf.domain.auth import Role
from localshelf.domain.throttle import Rate, gcra_us
from localshelf.services import keys
from localshelf.store.db import Database
from localshelf.store.models import Organization

from .databases import BACKENDS, bench_database, postgres_settings
from .http_suite import Server, _cpu_seconds, _http_server
from .report import Measure, table, write

SUITE = "load"
SEED = 8
SEARCH, AVAILABILITY = "search_local_products", "check_product_availability"
DEFAULT_LIMIT = 300  # the server's default LOCALSHELF_RATE_LIMIT_PER_MINUTE
UNDER, AT = 0.5, 1.0  # the first third of the keys at half the limit, the second third at the limit
COUNT_TOLERANCE = 2  # allowed calls per key vs the GCRA replay of its send times
HOLD_RATIO = 1.5  # last window's p99 <= this x the second window's
RSS_RATIO = 1.10  # last window's mean RSS <= this x the second window's
RSS_EVERY_S = 5.0
CALL_TIMEOUT_S = 60.0
KEEPALIVE_S = 2.0  # client side; uvicorn closes a connection idle for 5 s
SERVER_LOG_TAIL = 20_000
BASELINE_CALLS = 40
RATE_LIMITED = "rate_limited"
SESSION_ENDED = "session ended"  # not a call: the key's session broke, its remaining calls were never sent
DEFAULT_OUT = Path(__file__).parent / "results"


@dataclass(frozen=True)
class LoadConfig:
    seconds: float
    factors: tuple[float, ...]  # one per key: its rate as a multiple of `limit`
    limit: int = DEFAULT_LIMIT  # calls per minute per key (the server's setting)
    window_s: float = 60.0  # latency and RSS are summarised per window

    @property
    def rates_per_s(self) -> list[float]:
        return [factor * self.limit / 60 for factor in self.factors]


def key_factors(keys: int, rate_factor: float, max_factor: float) -> tuple[float, ...]:
    """A third of the keys at 0.5x, a third at 1x, the rest evenly from `rate_factor` to `max_factor`."""
    under = keys // 3
    at = keys // 3
    over = keys - under - at
    top = max(rate_factor, max_factor)
    spread = [rate_factor + (top - rate_factor) * i / (over - 1) for i in range(over)] if over > 1 else [rate_factor]
    return tuple([UNDER] * under + [AT] * at + [round(f, 3) for f in spread[:over]])


# --- the calls -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    tool: str
    arguments: dict[str, Any]


@functools.cache
def demo_dataset() -> DemoDataset:
    """The demo data (built once per process: it takes a second or two)."""
    return build_dataset(DEFAULT_SEED)


def demo_calls(count: int, seed: int = SEED) -> list[ToolCall]:
    """Searches for words of demo product names and availability checks of stocked GTINs, next to published
    demo stores, alternating; the same list on every run and backend."""
    data = demo_dataset()
    rng = random.Random(f"load:{seed}")
    stores = [location for location in data.locations if location.published]
    words = sorted({w.lower() for p in data.products for w in p.name.split() if w.isalpha() and len(w) >= 4})
    gtins = sorted({offer.gtin for offer in data.offers})
    calls = []
    for i in range(count):
        store = rng.choice(stores)
        point = {
            "latitude": round(store.latitude + rng.uniform(-0.01, 0.01), 6),
            "longitude": round(store.longitude + rng.uniform(-0.01, 0.01), 6),
        }
        if i % 2 == 0:
            calls.append(ToolCall(SEARCH, {"query": rng.choice(words), **point, "radius_km": 5.0}))
        else:
            calls.append(ToolCall(AVAILABILITY, {"gtin": rng.choice(gtins), **point, "radius_km": 10.0}))
    return calls


def seed_demo(database: Database) -> None:
    """What `localshelf demo load` does."""
    database.transaction(load_dataset, demo_dataset(), DEFAULT_SEED, datetime.now(UTC), None)


def api_keys(database: Database, count: int) -> list[str]:
    """`count` staff keys of the first demo retailer, made by the operator (as `localshelf keys create` does)."""
    retailer = next(o for o in demo_dataset().organizations if o.kind == "retailer")
    organization_id = demo_public_id("organization", retailer.key, DEFAULT_SEED)
    with database.session() as session:
        assert session.scalar(select(Organization.id).where(Organization.public_id == organization_id)) is not None
    now = datetime.now(UTC)
    return [
        database.transaction(keys.create_api_key, organization_id, Role.STAFF, [], f"load {i}", None, now).key
        for i in range(count)
    ]


# --- driving ---------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    key: int
    sent_s: float  # since the run's start, when the request left
    latency_ms: float
    kind: str  # "ok", "rate_limited", or what else came back


@dataclass
class Run:
    config: LoadConfig
    outcomes: list[Outcome] = field(default_factory=list)
    rss_kb: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, VmRSS)
    seconds: float = 0.0
    server_cpu_s: float | None = None
    client_cpu_s: float = 0.0


def _kind(result: Any) -> str:
    if not result.is_error:
        return "ok" if result.structured_content is not None else "no structured content"
    text = result.content[0].text if result.content else repr(result)
    return text.split(":", 1)[0] if text.startswith(f"{RATE_LIMITED}:") else text[:200]


async def _one_call(client: Client, call: ToolCall, key: int, start: float, run: Run) -> None:
    sent = anyio.current_time()
    try:
        result = await client.call_tool(call.tool, call.arguments)
        kind = _kind(result)
    except Exception as exc:  # a transport failure is an error of the run, not of the driver
        kind = f"{call.tool}: {exc!r}"[:200]
    run.outcomes.append(Outcome(key, sent - start, (anyio.current_time() - sent) * 1000, kind))


async def _drive_key(
    client: Client, key: int, rate: float, phase: float, calls: list[ToolCall], start: float, run: Run
) -> None:
    """Open loop: call i leaves at start + phase + i / rate, answered or not."""
    interval = 1 / rate
    count = math.ceil((run.config.seconds - phase) * rate)
    async with anyio.create_task_group() as group:
        for i in range(count):
            await anyio.sleep_until(start + phase + i * interval)
            group.start_soon(_one_call, client, calls[(key * 7919 + i) % len(calls)], key, start, run)


def read_rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def _sample_rss(pid: int, start: float, run: Run) -> None:
    while True:
        rss = read_rss_kb(pid)
        if rss is not None:
            run.rss_kb.append((anyio.current_time() - start, rss))
        await anyio.sleep_until(start + len(run.rss_kb) * RSS_EVERY_S + RSS_EVERY_S)


@asynccontextmanager
async def http_session(url: str, bearer_key: str) -> AsyncIterator[Client]:
    """A streamable-HTTP MCP session of its own, on its own connection pool."""
    async with (
        httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {bearer_key}"},
            timeout=httpx2.Timeout(CALL_TIMEOUT_S),
            # Idle connections are dropped well before uvicorn's 5 s keep-alive timeout: at the same 5 s (httpx's
            # default) a request can leave on a connection the server is closing, and the SDK ends the whole
            # session on that one ReadError.
            limits=httpx2.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=KEEPALIVE_S),
        ) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        await client.list_tools()  # the session's first round trip, untimed; not a throttled call
        yield client


@dataclass
class _Start:
    """Set once every session is open: the clock of the schedule starts then."""

    go: anyio.Event = field(default_factory=anyio.Event)
    at: float = 0.0


async def _key_session(
    url: str,
    bearer_key: str,
    key: int,
    calls: list[ToolCall],
    run: Run,
    start: _Start,
    *,
    task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """One key's session in a task of its own, so a session that breaks is an error of the run, not its end."""
    rate = run.config.rates_per_s[key]
    phase = (key / len(run.config.factors)) / rate  # keys spread over their first interval
    try:
        async with http_session(url, bearer_key) as client:
            task_status.started()
            await start.go.wait()
            await _drive_key(client, key, rate, phase, calls, start.at, run)
    except Exception as exc:
        run.outcomes.append(Outcome(key, anyio.current_time() - start.at, math.nan, f"{SESSION_ENDED}: {exc!r}"[:200]))


async def drive(server: Server, bearer_keys: Sequence[str], config: LoadConfig, calls: list[ToolCall]) -> Run:
    """Every key at its rate for `config.seconds`, the server's RSS sampled meanwhile."""
    run, start = Run(config), _Start()
    async with anyio.create_task_group() as sampler:
        async with anyio.create_task_group() as sessions:
            for key, bearer_key in enumerate(bearer_keys):
                await sessions.start(_key_session, server.url, bearer_key, key, calls, run, start)
            server_cpu, client_cpu = _cpu_seconds(server.pid), time.process_time()
            start.at = anyio.current_time()
            start.go.set()
            sampler.start_soon(_sample_rss, server.pid, start.at, run)
        sampler.cancel_scope.cancel()
    run.seconds = anyio.current_time() - start.at
    run.client_cpu_s = time.process_time() - client_cpu
    after = _cpu_seconds(server.pid)
    run.server_cpu_s = after - server_cpu if after is not None and server_cpu is not None else None
    return run


async def baseline_latencies(server: Server, bearer_key: str, calls: list[ToolCall]) -> list[float]:
    """One key, one call at a time, within its burst: the unthrottled latency on the same server."""
    run = Run(LoadConfig(seconds=0, factors=(1.0,)))
    async with http_session(server.url, bearer_key) as client:
        for call in calls:
            await _one_call(client, call, 0, anyio.current_time(), run)
    failures = [o.kind for o in run.outcomes if o.kind != "ok"]
    assert not failures, f"baseline calls failed: {failures[:3]}"
    return [o.latency_ms for o in run.outcomes]


# --- figures ---------------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else math.nan
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def expected_allowed(send_times_s: Sequence[float], limit: int) -> int:
    """Exactly what GCRA allows for calls arriving at these times (the server's own arithmetic, replayed)."""
    rate, tat, allowed = Rate(limit), None, 0
    for sent in sorted(send_times_s):
        decision, new_tat = gcra_us(tat, round(sent * 1_000_000), rate)
        if decision.allowed:
            allowed, tat = allowed + 1, new_tat
    return allowed


@dataclass(frozen=True)
class KeyFigures:
    key: int
    factor: float
    sent: int
    allowed: int
    throttled: int
    expected: int  # GCRA replayed over the key's send times
    closed_form: float  # min(sent, burst + rate x elapsed)
    errors: int

    @property
    def exact(self) -> bool:
        return abs(self.allowed - self.expected) <= COUNT_TOLERANCE


def key_figures(run: Run) -> list[KeyFigures]:
    figures = []
    for key, factor in enumerate(run.config.factors):
        mine = [o for o in run.outcomes if o.key == key and not o.kind.startswith(SESSION_ENDED)]
        broken = sum(o.key == key and o.kind.startswith(SESSION_ENDED) for o in run.outcomes)
        kinds = Counter(o.kind for o in mine)
        times = [o.sent_s for o in mine]
        elapsed = max(times) - min(times) if times else 0.0
        closed = min(len(mine), run.config.limit + run.config.limit / 60 * elapsed)
        figures.append(
            KeyFigures(
                key,
                factor,
                len(mine),
                kinds["ok"],
                kinds[RATE_LIMITED],
                expected_allowed(times, run.config.limit),
                round(closed, 1),
                len(mine) - kinds["ok"] - kinds[RATE_LIMITED] + broken,
            )
        )
    return figures


@dataclass(frozen=True)
class Window:
    index: int
    calls: int
    throttled: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rss_mb: float | None


def windows(run: Run) -> list[Window]:
    """Whole windows of the schedule by send time; a remainder shorter than a window joins the last one."""
    count = max(1, math.floor(run.config.seconds / run.config.window_s))
    result = []
    for index in range(count):
        low, high = index * run.config.window_s, (index + 1) * run.config.window_s
        high = math.inf if index == count - 1 else high
        mine = [o for o in run.outcomes if low <= o.sent_s < high and o.kind in ("ok", RATE_LIMITED)]
        latencies = [o.latency_ms for o in mine]
        rss = [kb for at, kb in run.rss_kb if low <= at < high]
        result.append(
            Window(
                index + 1,
                len(mine),
                sum(o.kind == RATE_LIMITED for o in mine),
                round(percentile(latencies, 50), 2),
                round(percentile(latencies, 95), 2),
                round(percentile(latencies, 99), 2),
                round(statistics.fmean(rss) / 1024, 1) if rss else None,
            )
        )
    return result


def errors(run: Run) -> Counter[str]:
    return Counter(o.kind for o in run.outcomes if o.kind not in ("ok", RATE_LIMITED))


def measures(run: Run, backend: str, baseline_ms: Sequence[float], load_note: str) -> list[Measure]:
    keys_ = key_figures(run)
    spans = windows(run)
    bad = errors(run)
    answered = [o.latency_ms for o in run.outcomes if o.kind in ("ok", RATE_LIMITED)]
    notes: dict[str, object] = {
        "backend": backend,
        "seconds": round(run.seconds, 1),
        "limit_per_minute": run.config.limit,
        "factors": list(run.config.factors),
        "calls": len(run.outcomes),
        "offered_calls_per_s": round(sum(run.config.rates_per_s), 2),
        "server_cpu_ms_per_call": _per_call(run.server_cpu_s, run),
        "client_cpu_ms_per_call": _per_call(run.client_cpu_s, run),
        "machine_load": load_note,
        "client": "one mcp.Client streamable-HTTP session per key",
    }
    exact = [k for k in keys_ if k.exact]
    second, last = spans[min(1, len(spans) - 1)], spans[-1]
    rss_flat = second.rss_mb is not None and last.rss_mb is not None and last.rss_mb <= RSS_RATIO * second.rss_mb
    base99 = percentile(baseline_ms, 99)
    label = f"{backend}, {len(keys_)} keys at {run.config.limit}/min x {_factor_span(run.config.factors)}"
    return [
        Measure(
            SUITE,
            f"{label}: keys throttled exactly (allowed vs GCRA replay)",
            len(exact),
            "keys",
            len(keys_),
            "keys",
            f"every key within ±{COUNT_TOLERANCE} calls",
            len(exact) == len(keys_),
            {**notes, "per_key": [asdict(k) for k in keys_]},
        ),
        Measure(
            SUITE,
            f"{label}: errors other than rate_limited",
            sum(bad.values()),
            "calls",
            None,
            None,
            "0",
            not bad,
            {**notes, "error_kinds": dict(bad.most_common(5))},
        ),
        Measure(
            SUITE,
            f"{label}: p99 of the last window vs the second",
            last.p99_ms,
            "ms",
            second.p99_ms,
            f"window {second.index}",
            f"<= {HOLD_RATIO}x",
            last.p99_ms <= HOLD_RATIO * second.p99_ms,
            {**notes, "windows": [asdict(w) for w in spans]},
        ),
        Measure(
            SUITE,
            f"{label}: p99 of every answered call vs one unthrottled client",
            percentile(answered, 99),
            "ms",
            base99,
            "1 key, 1 call at a time",
            None,
            None,
            {**notes, "baseline_calls": len(baseline_ms), "p50_ms": percentile(answered, 50)},
        ),
        Measure(
            SUITE,
            f"{label}: server RSS, last window mean vs the second",
            last.rss_mb or math.nan,
            "MB",
            second.rss_mb,
            f"window {second.index}",
            f"<= {RSS_RATIO}x",
            rss_flat,
            {**notes, "rss_kb": run.rss_kb},
        ),
    ]


def _per_call(seconds: float | None, run: Run) -> float | None:
    return round(seconds * 1000 / len(run.outcomes), 3) if seconds is not None and run.outcomes else None


def _factor_span(factors: Sequence[float]) -> str:
    return f"{min(factors):g}-{max(factors):g}"


def report_markdown(run: Run) -> str:
    rows = ["| key | factor | sent | allowed | throttled | GCRA replay | burst + rate x elapsed | errors |"]
    rows.append("|---|---|---|---|---|---|---|---|")
    for k in key_figures(run):
        rows.append(
            f"| {k.key} | {k.factor:g}x | {k.sent} | {k.allowed} | {k.throttled} | {k.expected} | "
            f"{k.closed_form:g} | {k.errors} |"
        )
    rows += [
        "",
        "| window | calls | throttled | p50 ms | p95 ms | p99 ms | server RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in windows(run):
        rows.append(f"| {w.index} | {w.calls} | {w.throttled} | {w.p50_ms} | {w.p95_ms} | {w.p99_ms} | {w.rss_mb} |")
    return "\n".join(rows)


# --- the command -----------------------------------------------------------------------------------------------


def load_average() -> str:
    try:
        return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "load average unknown"


def run_on(database: Database, config: LoadConfig, log_path: Path) -> tuple[Run, list[float]]:
    """Seed the demo data and keys into `database`, serve it over HTTP, and drive the load (baseline first)."""
    seed_demo(database)
    bearer_keys = api_keys(database, len(config.factors) + 1)
    calls = demo_calls(997)
    try:
        with _http_server(database, log_path, rate_limit=config.limit) as server:
            # Within the baseline key's burst, so none of its calls is refused.
            baseline_calls = calls[: min(BASELINE_CALLS, config.limit)]
            baseline = anyio.run(baseline_latencies, server, bearer_keys[-1], baseline_calls)
            run = anyio.run(drive, server, bearer_keys[:-1], config, calls)
    except BaseException:
        print(f"server log tail:\n{log_path.read_text()[-SERVER_LOG_TAIL:]}", file=sys.stderr)
        raise
    return run, baseline


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--keys", type=int, default=20)
    parser.add_argument("--rate-factor", type=float, default=1.5, help="the slowest key above the limit")
    parser.add_argument("--max-factor", type=float, default=3.0, help="the fastest key")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="calls per minute per key")
    parser.add_argument("--window", type=float, default=60.0, help="seconds per latency/RSS window")
    parser.add_argument("--store", choices=BACKENDS, default="sqlite")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--server-log", type=Path, default=None, help="keep the server's log here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    factors = key_factors(args.keys, args.rate_factor, args.max_factor)
    config = LoadConfig(args.minutes * 60, factors, args.limit, args.window)
    before = load_average()
    with (
        tempfile.TemporaryDirectory(prefix="localshelf-load-") as workdir,
        bench_database(SUITE, f"{args.keys}keys", args.store, Path(workdir)) as database,
    ):
        run, baseline = run_on(database, config, args.server_log or Path(workdir) / f"{SUITE}-server.log")
    note = f"{before} before, {load_average()} after"
    figures = measures(run, args.store, baseline, note)
    print(table(figures))
    print(report_markdown(run))
    server = postgres_settings() if args.store == "postgis" else ""
    markdown, data = write(figures, args.out, f"load-{args.store}", report_markdown(run), server)
    print(f"wrote {markdown} and {data}; {note}")
    return 0 if all(m.passed is not False for m in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
