"""Inventory movements and per-offer stock rules, GTINs matched to barcode-less POS items, brands and their
claims (with GS1 company prefixes), and daily search impressions and demand per coarse area.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_products_brand_lower", "products", [sa.text("lower(brand)")])
    op.create_table(
        "brands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("name_key", name=op.f("uq_brands_name_key")),
        sa.UniqueConstraint("public_id", name=op.f("uq_brands_public_id")),
    )
    op.create_table(
        "brand_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("evidence_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=300), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'verified', 'rejected')", name=op.f("ck_brand_claims_status")),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_brand_claims_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_brand_claims_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_claims")),
        sa.UniqueConstraint("organization_id", "brand_id", name="uq_brand_claim"),
        sa.UniqueConstraint("public_id", name=op.f("uq_brand_claims_public_id")),
    )
    with op.batch_alter_table("brand_claims", schema=None) as batch_op:
        batch_op.create_index("ix_brand_claims_brand_status", ["brand_id", "status"], unique=False)

    op.create_table(
        "search_demand_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cell", sa.String(length=24), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("brand_id", sa.Integer(), nullable=True),
        sa.Column("cell_latitude", sa.Float(), nullable=False),
        sa.Column("cell_longitude", sa.Float(), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("unmet", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_search_demand_daily_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_search_demand_daily_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_demand_daily")),
        sa.UniqueConstraint("day", "cell", "subject", name="uq_search_demand"),
    )
    with op.batch_alter_table("search_demand_daily", schema=None) as batch_op:
        batch_op.create_index("ix_search_demand_brand", ["brand_id", "day"], unique=False)
        batch_op.create_index("ix_search_demand_product", ["product_id", "day"], unique=False)

    op.create_table(
        "brand_claim_prefixes",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["brand_claims.id"],
            name=op.f("fk_brand_claim_prefixes_claim_id_brand_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("claim_id", "prefix", name=op.f("pk_brand_claim_prefixes")),
    )
    with op.batch_alter_table("brand_claim_prefixes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_brand_claim_prefixes_prefix"), ["prefix"], unique=False)

    op.create_table(
        "search_impressions_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_search_impressions_daily_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_search_impressions_daily_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_search_impressions_daily_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "location_id", "product_id", name=op.f("pk_search_impressions_daily")),
    )
    with op.batch_alter_table("search_impressions_daily", schema=None) as batch_op:
        batch_op.create_index("ix_impressions_organization_day", ["organization_id", "day"], unique=False)

    op.create_table(
        "inventory_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("pos_item_id", sa.Integer(), nullable=True),
        sa.Column("location_external_id", sa.String(length=255), nullable=True),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("quantity_after", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('sale', 'return', 'refund', 'restock', 'adjustment', 'shrinkage')",
            name=op.f("ck_inventory_movements_reason"),
        ),
        sa.CheckConstraint("source IN ('manual', 'pos')", name=op.f("ck_inventory_movements_source")),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["in_store_offers.id"],
            name=op.f("fk_inventory_movements_offer_id_in_store_offers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inventory_movements_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pos_item_id"],
            ["pos_items.id"],
            name=op.f("fk_inventory_movements_pos_item_id_pos_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_movements")),
        sa.UniqueConstraint("organization_id", "external_id", name="uq_movement_external_id"),
        sa.UniqueConstraint("public_id", name=op.f("uq_inventory_movements_public_id")),
    )
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.create_index("ix_movements_offer_occurred", ["offer_id", "occurred_at"], unique=False)

    with op.batch_alter_table("in_store_offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("low_stock_threshold", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reorder_point", sa.Integer(), nullable=True))

    with op.batch_alter_table("pos_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matched_gtin", sa.String(length=14), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_products_brand_lower", table_name="products")
    with op.batch_alter_table("pos_items", schema=None) as batch_op:
        batch_op.drop_column("matched_gtin")

    with op.batch_alter_table("in_store_offers", schema=None) as batch_op:
        batch_op.drop_column("reorder_point")
        batch_op.drop_column("low_stock_threshold")

    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_movements_offer_occurred")

    op.drop_table("inventory_movements")
    with op.batch_alter_table("search_impressions_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_impressions_organization_day")

    op.drop_table("search_impressions_daily")
    with op.batch_alter_table("brand_claim_prefixes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_brand_claim_prefixes_prefix"))

    op.drop_table("brand_claim_prefixes")
    with op.batch_alter_table("search_demand_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_search_demand_product")
        batch_op.drop_index("ix_search_demand_brand")

    op.drop_table("search_demand_daily")
    with op.batch_alter_table("brand_claims", schema=None) as batch_op:
        batch_op.drop_index("ix_brand_claims_brand_status")

    op.drop_table("brand_claims")
    op.drop_table("brands")
