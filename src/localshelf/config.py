"""Settings, read once at start-up from `LOCALSHELF_*` environment variables (or a `.env` file)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "localshelf"


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'localshelf.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOCALSHELF_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy URL: sqlite:///path.db (embedded, default) or postgresql+psycopg://...",
    )
    auto_migrate: bool | None = Field(
        default=None,
        description="Apply pending migrations at start-up. Default: yes for SQLite, no for PostgreSQL.",
    )
    read_database_url: str | None = Field(
        default=None,
        description="PostgreSQL only: a streaming replica for read-only tools (search, availability, listings). "
        "Their answers then lag writes by the replication delay.",
    )
    transport: Literal["stdio", "http"] = "stdio"
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    log_format: Literal["text", "json"] = Field(
        default="text", description="text (one readable line) or json (one object per line, for log shippers)."
    )
    metrics: bool | None = Field(
        default=None,
        description="Serve Prometheus metrics at /metrics (no auth). Default: only when bound to a loopback host.",
    )
    encryption_keys: str | None = Field(
        default=None,
        description="Comma-separated Fernet keys for POS tokens at rest; the first encrypts, all decrypt.",
    )
    shopify_client_id: str | None = None
    shopify_client_secret: str | None = None
    shopify_scopes: str = "read_products,read_inventory,read_locations,read_orders"
    shopify_api_version: str = "2025-07"
    shopify_base_url_template: str = Field(
        default="https://{shop}",
        description="Where a shop's OAuth and Admin API live; tests point it at the local Shopify fake.",
    )
    square_client_id: str | None = None
    square_client_secret: str | None = None
    square_scopes: str = "ITEMS_READ INVENTORY_READ MERCHANT_PROFILE_READ"
    square_base_url: str = Field(default="https://connect.squareup.com", description="Square's API and OAuth host.")
    square_webhook_signature_key: str | None = Field(
        default=None, description="The signature key of the app's Square webhook subscription (to /webhooks/square)."
    )
    clover_client_id: str | None = None
    clover_client_secret: str | None = None
    clover_base_url: str = Field(default="https://api.clover.com", description="Clover's REST and token host.")
    clover_authorize_url: str = Field(default="https://www.clover.com", description="Clover's consent host.")
    clover_webhook_auth_code: str | None = Field(
        default=None, description="The X-Clover-Auth code Clover sends with the app's webhooks (to /webhooks/clover)."
    )
    lightspeed_client_id: str | None = None
    lightspeed_client_secret: str | None = None
    lightspeed_scopes: str = "products:read inventory:read outlets:read webhooks"
    lightspeed_base_url_template: str = Field(
        default="https://{account}.retail.lightspeed.app",
        description="A retailer's X-Series API host ({account} is its domain prefix).",
    )
    lightspeed_authorize_url: str = Field(default="https://secure.retail.lightspeed.app")
    lightspeed_require_webhook_signature: bool = Field(
        default=False,
        description="Refuse Lightspeed webhooks without a valid X-Signature (HMAC-SHA256 of the body with the "
        "client secret). Off by default: the scheme is not confirmed by Lightspeed's docs; the secret "
        "delivery URL authenticates deliveries either way.",
    )
    stdio_api_key: str | None = Field(
        default=None,
        description="Run the stdio transport as this API key's principal instead of the local operator.",
    )
    sync_worker: bool = Field(
        default=True,
        description="Run the background worker (queued syncs, webhook events, daily reconciliation) in this process.",
    )
    rate_limit_per_minute: int = Field(default=300, ge=1, le=100_000, description="Tool calls per minute per key.")
    public_url: str = Field(
        default="http://127.0.0.1:8765/mcp",
        description="This server's MCP endpoint as clients reach it: the OAuth resource identifier.",
    )
    oauth_issuer: str | None = Field(default=None, description="Issuer of accepted OAuth access tokens (JWT).")
    oauth_jwks_url: str | None = Field(default=None, description="JWKS of that issuer.")
    oauth_jwks_file: str | None = Field(default=None, description="JWKS as a local file instead of a URL.")
    oauth_audience: str | None = Field(default=None, description="Required `aud`; default: public_url.")

    @property
    def web_base_url(self) -> str:
        """Where people open the verification page and providers send callbacks: public_url without /mcp."""
        return self.public_url.removesuffix("/").removesuffix("/mcp")

    @property
    def metrics_enabled(self) -> bool:
        return self.host in ("127.0.0.1", "::1", "localhost") if self.metrics is None else self.metrics

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate
