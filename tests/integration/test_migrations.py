"""One migration history serves both backends: it upgrades, matches the models, and downgrades cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from localshelf.store import migrate
from localshelf.store.db import Database, make_engine
from localshelf.store.migrate import include_object
from localshelf.store.models import Base


# SQLite cannot reflect the expression index on lower(brand); it is excluded from the comparison (migrate.py).
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert compare_metadata(context, Base.metadata) == []


def test_a_fresh_sqlite_file_upgrades_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(engine)
    assert not migrate.pending(engine)
    assert {"product_fts", "in_store_offers"} <= set(inspect(engine).get_table_names())
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    engine.dispose()


def test_postgis_gets_the_geography_column_and_its_indexes(postgis_database: Database) -> None:
    with postgis_database.engine.connect() as connection:
        geog_type = connection.scalar(
            text(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'locations'::regclass AND attname = 'geog'"
            )
        )
        indexes = {
            row[0]: row[1]
            for row in connection.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
            )
        }
    assert geog_type == "geography(Point,4326)"
    assert "USING gist (geog)" in indexes["ix_locations_geog"]
    assert "USING gin (search_vector)" in indexes["ix_products_search_vector"]
    assert "gin_trgm_ops" in indexes["ix_search_terms_trgm"]
