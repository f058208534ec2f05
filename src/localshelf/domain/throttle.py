"""Per-key rate limiting by GCRA (the generic cell rate algorithm): a smooth token bucket in one number.

A rate of `per_minute` calls gives an emission interval T = 60 / per_minute and a
tolerance of about 60 s, so a fresh key may spend its whole minute at once and then
one call every T. The only state per key is its TAT (theoretical arrival time): when
the key's bucket would be full again. For a call at `now`:

    new_tat = max(tat, now) + T
    allowed   iff new_tat - now <= tolerance      -> store tat = new_tat
    otherwise retry_after = new_tat - now - tolerance, and nothing is stored

Arithmetic is exact, in whole microseconds. Floats would not do: next to an epoch
time (about 1.7e9 s) a double is only good to 2.4e-7 s, and adding a T that is not a
multiple of that rounds the same way on every call, so a burst of 300 drifts by
1.4e-5 s and loses its 300th call. T is rounded *up* to a microsecond and the
tolerance is exactly `per_minute` intervals (60 s plus under `per_minute` µs), so a
burst is exactly `per_minute` calls and the sustained rate never exceeds the limit.

The stores (`localshelf.store.throttle`) keep the TAT per key and call `gcra_us`.
"""

from __future__ import annotations

from dataclasses import dataclass

MICROSECONDS = 1_000_000
WINDOW_US = 60 * MICROSECONDS
MAX_PER_MINUTE = WINDOW_US  # one call per microsecond: the resolution of the arithmetic


@dataclass(frozen=True)
class Decision:
    """The verdict on one call.

    `retry_after_seconds` is 0 when allowed and > 0 (the wait until the call would pass)
    when denied; `remaining` is how many further calls would pass right now, after this one.
    """

    allowed: bool
    retry_after_seconds: float
    remaining: int


@dataclass(frozen=True)
class Rate:
    """`per_minute` calls per minute, with a burst of the whole minute's allowance."""

    per_minute: int

    def __post_init__(self) -> None:
        # bool is an int subclass; `True` must not pass as a limit of 1.
        if isinstance(self.per_minute, bool) or not isinstance(self.per_minute, int):
            raise ValueError(f"The rate limit must be a whole number of calls per minute, got {self.per_minute!r}.")
        if not 1 <= self.per_minute <= MAX_PER_MINUTE:
            raise ValueError(
                f"The rate limit must be between 1 and {MAX_PER_MINUTE} calls per minute, got {self.per_minute}."
            )

    @property
    def interval_us(self) -> int:
        """T in microseconds, rounded up so the sustained rate never exceeds `per_minute`."""
        return -(-WINDOW_US // self.per_minute)

    @property
    def tolerance_us(self) -> int:
        """Exactly `per_minute` intervals, so a burst is exactly `per_minute` calls."""
        return self.per_minute * self.interval_us

    @property
    def interval(self) -> float:
        """T = 60 / per_minute seconds (to the microsecond): the spacing of calls at the sustained rate."""
        return self.interval_us / MICROSECONDS

    @property
    def tolerance(self) -> float:
        """How far ahead of now a key's TAT may run: 60 s (plus under `per_minute` µs of rounding)."""
        return self.tolerance_us / MICROSECONDS


def to_us(seconds: float) -> int:
    """Seconds (a float from a clock) as whole microseconds."""
    return round(seconds * MICROSECONDS)


def gcra_us(tat_us: int | None, now_us: int, rate: Rate) -> tuple[Decision, int | None]:
    """Decide a call at `now_us` for a key whose TAT is `tat_us` (None: never seen or forgotten).

    Returns the decision and the TAT to store, or None when the call is denied (state unchanged).
    """
    new_tat_us = max(now_us if tat_us is None else tat_us, now_us) + rate.interval_us
    ahead_us = new_tat_us - now_us
    if ahead_us > rate.tolerance_us:
        return Decision(False, (ahead_us - rate.tolerance_us) / MICROSECONDS, 0), None
    return Decision(True, 0.0, (rate.tolerance_us - ahead_us) // rate.interval_us), new_tat_us


def gcra(tat: float | None, now: float, rate: Rate) -> tuple[Decision, float | None]:
    """`gcra_us` in seconds since any epoch; the TATs it returns round-trip exactly through `to_us`."""
    decision, new_tat_us = gcra_us(None if tat is None else to_us(tat), to_us(now), rate)
    return decision, None if new_tat_us is None else new_tat_us / MICROSECONDS
