"""Open-loop load over streamable HTTP at and above the per-key throttle: the CI form of `benchmarks.load`.

A real `localshelf serve` process on the PostGIS test database (demo data), 8 keys each in its own MCP session,
sending on a fixed schedule. PostGIS only: its throttle is the deployed one (state in `rate_limits`, decided by
one statement on the database clock, concurrent calls of a key serialised by a row lock), while SQLite's is the
in-process arithmetic that tests/integration/test_throttle.py pins exactly; both backends would double the run
(a server start and a demo load each). The soak runs on both. The 5-minute soak (`python -m benchmarks.load`, docs/RELIABILITY.md) runs at the default
300 calls/min; here the limit is 20/min so the load stays light (16 calls/s) on a shared CI machine: the figures
only hold while the server keeps up (a queued call meets the throttle late). A fresh key's burst is a whole
minute's allowance at any limit, so a key is throttled after 60 / (factor - 1) s: the fast keys run at 8-15x to be
throttled within the run's 12 s.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.load import COUNT_TOLERANCE, LoadConfig, errors, expected_allowed, key_figures, percentile, run_on

from localshelf.store.db import Database

LIMIT = 20  # calls per minute per key
FACTORS = (0.5, 0.5, 1.0, 1.0, 8.0, 10.0, 12.0, 15.0)  # 16 calls/s offered in all
SECONDS = 12.0
P99_BOUND = 15.0  # the load's p99 against one unthrottled client's, on the same server in the same run


def test_every_key_is_throttled_exactly_under_open_loop_load(postgis_database: Database, tmp_path: Path) -> None:
    run, baseline_ms = run_on(
        postgis_database, LoadConfig(SECONDS, FACTORS, LIMIT, window_s=SECONDS / 4), tmp_path / "server.log"
    )

    assert not errors(run), f"only rate_limited may fail: {errors(run).most_common(3)}"
    figures = key_figures(run)
    for key in figures:
        assert abs(key.allowed - key.expected) <= COUNT_TOLERANCE, key
        assert key.allowed + key.throttled == key.sent
    at_or_under = [k for k in figures if k.factor <= 1]
    assert all(k.throttled == 0 for k in at_or_under)
    over = [k for k in figures if k.factor > 1]
    # The schedule is long enough for every fast key to spend its burst and be refused.
    assert all(k.throttled > 0 and k.expected < k.sent for k in over)
    answered = [o.latency_ms for o in run.outcomes]
    assert percentile(answered, 99) <= P99_BOUND * percentile(baseline_ms, 99), (
        f"p99 {percentile(answered, 99):.1f} ms vs unthrottled {percentile(baseline_ms, 99):.1f} ms"
    )


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ([0.0] * 40, LIMIT),  # a burst: exactly one minute's allowance
        ([i * 3.0 for i in range(100)], 100),  # exactly at the limit (one call per 3 s): never refused
        ([i * 0.3 for i in range(201)], 20 + 20),  # 10x from 0 to 60 s: the burst, then one call per 3 s
        ([i * 0.3 for i in range(200)], 20 + 19),  # ... the last call 0.3 s short of the 60 s mark
    ],
)
def test_the_expectation_is_the_gcra_replay(sent: list[float], expected: int) -> None:
    assert expected_allowed(sent, LIMIT) == expected
