"""Clover catalog reader over the REST v3 API, Clover OAuth v2 (expiring tokens) and webhook parsing.

Shapes come from docs.clover.com (inventory items, item_stocks, merchant address and properties, OAuth v2
high-trust flow and refresh, webhooks, API usage rate limits) as summarised in POS-REFERENCE.md §3:

* A Clover merchant is one location: ``locations()`` answers one :class:`PosLocation` whose external id is the
  merchant id (name from ``GET /v3/merchants/{mId}``, address from ``GET /v3/merchants/{mId}/address``).
* Currency: ``defaultCurrency`` of ``GET /v3/merchants/{mId}/properties``. Prices are integer minor units.
* Items: ``GET /v3/merchants/{mId}/items?limit&offset&expand=categories`` (max limit 1000), incremental with
  ``filter=modifiedTime>=<ms>``. The cursor is the next offset; the listing ends at a short page. Offset
  paging is not snapshot-stable: items created or deleted during a read may shift pages (a later incremental
  read catches up). Deleted items are not listed; deletions arrive as webhooks.
* Stock: ``GET /v3/merchants/{mId}/item_stocks?limit&offset``. ``quantity`` is a decimal that may be negative
  or fractional; it is rounded down to whole units.

Every request goes through :class:`localshelf.pos.http.RestClient` (retries, Retry-After, typed errors).
Unconfirmed: the OAuth error statuses, whether the token answer carries ``merchant_id``, Clover's default item
order, and the ``IS``/``IA`` webhook payloads (ignored here).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from localshelf.domain.money import normalize_currency
from localshelf.pos.contract import (
    CatalogChanged,
    CatalogReader,
    ItemPage,
    OAuthGrant,
    PosAuthError,
    PosBadResponse,
    PosEvent,
    PosItem,
    PosLocation,
    PosStock,
    ProductDeleted,
    StockPage,
)
from localshelf.pos.http import RestClient, retry_sleep
from localshelf.pos.signatures import clover_auth_valid

Json = dict[str, Any]
logger = logging.getLogger(__name__)

PROVIDER = "Clover"
MAX_PAGE_SIZE = 1000


def _describe(body: Any) -> str | None:
    if isinstance(body, dict):
        message = body.get("message")
        return message if isinstance(message, str) else None
    return None


class CloverCatalog(CatalogReader):
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        access_token: str,
        merchant_id: str,
        *,
        page_size: int = MAX_PAGE_SIZE,
        max_wait_seconds: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = retry_sleep,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        if max_wait_seconds < 0:
            raise ValueError("max_wait_seconds must not be negative")
        self._client = RestClient(
            http, PROVIDER, access_token, max_wait_seconds=max_wait_seconds, sleep=sleep, describe=_describe
        )
        self._headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        self._merchant_id = merchant_id
        self._base = f"{base_url.rstrip('/')}/v3/merchants/{merchant_id}"
        self._page_size = page_size
        self._currency: str | None = None

    async def prices_include_tax(self) -> bool:
        return False  # the item prices this API reports are the shelf prices as entered

    async def shop_currency(self) -> str:
        if self._currency is None:
            properties = await self._get("/properties", "merchant properties")
            code = properties.get("defaultCurrency")
            if not isinstance(code, str):
                raise PosBadResponse("Clover answered merchant properties without a defaultCurrency")
            try:
                self._currency = normalize_currency(code)
            except Exception:
                raise PosBadResponse(f"Clover answered an unknown currency code {code[:8]!r}") from None
        return self._currency

    async def locations(self) -> list[PosLocation]:
        merchant = await self._get("", "merchant")
        address = await self._get("/address", "merchant address")
        name = merchant.get("name")
        return [
            PosLocation(
                external_id=self._merchant_id,
                name=name.strip() if isinstance(name, str) and name.strip() else self._merchant_id,
                address_line1=_opt_str(address.get("address1")),
                city=_opt_str(address.get("city")),
                region=_opt_str(address.get("state")),
                postal_code=_opt_str(address.get("zip")),
                country=_opt_str(address.get("country")),
                active=True,
            )
        ]

    async def items(self, after: str | None = None, updated_since: datetime | None = None) -> AsyncIterator[ItemPage]:
        currency = await self.shop_currency()
        offset = _offset(after)
        params: list[tuple[str, str | int]] = [("expand", "categories")]
        if updated_since is not None:
            since = updated_since if updated_since.tzinfo else updated_since.replace(tzinfo=UTC)  # naive = UTC
            params.append(("filter", f"modifiedTime>={int(since.timestamp() * 1000)}"))
        while True:
            page_params = [*params, ("limit", self._page_size), ("offset", offset)]
            elements = await self._page("/items", "items", page_params)
            items: list[PosItem] = []
            skipped = 0
            for element in elements:
                if isinstance(element, dict) and element.get("deleted") is True:
                    continue  # only listed when asked for; never as a live item
                try:
                    items.append(_item(_obj(element, "item"), currency))
                except PosBadResponse as exc:  # one unreadable item must not stop the catalog
                    skipped += 1
                    logger.warning("skipped Clover item: %s", exc.message)
            offset += len(elements)
            cursor = str(offset) if len(elements) >= self._page_size else None
            yield ItemPage(items=tuple(items), next_cursor=cursor, skipped=skipped)
            if cursor is None:
                return

    async def stock(self, location_external_id: str, after: str | None = None) -> AsyncIterator[StockPage]:
        if location_external_id != self._merchant_id:
            raise PosBadResponse(f"Clover merchant {self._merchant_id} has no location {location_external_id[:80]!r}")
        offset = _offset(after)
        while True:
            params: list[tuple[str, str | int]] = [("limit", self._page_size), ("offset", offset)]
            elements = await self._page("/item_stocks", "item stocks", params)
            stock = tuple(_stock(_obj(element, "item stock"), self._merchant_id) for element in elements)
            offset += len(elements)
            cursor = str(offset) if len(elements) >= self._page_size else None
            yield StockPage(stock=stock, next_cursor=cursor)
            if cursor is None:
                return

    async def _get(self, path: str, operation: str, params: list[tuple[str, str | int]] | None = None) -> Json:
        body = await self._client.request(
            "GET", self._base + path, operation, headers=self._headers, params=_query(params)
        )
        return _obj(body, operation)

    async def _page(self, path: str, operation: str, params: list[tuple[str, str | int]]) -> list[Any]:
        body = await self._get(path, operation, params)
        elements = body.get("elements")  # Clover sends [] for an empty page: no list is no page
        if not isinstance(elements, list):
            raise PosBadResponse(f"Clover {operation} answered without an elements list")
        return elements


# ---------------------------------------------------------------- OAuth


def authorize_url(base_url: str, client_id: str, state: str, redirect_uri: str) -> str:
    """The merchant-facing install URL. Permissions are set on the app in the dashboard, not requested here."""
    query = urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "state": state, "response_type": "code"})
    return f"{base_url.rstrip('/')}/oauth/v2/authorize?{query}"


async def exchange_code(
    http: httpx.AsyncClient,
    base_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    *,
    merchant_id: str | None = None,
) -> OAuthGrant:
    """Trade the callback ``code`` for an expiring token pair. ``merchant_id`` is the callback's, when given."""
    body = {"client_id": client_id, "client_secret": client_secret, "code": code}
    answer = await _oauth_post(http, f"{base_url.rstrip('/')}/oauth/v2/token", "token exchange", body, code)
    return _grant(answer, merchant_id)


async def refresh_grant(http: httpx.AsyncClient, base_url: str, client_id: str, refresh_token: str) -> OAuthGrant:
    """A new pair for a refresh token. Clover refresh tokens are single-use: store the returned one at once.

    Like every request this one is retried on 5xx/429/truncated answers; if Clover consumed the token but the
    answer was lost, the retry is refused and :class:`PosAuthError` means the merchant must re-authorize.
    """
    body = {"client_id": client_id, "refresh_token": refresh_token}
    answer = await _oauth_post(http, f"{base_url.rstrip('/')}/oauth/v2/refresh", "token refresh", body, refresh_token)
    return _grant(answer, None)


async def _oauth_post(http: httpx.AsyncClient, url: str, operation: str, body: Json, secret: str) -> Json:
    client = RestClient(http, PROVIDER, secret, describe=_describe)
    try:
        answer = await client.request("POST", url, operation, json_body=body)
    except PosBadResponse as exc:
        if exc.status in (400, 401, 403):  # Clover's exact refusal status is unconfirmed
            raise PosAuthError(exc.message, status=exc.status) from None
        raise
    return _obj(answer, operation)


def _grant(answer: Json, merchant_id: str | None) -> OAuthGrant:
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise PosBadResponse("Clover answered the token request without an access_token")
    refresh = answer.get("refresh_token")
    reported = answer.get("merchant_id")  # not documented; used only if present
    return OAuthGrant(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_at=_epoch_seconds(answer.get("access_token_expiration")),
        scopes=(),
        account=merchant_id or (reported if isinstance(reported, str) and reported else None),
    )


