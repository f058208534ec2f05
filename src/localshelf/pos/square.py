"""Square catalog reader over the REST API (Square-Version 2025-08-20), plus OAuth and webhook helpers.

Operations (square/connect-api-specification api.json): ListLocations ``GET /v2/locations``, RetrieveLocation
``GET /v2/locations/main`` (the main location's currency), ListCatalog
``GET /v2/catalog/list`` (full reads; fixed page size 100, deleted objects never listed), SearchCatalogObjects
``POST /v2/catalog/search`` (incremental reads with ``begin_time``), BatchRetrieveInventoryCounts
``POST /v2/inventory/counts/batch-retrieve`` and ObtainToken ``POST /oauth2/token``.

Each ITEM_VARIATION becomes one :class:`PosItem`. Money is already int64 minor units (``Money.amount``);
inventory quantities are decimal strings. Every request goes through :class:`localshelf.pos.http.RestClient`
(retries, Retry-After, typed errors); the access token never appears in a message.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
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
    StockChanged,
    StockPage,
)
from localshelf.pos.http import RestClient, retry_sleep
from localshelf.pos.signatures import square_webhook_valid

Json = dict[str, Any]
logger = logging.getLogger(__name__)

PROVIDER = "Square"
SQUARE_VERSION = "2025-08-20"
DEFAULT_VARIATION_NAME = "Regular"  # the name Square's dashboard gives a single variation
COUNTS_PAGE_LIMIT = 1000  # BatchRetrieveInventoryCounts ``limit`` maximum
DEFAULT_SCOPES = ("ITEMS_READ", "INVENTORY_READ", "MERCHANT_PROFILE_READ")


def _describe(body: Any) -> str | None:
    """``"CODE: detail"`` of the first entry of Square's ``{"errors":[…]}`` envelope."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    code, detail = errors[0].get("code"), errors[0].get("detail")
    parts = [p for p in (code, detail) if isinstance(p, str) and p]
    return ": ".join(parts) or None


class SquareCatalog(CatalogReader):
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        access_token: str,
        *,
        max_wait_seconds: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = retry_sleep,
    ) -> None:
        if max_wait_seconds < 0:
            raise ValueError("max_wait_seconds must not be negative")
        self._client = RestClient(
            http, PROVIDER, access_token, max_wait_seconds=max_wait_seconds, sleep=sleep, describe=_describe
        )
        self._headers = {
            "Authorization": f"Bearer {access_token}",
            "Square-Version": SQUARE_VERSION,
            "Accept": "application/json",
        }
        self._base = base_url.rstrip("/")
        self._currency: str | None = None
        self._locations: list[Json] | None = None

    async def prices_include_tax(self) -> bool:
        return False  # the item prices this API reports are the shelf prices as entered

    async def shop_currency(self) -> str:
        """The currency of the seller's main location (RetrieveLocation with the id ``main``)."""
        if self._currency is None:
            answer = await self._call("GET", "/v2/locations/main", "retrieve main location")
            code = _obj(answer.get("location"), "main location").get("currency")
            if not isinstance(code, str):
                raise PosBadResponse("Square answered the main location without a currency")
            try:
                self._currency = normalize_currency(code)
            except Exception:
                raise PosBadResponse(f"Square answered an unknown currency code {code[:8]!r}") from None
        return self._currency

    async def locations(self) -> list[PosLocation]:
        return [_location(loc) for loc in await self._raw_locations()]

    async def items(self, after: str | None = None, updated_since: datetime | None = None) -> AsyncIterator[ItemPage]:
        """Full read: ListCatalog ``types=ITEM``. Incremental: SearchCatalogObjects ``begin_time`` with deleted
        objects included (a deleted item's variations come back inactive). Categories and images are read first
        so each page can name them."""
        currency = await self.shop_currency()
        lookups = await self._lookups()
        cursor = after
        while True:
            if updated_since is None:
                params = {"types": "ITEM", **({"cursor": cursor} if cursor else {})}
                page = await self._call("GET", "/v2/catalog/list", "list catalog", params=params)
            else:
                since = updated_since if updated_since.tzinfo else updated_since.replace(tzinfo=UTC)  # naive = UTC
                body: Json = {
                    "object_types": ["ITEM"],
                    "begin_time": since.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "include_deleted_objects": True,
                    "include_related_objects": True,
                }
                if cursor:
                    body["cursor"] = cursor
                page = await self._call("POST", "/v2/catalog/search", "search catalog", json_body=body)
                for related in _list(page.get("related_objects"), "related_objects"):
                    if isinstance(related, dict) and isinstance(related.get("id"), str):
                        lookups[related["id"]] = related
            items: list[PosItem] = []
            skipped = 0
            for obj in _listed(page, "objects", "catalog", also=("related_objects", "latest_time")):
                if not isinstance(obj, dict) or obj.get("type") != "ITEM":  # asked for items only: another answer
                    raise PosBadResponse("Square answered a catalog page of objects other than items")
                read, unread = _item_variations(obj, lookups, currency)
                items += read
                skipped += unread
            next_cursor = page.get("cursor")
            cursor = next_cursor if isinstance(next_cursor, str) and next_cursor else None
            yield ItemPage(items=tuple(items), next_cursor=cursor, skipped=skipped)
            if cursor is None:
                return

    async def stock(self, location_external_id: str, after: str | None = None) -> AsyncIterator[StockPage]:
        cursor = after
        while True:
            body: Json = {"location_ids": [location_external_id], "states": ["IN_STOCK"], "limit": COUNTS_PAGE_LIMIT}
            if cursor:
                body["cursor"] = cursor
            page = await self._call("POST", "/v2/inventory/counts/batch-retrieve", "inventory counts", json_body=body)
            stock = []
            for count in _listed(page, "counts", "inventory counts"):
                parsed = _count(count)
                if parsed is not None and parsed.location_external_id == location_external_id:
                    stock.append(parsed)
            next_cursor = page.get("cursor")
            cursor = next_cursor if isinstance(next_cursor, str) and next_cursor else None
            yield StockPage(stock=tuple(stock), next_cursor=cursor)
            if cursor is None:
                return

    async def _raw_locations(self) -> list[Json]:
        if self._locations is None:
            page = await self._call("GET", "/v2/locations", "list locations")
            locations = [_obj(loc, "location") for loc in _list(page.get("locations"), "locations")]
            if not locations:  # every seller has a main location: an answer without one is not a listing
                raise PosBadResponse("Square listed no locations")
            self._locations = locations
        return self._locations

    async def _lookups(self) -> dict[str, Json]:
        """CATEGORY and IMAGE objects by id (ListCatalog pages)."""
        found: dict[str, Json] = {}
        cursor: str | None = None
        while True:
            params = {"types": "CATEGORY,IMAGE", **({"cursor": cursor} if cursor else {})}
            page = await self._call("GET", "/v2/catalog/list", "list categories and images", params=params)
            for obj in _listed(page, "objects", "categories and images"):
                if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                    found[obj["id"]] = obj
            next_cursor = page.get("cursor")
            cursor = next_cursor if isinstance(next_cursor, str) and next_cursor else None
            if cursor is None:
                return found

    async def _call(
        self, method: str, path: str, operation: str, *, params: dict[str, str] | None = None, json_body: Any = None
    ) -> Json:
        answer = await self._client.request(
            method, self._base + path, operation, headers=self._headers, params=params, json_body=json_body
        )
        return _obj(answer if answer is not None else {}, operation)


# ---------------------------------------------------------------- OAuth


def authorize_url(
    base_url: str, client_id: str, scopes: tuple[str, ...] | list[str], state: str, redirect_uri: str
) -> str:
    """The seller-facing authorize URL (developer.squareup.com/reference/square/o-auth/authorize).

    Scopes are space-separated (``+`` once encoded); ``session=false`` asks for a fresh login."""
    query = urlencode(
        {
            "client_id": client_id,
            "scope": " ".join(scopes),
            "session": "false",
            "state": state,
            "redirect_uri": redirect_uri,
        }
    )
    return f"{base_url.rstrip('/')}/oauth2/authorize?{query}"


async def exchange_code(
    http: httpx.AsyncClient, base_url: str, client_id: str, client_secret: str, code: str, redirect_uri: str
) -> OAuthGrant:
    body = {
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
    }
    return await _obtain_token(http, base_url, body, "token exchange", (client_secret, code))


async def refresh_grant(
    http: httpx.AsyncClient, base_url: str, client_id: str, client_secret: str, refresh_token: str
) -> OAuthGrant:
    """A new access token. In the code flow Square answers the same (multi-use, non-expiring) refresh token."""
    body = {
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }
    return await _obtain_token(http, base_url, body, "token refresh", (client_secret, refresh_token))


