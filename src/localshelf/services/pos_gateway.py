"""Calls that reach a POS: open the stored token, talk to the provider, hand the result to a unit of work.

Network calls never run inside a database transaction: read what is needed, call out, then write.
"""

from __future__ import annotations

import httpx

from localshelf.config import Settings
from localshelf.domain.errors import ErrorCode, Unavailable
from localshelf.pos.contract import PosAuthError, PosError, PosLocation
from localshelf.pos.crypto import TokenCipher
from localshelf.pos.shopify import ShopifyCatalog
from localshelf.pos.shopify_oauth import ShopifyApp


async def fetch_locations(settings: Settings, shop: str, encrypted_token: str) -> list[PosLocation]:
    token = TokenCipher.from_setting(settings.encryption_keys or "").decrypt(encrypted_token)
    shop_url = ShopifyApp.from_settings(settings).shop_url(shop)
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(20.0)) as http:
            catalog = ShopifyCatalog(http, shop_url, token, api_version=settings.shopify_api_version)
            return await catalog.locations()
    except PosAuthError as exc:
        raise Unavailable(f"{shop} refused the stored token ({exc}); reconnect with start_pos_connect.") from None
    except PosError as exc:
        raise Unavailable(f"{shop} could not be read right now: {exc}", ErrorCode.UNAVAILABLE) from None
