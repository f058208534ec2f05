"""Shopify's OAuth authorization-code grant, as its public docs describe it.

authorize: GET https://{shop}/admin/oauth/authorize?client_id&scope&redirect_uri&state
callback:  GET {redirect_uri}?code&hmac&host&shop&state&timestamp (hmac checked in pos.signatures)
exchange:  POST https://{shop}/admin/oauth/access_token {client_id, client_secret, code}
           → {"access_token": "...", "scope": "read_products,..."}
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from localshelf.config import Settings
from localshelf.domain.errors import ErrorCode, Unavailable

EXCHANGE_TIMEOUT = httpx.Timeout(10.0)


@dataclass(frozen=True)
class ShopifyApp:
    client_id: str
    client_secret: str
    scopes: str
    base_url_template: str

    @classmethod
    def from_settings(cls, settings: Settings) -> ShopifyApp:
        if not settings.shopify_client_id or not settings.shopify_client_secret:
            raise Unavailable(
                "Shopify is not configured: set LOCALSHELF_SHOPIFY_CLIENT_ID and LOCALSHELF_SHOPIFY_CLIENT_SECRET.",
                ErrorCode.UNAVAILABLE,
            )
        return cls(
            settings.shopify_client_id,
            settings.shopify_client_secret,
            settings.shopify_scopes,
            settings.shopify_base_url_template,
        )

    def shop_url(self, shop: str) -> str:
        return self.base_url_template.format(shop=shop).rstrip("/")

    def authorize_url(self, shop: str, state: str, redirect_uri: str) -> str:
        query = urlencode(
            {"client_id": self.client_id, "scope": self.scopes, "redirect_uri": redirect_uri, "state": state}
        )
        return f"{self.shop_url(shop)}/admin/oauth/authorize?{query}"


@dataclass(frozen=True)
class ShopifyToken:
    access_token: str
    scopes: list[str]


class ExchangeFailed(Exception):
    """The shop refused the code or did not answer; the message never contains secrets."""


async def exchange_code(app: ShopifyApp, shop: str, code: str, http: httpx.AsyncClient) -> ShopifyToken:
    try:
        response = await http.post(
            f"{app.shop_url(shop)}/admin/oauth/access_token",
            json={"client_id": app.client_id, "client_secret": app.client_secret, "code": code},
            timeout=EXCHANGE_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise ExchangeFailed(f"could not reach {shop}: {exc.__class__.__name__}") from None
    if response.status_code != 200:
        raise ExchangeFailed(f"{shop} refused the authorization code (HTTP {response.status_code})")
    try:
        body = response.json()
        token, scope = str(body["access_token"]), str(body.get("scope", ""))
    except (ValueError, KeyError, TypeError):
        raise ExchangeFailed(f"{shop} answered the token exchange with an unexpected body") from None
    return ShopifyToken(token, [s for s in scope.split(",") if s])
