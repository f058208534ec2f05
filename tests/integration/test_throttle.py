"""The rate limiter's two stores: per process (fake clock) and PostgreSQL, shared by separate processes."""

from __future__ import annotations

import json
import math
import secrets
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from localshelf.domain.throttle import Decision, Rate
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.throttle import RATE_LIMITS_DDL_POSTGRES, MemoryThrottle, PostgresThrottle, throttle_for

WORKER = Path(__file__).with_name("throttle_worker.py")


class FakeClock:
    """Time stands still until the test moves it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def allowed_count(decisions: list[Decision]) -> int:
    return sum(decision.allowed for decision in decisions)


# --- per process ---------------------------------------------------------------------------------


def test_memory_throttle_allows_exactly_the_limit_then_names_the_wait() -> None:
    clock = FakeClock()
    throttle = MemoryThrottle(Rate(20), clock)
    decisions = [throttle.acquire("k") for _ in range(21)]
    assert [d.remaining for d in decisions[:20]] == list(range(19, -1, -1))
    assert all(d.allowed for d in decisions[:20])
    assert decisions[20] == Decision(False, 3.0, 0)
    clock.now += 2.0
    assert throttle.acquire("k") == Decision(False, 1.0, 0)
    clock.now += 1.0
    assert throttle.acquire("k") == Decision(True, 0.0, 0)
    assert not throttle.acquire("k").allowed


def test_memory_throttle_keys_are_independent() -> None:
    throttle = MemoryThrottle(Rate(3), FakeClock())
    assert allowed_count([throttle.acquire("a") for _ in range(5)]) == 3
    assert allowed_count([throttle.acquire("b") for _ in range(5)]) == 3


def test_memory_throttle_threads_racing_on_one_key_get_exactly_the_limit() -> None:
    throttle = MemoryThrottle(Rate(100), FakeClock())
    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(pool.map(lambda _: throttle.acquire("k"), range(400)))
    assert allowed_count(decisions) == 100


def test_memory_throttle_forgets_keys_back_to_a_full_allowance() -> None:
    clock = FakeClock(0.0)
    throttle = MemoryThrottle(Rate(60), clock)
    for n in range(1023):
        throttle.acquire(f"idle-{n}")
    clock.now = 0.5
    throttle.acquire("busy")  # the 1024th key: a sweep, but every key is still refilling
    assert len(throttle) == 1024
    clock.now = 1.2  # the idle keys' TAT (1.0 s) has passed; busy's (1.5 s) has not
    for n in range(1024):
        throttle.acquire(f"new-{n}")
    assert len(throttle) < 1100
    assert allowed_count([throttle.acquire("idle-0") for _ in range(61)]) == 60
    assert allowed_count([throttle.acquire("busy") for _ in range(61)]) == 59


def test_sqlite_stores_get_a_per_process_throttle(sqlite_database: Database) -> None:
    assert isinstance(throttle_for(sqlite_database.engine, Rate(300)), MemoryThrottle)


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture
def rate_limits_engine(postgis_database: Database) -> Iterator[Engine]:
    """The test database with the `rate_limits` table, left as found (a migration may own it)."""
    engine = postgis_database.engine
    with engine.begin() as connection:
        existed = bool(connection.scalar(text("SELECT to_regclass('public.rate_limits') IS NOT NULL")))
        connection.execute(text(RATE_LIMITS_DDL_POSTGRES))
        connection.execute(text("DELETE FROM rate_limits"))
    yield engine
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM rate_limits" if existed else "DROP TABLE rate_limits"))


def stored_tat(engine: Engine, key: str) -> float | None:
    with engine.connect() as connection:
        value = connection.scalar(text("SELECT tat FROM rate_limits WHERE key = :key"), {"key": key})
    return None if value is None else float(value)


def move_back(engine: Engine, key: str, seconds: float) -> None:
    """Age a key's state: the same, to GCRA, as `seconds` of time passing."""
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE rate_limits SET tat = tat - :seconds WHERE key = :key"),
            {"seconds": math.ceil(seconds * 1_000_000) / 1_000_000, "key": key},
        )


def test_postgis_stores_get_the_shared_throttle(rate_limits_engine: Engine) -> None:
    assert isinstance(throttle_for(rate_limits_engine, Rate(300)), PostgresThrottle)


