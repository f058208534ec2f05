"""Shopify catalog reader over the Admin GraphQL API (operations ``Shop``, ``Locations``, ``ProductsPage``,
``LocationInventory``; see :mod:`localshelf.fakes.shopify.graphql` for their variables and fields).

Reliability: every request runs under tenacity. 429, 5xx, timeouts, connection errors and truncated or
non-JSON bodies are retried with exponential backoff and full jitter, or exactly ``Retry-After`` seconds
when the server says so. A GraphQL ``THROTTLED`` answer waits ``(requestedQueryCost - currentlyAvailable)
/ restoreRate`` seconds, the time Shopify's leaky bucket needs to hold the query. 401/403 fail at once
(:class:`PosAuthError`), other 4xx are never retried. Each request may wait at most ``max_wait_seconds`` in
total; then the last failure is raised as its typed error. Every wait goes through the injected ``sleep``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import httpx
import orjson
from tenacity import AsyncRetrying, RetryCallState, RetryError, retry_if_exception_type

from localshelf.domain.money import minor_unit_exponent, normalize_currency
from localshelf.pos.contract import (
    CatalogReader,
    ItemPage,
    PosAuthError,
    PosBadResponse,
    PosError,
    PosItem,
    PosLocation,
    PosRateLimited,
    PosStock,
    PosUnavailable,
    StockPage,
)
from localshelf.pos.http import retry_sleep, transport_failure

Json = dict[str, Any]
logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 250  # Shopify's per-connection cap
MAX_QUERY_COST = 1000  # Shopify's single-query cost cap
MAX_VARIANTS_PER_PRODUCT_PAGE = 20  # nested page; products with more variants are fetched again alone
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
MAX_ATTEMPTS = 25
DEFAULT_VARIANT_TITLE = "Default Title"

SHOP_QUERY = "query Shop { shop { id name myshopifyDomain currencyCode } }"
LOCATIONS_QUERY = """
query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name isActive address { address1 city provinceCode zip countryCode } }
  }
}
"""
PRODUCTS_QUERY = """
query ProductsPage($first: Int!, $after: String, $variantsFirst: Int = 100, $query: String) {
  products(first: $first, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id title status vendor productType description featuredImage { url } updatedAt
        variants(first: $variantsFirst) {
          pageInfo { hasNextPage endCursor }
          nodes { id title sku barcode price updatedAt inventoryItem { id } }
        }
      }
    }
  }
}
"""
LOCATION_INVENTORY_QUERY = """
query LocationInventory($locationId: ID!, $first: Int!, $after: String, $names: [String!] = ["available"]) {
  location(id: $locationId) {
    id
    inventoryLevels(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id item { id } quantities(names: $names) { name quantity updatedAt } }
    }
  }
}
"""

WEBHOOK_CREATE_MUTATION = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""
WEBHOOK_UPDATE_MUTATION = """
mutation WebhookSubscriptionUpdate($id: ID!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""


class _Transient(Exception):
    """A retryable failure: ``error`` is what the caller gets once the retry budget is spent;
    ``wait`` is a server-directed wait in seconds (Retry-After, throttle status), else None (backoff)."""

    def __init__(self, error: PosError, wait: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait


class ShopifyCatalog(CatalogReader):
    def __init__(
        self,
        http: httpx.AsyncClient,
        shop_url: str,
        access_token: str,
        api_version: str = "2025-07",
        page_size: int = 100,
        max_wait_seconds: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = retry_sleep,
        stock_page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        for name, size in (("page_size", page_size), ("stock_page_size", stock_page_size)):
            if not 1 <= size <= MAX_PAGE_SIZE:
                raise ValueError(f"{name} must be between 1 and {MAX_PAGE_SIZE}, got {size}")
        if max_wait_seconds < 0:
            raise ValueError("max_wait_seconds must not be negative")
        self._http = http
        self._endpoint = f"{shop_url.rstrip('/')}/admin/api/{api_version}/graphql.json"
        self._token = access_token
        self._page_size = page_size
        # Inventory levels are small and cheap (3 + 2 x first points): the largest page, so a sync spends
        # 2.5x fewer round trips and page commits on stock than at the products' page size.
        self._stock_page_size = stock_page_size
        self._max_wait = max_wait_seconds
        self._sleep = sleep
        self._random = random.Random()
        self._currency: str | None = None
        # Keep the requested cost of a products page under Shopify's single-query cap.
        self._variants_first = max(1, min(MAX_VARIANTS_PER_PRODUCT_PAGE, (MAX_QUERY_COST - 2) // page_size - 1))

    # ------------------------------------------------------------ public API

    async def prices_include_tax(self) -> bool:
        return False  # the item prices this API reports are the shelf prices as entered

    async def shop_currency(self) -> str:
        if self._currency is None:
            data = await self._query("Shop", SHOP_QUERY, {})
            shop = _obj(data.get("shop"), "shop")
            code = shop.get("currencyCode")
            if not isinstance(code, str):
                raise PosBadResponse("Shopify answered a shop without a currencyCode")
            try:
                self._currency = normalize_currency(code)
            except Exception as exc:
                raise PosBadResponse(f"Shopify answered an unknown currency code {code[:8]!r}") from exc
        return self._currency

    async def locations(self) -> list[PosLocation]:
        found: list[PosLocation] = []
        after: str | None = None
        while True:
            data = await self._query("Locations", LOCATIONS_QUERY, {"first": self._page_size, "after": after})
            connection = _obj(data.get("locations"), "locations")
            for node in _list(connection.get("nodes"), "locations.nodes"):
                found.append(_location(_obj(node, "location")))
            after = _next_cursor(connection)
            if after is None:
                return found

    async def items(self, after: str | None = None, updated_since: datetime | None = None) -> AsyncIterator[ItemPage]:
        currency = await self.shop_currency()
        exponent = minor_unit_exponent(currency)
        cursor = after
        search = (
            f"updated_at:>='{updated_since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'" if updated_since else None
        )
        while True:
            variables = {
                "first": self._page_size,
                "after": cursor,
                "variantsFirst": self._variants_first,
                "query": search,
            }
            data = await self._query("ProductsPage", PRODUCTS_QUERY, variables)
            connection = _obj(data.get("products"), "products")
            page: list[PosItem] = []
            skipped = 0
            previous_cursor = cursor
            for edge in _list(connection.get("edges"), "products.edges"):
                edge_obj = _obj(edge, "products.edges[]")
                product = _obj(edge_obj.get("node"), "product")
                variants = _obj(product.get("variants"), "product.variants")
                if _obj(variants.get("pageInfo"), "pageInfo").get("hasNextPage") is True:
                    product = await self._product_with_all_variants(product, previous_cursor)
                try:
                    page.extend(_items(product, currency, exponent))
                except PosBadResponse as exc:  # one unreadable product must not stop the catalog
                    skipped += 1
                    logger.warning("skipped Shopify product %s: %s", str(product.get("id"))[:80], exc.message)
                edge_cursor = edge_obj.get("cursor")
                previous_cursor = edge_cursor if isinstance(edge_cursor, str) else previous_cursor
            cursor = _next_cursor(connection)
            yield ItemPage(items=tuple(page), next_cursor=cursor, skipped=skipped)
            if cursor is None:
                return

    async def stock(self, location_external_id: str, after: str | None = None) -> AsyncIterator[StockPage]:
        cursor = after
        while True:
            variables = {"locationId": location_external_id, "first": self._stock_page_size, "after": cursor}
            data = await self._query("LocationInventory", LOCATION_INVENTORY_QUERY, variables)
            location = data.get("location")
            if location is None:
                raise PosBadResponse(f"Shopify has no location {location_external_id[:80]!r}")
            if _obj(location, "location").get("id") != location_external_id:
                raise PosBadResponse(f"Shopify answered another location's stock for {location_external_id[:80]!r}")
            connection = _obj(_obj(location, "location").get("inventoryLevels"), "inventoryLevels")
            page = tuple(
                _stock(node, location_external_id) for node in _list(connection.get("nodes"), "inventoryLevels.nodes")
            )
            cursor = _next_cursor(connection)
            yield StockPage(stock=page, next_cursor=cursor)
            if cursor is None:
                return

    # ------------------------------------------------------------ webhook subscriptions

    async def subscribe(self, topic: str, callback_url: str) -> str:
        """Create a JSON webhook subscription for a REST-style topic ("products/update"); returns its id."""
        enum = topic.upper().replace("/", "_")
        variables = {"topic": enum, "webhookSubscription": {"callbackUrl": callback_url, "format": "JSON"}}
        data = await self._query("WebhookSubscriptionCreate", WEBHOOK_CREATE_MUTATION, variables)
        return self._subscription_id(data, "webhookSubscriptionCreate")

    async def move_subscription(self, subscription_id: str, callback_url: str) -> str:
        variables = {"id": subscription_id, "webhookSubscription": {"callbackUrl": callback_url}}
        data = await self._query("WebhookSubscriptionUpdate", WEBHOOK_UPDATE_MUTATION, variables)
        return self._subscription_id(data, "webhookSubscriptionUpdate")

    def _subscription_id(self, data: Json, field: str) -> str:
        payload = _obj(data.get(field), field)
        errors = payload.get("userErrors")
        if errors:
            first = _obj(_list(errors, "userErrors")[0], "userError")
            raise PosBadResponse(f"Shopify refused the webhook subscription: {str(first.get('message'))[:200]}")
        return _str(_obj(payload.get("webhookSubscription"), "webhookSubscription").get("id"), "subscription id")

    # ------------------------------------------------------------ products with many variants

    async def _product_with_all_variants(self, product: Json, after: str | None) -> Json:
        """Fetch one product again, alone, with the largest nested variant page Shopify allows."""
        variables = {"first": 1, "after": after, "variantsFirst": MAX_PAGE_SIZE}
        data = await self._query("ProductsPage", PRODUCTS_QUERY, variables)
        edges = _list(_obj(data.get("products"), "products").get("edges"), "products.edges")
        if not edges:
            return product
        again = _obj(_obj(edges[0], "products.edges[]").get("node"), "product")
        if again.get("id") != product.get("id"):  # the catalog changed in between; keep what we have
            return product
        info = _obj(_obj(again.get("variants"), "product.variants").get("pageInfo"), "pageInfo")
        if info.get("hasNextPage") is True:
            logger.warning("Shopify product %s has more than %d variants; the rest are skipped", again.get("id"), 250)
        return again

    # ------------------------------------------------------------ transport and retries

    async def _query(self, operation: str, query: str, variables: Mapping[str, object]) -> Json:
        body = {"operationName": operation, "query": query, "variables": dict(variables)}
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Transient),
            wait=self._wait,
            stop=self._stop,
            sleep=self._sleep,
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(operation, body)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            if isinstance(last, _Transient):
                raise last.error from None
            raise PosUnavailable(f"Shopify {operation} failed") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _Transient) and exc.wait is not None:
            return exc.wait
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (state.attempt_number - 1))
        return self._random.uniform(0.0, ceiling)  # full jitter

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= MAX_ATTEMPTS:
            return True
        return state.idle_for + state.upcoming_sleep > self._max_wait

    async def _attempt(self, operation: str, body: Json) -> Json:
        headers = {
            "X-Shopify-Access-Token": self._token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        try:
            response = await self._http.post(self._endpoint, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise _Transient(PosUnavailable(f"Shopify {operation} {transport_failure(exc)}")) from None
        status = response.status_code
        retry_after = _retry_after(response.headers.get("Retry-After"))
        if status in (401, 403):
            raise PosAuthError(
                f"Shopify rejected the access token for {operation} (HTTP {status}); the shop must be re-authorized",
                status=status,
            )
        if status == 429:
            error = PosRateLimited(
                f"Shopify rate-limited {operation} (HTTP 429)", status=status, retry_after=retry_after
            )
            raise _Transient(error, retry_after)
        if status >= 500:
            raise _Transient(
                PosUnavailable(f"Shopify {operation} failed with HTTP {status}", status=status), retry_after
            )
        if status != 200:
            raise PosBadResponse(f"Shopify {operation} answered HTTP {status}", status=status)
        try:
            payload = orjson.loads(response.content)
        except ValueError:
            raise _Transient(PosUnavailable(f"Shopify {operation} answered a truncated or non-JSON body")) from None
        if not isinstance(payload, dict):
            raise PosBadResponse(f"Shopify {operation} answered JSON that is not an object")
        errors = payload.get("errors")
        if errors:
            self._raise_graphql_errors(operation, errors, payload)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise PosBadResponse(f"Shopify {operation} answered without data")
        return data

    def _raise_graphql_errors(self, operation: str, errors: object, payload: Json) -> None:
        codes: list[str] = []
        messages: list[str] = []
        for error in errors if isinstance(errors, list) else [errors]:
            if isinstance(error, dict):
                extensions = error.get("extensions")
                code = extensions.get("code") if isinstance(extensions, dict) else None
                codes.append(str(code) if code is not None else "")
                messages.append(str(error.get("message", ""))[:200])
            else:
                messages.append(str(error)[:200])
        summary = self._safe(
            "; ".join(f"{c or 'ERROR'}: {m}" for c, m in zip(codes, messages, strict=False)) or str(errors)[:200]
        )
        if "THROTTLED" in codes:
            wait = _throttle_wait(payload, self._max_wait)
            if wait is None:
                raise PosBadResponse(f"Shopify {operation} can never run: {summary} (query cost exceeds the bucket)")
            raise _Transient(PosRateLimited(f"Shopify throttled {operation}: {summary}", retry_after=wait), wait)
        if "ACCESS_DENIED" in codes:
            raise PosAuthError(
                f"Shopify denied {operation}: {summary}; the shop must be re-authorized with more scopes"
            )
        raise PosBadResponse(f"Shopify {operation} failed: {summary}")

    def _safe(self, message: str) -> str:
        return message.replace(self._token, "[redacted]") if self._token else message


# ---------------------------------------------------------------- parsing helpers


def _obj(value: object, what: str) -> Json:
    if not isinstance(value, dict):
        raise PosBadResponse(f"Shopify answered an unexpected {what} (expected an object)")
    return value


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise PosBadResponse(f"Shopify answered an unexpected {what} (expected a list)")
    return value


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise PosBadResponse(f"Shopify answered an unexpected {what} (expected a string)")
    return value


def _opt_str(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _next_cursor(connection: Json) -> str | None:
    info = _obj(connection.get("pageInfo"), "pageInfo")
    if info.get("hasNextPage") is not True:
        return None
    return _str(info.get("endCursor"), "pageInfo.endCursor")


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # HTTP-date form: fall back to backoff
    return seconds if seconds >= 0 else None


def _throttle_wait(payload: Json, max_wait: float) -> float | None:
    """Seconds until the bucket holds the query, bounded; None when it never can (cost > bucket size)."""
    extensions = payload.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    status = cost.get("throttleStatus") if isinstance(cost, dict) else None
    if not isinstance(cost, dict) or not isinstance(status, dict):
        return min(1.0, max_wait)
    try:
        requested = float(cost["requestedQueryCost"])
        available = float(status["currentlyAvailable"])
        maximum = float(status["maximumAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return min(1.0, max_wait)
    if requested > maximum:
        return None
    if rate <= 0:
        return min(1.0, max_wait)
    return max(0.0, min((requested - available) / rate, max_wait))


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)  # Python 3.11 reads Shopify's "Z" suffix itself
    except ValueError:
        return None


def _price_minor(price: object, exponent: int) -> int:
    try:
        amount = Decimal(_str(price, "variant price"))
    except InvalidOperation:
        raise PosBadResponse(f"Shopify answered a price that is not a decimal: {str(price)[:20]!r}") from None
    if not amount.is_finite() or amount < 0:
        raise PosBadResponse(f"Shopify answered an invalid price {str(price)[:20]!r}")
    return int((amount.scaleb(exponent)).to_integral_value(rounding=ROUND_HALF_EVEN))


def _location(node: Json) -> PosLocation:
    address = node.get("address")
    address = address if isinstance(address, dict) else {}
    return PosLocation(
        external_id=_str(node.get("id"), "location id"),
        name=_str(node.get("name"), "location name"),
        address_line1=_opt_str(address.get("address1")),
        city=_opt_str(address.get("city")),
        region=_opt_str(address.get("provinceCode")),
        postal_code=_opt_str(address.get("zip")),
        country=_opt_str(address.get("countryCode")),
        active=node.get("isActive") is True,
    )


def _items(product: Json, currency: str, exponent: int) -> list[PosItem]:
    product_id = _str(product.get("id"), "product id")
    title = _str(product.get("title"), "product title")
    active = product.get("status") == "ACTIVE"
    product_updated = _timestamp(product.get("updatedAt"))
    variants = _list(_obj(product.get("variants"), "product.variants").get("nodes"), "variants.nodes")
    items: list[PosItem] = []
    for raw in variants:
        variant = _obj(raw, "variant")
        variant_title = _opt_str(variant.get("title"))
        name = title if variant_title in (None, DEFAULT_VARIANT_TITLE) else f"{title} - {variant_title}"
        inventory_item = variant.get("inventoryItem")
        inventory_item_id = _opt_str(inventory_item.get("id")) if isinstance(inventory_item, dict) else None
        variant_updated = _timestamp(variant.get("updatedAt"))
        stamps = [t for t in (product_updated, variant_updated) if t is not None]
        items.append(
            PosItem(
                external_id=_str(variant.get("id"), "variant id"),
                product_external_id=product_id,
                sku=_opt_str(variant.get("sku")),
                barcode=_opt_str(variant.get("barcode")),
                name=name,
                brand=_opt_str(product.get("vendor")),
                category=_opt_str(product.get("productType")),
                description=_opt_str(product.get("description")),
                image_urls=_image_urls(product),
                price_minor=_price_minor(variant.get("price"), exponent),
                currency=currency,
                active=active,
                inventory_item_id=inventory_item_id,
                updated_at=max(stamps) if stamps else None,
            )
        )
    return items


def _stock(node: object, location_external_id: str) -> PosStock:
    # A location's levels are most of a sync's records: the shape checks are written out here, not called.
    item = node.get("item") if isinstance(node, dict) else None
    item_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(item_id, str):
        raise PosBadResponse("Shopify answered an inventory level without its inventory item id")
    quantities = node.get("quantities") if isinstance(node, dict) else None
    if not isinstance(quantities, list):
        raise PosBadResponse("Shopify answered an unexpected inventoryLevel.quantities (expected a list)")
    quantity, updated_at = 0, None
    for entry in quantities:
        if not isinstance(entry, dict):
            raise PosBadResponse("Shopify answered an unexpected quantity (expected an object)")
        if entry.get("name") == "available":
            value = entry.get("quantity")
            if not isinstance(value, int) or isinstance(value, bool):
                raise PosBadResponse("Shopify answered a non-integer available quantity")
            quantity, updated_at = value, _timestamp(entry.get("updatedAt"))
    return PosStock(item_id, location_external_id, quantity, updated_at)


def _image_urls(product: Json) -> tuple[str, ...]:
    image = product.get("featuredImage")
    url = image.get("url") if isinstance(image, dict) else None
    return (url,) if isinstance(url, str) and url.startswith(("https://", "http://")) else ()
