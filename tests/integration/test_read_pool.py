"""PostgreSQL's read pool: read-only units run in autocommit on read-only connections, without pre-ping."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import InternalError

from localshelf.store.db import Database, UnitOfWork


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
