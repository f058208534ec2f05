"""The `localshelf` command as a user runs it: db upgrade on a bare PostGIS database, demo load on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from localshelf.store import migrate
from localshelf.store.db import Database, make_engine
from tests.conftest import bare_database, postgres_url, row_counts


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOCALSHELF_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "localshelf", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _url(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def bare_postgres_database(postgis_database: Database) -> Iterator[str]:
    """An empty database with no extensions: what `localshelf db upgrade` meets in production."""
    with bare_database(postgres_url()) as url:
        yield url


def test_db_upgrade_prepares_a_bare_postgres_database(bare_postgres_database: str) -> None:
    stale = run_cli(bare_postgres_database, "serve")
    assert stale.returncode == 2
    assert "localshelf db upgrade" in stale.stderr
    assert "Traceback" not in stale.stderr

    upgraded = run_cli(bare_postgres_database, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    engine = make_engine(bare_postgres_database)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    with engine.connect() as connection:
        extensions = set(connection.scalars(text("SELECT extname FROM pg_extension")))
    engine.dispose()
    assert {"postgis", "pg_trgm"} <= extensions


def test_demo_load_fills_the_store_once_and_reports_what_it_loaded(database: Database) -> None:
    first = run_cli(_url(database), "demo", "load")
    assert first.returncode == 0, first.stderr
    assert "Loaded" in first.stdout
    assert "in_store_offers: " in first.stderr and "\r" not in first.stderr  # not a terminal: plain lines
    counts = row_counts(database)
    assert counts["locations"] >= 50
    assert counts["products"] >= 500
    assert counts["in_store_offers"] >= 5000

    again = run_cli(_url(database), "demo", "load")
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stdout
    assert row_counts(database) == counts


def test_an_unreachable_database_is_one_clear_line() -> None:
    result = run_cli("postgresql+psycopg://nobody:secret@127.0.0.1:1/none", "demo", "load")
    assert result.returncode == 2
    assert result.stderr.startswith("localshelf: unavailable: Cannot reach the database")
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr
