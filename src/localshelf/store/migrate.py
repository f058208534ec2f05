"""Run Alembic programmatically: `localshelf db upgrade` and the embedded store's auto-upgrade."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Created by hand in the migrations (for one dialect only, or an expression index reflection cannot read);
# autogenerate must not touch them.
DIALECT_ONLY = frozenset(
    {
        "geog",
        "search_vector",
        "product_fts",
        "spatial_ref_sys",
        "ix_locations_geog",
        "ix_products_search_vector",
        "ix_search_terms_trgm",
        "ix_products_brand_lower",
        "ix_offers_search_cover",
        "ix_offers_product_cover",
    }
)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (name in DIALECT_ONLY or (name or "").startswith("product_fts_"))


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def pending(engine: Engine) -> bool:
    return current_revision(engine) != head_revision(engine)
