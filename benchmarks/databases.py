"""A fresh, migrated database per suite, scale and backend, dropped afterwards.

PostGIS: `localshelf_bench_<suite>_<scale>` on the server at `LOCALSHELF_BENCH_POSTGRES_URL`;
SQLite: a file in the work directory. Any suite can use `bench_database`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from localshelf.store import migrate
from localshelf.store.db import Database, make_engine

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgis")


def postgres_server_url() -> str:
    return os.environ.get("LOCALSHELF_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def database_url(backend: str, name: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'{name}.db'}"
    if backend == "postgis":
        return make_url(postgres_server_url()).set(database=name).render_as_string(hide_password=False)
    raise ValueError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")


def postgres_settings() -> str:
    """The server settings the PostGIS figures depend on, for the report (empty when the server is unreachable)."""
    names = ("server_version", "shared_buffers", "effective_cache_size", "work_mem", "jit")
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            return "PostgreSQL " + ", ".join(
                f"{name} {connection.exec_driver_sql(f'SHOW {name}').scalar_one()}" for name in names
            )
    except OperationalError:
        return ""
    finally:
        admin.dispose()


def _admin_engine() -> Engine:
    return make_engine(postgres_server_url()).execution_options(isolation_level="AUTOCOMMIT")


def _recreate_postgres(name: str) -> None:
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def _drop_postgres(name: str) -> None:
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def bench_database(suite: str, scale: str, backend: str, workdir: Path) -> Iterator[Database]:
    """An empty database at the schema's head, e.g. `localshelf_bench_search_town`; removed on exit."""
    name = f"localshelf_bench_{suite}_{scale}"
    workdir.mkdir(parents=True, exist_ok=True)
    url = database_url(backend, name, workdir)
    sqlite_path = workdir / f"{name}.db"
    if backend == "postgis":
        _recreate_postgres(name)
    else:
        _remove_sqlite(sqlite_path)
    database = Database.from_url(url)
    try:
        if backend == "postgis":
            with database.engine.begin() as connection:
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration, per database
        migrate.upgrade(database.engine)
        yield database
    finally:
        database.dispose()
        if backend == "postgis":
            _drop_postgres(name)
        else:
            _remove_sqlite(sqlite_path)
