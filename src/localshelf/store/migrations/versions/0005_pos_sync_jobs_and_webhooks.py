"""POS staging (items, stock), sync jobs, webhook endpoints and events; offers and retailer items point at their POS item.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
    with op.batch_alter_table("connect_grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("install_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_connect_grants_install_token_hash"), ["install_token_hash"])

    op.create_table(
        "pos_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("product_external_id", sa.String(length=255), nullable=False),
        sa.Column("inventory_item_id", sa.String(length=255), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("barcode", sa.String(length=64), nullable=True),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("brand", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("image_urls", sa.JSON(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("pos_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_pos_items_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_items")),
        sa.UniqueConstraint("integration_id", "external_id", name="uq_pos_item"),
    )
    with op.batch_alter_table("pos_items", schema=None) as batch_op:
        batch_op.create_index("ix_pos_items_inventory_item", ["integration_id", "inventory_item_id"], unique=False)
        batch_op.create_index("ix_pos_items_product", ["integration_id", "product_external_id"], unique=False)

    op.create_table(
        "pos_stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("inventory_item_id", sa.String(length=255), nullable=False),
        sa.Column("location_external_id", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("pos_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_pos_stock_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_stock")),
        sa.UniqueConstraint("integration_id", "inventory_item_id", "location_external_id", name="uq_pos_stock"),
    )
    op.create_table(
        "sync_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("checkpoint", sa.JSON(), nullable=True),
        sa.Column("products_seen", sa.Integer(), nullable=False),
        sa.Column("items_seen", sa.Integer(), nullable=False),
        sa.Column("stock_levels_seen", sa.Integer(), nullable=False),
        sa.Column("offers_created", sa.Integer(), nullable=False),
        sa.Column("offers_updated", sa.Integer(), nullable=False),
        sa.Column("offers_unchanged", sa.Integer(), nullable=False),
        sa.Column("offers_removed", sa.Integer(), nullable=False),
        sa.Column("retailer_items", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.String(length=500), nullable=True),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("runner_token", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('full', 'incremental', 'manual')", name=op.f("ck_sync_jobs_kind")),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name=op.f("ck_sync_jobs_state")
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_sync_jobs_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sync_jobs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_jobs")),
        sa.UniqueConstraint("public_id", name=op.f("uq_sync_jobs_public_id")),
    )
    with op.batch_alter_table("sync_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_sync_jobs_integration", ["integration_id", "id"], unique=False)
        batch_op.create_index("ix_sync_jobs_state", ["state", "id"], unique=False)
        batch_op.create_index(
            "uq_sync_jobs_one_active",
            ["integration_id"],
            unique=True,
            postgresql_where=sa.text("state IN ('queued', 'running')"),
            sqlite_where=sa.text("state IN ('queued', 'running')"),
        )

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("subscription_ids", sa.JSON(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_token_hash", sa.String(length=64), nullable=True),
        sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_delivery_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deliveries_accepted", sa.Integer(), nullable=False),
        sa.Column("deliveries_duplicate", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_webhook_endpoints_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_endpoints_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint("integration_id", name=op.f("uq_webhook_endpoints_integration_id")),
        sa.UniqueConstraint("previous_token_hash", name=op.f("uq_webhook_endpoints_previous_token_hash")),
        sa.UniqueConstraint("public_id", name=op.f("uq_webhook_endpoints_public_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_webhook_endpoints_token_hash")),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'applied', 'ignored', 'failed')", name=op.f("ck_webhook_events_state")
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_webhook_events_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("integration_id", "event_id", name="uq_webhook_event"),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_events_state", ["state", "id"], unique=False)

    with op.batch_alter_table("in_store_offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pos_item_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_offers_pos_item_location", ["pos_item_id", "location_id"], unique=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_in_store_offers_pos_item_id_pos_items"),
            "pos_items",
            ["pos_item_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("retailer_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pos_item_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_retailer_items_pos_item_id"), ["pos_item_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_retailer_items_pos_item_id_pos_items"),
            "pos_items",
            ["pos_item_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:

    with op.batch_alter_table("retailer_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_retailer_items_pos_item_id_pos_items"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_retailer_items_pos_item_id"))
        batch_op.drop_column("pos_item_id")

    with op.batch_alter_table("in_store_offers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_in_store_offers_pos_item_id_pos_items"), type_="foreignkey")
        batch_op.drop_index("ix_offers_pos_item_location")
        batch_op.drop_column("pos_item_id")

    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_state")

    op.drop_table("webhook_events")
    op.drop_table("webhook_endpoints")
    with op.batch_alter_table("sync_jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sync_jobs_one_active",
            postgresql_where=sa.text("state IN ('queued', 'running')"),
            sqlite_where=sa.text("state IN ('queued', 'running')"),
        )
        batch_op.drop_index("ix_sync_jobs_state")
        batch_op.drop_index("ix_sync_jobs_integration")

    op.drop_table("sync_jobs")
    op.drop_table("pos_stock")
    with op.batch_alter_table("pos_items", schema=None) as batch_op:
        batch_op.drop_index("ix_pos_items_product")
        batch_op.drop_index("ix_pos_items_inventory_item")

    op.drop_table("pos_items")
    with op.batch_alter_table("connect_grants", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_connect_grants_install_token_hash"), type_="unique")
        batch_op.drop_column("install_token_hash")
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_column("currency")
