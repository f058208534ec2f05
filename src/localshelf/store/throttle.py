"""Where each key's GCRA state lives: in the process (SQLite) or in PostgreSQL (shared by every process).

An embedded SQLite store belongs to one server process, so `MemoryThrottle` keeps the
state in a dict. Several server processes (or machines) sharing one PostgreSQL store
must share one budget per key, so `PostgresThrottle` keeps it in the `rate_limits`
table and decides each call in one atomic statement. `throttle_for` picks by dialect.

`acquire` is synchronous and may block on the database: run it in a worker thread,
before the tool's own unit of work, and execute nothing when it is denied.

Keys are stored as given (in PostgreSQL, in plain text): pass a client or principal
id, never a secret such as a bearer token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import Connection, Engine, text

from localshelf.domain.throttle import Decision, Rate, gcra_us, to_us

RATE_LIMITS_DDL_POSTGRES = """\
CREATE TABLE IF NOT EXISTS rate_limits (
    key varchar(255) NOT NULL,
    tat double precision NOT NULL,
    CONSTRAINT pk_rate_limits PRIMARY KEY (key)
)"""
"""The table `PostgresThrottle` needs (as migration 0002 and `models.RateLimit` define it): a key's
theoretical arrival time, in seconds since the Unix epoch on the database server's clock."""


class Throttle(Protocol):
    def acquire(self, key: str) -> Decision:
        """Count one call by `key` if the rate allows it; a denied call is not counted."""
        ...


class MemoryThrottle:
    """Per-process GCRA state behind one lock.

    The default clock is monotonic: the state never leaves the process, so it need not
    agree with anyone's wall clock, and a stepped system clock cannot lock keys out.
    """

    _MIN_PRUNE_AT = 1024

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._lock = threading.Lock()
        self._tats: dict[str, int] = {}
        self._prune_at = self._MIN_PRUNE_AT

    def acquire(self, key: str) -> Decision:
        with self._lock:
            now_us = to_us(self._clock())
            decision, new_tat_us = gcra_us(self._tats.get(key), now_us, self.rate)
            if new_tat_us is not None:
                self._tats[key] = new_tat_us
                self._prune_if_grown(now_us)
            return decision

    def __len__(self) -> int:
        """How many keys are remembered (those not back to a full allowance, give or take a prune)."""
        with self._lock:
            return len(self._tats)

    def _prune_if_grown(self, now_us: int) -> None:
        # A key whose TAT has passed is back to a full allowance: forgetting it changes nothing.
        # Sweeping only when the dict has doubled keeps the cost per call constant (amortised).
        if len(self._tats) < self._prune_at:
            return
        self._tats = {key: tat_us for key, tat_us in self._tats.items() if tat_us > now_us}
        self._prune_at = max(self._MIN_PRUNE_AT, 2 * len(self._tats))


# The database clock, in µs since the epoch. Every process and machine reads the same clock,
# so they agree on how much of a key's budget has refilled; their own clocks may be skewed by
# seconds, and a process running ahead would refill keys early and let extra calls through.
_DB_NOW_US = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
# `tat` is stored in seconds (a double) but all arithmetic is in whole µs, as in `gcra_us`:
# a double holds an epoch time to 0.24 µs, so seconds -> µs -> seconds round-trips exactly.
_TAT_US = "round(r.tat * 1000000)::bigint"
_NEW_TAT_US = f"greatest({_TAT_US}, (SELECT now_us FROM clock)) + :interval_us"

# Insert a fresh key, or advance its TAT only if the call is allowed; the row lock taken by
# ON CONFLICT serialises concurrent callers of one key, so no two of them spend the same token.
# No row comes back when the call is denied (the WHERE of DO UPDATE failed).
_TAKE = text(
    f"""
    WITH clock AS MATERIALIZED (SELECT {_DB_NOW_US} AS now_us)
    INSERT INTO rate_limits AS r (key, tat)
    SELECT :key, (clock.now_us + :interval_us)::float8 / 1000000 FROM clock
    ON CONFLICT (key) DO UPDATE
        SET tat = ({_NEW_TAT_US})::float8 / 1000000
        WHERE {_NEW_TAT_US} - (SELECT now_us FROM clock) <= :tolerance_us
    RETURNING {_TAT_US} AS tat_us, (SELECT now_us FROM clock) AS now_us
    """
)
_CURRENT = text(f"SELECT (SELECT {_TAT_US} FROM rate_limits AS r WHERE key = :key) AS tat_us, {_DB_NOW_US} AS now_us")
_PRUNE = text(f"DELETE FROM rate_limits AS r WHERE {_TAT_US} < {_DB_NOW_US}")


class PostgresThrottle:
    """GCRA state in the `rate_limits` table, shared by every process using the database.

    Each call runs in its own autocommit transaction on its own connection: the count is
    durable at once and is not undone when the tool's unit of work later rolls back.
    """

    # A denied call is followed by a read to price the wait; if the budget refilled in
    # between, taking is tried again (a race of microseconds, so a few tries suffice).
    _ATTEMPTS = 3
    _MIN_RETRY_AFTER_SECONDS = 0.001

    def __init__(self, engine: Engine, rate: Rate) -> None:
        self.engine = engine
        self.rate = rate

    def acquire(self, key: str) -> Decision:
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for _ in range(self._ATTEMPTS):
                taken = self._take(connection, key)
                if taken is not None:
                    return taken
                denied = self._price_denial(connection, key)
                if denied is not None:
                    return denied
        return Decision(False, self._MIN_RETRY_AFTER_SECONDS, 0)

    def prune(self) -> int:
        """Forget keys back to a full allowance (equivalent to never seen); returns how many."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            return connection.execute(_PRUNE).rowcount

    def _take(self, connection: Connection, key: str) -> Decision | None:
        params = {"key": key, "interval_us": self.rate.interval_us, "tolerance_us": self.rate.tolerance_us}
        row = connection.execute(_TAKE, params).one_or_none()
        if row is None:
            return None
        tat_us, now_us = int(row.tat_us), int(row.now_us)
        remaining = (self.rate.tolerance_us - (tat_us - now_us)) // self.rate.interval_us
        return Decision(True, 0.0, remaining)

    def _price_denial(self, connection: Connection, key: str) -> Decision | None:
        """The denial as of now, or None if the call would now pass (the caller tries again)."""
        row = connection.execute(_CURRENT, {"key": key}).one()
        tat_us = None if row.tat_us is None else int(row.tat_us)
        decision, _ = gcra_us(tat_us, int(row.now_us), self.rate)
        return None if decision.allowed else decision


def throttle_for(engine: Engine, rate: Rate) -> Throttle:
    """Shared state on PostgreSQL; per-process state on SQLite, whose store one process owns."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        return PostgresThrottle(engine, rate)
    if dialect == "sqlite":
        return MemoryThrottle(rate)
    raise ValueError(f"No rate limiter for the {dialect!r} dialect.")
