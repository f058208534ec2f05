"""GCRA as a pure function: exact bursts, exact waits, a smooth refill, at any clock magnitude."""

from __future__ import annotations

import random

import pytest

from localshelf.domain.throttle import MAX_PER_MINUTE, MICROSECONDS, Decision, Rate, gcra, gcra_us, to_us

LIMITS = [1, 7, 20, 60, 300, 1000, 5000]
# A small clock, a monotonic-like one and the Unix epoch now: floats lose precision as they grow,
# and a float GCRA at epoch scale loses the 300th call of a burst of 300.
STARTS = [0.0, 1000.0, 1_764_000_000.123456]


class Key:
    """One key's GCRA state, called at the instants a test chooses."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.tat: float | None = None

    def call(self, now: float) -> Decision:
        decision, new_tat = gcra(self.tat, now, self.rate)
        assert (new_tat is None) == (not decision.allowed)
        if new_tat is not None:
            self.tat = new_tat
        return decision

    def burst(self, now: float, calls: int) -> list[Decision]:
        return [self.call(now) for _ in range(calls)]


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("limit", LIMITS)
def test_a_fresh_key_gets_exactly_the_limit_at_once_then_waits_one_interval(limit: int, start: float) -> None:
    key = Key(Rate(limit))
    assert all(decision.allowed for decision in key.burst(start, limit))
    denied = key.call(start)
    assert not denied.allowed
    assert denied.retry_after_seconds == pytest.approx(key.rate.interval, abs=1e-9)
    assert denied.retry_after_seconds == pytest.approx(60 / limit, abs=1e-6)
    assert denied.remaining == 0


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("limit", LIMITS)
def test_after_waiting_retry_after_the_next_call_passes_and_not_a_microsecond_sooner(limit: int, start: float) -> None:
    key = Key(Rate(limit))
    key.burst(start, limit)
    wait = key.call(start).retry_after_seconds
    assert not key.call(start + wait - 1e-6).allowed
    assert key.call(start + wait).allowed
    assert not key.call(start + wait).allowed


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("limit", LIMITS)
def test_the_remaining_allowance_counts_down_to_zero(limit: int, start: float) -> None:
    key = Key(Rate(limit))
    assert [decision.remaining for decision in key.burst(start, limit)] == list(range(limit - 1, -1, -1))


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("limit", [1, 7, 300])
def test_one_call_every_interval_is_always_allowed(limit: int, start: float) -> None:
    key = Key(Rate(limit))
    for n in range(3 * limit + 10):
        decision = key.call(start + n * key.rate.interval)
        assert decision.allowed, n
        assert decision.remaining == limit - 1


@pytest.mark.parametrize("limit", [7, 300])
def test_the_steady_rate_after_a_burst_is_one_call_per_interval(limit: int) -> None:
    key = Key(Rate(limit))
    key.burst(0.0, limit)
    interval = key.rate.interval
    for n in range(1, 2 * limit):
        assert not key.call(n * interval - 1e-6).allowed, n
        assert key.call(n * interval).allowed, n
        assert not key.call(n * interval).allowed, n


def test_a_limit_of_one_allows_one_call_a_minute() -> None:
    key = Key(Rate(1))
    assert key.call(5.0) == Decision(True, 0.0, 0)
    assert key.call(5.0) == Decision(False, 60.0, 0)
    assert key.call(35.0) == Decision(False, 30.0, 0)
    assert key.call(65.0) == Decision(True, 0.0, 0)
    assert key.call(65.0).retry_after_seconds == 60.0


@pytest.mark.parametrize("jump", [60.0, 61.5, 3600.0, 86_400.0 * 365])
def test_a_long_pause_restores_the_full_allowance_and_no_more(jump: float) -> None:
    key = Key(Rate(20))
    key.burst(100.0, 20)
    later = 100.0 + jump
    assert [decision.allowed for decision in key.burst(later, 21)] == [True] * 20 + [False]


def test_a_partial_pause_refills_one_call_per_interval_elapsed() -> None:
    key = Key(Rate(60))
    key.burst(0.0, 60)
    assert sum(decision.allowed for decision in key.burst(7.5, 60)) == 7


def test_a_denied_call_changes_nothing() -> None:
    rate = Rate(10)
    decision, tat = gcra(None, 0.0, rate)
    for _ in range(9):
        decision, tat = gcra(tat, 0.0, rate)
    assert decision.remaining == 0
    first, unchanged = gcra(tat, 1.0, rate)
    second, _ = gcra(tat, 1.0, rate)
    assert unchanged is None
    assert first == second == Decision(False, 5.0, 0)


def test_a_clock_that_went_backwards_is_not_a_refill() -> None:
    key = Key(Rate(10))
    key.burst(1000.0, 10)
    denied = key.call(990.0)
    assert not denied.allowed
    assert denied.retry_after_seconds == pytest.approx(16.0)


def test_the_microsecond_core_agrees_with_the_float_api() -> None:
    rate = Rate(7)
    decision, tat_us = gcra_us(None, 1_000_000, rate)
    assert decision == Decision(True, 0.0, 6)
    assert tat_us == 1_000_000 + rate.interval_us


def test_the_interval_is_sixty_seconds_over_the_limit_rounded_up_to_a_microsecond() -> None:
    assert Rate(300).interval == 0.2
    assert Rate(300).tolerance == 60.0
    assert Rate(7).interval_us == 8_571_429
    assert Rate(7).tolerance_us == 7 * 8_571_429
    assert 60.0 <= Rate(7).tolerance < 60.0 + 7e-6


@pytest.mark.parametrize("limit", [0, -1, MAX_PER_MINUTE + 1, True, 2.5, "300"])
def test_a_limit_that_is_not_a_positive_whole_number_is_rejected(limit: object) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        Rate(limit)  # type: ignore[arg-type]


def test_seconds_as_doubles_round_trip_exactly_through_microseconds_until_2106() -> None:
    # Stores may keep a TAT in seconds (PostgreSQL's `tat` column is a double) and still compute in µs.
    rng = random.Random(7)
    for _ in range(20_000):
        us = rng.randrange(0, 2**32 * MICROSECONDS)
        assert to_us(us / MICROSECONDS) == us
