"""Calls that reach a POS: open the stored token, talk to the provider, hand the result to a unit of work.

Network calls never run inside a database transaction: read what is needed, call out, then write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx

from localshelf.config import Settings
from localshelf.domain.errors import ErrorCode, Unavailable
from localshelf.pos.contract import PosAuthError, PosError, PosLocation
from localshelf.pos.crypto import TokenCipher
from localshelf.pos.shopify import ShopifyCatalog
from localshelf.pos.shopify_oauth import ShopifyApp

HttpFactory = Callable[[], httpx.AsyncClient]
POS_TIMEOUT = httpx.Timeout(20.0)


def default_http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=POS_TIMEOUT)


@asynccontextmanager
async def open_catalog(
    settings: Settings, shop: str, encrypted_token: str, http: HttpFactory = default_http
) -> AsyncIterator[ShopifyCatalog]:
    token = TokenCipher.from_setting(settings.encryption_keys or "").decrypt(encrypted_token)
    shop_url = ShopifyApp.from_settings(settings).shop_url(shop)
    async with http() as client:
        yield ShopifyCatalog(client, shop_url, token, api_version=settings.shopify_api_version)


async def fetch_locations(
    settings: Settings, shop: str, encrypted_token: str, http: HttpFactory = default_http
) -> list[PosLocation]:
    try:
        async with open_catalog(settings, shop, encrypted_token, http) as catalog:
            return await catalog.locations()
    except PosAuthError as exc:
        raise Unavailable(f"{shop} refused the stored token ({exc}); reconnect with start_pos_connect.") from None
    except PosError as exc:
        raise Unavailable(f"{shop} could not be read right now: {exc}", ErrorCode.UNAVAILABLE) from None


async def subscribe_webhooks(
    settings: Settings, shop: str, encrypted_token: str, topics: list[str], callback_url: str, http: HttpFactory
) -> list[str]:
    async with open_catalog(settings, shop, encrypted_token, http) as admin:
        return [await admin.subscribe(topic, callback_url) for topic in topics]


async def move_webhooks(
    settings: Settings,
    shop: str,
    encrypted_token: str,
    subscription_ids: list[str],
    callback_url: str,
    http: HttpFactory,
) -> None:
    async with open_catalog(settings, shop, encrypted_token, http) as admin:
        for subscription_id in subscription_ids:
            await admin.move_subscription(subscription_id, callback_url)
