"""Calls that reach a POS: open the stored token (refreshing it when it is about to expire), talk to the
provider through its connector, hand the result to a unit of work.

Network calls never run inside a database transaction: read what is needed, call out, then write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from localshelf.config import Settings
from localshelf.domain.errors import ErrorCode, Unavailable
from localshelf.pos.contract import (
    CatalogReader,
    OAuthGrant,
    PosAuthError,
    PosBadResponse,
    PosError,
    PosLocation,
    WebhookSubscriptions,
)
from localshelf.pos.crypto import TokenCipher
from localshelf.pos.registry import ProviderApp, connector
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import Integration

HttpFactory = Callable[[], httpx.AsyncClient]
POS_TIMEOUT = httpx.Timeout(20.0)
REFRESH_AHEAD = timedelta(minutes=5)


def default_http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=POS_TIMEOUT)


def app_for(settings: Settings, provider: str) -> ProviderApp | None:
    """Our app's settings at `provider`, or None when this server is not set up for it."""
    apps = {
        "shopify": (
            settings.shopify_client_id,
            settings.shopify_client_secret,
            settings.shopify_scopes,
            settings.shopify_base_url_template,
            settings.shopify_base_url_template,
            settings.shopify_api_version,
        ),
        "square": (
            settings.square_client_id,
            settings.square_client_secret,
            settings.square_scopes,
            settings.square_base_url,
            settings.square_base_url,
            "",
        ),
        "clover": (
            settings.clover_client_id,
            settings.clover_client_secret,
            "",
            settings.clover_base_url,
            settings.clover_authorize_url,
            "",
        ),
        "lightspeed": (
            settings.lightspeed_client_id,
            settings.lightspeed_client_secret,
            settings.lightspeed_scopes,
            settings.lightspeed_base_url_template,
            settings.lightspeed_authorize_url,
            "",
        ),
    }
    client_id, secret, scopes, api_base, auth_base, version = apps[provider]
    if not (client_id and secret):
        return None
    return ProviderApp(client_id, secret, scopes, api_base, auth_base, version)


def require_app(settings: Settings, provider: str) -> ProviderApp:
    app = app_for(settings, provider)
    if app is None:
        prefix = f"LOCALSHELF_{provider.upper()}"
        raise Unavailable(
            f"{provider.capitalize()} is not configured on this server: set {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET.",
            ErrorCode.UNAVAILABLE,
        )
    return app


@dataclass(frozen=True)
class Account:
    provider: str
    external_account: str
    access_token: str


def _stored(uow: UnitOfWork, integration_id: int) -> tuple[Integration, str | None, str | None] | None:
    integration = uow.session.get(Integration, integration_id)
    if integration is None or integration.status != "connected" or not integration.access_token_encrypted:
        return None
    return integration, integration.access_token_encrypted, integration.refresh_token_encrypted


def store_grant(uow: UnitOfWork, integration_id: int, cipher: TokenCipher, grant: OAuthGrant) -> None:
    integration = uow.session.get(Integration, integration_id)
    assert integration is not None
    integration.access_token_encrypted = cipher.encrypt(grant.access_token)
    integration.refresh_token_encrypted = cipher.encrypt(grant.refresh_token) if grant.refresh_token else None
    integration.token_expires_at = grant.expires_at


def mark_needs_reauthorization(uow: UnitOfWork, integration_id: int, message: str) -> None:
    integration = uow.session.get(Integration, integration_id)
    assert integration is not None
    integration.status, integration.error_message = "reauthorization_required", message[:500]


async def live_account(
    database: Database, settings: Settings, integration_id: int, http: HttpFactory, now: datetime | None = None
) -> Account | None:
    """The integration's account and a usable access token, refreshed first when it expires within minutes.

    None when it is not connected. A refused refresh marks it `reauthorization_required` and raises PosAuthError.
    """
    stored = await database.read(_stored, integration_id)
    if stored is None:
        return None
    integration, access, refresh = stored
    cipher = TokenCipher.from_setting(settings.encryption_keys or "")
    now = now or datetime.now(UTC)
    expires = integration.token_expires_at
    if expires is None or expires - REFRESH_AHEAD > now or access is None:
        return Account(integration.provider, integration.external_account, cipher.decrypt(access or ""))
    app = require_app(settings, integration.provider)
    try:
        if refresh is None:
            raise PosAuthError("the access token expired and there is no refresh token")
        async with http() as client:
            grant = await connector(integration.provider).refresh(
                client, app, integration.external_account, cipher.decrypt(refresh)
            )
    except PosAuthError as exc:
        await database.run(
            mark_needs_reauthorization, integration_id, f"The POS refused to refresh the token: {exc.message}"
        )
        raise
    await database.run(store_grant, integration_id, cipher, grant)
    return Account(integration.provider, integration.external_account, grant.access_token)


@asynccontextmanager
async def open_catalog(
    settings: Settings, account: Account, http: HttpFactory = default_http
) -> AsyncIterator[CatalogReader]:
    app = require_app(settings, account.provider)
    async with http() as client:
        yield connector(account.provider).catalog(client, app, account.external_account, account.access_token)


@asynccontextmanager
async def open_subscriptions(
    settings: Settings, account: Account, http: HttpFactory = default_http
) -> AsyncIterator[WebhookSubscriptions]:
    async with open_catalog(settings, account, http) as catalog:
        if not isinstance(catalog, WebhookSubscriptions):
            raise PosBadResponse(f"{account.provider} webhooks are not subscribed per shop")
        yield catalog


async def fetch_locations(settings: Settings, account: Account, http: HttpFactory = default_http) -> list[PosLocation]:
    try:
        async with open_catalog(settings, account, http) as catalog:
            return await catalog.locations()
    except PosAuthError as exc:
        raise Unavailable(
            f"{account.external_account} refused the stored token ({exc}); reconnect with start_pos_connect.",
            ErrorCode.NOT_CONNECTED,
        ) from None
    except PosError as exc:
        raise Unavailable(f"{account.external_account} could not be read right now: {exc}") from None


async def subscribe_webhooks(
    settings: Settings, account: Account, topics: list[str], callback_url: str, http: HttpFactory
) -> list[str]:
    async with open_subscriptions(settings, account, http) as admin:
        return [await admin.subscribe(topic, callback_url) for topic in topics]


async def move_webhooks(
    settings: Settings, account: Account, subscription_ids: list[str], callback_url: str, http: HttpFactory
) -> None:
    async with open_subscriptions(settings, account, http) as admin:
        for subscription_id in subscription_ids:
            await admin.move_subscription(subscription_id, callback_url)
