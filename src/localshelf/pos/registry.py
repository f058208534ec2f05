"""The four POS providers behind one connector interface: OAuth, token refresh and a catalog reader.

Adding a provider means one module beside this one (reader, OAuth calls, webhook parsing), one fake, and
one entry in `CONNECTORS`. Everything above `pos/` (connect pages, sync, tools) only talks to `Connector`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from localshelf.pos import clover, lightspeed, shopify_oauth, square
from localshelf.pos.contract import CatalogReader, OAuthGrant, PosAuthError
from localshelf.pos.shopify import ShopifyCatalog
from localshelf.pos.signatures import shopify_callback_valid, valid_shop_domain

_DOMAIN_PREFIX = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_MERCHANT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class ProviderApp:
    """Our app at one provider: credentials, requested scopes, and where its hosts are ({account} filled in)."""

    client_id: str
    client_secret: str
    scopes: str
    api_base: str  # REST/GraphQL host, e.g. "https://{account}" for Shopify
    auth_base: str  # where the person consents and (for most) where tokens are exchanged
    api_version: str = ""

    def api_url(self, account: str) -> str:
        return self.api_base.format(account=account, shop=account).rstrip("/")

    def auth_url(self, account: str) -> str:
        return self.auth_base.format(account=account, shop=account).rstrip("/")


class Connector(Protocol):
    name: str
    account_up_front: bool  # the person names the account before consent (a Shopify shop)

    def valid_account(self, account: str) -> bool: ...

    def authorize_url(self, app: ProviderApp, account: str | None, state: str, redirect_uri: str) -> str: ...

    def callback_authentic(self, app: ProviderApp, params: list[tuple[str, str]], now: float) -> bool: ...

    def callback_account(self, params: Mapping[str, str]) -> str | None: ...

    async def exchange(
        self, http: httpx.AsyncClient, app: ProviderApp, account: str, code: str, redirect_uri: str
    ) -> OAuthGrant: ...

    async def refresh(
        self, http: httpx.AsyncClient, app: ProviderApp, account: str, refresh_token: str
    ) -> OAuthGrant: ...

    def catalog(self, http: httpx.AsyncClient, app: ProviderApp, account: str, access_token: str) -> CatalogReader: ...


class ShopifyConnector:
    name = "shopify"
    account_up_front = True

    def valid_account(self, account: str) -> bool:
        return valid_shop_domain(account)

    def _app(self, app: ProviderApp) -> shopify_oauth.ShopifyApp:
        return shopify_oauth.ShopifyApp(app.client_id, app.client_secret, app.scopes, app.api_base)

    def authorize_url(self, app: ProviderApp, account: str | None, state: str, redirect_uri: str) -> str:
        assert account is not None
        return self._app(app).authorize_url(account, state, redirect_uri)

    def callback_authentic(self, app: ProviderApp, params: list[tuple[str, str]], now: float) -> bool:
        return shopify_callback_valid(app.client_secret, params, now)

    def callback_account(self, params: Mapping[str, str]) -> str | None:
        shop = params.get("shop", "")
        return shop if valid_shop_domain(shop) else None

    async def exchange(
        self, http: httpx.AsyncClient, app: ProviderApp, account: str, code: str, redirect_uri: str
    ) -> OAuthGrant:
        try:
            token = await shopify_oauth.exchange_code(self._app(app), account, code, http)
        except shopify_oauth.ExchangeFailed as exc:
            raise PosAuthError(str(exc)) from None
        return OAuthGrant(token.access_token, None, None, tuple(token.scopes), account)

    async def refresh(self, http: httpx.AsyncClient, app: ProviderApp, account: str, refresh_token: str) -> OAuthGrant:
        raise PosAuthError("Shopify offline tokens do not expire and cannot be refreshed; reconnect instead")

    def catalog(self, http: httpx.AsyncClient, app: ProviderApp, account: str, access_token: str) -> CatalogReader:
        return ShopifyCatalog(http, app.api_url(account), access_token, api_version=app.api_version or "2025-07")


class CloverConnector:
    """A Clover merchant is one store; the merchant id comes back on the consent callback."""

    name = "clover"
    account_up_front = False

    def valid_account(self, account: str) -> bool:
        return valid_merchant_id(account)

    def authorize_url(self, app: ProviderApp, account: str | None, state: str, redirect_uri: str) -> str:
        return clover.authorize_url(app.auth_url(""), app.client_id, state, redirect_uri)

    def callback_authentic(self, app: ProviderApp, params: list[tuple[str, str]], now: float) -> bool:
        return True  # Clover does not sign its callback: the single-use `state` is the check

    def callback_account(self, params: Mapping[str, str]) -> str | None:
        merchant = params.get("merchant_id", "")
        return merchant if valid_merchant_id(merchant) else None

    async def exchange(
        self, http: httpx.AsyncClient, app: ProviderApp, account: str, code: str, redirect_uri: str
    ) -> OAuthGrant:
        return await clover.exchange_code(
            http, app.api_url(""), app.client_id, app.client_secret, code, merchant_id=account or None
        )

    async def refresh(self, http: httpx.AsyncClient, app: ProviderApp, account: str, refresh_token: str) -> OAuthGrant:
        grant = await clover.refresh_grant(http, app.api_url(""), app.client_id, refresh_token)
        return grant if grant.account else dataclasses.replace(grant, account=account)

    def catalog(self, http: httpx.AsyncClient, app: ProviderApp, account: str, access_token: str) -> CatalogReader:
        return clover.CloverCatalog(http, app.api_url(""), access_token, account)


class SquareConnector:
    """The seller is known from the token answer (`merchant_id`); Square does not sign its callback."""

    name = "square"
    account_up_front = False

    def valid_account(self, account: str) -> bool:
        return valid_merchant_id(account)

    def authorize_url(self, app: ProviderApp, account: str | None, state: str, redirect_uri: str) -> str:
        return square.authorize_url(app.auth_url(""), app.client_id, app.scopes.split(), state, redirect_uri)

    def callback_authentic(self, app: ProviderApp, params: list[tuple[str, str]], now: float) -> bool:
        return True  # the single-use `state` is the check

    def callback_account(self, params: Mapping[str, str]) -> str | None:
        return None

    async def exchange(
        self, http: httpx.AsyncClient, app: ProviderApp, account: str, code: str, redirect_uri: str
    ) -> OAuthGrant:
        return await square.exchange_code(http, app.api_url(""), app.client_id, app.client_secret, code, redirect_uri)

    async def refresh(self, http: httpx.AsyncClient, app: ProviderApp, account: str, refresh_token: str) -> OAuthGrant:
        grant = await square.refresh_grant(http, app.api_url(""), app.client_id, app.client_secret, refresh_token)
        return grant if grant.account else dataclasses.replace(grant, account=account)

    def catalog(self, http: httpx.AsyncClient, app: ProviderApp, account: str, access_token: str) -> CatalogReader:
        return square.SquareCatalog(http, app.api_url(""), access_token)


class LightspeedConnector:
    """X-Series: the retailer's domain prefix comes back on the callback and names its API and token host."""

    name = "lightspeed"
    account_up_front = False

    def valid_account(self, account: str) -> bool:
        return valid_domain_prefix(account)

    def authorize_url(self, app: ProviderApp, account: str | None, state: str, redirect_uri: str) -> str:
        return lightspeed.authorize_url(app.auth_url(""), app.client_id, state, redirect_uri)

    def callback_authentic(self, app: ProviderApp, params: list[tuple[str, str]], now: float) -> bool:
        return True  # the single-use `state` is the check

    def callback_account(self, params: Mapping[str, str]) -> str | None:
        prefix = params.get("domain_prefix", "")
        return prefix if valid_domain_prefix(prefix) else None  # it chooses a host: validate before use

    async def exchange(
        self, http: httpx.AsyncClient, app: ProviderApp, account: str, code: str, redirect_uri: str
    ) -> OAuthGrant:
        token_url = f"{app.api_url(account)}/api/1.0/token"
        grant = await lightspeed.exchange_code(http, token_url, app.client_id, app.client_secret, code, redirect_uri)
        return grant if grant.account else dataclasses.replace(grant, account=account)

    async def refresh(self, http: httpx.AsyncClient, app: ProviderApp, account: str, refresh_token: str) -> OAuthGrant:
        token_url = f"{app.api_url(account)}/api/1.0/token"
        grant = await lightspeed.refresh_grant(http, token_url, app.client_id, app.client_secret, refresh_token)
        return grant if grant.account else dataclasses.replace(grant, account=account)

    def catalog(self, http: httpx.AsyncClient, app: ProviderApp, account: str, access_token: str) -> CatalogReader:
        return lightspeed.LightspeedCatalog(http, f"{app.api_url(account)}/api/2.0", access_token)


def valid_domain_prefix(value: str) -> bool:
    return bool(_DOMAIN_PREFIX.fullmatch(value))


def valid_merchant_id(value: str) -> bool:
    return bool(_MERCHANT_ID.fullmatch(value))


CONNECTORS: dict[str, Connector] = {
    "shopify": ShopifyConnector(),
    "square": SquareConnector(),
    "clover": CloverConnector(),
    "lightspeed": LightspeedConnector(),
}


def connector(provider: str) -> Connector:
    return CONNECTORS[provider]
