"""PostgreSQL's read pool and single-statement pool: read-only units, and write units of one repeat-safe statement,
run in autocommit without pre-ping; a read unit cannot write."""

from __future__ import annotations

import pytest
from mcp import Client
from sqlalchemy import text
from sqlalchemy.exc import InternalError

from localshelf.config import Settings
from localshelf.server.app import build_server
from localshelf.store import migrate
from localshelf.store.db import Database, UnitOfWork, make_engine
from tests.conftest import _private_database, call, call_error, postgres_url, row_counts


def _backend_pid(uow: UnitOfWork) -> int:
    return int(uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _in_transaction_block(uow: UnitOfWork) -> bool:
    # now() is the transaction's start: two statements in one transaction see the same value.
    first = uow.session.execute(text("SELECT clock_timestamp(), now()")).one()
    second = uow.session.execute(text("SELECT now()")).scalar_one()
    return bool(first[1] == second and first[0] > first[1])


def test_a_read_unit_cannot_write(postgis_database: Database) -> None:
    def write(uow: UnitOfWork) -> None:
        uow.session.execute(text("CREATE TEMPORARY TABLE must_not_exist (a int)"))

    with pytest.raises(InternalError, match="read-only transaction"):
        postgis_database.transaction(write, read_only=True)


def test_a_write_unit_is_one_transaction_and_a_read_unit_is_not(postgis_database: Database) -> None:
    assert postgis_database.transaction(_in_transaction_block) is True
    assert postgis_database.transaction(_in_transaction_block, read_only=True) is False


def test_a_read_survives_the_server_dropping_its_pooled_connection(postgis_database: Database) -> None:
    pid = postgis_database.transaction(_backend_pid, read_only=True)

    def terminate(uow: UnitOfWork) -> bool:
        return bool(uow.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one())

    assert postgis_database.transaction(terminate) is True
    # The pooled connection is dead; without pre-ping the first attempt fails and the unit goes again.
    again = postgis_database.transaction(_backend_pid, read_only=True)
    assert again != pid


def test_a_single_statement_unit_is_its_own_transaction_and_survives_a_dropped_connection(
    postgis_database: Database,
) -> None:
    assert postgis_database.transaction(_in_transaction_block, single_statement=True) is False
    pid = postgis_database.transaction(_backend_pid, single_statement=True)

    def terminate(uow: UnitOfWork) -> bool:
        return bool(uow.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one())

    assert postgis_database.transaction(terminate) is True
    # the pooled connection is dead; without pre-ping the first attempt fails and the unit goes again
    assert postgis_database.transaction(_backend_pid, single_statement=True) != pid


def test_on_sqlite_a_single_statement_unit_is_an_ordinary_write_unit(sqlite_database: Database) -> None:
    def write_then_fail(uow: UnitOfWork) -> None:
        uow.session.execute(text("CREATE TABLE single_statement_probe (a int)"))
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        sqlite_database.transaction(write_then_fail, single_statement=True)
    tables = sqlite_database.transaction(
        lambda uow: uow.session.execute(
            text("SELECT name FROM sqlite_master WHERE name = 'single_statement_probe'")
        ).all()
    )
    assert tables == []


@pytest.mark.anyio
async def test_reads_go_to_the_replica_url_and_writes_to_the_primary(postgis_database: Database) -> None:
    """LOCALSHELF_READ_DATABASE_URL: read-only tools answer from the replica; writes never reach it. The
    "replica" here is a second, empty database, so where each call went shows in what it sees."""
    primary_url = postgis_database.engine.url.render_as_string(hide_password=False)
    with _private_database(postgres_url()) as replica_url:
        replica = make_engine(replica_url)
        migrate.upgrade(replica)
        split = Database(postgis_database.engine, read_url=replica_url)
        settings = Settings(database_url=primary_url, read_database_url=replica_url, sync_worker=False)
        try:
            async with Client(build_server(settings, database=split)) as client:
                organization = await call(client, "create_organization", name="Replica Hardware", kind="retailer")
                seen = await call(client, "find_locations", latitude=45.5, longitude=-122.6)
                fetched = await call_error(client, "get_organization", organization_id=organization["id"])
            assert seen["locations"] == []
            assert fetched[0] == "not_found"  # the replica has not caught up (it never will: no replication here)
            assert row_counts(Database(replica))["organizations"] == 0
            assert row_counts(postgis_database)["organizations"] == 1
        finally:
            split.dispose()
            replica.dispose()


def test_a_replica_url_needs_postgresql(sqlite_database: Database) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        Database(sqlite_database.engine, read_url="postgresql+psycopg://replica.invalid/db")
