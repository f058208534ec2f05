"""Tool calls per second over streamable HTTP with a few concurrent clients, against one in-process session.

For each backend: load the scale's data (town data for city and country: this figure measures the transport
and the server under concurrency, the search suite measures how queries grow with data), then

- **the baseline**: one `mcp.Client(build_server(...))` session in this process (memory transport, no HTTP,
  no credentials, no throttle) runs a fixed mix of `search_local_products`, `check_product_availability` and
  `find_locations` calls back to back, after one untimed pass over the same calls so every run finds warm caches;
- **over HTTP**: `localshelf serve --transport http` runs as a real process (its background worker on, as
  deployed) and 1, 4 and 8 concurrent MCP clients, each a streamable-HTTP session with its own API key, share
  the very same calls.

Each key is throttled separately and the server's `LOCALSHELF_RATE_LIMIT_PER_MINUTE` is raised to the setting's
maximum, so no call is refused for its rate. Every call must succeed: an error (tool error or transport failure)
marks the figure FAIL; there is no target for the figure itself.
"""

from __future__ import annotations

import logging
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select

from localshelf.config import Settings
from localshelf.domain.auth import Role
from localshelf.server.app import build_server
from localshelf.services import keys
from localshelf.store.db import Database
from localshelf.store.models import Organization

from . import data as bench_data
from .databases import bench_database
from .report import Measure
from .scales import SCALES, Scale
from .search_suite import AVAILABILITY, SEARCH, call_mix

SUITE = "http"
SEED = 11
FIND = "find_locations"
LEVELS = (1, 4, 8)  # concurrent clients
CALLS = {"tiny": 30, "town": 600, "city": 600, "country": 600}  # per run, a third per tool
DATA_SCALE = {"tiny": "tiny", "town": "town", "city": "town", "country": "town"}
CLIENT_WARMUP = 2  # calls per HTTP client before the clock: its connection and the server's per-key state
FIND_RADIUS_KM, FIND_LIMIT = 5.0, 20
RATE_LIMIT_PER_MINUTE = 100_000  # the setting's maximum; a fresh key may spend it all at once
SERVER_START_S, SERVER_STOP_S, CALL_TIMEOUT_S = 30.0, 10.0, 30.0
SERVER_LOG_TAIL = 4_000  # characters of the server log kept in the notes when a call failed
PERCENTILES = (50, 95)
BASELINE = "in-process MCP session, 1 client"
ANSWER_LISTS = {SEARCH: "results", AVAILABILITY: "stores", FIND: "locations"}


@dataclass(frozen=True)
class ToolCall:
    tool: str
    arguments: dict[str, Any]


def call_plan(data: bench_data.BenchData, calls: int) -> list[ToolCall]:
    """The search suite's seeded searches and availability checks, and store look-ups next to a random store,
    interleaved tool by tool; the same list for every run and backend."""
    per_tool = math.ceil(calls / len(ANSWER_LISTS))
    searches, checks = call_mix(data, per_tool)
    rng = random.Random(f"{SEED}:{data.scale.name}")
    finds = []
    for _ in range(per_tool):
        store = rng.choice(data.stores)
        latitude = round(store.latitude + rng.uniform(-0.01, 0.01), 6)
        longitude = round(store.longitude + rng.uniform(-0.01, 0.01), 6)
        arguments = {"latitude": latitude, "longitude": longitude, "radius_km": FIND_RADIUS_KM, "limit": FIND_LIMIT}
        finds.append(ToolCall(FIND, arguments))
    triples = zip(
        [ToolCall(SEARCH, s.arguments()) for s in searches],
        [ToolCall(AVAILABILITY, c.arguments()) for c in checks],
        finds,
        strict=True,
    )
    return [call for triple in triples for call in triple][:calls]


# --- driving sessions ------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one run of the plan gave: latencies of answered calls, failures, and the CPU both processes spent."""

    clients: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    empty_answers: int = 0
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None

    @property
    def calls(self) -> int:
        return len(self.latencies_ms) + len(self.failures)

    @property
    def calls_per_s(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, p: int) -> float:
        if len(self.latencies_ms) < 2:
            return math.nan  # (nearly) every call failed: the figure FAILs on its errors
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]


async def _timed_calls(client: Client, calls: list[ToolCall], tally: Tally) -> None:
    for call in calls:
        started = time.perf_counter()
        try:
            result = await client.call_tool(call.tool, call.arguments)
        except Exception as exc:  # a transport failure counts against the figure, like a tool error
            tally.failures.append(f"{call.tool}: {exc!r}")
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        if result.is_error or result.structured_content is None:
            tally.failures.append(f"{call.tool}: {result.content}")
            continue
        tally.latencies_ms.append(elapsed_ms)
        tally.empty_answers += not result.structured_content.get(ANSWER_LISTS[call.tool])


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process from /proc (Linux); None where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive(clients: list[Client], plan: list[ToolCall], server_pid: int | None = None) -> Tally:
    """After `CLIENT_WARMUP` untimed calls each, share `plan` between `clients` (client i takes every i-th call),
    all at once; time the whole run. In-process (no `server_pid`) the client CPU is the server's too."""
    async with anyio.create_task_group() as group:
        for client in clients:
            group.start_soon(_timed_calls, client, plan[:CLIENT_WARMUP], Tally(1))
    tally = Tally(len(clients))
    server_cpu = _cpu_seconds(server_pid) if server_pid is not None else None
    cpu, started = time.process_time(), time.perf_counter()
    async with anyio.create_task_group() as group:
        for index, client in enumerate(clients):
            group.start_soon(_timed_calls, client, plan[index :: len(clients)], tally)
    tally.seconds = time.perf_counter() - started
    tally.client_cpu_s = time.process_time() - cpu
    if server_pid is not None and server_cpu is not None:
        after = _cpu_seconds(server_pid)
        tally.server_cpu_s = after - server_cpu if after is not None else None
    return tally


# --- the baseline: one in-process session ----------------------------------------------------------------------


async def _in_process(database: Database, plan: list[ToolCall]) -> Tally:
    url = database.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, auto_migrate=False)  # worker on, as in the HTTP server
    async with Client(build_server(settings, database=database)) as client:
        await _timed_calls(client, plan, Tally(1))  # untimed pass: the HTTP runs come after it, on warm caches
        return await _drive([client], plan)


# --- over HTTP: the real server process ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the HTTP server exited:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the HTTP server did not listen within {SERVER_START_S:g} s:\n{log_path.read_text()}")


@dataclass(frozen=True)
class Server:
    url: str  # the /mcp endpoint
    pid: int


