"""Alembic environment: one migration history for PostgreSQL+PostGIS and SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from localshelf.store.migrate import include_object
from localshelf.store.models import Base

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        run(conn)