# ---------------------------------------------------------------- webhooks


def webhook_valid(auth_code: str, header: str | None) -> bool:
    """``X-Clover-Auth`` against the app's static code (Clover does not sign bodies)."""
    return clover_auth_valid(auth_code, header)


def parse_webhook(raw_body: bytes) -> list[PosEvent]:
    """Item notifications → events: ``I:<id>`` DELETE → ProductDeleted, CREATE/UPDATE → CatalogChanged (the
    body carries no item data); ``IS:<id>`` (stock) → CatalogChanged. Other object types are ignored; the
    verification POST answers []."""
    try:
        payload = json.loads(raw_body)
    except (ValueError, RecursionError):
        raise PosBadResponse("Clover webhook body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise PosBadResponse("Clover webhook body is not a JSON object")
    if "verificationCode" in payload and "merchants" not in payload:
        return []
    merchants = payload.get("merchants")
    if not isinstance(merchants, dict):
        raise PosBadResponse("Clover webhook body has no merchants object")
    events: list[PosEvent] = []
    for merchant_id, notifications in merchants.items():
        if not isinstance(notifications, list):
            raise PosBadResponse("Clover webhook merchant entry is not a list")
        for notification in notifications:
            if not isinstance(notification, dict):
                raise PosBadResponse("Clover webhook notification is not an object")
            object_id, kind = notification.get("objectId"), notification.get("type")
            if not isinstance(object_id, str) or not isinstance(kind, str):
                raise PosBadResponse("Clover webhook notification lacks objectId or type")
            key, _, item_id = object_id.partition(":")
            if key not in ("I", "IS") or not item_id:
                continue
            if key == "IS":  # a stock change: the notice names the item, not the quantity
                events.append(CatalogChanged(f"Clover stock of item {item_id} changed (merchant {merchant_id})"))
            elif kind == "DELETE":
                events.append(ProductDeleted(item_id))
            else:
                events.append(CatalogChanged(f"Clover item {item_id} {kind.lower()} (merchant {merchant_id})"))
    return events


# ---------------------------------------------------------------- fields


def _query(params: list[tuple[str, str | int]] | None) -> Mapping[str, Any] | None:
    if not params:
        return None
    merged: dict[str, list[str]] = {}
    for key, value in params:
        merged.setdefault(key, []).append(str(value))
    return merged


def _offset(after: str | None) -> int:
    if after is None:
        return 0
    if not after.isascii() or not after.isdigit():
        raise ValueError(f"not a Clover cursor: {after[:40]!r}")
    return int(after)


def _obj(value: object, what: str) -> Json:
    if not isinstance(value, dict):
        raise PosBadResponse(f"Clover answered a malformed {what}")
    return value


def _opt_str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _epoch_seconds(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, UTC)


def _epoch_ms(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


def _item(element: Json, currency: str) -> PosItem:
    item_id = element.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise PosBadResponse("Clover item has no id")
    name = _opt_str(element.get("name"))
    if name is None:
        raise PosBadResponse(f"Clover item {item_id[:20]} has no name")
    price = element.get("price", 0)
    if isinstance(price, bool) or not isinstance(price, int) or price < 0:
        raise PosBadResponse(f"Clover item {item_id[:20]} has an invalid price")
    categories = element.get("categories")
    category = None
    if isinstance(categories, dict) and isinstance(categories.get("elements"), list) and categories["elements"]:
        first = categories["elements"][0]
        category = _opt_str(first.get("name")) if isinstance(first, dict) else None
    return PosItem(
        external_id=item_id,
        product_external_id=item_id,
        sku=_opt_str(element.get("sku")),
        barcode=_opt_str(element.get("code")),
        name=name,
        brand=None,
        category=category,
        description=None,
        image_urls=(),
        price_minor=price,
        currency=currency,
        active=element.get("hidden") is not True and element.get("available") is not False,
        inventory_item_id=item_id,
        updated_at=_epoch_ms(element.get("modifiedTime")),
    )


def _stock(element: Json, merchant_id: str) -> PosStock:
    item = _obj(element.get("item"), "item stock item")
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise PosBadResponse("Clover item stock has no item id")
    quantity = element.get("quantity", element.get("stockCount"))
    if isinstance(quantity, bool) or not isinstance(quantity, int | float) or not math.isfinite(quantity):
        raise PosBadResponse(f"Clover item stock {item_id[:20]} has no numeric quantity")
    return PosStock(inventory_item_id=item_id, location_external_id=merchant_id, quantity=math.floor(quantity))
