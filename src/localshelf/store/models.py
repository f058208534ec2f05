"""The relational model, shared by both backends.

Dialect-only columns (PostGIS `geog`, the tsvector) and the SQLite FTS5 table are
created by the migrations and reached through `localshelf.store.dialects`; the ORM
never maps them, so everything here is portable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from localshelf.store.types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ORGANIZATION_KINDS = ("retailer", "brand")
OFFER_STATUSES = ("in_stock", "low_stock", "out_of_stock", "discontinued")
OFFER_SOURCES = ("manual", "pos")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint(_in("kind", ORGANIZATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    website: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (
        Index("ix_locations_lat_lon", "latitude", "longitude"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str | None] = mapped_column(String(64))
    opening_hours: Mapped[dict[str, list[list[str]]] | None] = mapped_column(JSON)
    phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(500))
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(lazy="raise")


class Product(Base):
    """A global product, keyed by GTIN-14.

    The `*_doc` columns hold `localshelf.domain.text.search_document` output: the
    tokenised text both backends search, so matching is identical on each.
    """

    __tablename__ = "products"
    # ix_products_brand_lower (an expression index on lower(brand), for store/brands.py) is made by migration 0008

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    gtin: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(200))
    image_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    name_doc: Mapped[str] = mapped_column(Text)
    brand_doc: Mapped[str] = mapped_column(Text)
    category_doc: Mapped[str] = mapped_column(Text)
    search_doc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InStoreOffer(Base):
    __tablename__ = "in_store_offers"
    __table_args__ = (
        UniqueConstraint("product_id", "location_id", "sku", name="uq_offer_product_location_sku"),
        CheckConstraint(_in("status", OFFER_STATUSES), name="status"),
        CheckConstraint(_in("source", OFFER_SOURCES), name="source"),
        CheckConstraint("quantity_on_hand >= 0", name="quantity_non_negative"),
        CheckConstraint("price_minor >= 0", name="price_non_negative"),
        Index("ix_offers_organization_id", "organization_id", "id"),
        Index("ix_offers_pos_item_location", "pos_item_id", "location_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    sku: Mapped[str] = mapped_column(String(64))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    quantity_on_hand: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8), default="manual")
    last_inventory_sync: Mapped[datetime | None] = mapped_column()
    # Per-offer stock rules (None: the default low-stock level; no reorder alert).
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer)
    reorder_point: Mapped[int | None] = mapped_column(Integer)
    # The POS variant this offer mirrors (None for manual offers); a sync owns such offers.
    pos_item_id: Mapped[int | None] = mapped_column(ForeignKey("pos_items.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    location: Mapped[Location] = relationship(lazy="raise")
    product: Mapped[Product] = relationship(lazy="raise")
    organization: Mapped[Organization] = relationship(lazy="raise")


class RetailerItem(Base):
    """A retailer's product without a usable barcode; matched to a GTIN later."""

    __tablename__ = "retailer_items"
    __table_args__ = (
        UniqueConstraint("organization_id", "location_id", "sku", name="uq_retailer_item_org_location_sku"),
        CheckConstraint("quantity_on_hand >= 0", name="quantity_non_negative"),
        CheckConstraint("price_minor >= 0", name="price_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    sku: Mapped[str] = mapped_column(String(64))
    price_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    quantity_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    matched_product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    pos_item_id: Mapped[int | None] = mapped_column(ForeignKey("pos_items.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchTerm(Base):
    """Vocabulary of indexed product terms, for typo-tolerant query correction."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)


ROLES = ("owner", "manager", "staff")


class User(Base):
    """A person known by the OAuth `sub` of the configured authorization server."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    subject: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "organization_id", name="uq_membership_user_organization"),
        CheckConstraint(_in("role", ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An API key: shown once, stored as a SHA-256 hash, found by its short prefix."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class AuditEntry(Base):
    """One write attempt: who, what, when, and how it ended."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_organization_id", "organization_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    principal: Mapped[str] = mapped_column(String(255))
    key_prefix: Mapped[str | None] = mapped_column(String(16))
    tool: Mapped[str] = mapped_column(String(64))
    target_ids: Mapped[list[str]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class RateLimit(Base):
    """GCRA state per throttle key (shared by every process on PostgreSQL; unused on SQLite)."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    tat: Mapped[float] = mapped_column(Float)


PROVIDERS = ("shopify", "square", "clover", "lightspeed")
INTEGRATION_STATUSES = ("pending", "connected", "error", "reauthorization_required", "disconnected")
GRANT_STATUSES = ("pending", "approved", "denied", "connected", "expired")


class Integration(Base):
    """A POS account connected to an organization (the seed's InventorySource)."""

    __tablename__ = "integrations"
    __table_args__ = (
        UniqueConstraint("organization_id", "provider", "external_account", name="uq_integration_account"),
        CheckConstraint(_in("provider", PROVIDERS), name="provider"),
        CheckConstraint(_in("status", INTEGRATION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    external_account: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column()  # None: the access token does not expire
    error_message: Mapped[str | None] = mapped_column(String(500))
    currency: Mapped[str | None] = mapped_column(String(3))  # the shop's, learned by the first sync
    prices_include_tax: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    connected_at: Mapped[datetime | None] = mapped_column()
    last_sync_at: Mapped[datetime | None] = mapped_column()
    disconnected_at: Mapped[datetime | None] = mapped_column()


class ConnectGrant(Base):
    """One headless connect (RFC 8628 device authorization grant); codes are stored hashed."""

    __tablename__ = "connect_grants"
    __table_args__ = (CheckConstraint(_in("status", GRANT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    interval_seconds: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column()
    last_polled_at: Mapped[datetime | None] = mapped_column()
    oauth_state_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # One-click browser link (`install_url`): a secret kept hashed, good once while the grant is pending.
    install_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Wrong entries aimed at this code (same first group); at device_codes.MAX_WRONG_ATTEMPTS it expires.
    wrong_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PosLocationLink(Base):
    """A POS location as last seen, and the localshelf Location its stock counts for (if mapped)."""

    __tablename__ = "pos_location_links"
    __table_args__ = (UniqueConstraint("integration_id", "external_id", name="uq_pos_location_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


SYNC_KINDS = ("full", "incremental", "manual")
SYNC_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
ACTIVE_SYNC_STATES = ("queued", "running")
WEBHOOK_EVENT_STATES = ("pending", "applied", "ignored", "failed")


class PosItem(Base):
    """One POS variant as last read (staging): what the offers of a connected retailer are built from."""

    __tablename__ = "pos_items"
    __table_args__ = (
        UniqueConstraint("integration_id", "external_id", name="uq_pos_item"),
        Index("ix_pos_items_inventory_item", "integration_id", "inventory_item_id"),
        Index("ix_pos_items_product", "integration_id", "product_external_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    product_external_id: Mapped[str] = mapped_column(String(255))
    inventory_item_id: Mapped[str | None] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(64))
    barcode: Mapped[str | None] = mapped_column(String(64))
    gtin: Mapped[str | None] = mapped_column(String(14))  # the barcode as a valid GTIN-14, else None
    name: Mapped[str] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    image_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    pos_updated_at: Mapped[datetime] = mapped_column()  # newest POS time applied: older updates are ignored
    last_seen_job_id: Mapped[int | None] = mapped_column(Integer)  # the last full sync that listed it
    # A GTIN the retailer gave a barcode-less item (match_retailer_item); kept across syncs.
    matched_gtin: Mapped[str | None] = mapped_column(String(14))


class PosStock(Base):
    """Available quantity of one POS inventory item at one POS location, mapped or not."""

    __tablename__ = "pos_stock"
    __table_args__ = (
        UniqueConstraint("integration_id", "inventory_item_id", "location_external_id", name="uq_pos_stock"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    inventory_item_id: Mapped[str] = mapped_column(String(255))
    location_external_id: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    pos_updated_at: Mapped[datetime] = mapped_column()
    last_seen_job_id: Mapped[int | None] = mapped_column(Integer)


class SyncJob(Base):
    """One catalog + inventory sync; `checkpoint` is where a restarted job resumes."""

    __tablename__ = "sync_jobs"
    __table_args__ = (
        CheckConstraint(_in("kind", SYNC_KINDS), name="kind"),
        CheckConstraint(_in("state", SYNC_STATES), name="state"),
        Index("ix_sync_jobs_integration", "integration_id", "id"),
        Index("ix_sync_jobs_state", "state", "id"),
        # At most one queued or running job per integration, across every process.
        Index(
            "uq_sync_jobs_one_active",
            "integration_id",
            unique=True,
            postgresql_where=text(_in("state", ACTIVE_SYNC_STATES)),
            sqlite_where=text(_in("state", ACTIVE_SYNC_STATES)),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    phase: Mapped[str] = mapped_column(String(16), default="items")
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    products_seen: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    stock_levels_seen: Mapped[int] = mapped_column(Integer, default=0)
    offers_created: Mapped[int] = mapped_column(Integer, default=0)
    offers_updated: Mapped[int] = mapped_column(Integer, default=0)
    offers_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    offers_removed: Mapped[int] = mapped_column(Integer, default=0)
    retailer_items: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(255))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by each claim: only the runner holding the current token may write progress or the outcome.
    runner_token: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()


class WebhookEndpoint(Base):
    """Where a POS delivers an integration's webhooks. The URL carries a secret path token, stored hashed;
    after a rotation the previous token keeps working until `previous_valid_until`."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), unique=True)
    provider: Mapped[str] = mapped_column(String(16))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    subscription_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    previous_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    previous_valid_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column()
    last_delivery_at: Mapped[datetime | None] = mapped_column()
    deliveries_duplicate: Mapped[int] = mapped_column(Integer, default=0)


class WebhookEvent(Base):
    """A verified delivery, stored before it is acknowledged and applied afterwards (so none is lost)."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("integration_id", "event_id", name="uq_webhook_event"),
        CheckConstraint(_in("state", WEBHOOK_EVENT_STATES), name="state"),
        Index("ix_webhook_events_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    triggered_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    applied_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(300))


MOVEMENT_REASONS = ("sale", "return", "refund", "restock", "adjustment", "shrinkage")
MOVEMENT_SOURCES = ("manual", "pos")


class InventoryMovement(Base):
    """One stock change with its cause: recorded once per (organization, external_id)."""

    __tablename__ = "inventory_movements"
    __table_args__ = (
        UniqueConstraint("organization_id", "external_id", name="uq_movement_external_id"),
        CheckConstraint(_in("reason", MOVEMENT_REASONS), name="reason"),
        CheckConstraint(_in("source", MOVEMENT_SOURCES), name="source"),
        Index("ix_movements_offer_occurred", "offer_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("in_store_offers.id", ondelete="SET NULL"))
    pos_item_id: Mapped[int | None] = mapped_column(ForeignKey("pos_items.id", ondelete="SET NULL"))
    location_external_id: Mapped[str | None] = mapped_column(String(255))  # the POS location, for POS movements
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8))
    external_id: Mapped[str] = mapped_column(String(255))
    occurred_at: Mapped[datetime] = mapped_column()
    applied: Mapped[bool] = mapped_column(Boolean)  # False: the stock already reflected it (a newer count)
    quantity_after: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


BRAND_CLAIM_STATUSES = ("pending", "verified", "rejected")


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)  # casefolded, spaces collapsed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BrandClaim(Base):
    """An organization's claim to own a brand, with the GS1 company prefixes it says are its own."""

    __tablename__ = "brand_claims"
    __table_args__ = (
        UniqueConstraint("organization_id", "brand_id", name="uq_brand_claim"),
        CheckConstraint(_in("status", BRAND_CLAIM_STATUSES), name="status"),
        Index("ix_brand_claims_brand_status", "brand_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    evidence_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_note: Mapped[str | None] = mapped_column(String(300))


class BrandClaimPrefix(Base):
    """One GS1 company prefix (6-12 digits, as on a GTIN-13) of a claim; GTIN-14 = indicator digit + it + ..."""

    __tablename__ = "brand_claim_prefixes"

    claim_id: Mapped[int] = mapped_column(ForeignKey("brand_claims.id", ondelete="CASCADE"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(12), primary_key=True, index=True)


class SearchImpressionDaily(Base):
    """How often a store's offer of a product was returned by search or availability calls, per day."""

    __tablename__ = "search_impressions_daily"
    __table_args__ = (Index("ix_impressions_organization_day", "organization_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    impressions: Mapped[int] = mapped_column(Integer)


class SearchDemandDaily(Base):
    """Searches per day and coarse area (a ~11 km grid cell, never a point) for a product or a brand, and how many
    of them found no store with it in stock nearby. No query text, no person."""

    __tablename__ = "search_demand_daily"
    __table_args__ = (
        UniqueConstraint("day", "cell", "subject", name="uq_search_demand"),
        Index("ix_search_demand_brand", "brand_id", "day"),
        Index("ix_search_demand_product", "product_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    cell: Mapped[str] = mapped_column(String(24))  # "lat,lon" of the cell's south-west corner, 0.1° steps
    subject: Mapped[str] = mapped_column(String(40))  # "product:<id>" or "brand:<id>"
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    cell_latitude: Mapped[float] = mapped_column(Float)  # the cell's centre
    cell_longitude: Mapped[float] = mapped_column(Float)
    searches: Mapped[int] = mapped_column(Integer)
    unmet: Mapped[int] = mapped_column(Integer)  # searches that found no in-stock offer of it nearby
