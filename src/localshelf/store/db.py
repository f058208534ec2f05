"""Engine, sessions and the one place a unit of work is opened, committed or rolled back."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import anyio.to_thread
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from localshelf.domain.auth import OPERATOR, Principal
from localshelf.domain.errors import ErrorCode, Unavailable
from localshelf.domain.geo import distance_km
from localshelf.store import migrate
from localshelf.store.dialects import DISTANCE_FUNCTION, Dialect, dialect_for

T = TypeVar("T")

_BEGIN_MODE = "localshelf_sqlite_begin"


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, issue BEGIN (see `_begin_sqlite`); this also makes SAVEPOINT work.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys = ON")
    dbapi_connection.execute("PRAGMA journal_mode = WAL")
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")
    dbapi_connection.execute("PRAGMA busy_timeout = 10000")
    # PostgreSQL has the same function in plpgsql (see the initial migration).
    dbapi_connection.create_function(DISTANCE_FUNCTION, 4, distance_km, deterministic=True)


def _begin_sqlite(connection: Connection) -> None:
    # A write unit takes the write lock up front (BEGIN IMMEDIATE): a deferred transaction that
    # reads and then writes can fail at once with SQLITE_BUSY when another writer got in first.
    mode = connection.get_execution_options().get(_BEGIN_MODE, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def is_deadlock(error: DBAPIError) -> bool:
    """PostgreSQL broke a lock cycle by rolling this unit back (SQLSTATE 40P01): the unit may simply run again."""
    return getattr(error.orig, "sqlstate", None) == "40P01"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    # No server-side prepared statements: after five runs psycopg would prepare a statement, and
    # PostgreSQL may then reuse one generic plan for every search, planned without knowing how many
    # stores are nearby or how many products a word matches (3x slower searches, measured by the
    # search benchmark). Each statement is planned for its own parameters instead.
    return create_engine(
        parsed, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"prepare_threshold": None}
    )


def make_read_engine(url: str | URL) -> Engine:
    """PostgreSQL only: the pool read-only units of work run on. Every statement is its own read-only
    transaction (`default_transaction_read_only` set at connect, autocommit), so a read pays no BEGIN,
    COMMIT or pre-ping round trip (three of the five round trips of a search); a stale connection is
    retried once instead (`Database.transaction`). A write on it fails, as in a READ ONLY transaction."""
    return _autocommit_engine(url, "-c default_transaction_read_only=on")


def _autocommit_engine(url: str | URL, options: str | None = None) -> Engine:
    connect_args: dict[str, Any] = {"prepare_threshold": None}
    if options:
        connect_args["options"] = options
    return create_engine(url, pool_size=10, max_overflow=10, isolation_level="AUTOCOMMIT", connect_args=connect_args)


_read_engines: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()
_statement_engines: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def _read_engine_of(engine: Engine) -> Engine:
    """One read pool per engine, however many `Database`s share the engine (the tests do)."""
    if engine not in _read_engines:
        _read_engines[engine] = make_read_engine(engine.url)
    return _read_engines[engine]


def _statement_engine_of(engine: Engine) -> Engine:
    """One autocommit write pool per engine, for units that are a single statement (`Database.transaction`)."""
    if engine not in _statement_engines:
        _statement_engines[engine] = _autocommit_engine(engine.url)
    return _statement_engines[engine]


@dataclass(frozen=True, slots=True)
class UnitOfWork:
    """What a service gets: this unit of work's session, the backend's dialect rules, and who acts."""

    session: Session
    dialect: Dialect
    actor: Principal = OPERATOR


class Database:
    """Owns the engine; runs each unit of work in a worker thread with its own session."""

    def __init__(self, engine: Engine, read_url: str | None = None) -> None:
        """`read_url`: PostgreSQL only, where read-only units go instead of `engine`'s database (a streaming
        replica: reads then lag the primary by the replication delay)."""
        self.engine = engine
        self.dialect: str = engine.dialect.name
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.rules: Dialect = dialect_for(self.dialect)
        self._reads: Engine | None = None
        self._statements: Engine | None = None
        if self.dialect == "postgresql":
            self._reads = make_read_engine(read_url) if read_url else _read_engine_of(engine)
            self._statements = _statement_engine_of(engine)
        elif read_url:
            raise ValueError("a read replica URL needs a PostgreSQL database")

    @classmethod
    def from_url(cls, url: str, read_url: str | None = None) -> Database:
        return cls(make_engine(url), read_url)

    def prepare(self, auto_migrate: bool) -> None:
        """Bring the schema to head (embedded store) or refuse to start on a stale one."""
        try:
            if auto_migrate:
                migrate.upgrade(self.engine)
            elif migrate.pending(self.engine):
                raise Unavailable(
                    "The database schema is not up to date: run `localshelf db upgrade`.",
                    ErrorCode.UNAVAILABLE,
                )
        except OperationalError as exc:
            reason = (str(exc.orig).strip().splitlines() or [exc.orig.__class__.__name__])[0]
            raise Unavailable(f"Cannot reach the database at {self.engine.url!r}: {reason}") from exc

    def transaction(
        self,
        fn: Callable[..., T],
        *args: Any,
        read_only: bool = False,
        single_statement: bool = False,
        actor: Principal = OPERATOR,
        **kwargs: Any,
    ) -> T:
        """Run `fn(unit_of_work, ...)`; commit if it returns, roll back if it raises.

        Read-only units run on PostgreSQL's read pool (`make_read_engine`) and take no write lock on SQLite.
        `single_statement`: `fn` writes with exactly one statement, which is safe to run twice (PostgreSQL runs it
        in autocommit, one round trip instead of four: no pre-ping, BEGIN or COMMIT; a dropped connection is
        retried once). The webhook endpoints' deduplicating store is one.
        """
        if read_only and self._reads is not None:
            return self._retried_once(self._reads, fn, actor, *args, **kwargs)
        if single_statement and self._statements is not None:
            return self._retried_once(self._statements, fn, actor, *args, **kwargs)
        mode = {_BEGIN_MODE: "DEFERRED" if read_only else "IMMEDIATE"} if self.dialect == "sqlite" else {}
        return self._unit(self.engine.connect().execution_options(**mode), fn, actor, *args, **kwargs)

    def _retried_once(self, pool: Engine, fn: Callable[..., T], actor: Principal, *args: Any, **kwargs: Any) -> T:
        try:
            return self._unit(pool.connect(), fn, actor, *args, **kwargs)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # The server dropped a pooled connection (a restart); the pool is renewed, the unit can go again.
            return self._unit(pool.connect(), fn, actor, *args, **kwargs)

    def _unit(self, connection: Connection, fn: Callable[..., T], actor: Principal, *args: Any, **kwargs: Any) -> T:
        with connection, self._sessions(bind=connection) as session, session.begin():
            return fn(UnitOfWork(session, self.rules, actor), *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A read-write unit of work in a worker thread."""
        return await anyio.to_thread.run_sync(partial(self.transaction, fn, *args, **kwargs))

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A read-only unit of work in a worker thread."""
        return await anyio.to_thread.run_sync(partial(self.transaction, fn, *args, read_only=True, **kwargs))

    def session(self) -> Session:
        return self._sessions()

    def dispose(self) -> None:
        self.engine.dispose()
        for pool in (self._reads, self._statements):
            if pool is not None:
                pool.dispose()
