"""Shared fixtures: real databases (PostgreSQL+PostGIS and SQLite files) and real MCP client sessions.

Every test that takes `database`, `server` or `client` runs once per backend. PostGIS
comes from LOCALSHELF_TEST_POSTGRES_URL (scripts/test.sh provisions it); when it is
unreachable the PostGIS half FAILS under CI=true and is skipped, loudly, elsewhere.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.exc import OperationalError

from localshelf.config import Settings
from localshelf.domain.errors import ErrorCode
from localshelf.server.app import LocalshelfServer, build_server
from localshelf.store import migrate
from localshelf.store.db import Database, make_engine
from localshelf.store.models import Base

ERROR_CODES = frozenset(code.value for code in ErrorCode)
# "Writes nothing" is about data: the audit trail records every write attempt by design,
# and the rate-limit state counts calls.
RECORD_KEEPING_TABLES = frozenset({"audit_entries", "rate_limits"})
DATA_TABLES = [table for table in Base.metadata.sorted_tables if table.name not in RECORD_KEEPING_TABLES]
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/localshelf_test"
BACKENDS = ("sqlite", "postgis")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def postgres_url() -> str:
    return os.environ.get("LOCALSHELF_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@contextmanager
def _new_database(url: str, name: str) -> Iterator[str]:
    """An empty database `name` on `url`'s server, dropped on exit; yields its URL."""
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _private_database(url: str) -> Iterator[str]:
    """A database of this test run's own next to `url`'s, so parallel runs never share tables."""
    with _new_database(url, f"{make_url(url).database}_{os.getpid()}_{secrets.token_hex(3)}") as private:
        setup = create_engine(private, isolation_level="AUTOCOMMIT")
        with setup.connect() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        setup.dispose()
        yield private


@contextmanager
def bare_database(url: str) -> Iterator[str]:
    """An empty database with no schema and no extensions next to `url`'s: what `localshelf db upgrade` meets."""
    with _new_database(url, f"localshelf_bare_{secrets.token_hex(4)}") as bare:
        yield bare


@pytest.fixture(scope="session")
def postgis_engine_or_reason() -> Iterator[Any]:
    try:
        with _private_database(postgres_url()) as url:
            engine = make_engine(url)
            with engine.connect() as connection:
                connection.execute(text("SELECT postgis_version()"))
            migrate.upgrade(engine)
            yield engine
            Database(engine).dispose()  # the engine and the read pool made for it
    except OperationalError as exc:
        yield f"PostGIS unreachable at {postgres_url()}: {str(exc.orig or exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def _require_postgis(engine_or_reason: Any) -> Any:
    if isinstance(engine_or_reason, str):
        if IN_CI:
            pytest.fail(f"{engine_or_reason} (CI=true: PostGIS tests must run)")
        pytest.skip(f"SKIPPING POSTGIS: {engine_or_reason}")
    return engine_or_reason


def _truncate_all(engine: Any) -> None:
    """Empty every table. DELETE, children first: on a few rows it is many times faster than TRUNCATE,
    which rewrites each table's files (and a test pays this before it starts)."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sqlite_database(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database file of this test's own."""
    path = tmp_path / "localshelf.db"
    shutil.copyfile(sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest) -> Database:
    if backend == "postgis":
        engine = _require_postgis(request.getfixturevalue("postgis_engine_or_reason"))
        _truncate_all(engine)
        return Database(engine)
    sqlite_database: Database = request.getfixturevalue("sqlite_database")
    return sqlite_database


@pytest.fixture
def postgis_database(request: pytest.FixtureRequest) -> Database:
    engine = _require_postgis(request.getfixturevalue("postgis_engine_or_reason"))
    _truncate_all(engine)
    return Database(engine)


FIXED_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: FIXED_NOW


@pytest.fixture
def server(database: Database, clock: Callable[[], datetime]) -> LocalshelfServer:
    return build_server(Settings(database_url="sqlite://", sync_worker=False), database=database, clock=clock)


@pytest.fixture
async def client(server: LocalshelfServer) -> AsyncIterator[Client]:
    async with Client(server) as session:
        yield session


class ToolCallFailed(AssertionError):
    """A tool call that had to succeed came back as an error."""


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured content."""
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise ToolCallFailed(f"{tool} failed: {result.content[0].text if result.content else result}")
    assert result.structured_content is not None
    return result.structured_content


async def call_error(client: Client, tool: str, **arguments: Any) -> tuple[str, str]:
    """Call a tool that must fail; return (code, message) from its one text line `<code>: <message>`."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} unexpectedly succeeded: {result.structured_content}"
    assert result.structured_content is None  # clients validate it against the output schema
    assert len(result.content) == 1
    text_line = result.content[0].text  # type: ignore[union-attr]
    code, _, message = text_line.partition(": ")
    assert code in ERROR_CODES, text_line
    assert "Traceback" not in text_line and 'File "' not in text_line
    return code, message


def row_counts(database: Database) -> dict[str, int]:
    with database.session() as session:
        return {table.name: int(session.scalar(select(func.count()).select_from(table)) or 0) for table in DATA_TABLES}


def table_rows(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every mapped row of every table, in primary-key order: "nothing written" means this is unchanged."""
    with database.session() as session:
        return {
            table.name: [tuple(row) for row in session.execute(select(table).order_by(*table.primary_key.columns))]
            for table in DATA_TABLES
        }


def sqlite_engine(path: Path) -> Any:
    return create_engine(f"sqlite:///{path}")


__all__ = ["FIXED_NOW", "OperationalError", "call", "call_error", "row_counts", "table_rows"]