@pytest.mark.parametrize("limit", [7, 20, 60])
def test_postgres_throttle_allows_exactly_the_limit_then_names_the_wait(rate_limits_engine: Engine, limit: int) -> None:
    # Each limit refills far slower (T >= 1 s) than its burst takes on the real database clock.
    rate = Rate(limit)
    throttle = PostgresThrottle(rate_limits_engine, rate)
    decisions = [throttle.acquire("k") for _ in range(limit + 1)]
    assert all(d.allowed for d in decisions[:limit])
    assert [d.remaining for d in decisions[:limit]] == list(range(limit - 1, -1, -1))
    denied = decisions[limit]
    assert not denied.allowed
    # The database clock moved on during the calls (milliseconds), so the wait is a little under T.
    assert rate.interval - 0.5 < denied.retry_after_seconds <= rate.interval


def test_postgres_throttle_denial_changes_nothing_and_the_wait_is_enough(rate_limits_engine: Engine) -> None:
    throttle = PostgresThrottle(rate_limits_engine, Rate(5))
    for _ in range(5):
        throttle.acquire("k")
    before = stored_tat(rate_limits_engine, "k")
    denied = throttle.acquire("k")
    assert not denied.allowed
    assert stored_tat(rate_limits_engine, "k") == before
    move_back(rate_limits_engine, "k", denied.retry_after_seconds)
    assert throttle.acquire("k").allowed
    assert not throttle.acquire("k").allowed


def test_postgres_throttle_keys_are_independent(rate_limits_engine: Engine) -> None:
    throttle = PostgresThrottle(rate_limits_engine, Rate(3))
    assert allowed_count([throttle.acquire("a") for _ in range(5)]) == 3
    assert allowed_count([throttle.acquire("b") for _ in range(5)]) == 3


def test_a_rolled_back_unit_of_work_does_not_refund_the_call(
    postgis_database: Database, rate_limits_engine: Engine
) -> None:
    throttle = PostgresThrottle(rate_limits_engine, Rate(3))

    def failing_tool(_unit: UnitOfWork) -> None:
        assert throttle.acquire("k").allowed
        raise RuntimeError("the tool failed after being admitted")

    with pytest.raises(RuntimeError):
        postgis_database.transaction(failing_tool)
    assert throttle.acquire("k").remaining == 1


def test_postgres_throttle_threads_racing_on_one_key_get_exactly_the_limit(rate_limits_engine: Engine) -> None:
    # 50 a minute: a refill every 1.2 s, far longer than these 160 calls take.
    throttle = PostgresThrottle(rate_limits_engine, Rate(50))
    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(pool.map(lambda _: throttle.acquire("k"), range(160)))
    assert allowed_count(decisions) == 50


def test_prune_forgets_only_keys_back_to_a_full_allowance(rate_limits_engine: Engine) -> None:
    throttle = PostgresThrottle(rate_limits_engine, Rate(60))
    throttle.acquire("idle")
    throttle.acquire("busy")
    move_back(rate_limits_engine, "idle", 2.0)
    assert throttle.prune() == 1
    assert stored_tat(rate_limits_engine, "idle") is None
    assert stored_tat(rate_limits_engine, "busy") is not None


# --- two server processes, one database ----------------------------------------------------------

LIMIT = 60  # a refill every second: the race below takes a small fraction of that
ATTEMPTS = 100  # per process


def start_worker(url: str, key: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, key, str(LIMIT), str(ATTEMPTS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def race(workers: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    """Wait until every worker is connected, start them together, collect their tallies."""
    for worker in workers:
        assert worker.stdout is not None and worker.stdin is not None
        line = worker.stdout.readline()
        assert line.strip() == "ready", f"worker failed to start: {line!r} {worker.communicate()[1]}"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    tallies = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        tallies.append(json.loads(out.strip().splitlines()[-1]))
    return tallies


def test_two_server_processes_on_one_database_together_allow_exactly_the_limit(
    postgis_database: Database, rate_limits_engine: Engine
) -> None:
    url = postgis_database.engine.url.render_as_string(hide_password=False)
    key = f"shared-{secrets.token_hex(4)}"
    workers = [start_worker(url, key) for _ in range(2)]
    try:
        tallies = race(workers)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    allowed = sum(tally["allowed"] for tally in tallies)
    assert sum(tally["denied"] for tally in tallies) == 2 * ATTEMPTS - allowed
    started, finished = min(t["started"] for t in tallies), max(t["finished"] for t in tallies)
    assert max(t["started"] for t in tallies) < min(t["finished"] for t in tallies), "the workers did not overlap"
    # Each full second of the race refills one call. A per-process limit would allow 2 * LIMIT.
    refills = math.floor((finished - started) * LIMIT / 60)
    assert refills <= 1, f"the race took {finished - started:.2f} s: too slow to show an exact limit"
    assert LIMIT <= allowed <= LIMIT + refills, tallies