@contextmanager
def _http_server(database: Database, log_path: Path, rate_limit: int = RATE_LIMIT_PER_MINUTE) -> Iterator[Server]:
    """`localshelf serve --transport http` on a free loopback port, stopped on exit."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LOCALSHELF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "LOCALSHELF_LOG_LEVEL": "WARNING",
        "LOCALSHELF_PUBLIC_URL": url,
        "LOCALSHELF_RATE_LIMIT_PER_MINUTE": str(rate_limit),
        # glibc allocator settings pass through, to tell allocator growth from a leak (benchmarks/load.py)
        **{name: value for name, value in os.environ.items() if name.startswith("MALLOC_")},
    }
    command = [sys.executable, "-m", "localshelf", "serve", "--transport", "http", "--port", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_listening(process, port, log_path)
            yield Server(url, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=SERVER_STOP_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _api_keys(database: Database, count: int) -> list[str]:
    """`count` staff keys of the first organization, made by the operator (as `localshelf keys create` does)."""
    with database.session() as session:
        organization_id = session.scalar(select(Organization.public_id).order_by(Organization.id).limit(1))
    assert organization_id is not None, "the benchmark data has no organization"
    now = datetime.now(UTC)
    return [
        database.transaction(keys.create_api_key, organization_id, Role.STAFF, [], f"bench http {i}", None, now).key
        for i in range(count)
    ]


@asynccontextmanager
async def _http_clients(url: str, api_keys: list[str]) -> AsyncIterator[list[Client]]:
    """One streamable-HTTP MCP session per key, each on its own connection pool."""
    async with AsyncExitStack() as stack:
        clients = []
        for key in api_keys:
            http = await stack.enter_async_context(
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=httpx2.Timeout(CALL_TIMEOUT_S))
            )
            clients.append(await stack.enter_async_context(Client(streamable_http_client(url, http_client=http))))
        yield clients


async def _over_http(server: Server, api_keys: list[str], plan: list[ToolCall]) -> list[Tally]:
    tallies = []
    for level in LEVELS:
        async with _http_clients(server.url, api_keys[:level]) as clients:
            tallies.append(await _drive(clients, plan, server.pid))
    return tallies


# --- figures ---------------------------------------------------------------------------------------------------


def _per_call_ms(seconds: float | None, tally: Tally) -> float | None:
    return round(seconds * 1000 / tally.calls, 3) if seconds is not None and tally.calls else None


def _notes(scale: Scale, backend: str, tally: Tally) -> dict[str, object]:
    return {
        "scale": scale.name,
        "data_scale": DATA_SCALE[scale.name],
        "backend": backend,
        "clients": tally.clients,
        "calls": tally.calls,
        "tools": sorted(ANSWER_LISTS),
        "errors": len(tally.failures),
        "first_errors": tally.failures[:3],
        "empty_answers": tally.empty_answers,
        "seconds": round(tally.seconds, 3),
        "client_cpu_ms_per_call": _per_call_ms(tally.client_cpu_s, tally),
        "server_cpu_ms_per_call": _per_call_ms(tally.server_cpu_s, tally),
        "rate_limit": f"one key per client, LOCALSHELF_RATE_LIMIT_PER_MINUTE={RATE_LIMIT_PER_MINUTE}",
    }


def level_measures(scale: Scale, backend: str, tally: Tally, baseline: Tally) -> list[Measure]:
    clients = f"{tally.clients} client{'s' if tally.clients > 1 else ''}"
    notes = _notes(scale, backend, tally)
    notes["baseline"] = _notes(scale, backend, baseline)
    ok = not tally.failures and not baseline.failures
    throughput = Measure(
        SUITE,
        f"{backend} tool calls/s over streamable HTTP, {clients}",
        tally.calls_per_s,
        "calls/s",
        baseline.calls_per_s,
        BASELINE,
        "0 errors",
        ok,
        notes,
    )
    latencies = [
        Measure(
            SUITE,
            f"{backend} tool call p{p} over streamable HTTP, {clients}",
            tally.percentile(p),
            "ms",
            baseline.percentile(p),
            BASELINE,
            "0 errors",
            ok,
            notes,
        )
        for p in PERCENTILES
    ]
    return [throughput, *latencies]


# --- the suite -------------------------------------------------------------------------------------------------


def _run_backend(scale: Scale, backend: str, workdir: Path) -> list[Measure]:
    generated = bench_data.generate(SCALES[DATA_SCALE[scale.name]])
    plan = call_plan(generated, CALLS[scale.name])
    with bench_database(SUITE, scale.name, backend, workdir) as database:
        bench_data.load(database, generated)
        baseline = anyio.run(_in_process, database, plan)
        api_keys = _api_keys(database, max(LEVELS))
        log_path = workdir / f"{SUITE}-{backend}-server.log"
        with _http_server(database, log_path) as server:
            tallies = anyio.run(_over_http, server, api_keys, plan)
    measures = [measure for tally in tallies for measure in level_measures(scale, backend, tally, baseline)]
    if any(tally.failures for tally in tallies):
        # The failures' log references point into the server's log, which goes with the work directory.
        log_tail = log_path.read_text()[-SERVER_LOG_TAIL:]
        for measure in measures:
            measure.notes["server_log_tail"] = log_tail
    return measures


def run(scale: Scale, backends: list[str], workdir: Path) -> list[Measure]:
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one INFO line per request otherwise
    measures: list[Measure] = []
    for backend in backends:
        measures += _run_backend(scale, backend, workdir)
    return measures