async def _obtain_token(
    http: httpx.AsyncClient, base_url: str, body: Json, operation: str, secrets: tuple[str, str]
) -> OAuthGrant:
    client = RestClient(http, PROVIDER, secrets[0], describe=_describe)
    url = f"{base_url.rstrip('/')}/oauth2/token"
    try:
        answer = await client.request(
            "POST", url, operation, headers={"Square-Version": SQUARE_VERSION}, json_body=body
        )
    except PosBadResponse as exc:
        if exc.status in (400, 401, 403):  # a refused code/refresh token: the seller must authorize again
            raise PosAuthError(exc.message.replace(secrets[1], "[redacted]"), status=exc.status) from None
        raise
    except PosAuthError as exc:
        raise PosAuthError(exc.message.replace(secrets[1], "[redacted]"), status=exc.status) from None
    grant = _obj(answer, operation)
    access = grant.get("access_token")
    if not isinstance(access, str) or not access:
        raise PosBadResponse(f"Square answered the {operation} without an access_token")
    refresh = grant.get("refresh_token")
    merchant = grant.get("merchant_id")
    return OAuthGrant(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_at=_time(grant.get("expires_at")),
        scopes=(),  # ObtainTokenResponse does not list the granted scopes
        account=merchant if isinstance(merchant, str) and merchant else None,
    )


# ---------------------------------------------------------------- webhooks


def webhook_valid(signature_key: str, notification_url: str, raw_body: bytes, header: str | None) -> bool:
    """``x-square-hmacsha256-signature`` over the subscription's notification URL + raw body."""
    return square_webhook_valid(signature_key, notification_url, raw_body, header)


def parse_webhook(raw_body: bytes, currency: str) -> list[PosEvent]:
    """``inventory.count.updated`` → one StockChanged per IN_STOCK count; ``catalog.version.updated`` →
    CatalogChanged (it names no objects: re-read with ``updated_since``); other types → [].

    ``currency`` is unused today: no Square event handled here carries prices."""
    del currency
    try:
        payload = json.loads(raw_body)
    except (ValueError, RecursionError):
        raise PosBadResponse("Square webhook body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise PosBadResponse("Square webhook body is not a JSON object")
    kind = payload.get("type")
    if kind == "catalog.version.updated":
        return [CatalogChanged(f"Square catalog version updated (merchant {payload.get('merchant_id')})")]
    if kind != "inventory.count.updated":
        return []
    data = _obj(payload.get("data"), "webhook data")
    obj = _obj(data.get("object"), "webhook data object")
    events: list[PosEvent] = []
    for count in _list(obj.get("inventory_counts"), "inventory_counts"):
        parsed = _count(count)
        if parsed is not None:
            events.append(StockChanged(parsed))
    return events


# ---------------------------------------------------------------- fields


def _obj(value: object, what: str) -> Json:
    if not isinstance(value, dict):
        raise PosBadResponse(f"Square answered a malformed {what}")
    return value


def _listed(page: Json, key: str, what: str, also: tuple[str, ...] = ()) -> list[Any]:
    """A page's `key` list. Square omits an empty list, so only an answer that has nothing else (but the cursor,
    errors or `also`) is an empty page; one with other fields is some other answer, not an end of the listing."""
    if key not in page and set(page) - {"cursor", "errors", *also}:
        raise PosBadResponse(f"Square answered a {what} page without {key}")
    return _list(page.get(key), key)


def _list(value: object, what: str) -> list[Any]:
    if value is None:
        return []  # Square omits empty lists
    if not isinstance(value, list):
        raise PosBadResponse(f"Square answered a non-list {what}")
    return value


def _opt_str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Square may send nanoseconds; fromisoformat takes at most microseconds
        digits = "".join(ch for ch in rest if ch.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _location(raw: Json) -> PosLocation:
    location_id = _opt_str(raw.get("id"))
    if location_id is None:
        raise PosBadResponse("Square answered a location without an id")
    address = raw.get("address") if isinstance(raw.get("address"), dict) else {}
    assert isinstance(address, dict)
    return PosLocation(
        external_id=location_id,
        name=_opt_str(raw.get("name")) or location_id,
        address_line1=_opt_str(address.get("address_line_1")),
        city=_opt_str(address.get("locality")),
        region=_opt_str(address.get("administrative_district_level_1")),
        postal_code=_opt_str(address.get("postal_code")),
        country=_opt_str(address.get("country")) or _opt_str(raw.get("country")),
        active=raw.get("status") == "ACTIVE",
    )


def _named(lookups: dict[str, Json], object_id: object, data_key: str, field: str) -> str | None:
    obj = lookups.get(object_id) if isinstance(object_id, str) else None
    data = obj.get(data_key) if obj is not None else None
    return _opt_str(data.get(field)) if isinstance(data, dict) else None


def _image_urls(data: object, lookups: dict[str, Json]) -> tuple[str, ...]:
    image_ids = data.get("image_ids") if isinstance(data, dict) else None
    if not isinstance(image_ids, list):
        return ()
    return tuple(url for i in image_ids if (url := _named(lookups, i, "image_data", "url")))


def _item_variations(item: Json, lookups: dict[str, Json], currency: str) -> tuple[list[PosItem], int]:
    """The item's readable variations and how many were skipped (no price, malformed)."""
    item_id = _opt_str(item.get("id"))
    data = item.get("item_data")
    if item_id is None or not isinstance(data, dict):
        if item.get("is_deleted") is not True:
            logger.warning("skipped a Square item without id or item_data")
            return [], 1
        return [], 0  # a deleted item Square describes only by id: nothing to deactivate by variation
    category_ref = data.get("reporting_category")
    if not isinstance(category_ref, dict):
        categories = data.get("categories")
        category_ref = categories[0] if isinstance(categories, list) and categories else {}
    category_id = category_ref.get("id") if isinstance(category_ref, dict) else None
    category = _named(lookups, category_id or data.get("category_id"), "category_data", "name")
    item_images = _image_urls(data, lookups)
    item_name = _opt_str(data.get("name")) or item_id
    deleted = item.get("is_deleted") is True
    live = not deleted and data.get("is_archived") is not True
    read: list[PosItem] = []
    skipped = 0
    for variation in _list(data.get("variations"), "variations"):
        try:
            obj = _obj(variation, "variation")
            images = tuple(dict.fromkeys((*_image_urls(obj.get("item_variation_data"), lookups), *item_images)))
            read.append(_variation(obj, item_id, item_name, data, category, images, live, currency, deleted))
        except PosBadResponse as exc:  # one unreadable variation must not stop the catalog
            skipped += 1
            logger.info("skipped Square variation: %s", exc.message)
    return read, skipped


def _variation(
    variation: Json,
    item_id: str,
    item_name: str,
    item_data: Json,
    category: str | None,
    images: tuple[str, ...],
    live: bool,
    currency: str,
    item_deleted: bool = False,
) -> PosItem:
    variation_id = _opt_str(variation.get("id"))
    data = variation.get("item_variation_data")
    if variation_id is None or not isinstance(data, dict):
        raise PosBadResponse("Square variation without id or item_variation_data")
    price = data.get("price_money")
    if not isinstance(price, dict):  # VARIABLE_PRICING: the price is set at the register
        raise PosBadResponse(f"Square variation {variation_id[:24]} has no price_money")
    amount = price.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise PosBadResponse(f"Square variation {variation_id[:24]} has an invalid price amount")
    price_currency = price.get("currency")
    if isinstance(price_currency, str) and price_currency.upper() != currency:
        raise PosBadResponse(f"Square variation {variation_id[:24]} is priced in {price_currency[:8]}, not {currency}")
    variation_name = _opt_str(data.get("name"))
    name = item_name if variation_name in (None, DEFAULT_VARIATION_NAME) else f"{item_name} - {variation_name}"
    return PosItem(
        external_id=variation_id,
        product_external_id=item_id,
        sku=_opt_str(data.get("sku")),
        barcode=_opt_str(data.get("upc")),
        name=name,
        brand=None,
        category=category,
        description=_opt_str(item_data.get("description")),
        image_urls=images,
        price_minor=amount,
        currency=currency,
        active=live and variation.get("is_deleted") is not True and data.get("sellable") is not False,
        deleted=item_deleted or variation.get("is_deleted") is True,
        inventory_item_id=variation_id,
        updated_at=_time(variation.get("updated_at")),
    )


def _count(value: object) -> PosStock | None:
    """An IN_STOCK InventoryCount as PosStock (the decimal quantity floored); other states → None."""
    count = _obj(value, "inventory count")
    if count.get("state") != "IN_STOCK":
        return None
    variation_id, location_id = _opt_str(count.get("catalog_object_id")), _opt_str(count.get("location_id"))
    if variation_id is None or location_id is None:
        raise PosBadResponse("Square inventory count without catalog_object_id or location_id")
    raw = count.get("quantity")
    try:
        quantity = Decimal(raw) if isinstance(raw, str) else None
    except InvalidOperation:
        quantity = None
    if quantity is None or not quantity.is_finite():
        raise PosBadResponse(f"Square inventory count {variation_id[:24]} has no decimal quantity")
    return PosStock(
        inventory_item_id=variation_id,
        location_external_id=location_id,
        quantity=math.floor(quantity),
        updated_at=_time(count.get("calculated_at")),
    )
