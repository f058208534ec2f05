"""Initial schema: organizations, locations, products, offers, retailer items.

Portable tables first; then the dialect-only search structures: on PostgreSQL a
generated geography(Point,4326) column with a GiST index, a generated tsvector
with GIN and a pg_trgm index on the term vocabulary; on SQLite an FTS5 table kept
in step with products by triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Mirrors localshelf.domain.geo.distance_km step for step (SQLite registers that Python
# function under the same name), so both backends filter and rank by the same number.
DISTANCE_FUNCTION = """
CREATE OR REPLACE FUNCTION localshelf_distance_km(
    lat1 double precision, lon1 double precision, lat2 double precision, lon2 double precision
) RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    a CONSTANT double precision := 6378.137;
    f CONSTANT double precision := 1 / 298.257223563::double precision;
    b1 double precision := atan((1 - f) * tan(radians(lat1)));
    b2 double precision := atan((1 - f) * tan(radians(lat2)));
    h double precision;
    sigma double precision;
    p double precision;
    q double precision;
    x double precision;
    y double precision;
BEGIN
    h := sin((b2 - b1) / 2) ^ 2 + cos(b1) * cos(b2) * sin(radians(lon2 - lon1) / 2) ^ 2;
    h := least(1.0, greatest(0.0, h));
    sigma := 2 * asin(sqrt(h));
    IF sigma < 1e-12 THEN
        RETURN 0.0;
    END IF;
    p := (b1 + b2) / 2;
    q := (b2 - b1) / 2;
    x := (sigma - sin(sigma)) * sin(p) ^ 2 * cos(q) ^ 2 / cos(sigma / 2) ^ 2;
    y := (sigma + sin(sigma)) * cos(p) ^ 2 * sin(q) ^ 2 / sin(sigma / 2) ^ 2;
    RETURN a * (sigma - f / 2 * (x + y));
END
$$
"""

POSTGRES_UP = (
    "CREATE EXTENSION IF NOT EXISTS postgis",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    DISTANCE_FUNCTION,
    "ALTER TABLE locations ADD COLUMN geog geography(Point, 4326) GENERATED ALWAYS AS "
    "(ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography) STORED",
    "CREATE INDEX ix_locations_geog ON locations USING gist (geog)",
    "ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, search_doc)) STORED",
    "CREATE INDEX ix_products_search_vector ON products USING gin (search_vector)",
    "CREATE INDEX ix_search_terms_trgm ON search_terms USING gin (term gin_trgm_ops)",
)
POSTGRES_DOWN = (
    "DROP FUNCTION IF EXISTS localshelf_distance_km(double precision, double precision, double precision, double precision)",
    "DROP INDEX IF EXISTS ix_search_terms_trgm",
    "DROP INDEX IF EXISTS ix_products_search_vector",
    "ALTER TABLE products DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS ix_locations_geog",
    "ALTER TABLE locations DROP COLUMN IF EXISTS geog",
)
SQLITE_UP = (
    "CREATE VIRTUAL TABLE product_fts USING fts5("
    "search_doc, content='products', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER product_fts_insert AFTER INSERT ON products BEGIN "
    "INSERT INTO product_fts(rowid, search_doc) VALUES (new.id, new.search_doc); END",
    "CREATE TRIGGER product_fts_delete AFTER DELETE ON products BEGIN "
    "INSERT INTO product_fts(product_fts, rowid, search_doc) VALUES ('delete', old.id, old.search_doc); END",
    "CREATE TRIGGER product_fts_update AFTER UPDATE OF search_doc ON products BEGIN "
    "INSERT INTO product_fts(product_fts, rowid, search_doc) VALUES ('delete', old.id, old.search_doc); "
    "INSERT INTO product_fts(rowid, search_doc) VALUES (new.id, new.search_doc); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS product_fts_update",
    "DROP TRIGGER IF EXISTS product_fts_delete",
    "DROP TRIGGER IF EXISTS product_fts_insert",
    "DROP TABLE IF EXISTS product_fts",
)


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('retailer', 'brand')", name=op.f("ck_organizations_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("public_id", name=op.f("uq_organizations_public_id")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("brand", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("image_urls", sa.JSON(), nullable=False),
        sa.Column("name_doc", sa.Text(), nullable=False),
        sa.Column("brand_doc", sa.Text(), nullable=False),
        sa.Column("category_doc", sa.Text(), nullable=False),
        sa.Column("search_doc", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("gtin", name=op.f("uq_products_gtin")),
        sa.UniqueConstraint("public_id", name=op.f("uq_products_public_id")),
    )
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_terms")),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("opening_hours", sa.JSON(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name=op.f("ck_locations_latitude_range")),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name=op.f("ck_locations_longitude_range")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_locations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("public_id", name=op.f("uq_locations_public_id")),
    )
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.create_index("ix_locations_lat_lon", ["latitude", "longitude"], unique=False)
        batch_op.create_index(batch_op.f("ix_locations_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "in_store_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity_on_hand", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("last_inventory_sync", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('manual', 'pos')", name=op.f("ck_in_store_offers_source")),
        sa.CheckConstraint(
            "status IN ('in_stock', 'low_stock', 'out_of_stock', 'discontinued')",
            name=op.f("ck_in_store_offers_status"),
        ),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_in_store_offers_price_non_negative")),
        sa.CheckConstraint("quantity_on_hand >= 0", name=op.f("ck_in_store_offers_quantity_non_negative")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_in_store_offers_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_in_store_offers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_in_store_offers_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_in_store_offers")),
        sa.UniqueConstraint("product_id", "location_id", "sku", name="uq_offer_product_location_sku"),
        sa.UniqueConstraint("public_id", name=op.f("uq_in_store_offers_public_id")),
    )
    with op.batch_alter_table("in_store_offers", schema=None) as batch_op:
        batch_op.create_index("ix_offers_location_status", ["location_id", "status"], unique=False)
        batch_op.create_index("ix_offers_organization_id", ["organization_id", "id"], unique=False)
        batch_op.create_index("ix_offers_product_location", ["product_id", "location_id"], unique=False)

    op.create_table(
        "retailer_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("quantity_on_hand", sa.Integer(), nullable=False),
        sa.Column("matched_product_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_retailer_items_price_non_negative")),
        sa.CheckConstraint("quantity_on_hand >= 0", name=op.f("ck_retailer_items_quantity_non_negative")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_retailer_items_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["matched_product_id"],
            ["products.id"],
            name=op.f("fk_retailer_items_matched_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_retailer_items_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retailer_items")),
        sa.UniqueConstraint("organization_id", "location_id", "sku", name="uq_retailer_item_org_location_sku"),
        sa.UniqueConstraint("public_id", name=op.f("uq_retailer_items_public_id")),
    )
    with op.batch_alter_table("retailer_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retailer_items_organization_id"), ["organization_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    else:
        for statement in SQLITE_DOWN:
            op.execute(statement)
    with op.batch_alter_table("retailer_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retailer_items_organization_id"))

    op.drop_table("retailer_items")
    with op.batch_alter_table("in_store_offers", schema=None) as batch_op:
        batch_op.drop_index("ix_offers_product_location")
        batch_op.drop_index("ix_offers_organization_id")
        batch_op.drop_index("ix_offers_location_status")

    op.drop_table("in_store_offers")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_locations_organization_id"))
        batch_op.drop_index("ix_locations_lat_lon")

    op.drop_table("locations")
    op.drop_table("search_terms")
    op.drop_table("products")
    op.drop_table("organizations")
