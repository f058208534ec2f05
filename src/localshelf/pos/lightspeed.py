"""Lightspeed Retail X-Series (API 2.0, formerly Vend) catalog connector.

Shapes from POS-REFERENCE.md §4 (API 2.0 OpenAPI export, x-series-api.lightspeedhq.com docs). Reads go
through :class:`RestClient` (shared retries, Retry-After, typed errors). Products and inventory page on the
store-wide ``version`` cursor: ``after=version.max`` until ``data`` is empty. ``deleted=true`` is always sent, so
a product deleted in the POS comes through as an inactive item and a full sync stops offering it.

Choices and what is unconfirmed:
- Every product record is one sellable item; a variant's ``product_external_id`` is its ``variant_parent_id``.
- The shopper-facing price follows the outlets' ``display_prices``: ``inclusive`` -> ``price_including_tax``,
  otherwise ``price_excluding_tax`` (US-style shelf prices exclude sales tax).
- The currency is the first outlet's ``currency`` (no retailer endpoint is in the reference).
- Product-code ``type`` values are unconfirmed; UPC and EAN codes are preferred, then any other code.
- The token endpoint is form-encoded, which RestClient (JSON only) cannot send: it is one plain POST.
- The webhook ``payload`` is documented as the 0.9 shape, which is unconfirmed; an item is built from it only when
  it has every field a 2.0 product has, else a read-again event is returned. Webhooks are managed with
  ``/api/2.0/webhooks`` (create ``{url, active, type}``; update by id); the answer's envelope is unconfirmed, so
  both ``{"data": {...}}`` and a bare object are read.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import httpx
import orjson

from localshelf.domain.money import minor_unit_exponent
from localshelf.pos.contract import (
    CatalogChanged,
    ItemPage,
    ItemsChanged,
    OAuthGrant,
    PosAuthError,
    PosBadResponse,
    PosEvent,
    PosItem,
    PosLocation,
    PosStock,
    PosUnavailable,
    ProductDeleted,
    StockChanged,
    StockPage,
)
from localshelf.pos.http import RestClient, retry_sleep, transport_failure

PROVIDER = "Lightspeed X-Series"
Json = dict[str, Any]
logger = logging.getLogger(__name__)
PREFERRED_CODE_TYPES = ("UPC", "EAN")


def _describe(body: Any) -> str | None:
    if isinstance(body, dict):
        error = body.get("error") or body.get("errors")
        return str(error) if error else None
    return None


class LightspeedCatalog:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        access_token: str,
        *,
        page_size: int = 200,
        max_wait_seconds: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = retry_sleep,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._page_size = page_size
        self._client = RestClient(
            http, PROVIDER, access_token, max_wait_seconds=max_wait_seconds, sleep=sleep, describe=_describe
        )
        self._headers = {"Authorization": f"Bearer {access_token}", "User-Agent": "localshelf-connector"}
        self._outlets: list[Json] | None = None

    async def shop_currency(self) -> str:
        for outlet in await self._outlet_records():
            currency = outlet.get("currency")
            if isinstance(currency, str) and currency:
                return currency.upper()
        raise PosBadResponse(f"{PROVIDER} outlets carry no currency")

    async def prices_include_tax(self) -> bool:
        return any(o.get("display_prices") == "inclusive" for o in await self._outlet_records())

    async def locations(self) -> list[PosLocation]:
        return [_location(o) for o in await self._outlet_records()]

    async def items(self, after: str | None = None, updated_since: datetime | None = None) -> AsyncIterator[ItemPage]:
        """``updated_since`` filters client-side: the version cursor (``after``) is X-Series' incremental sync."""
        currency = await self.shop_currency()
        inclusive = await self.prices_include_tax()
        since = updated_since.replace(tzinfo=updated_since.tzinfo or UTC) if updated_since else None
        async for records, cursor in self._versions("/products", "products", after, {"deleted": "true"}):
            items: list[PosItem] = []
            skipped = 0
            for record in records:
                try:
                    item = _item(_obj(record, "product"), currency, inclusive)
                except PosBadResponse as exc:
                    skipped += 1
                    logger.warning("skipped %s product: %s", PROVIDER, exc.message)
                    continue
                if since is None or item.updated_at is None or item.updated_at >= since:
                    items.append(item)
            yield ItemPage(items=tuple(items), next_cursor=cursor, skipped=skipped)

    async def stock(self, location_external_id: str, after: str | None = None) -> AsyncIterator[StockPage]:
        # The reference documents no outlet filter on /inventory, so the feed is filtered here.
        async for records, cursor in self._versions("/inventory", "inventory", after, {}):
            levels = (_stock(_obj(r, "inventory")) for r in records)
            yield StockPage(tuple(s for s in levels if s.location_external_id == location_external_id), cursor)

    async def subscribe(self, topic: str, callback_url: str) -> str:
        """Create a webhook of ``type`` `topic` delivering to `callback_url`; returns its id."""
        body = {"url": callback_url, "active": True, "type": topic}
        return self._webhook_id(
            await self._client.request(
                "POST", f"{self._base}/webhooks", "create webhook", headers=self._headers, json_body=body
            )
        )

    async def move_subscription(self, subscription_id: str, callback_url: str) -> str:
        body = {"url": callback_url, "active": True}
        url = f"{self._base}/webhooks/{quote(subscription_id, safe='')}"
        return self._webhook_id(
            await self._client.request("PUT", url, "update webhook", headers=self._headers, json_body=body)
        )

    @staticmethod
    def _webhook_id(answer: Any) -> str:
        record = answer.get("data", answer) if isinstance(answer, dict) else None
        webhook_id = record.get("id") if isinstance(record, dict) else None
        if not isinstance(webhook_id, str | int) or isinstance(webhook_id, bool) or webhook_id == "":
            raise PosBadResponse(f"{PROVIDER} answered a webhook without an id")
        return str(webhook_id)

    async def _outlet_records(self) -> list[Json]:
        if self._outlets is None:
            outlets: list[Json] = []
            async for records, _ in self._versions("/outlets", "outlets", None, {}):
                outlets.extend(_obj(r, "outlet") for r in records)
            self._outlets = [o for o in outlets if not o.get("deleted_at")]
        return self._outlets

    async def _versions(
        self, path: str, operation: str, after: str | None, extra: dict[str, str]
    ) -> AsyncIterator[tuple[list[Any], str | None]]:
        """Pages of ``data`` with the cursor to resume after each; the cursor is None on the last page."""
        version = _version(after)
        while True:
            params: dict[str, Any] = {**extra, "after": version, "page_size": self._page_size}
            answer = _obj(
                await self._client.request(
                    "GET", f"{self._base}{path}", operation, headers=self._headers, params=params
                ),
                operation,
            )
            data = answer.get("data")
            if not isinstance(data, list):
                raise PosBadResponse(f"{PROVIDER} {operation} answered without a data list")
            bounds = answer.get("version")
            top = bounds.get("max") if isinstance(bounds, dict) else None
            if not data or not isinstance(top, int) or top <= version:
                yield data, None
                return
            version = top
            last = len(data) < self._page_size
            yield data, None if last else str(version)
            if last:
                return


# ---------------------------------------------------------------- OAuth


def authorize_url(base_url: str, client_id: str, state: str, redirect_uri: str) -> str:
    """``base_url`` is the secure host (``https://secure.retail.lightspeed.app``) or the fake's."""
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    return f"{base_url.rstrip('/')}/connect?{urlencode(query)}"


async def exchange_code(
    http: httpx.AsyncClient, token_url: str, client_id: str, client_secret: str, code: str, redirect_uri: str
) -> OAuthGrant:
    """``token_url`` is ``https://{domain_prefix}.retail.lightspeed.app/api/1.0/token`` (validate the prefix first)."""
    form = {
        "code": code,
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri,
    }
    return _grant(await _token_post(http, token_url, form, "code exchange", (client_secret, code)))


async def refresh_grant(
    http: httpx.AsyncClient, token_url: str, client_id: str, client_secret: str, refresh_token: str
) -> OAuthGrant:
    """Refresh tokens rotate: store the returned one; the old one is refused afterwards (-> PosAuthError)."""
    form = {
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "refresh_token",
    }
    return _grant(await _token_post(http, token_url, form, "token refresh", (client_secret, refresh_token)))


async def _token_post(
    http: httpx.AsyncClient, url: str, form: dict[str, str], operation: str, secrets: tuple[str, ...]
) -> Json:
    # Not retried: a lost answer to a rotating refresh would make the retry fail anyway.
    try:
        response = await http.post(url, content=urlencode(form).encode(), headers=_FORM)
    except httpx.HTTPError as exc:
        raise PosUnavailable(f"{PROVIDER} {operation} {transport_failure(exc)}") from None
    if response.status_code in (400, 401, 403):
        raise PosAuthError(
            f"{PROVIDER} refused the {operation} (HTTP {response.status_code})", status=response.status_code
        )
    if response.status_code != 200:
        raise PosBadResponse(
            f"{PROVIDER} {operation} answered HTTP {response.status_code}", status=response.status_code
        )
    try:
        return _obj(orjson.loads(response.content), operation)
    except ValueError:
        raise PosBadResponse(f"{PROVIDER} {operation} answered a non-JSON body") from None


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _grant(answer: Json) -> OAuthGrant:
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise PosBadResponse(f"{PROVIDER} answered the token request without an access_token")
    refresh, expires, prefix = answer.get("refresh_token"), answer.get("expires"), answer.get("domain_prefix")
    scope = answer.get("scope")
    return OAuthGrant(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int | float) else None,
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
        account=prefix if isinstance(prefix, str) and prefix else None,
    )


# ---------------------------------------------------------------- webhooks


WEBHOOK_TOPICS = ("inventory.update", "product.update")


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a delivery says about itself before it is applied."""

    topic: str
    domain_prefix: str | None  # "may be present but not guaranteed"
    event_id: str  # X-Series sends no delivery id: type + record id + its version (or change time, or the body)
    changed_at: datetime | None


def _form(form_body: bytes) -> tuple[dict[str, list[str]], Json]:
    try:
        fields = parse_qs(form_body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        payload = json.loads(fields["payload"][0])
    except (UnicodeDecodeError, ValueError, KeyError, RecursionError):
        raise PosBadResponse(f"{PROVIDER} webhook body is not a form with a JSON payload") from None
    return fields, _obj(payload, "webhook payload")


def read_delivery(form_body: bytes) -> Delivery:
    """X-Series posts ``type=…&domain_prefix=…&payload=<json>`` form-encoded."""
    fields, payload = _form(form_body)
    topic = fields.get("type", [""])[0]
    record, version = _str(payload.get("id")), payload.get("version")
    changed_at = _time(payload.get("updated_at"))
    if record and isinstance(version, int) and not isinstance(version, bool):
        event_id = f"{topic}:{record}:v{version}"
    elif record and changed_at:
        event_id = f"{topic}:{record}:{changed_at.isoformat()}"
    else:
        event_id = f"{topic}:sha256:{hashlib.sha256(form_body).hexdigest()}"
    return Delivery(topic, _str(fields.get("domain_prefix", [""])[0]), event_id, changed_at)


def parse_webhook(form_body: bytes, currency: str, *, tax_inclusive: bool = False) -> list[PosEvent]:
    """The neutral events of one delivery. A product record is one item (a variant stands alone), so a product
    event never implies anything about the record's siblings."""
    fields, payload = _form(form_body)
    kind = fields.get("type", [""])[0]
    if kind == "inventory.update":
        level = payload.get("inventory_level", payload.get("count"))
        return [StockChanged(_stock({**payload, "inventory_level": level}))]
    if kind != "product.update":
        return []
    product_id = _str(payload.get("id"))
    if product_id is None:
        raise PosBadResponse(f"{PROVIDER} product webhook without an id")
    try:
        item = _item(payload, currency, tax_inclusive)
    except PosBadResponse:
        if payload.get("deleted_at") and not payload.get("variant_parent_id"):
            return [ProductDeleted(product_id)]  # a product (and the variants under it) removed
        return [CatalogChanged(f"{PROVIDER} product.update for {product_id} without a full product")]
    return [ItemsChanged(item.product_external_id, (item,), item.updated_at, all_variants=False)]


# ---------------------------------------------------------------- multi-outlet


def combined_stock(levels: list[PosStock], outlet_ids: set[str]) -> int:
    """The quantity one localshelf location offers when the retailer combines several outlets' inventory
    (the seed's multi-outlet rule): the sum over the chosen outlets, negative levels counting as zero."""
    return sum(max(s.quantity, 0) for s in levels if s.location_external_id in outlet_ids)


# ---------------------------------------------------------------- record parsing


def _obj(value: object, what: str) -> Json:
    if not isinstance(value, dict):
        raise PosBadResponse(f"{PROVIDER} {what} is not an object")
    return value


def _version(after: str | None) -> int:
    if after is None:
        return 0
    try:
        return int(after)
    except ValueError:
        raise PosBadResponse(f"not a {PROVIDER} version cursor: {after[:40]!r}") from None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PosBadResponse(f"{PROVIDER} {what} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PosBadResponse(f"{PROVIDER} {what} is not a number") from None
    if not number.is_finite():
        raise PosBadResponse(f"{PROVIDER} {what} is not a number")
    return number


def _barcode(codes: object) -> str | None:
    if not isinstance(codes, list):
        return None
    pairs = [(str(c.get("type", "")).upper(), c.get("code")) for c in codes if isinstance(c, dict)]
    usable = [(t, c) for t, c in pairs if isinstance(c, str) and c.strip()]
    for kind, code in usable:
        if kind in PREFERRED_CODE_TYPES:
            return code.strip()
    return usable[0][1].strip() if usable else None


def _item(p: Json, currency: str, inclusive: bool) -> PosItem:
    product_id, name = _str(p.get("id")), _str(p.get("name"))
    if product_id is None or name is None:
        raise PosBadResponse(f"{PROVIDER} product without id or name")
    price_field = "price_including_tax" if inclusive else "price_excluding_tax"
    price = _decimal(p.get(price_field), price_field)
    minor = int((price * 10 ** minor_unit_exponent(currency)).to_integral_value())
    variant = _str(p.get("variant_name"))
    return PosItem(
        external_id=product_id,
        product_external_id=_str(p.get("variant_parent_id")) or product_id,
        sku=_str(p.get("sku")),
        barcode=_barcode(p.get("product_codes")),
        name=variant or name,  # X-Series' variant_name already reads "Tee / S"
        brand=None,
        category=None,
        description=_str(p.get("description")),
        image_urls=tuple(u for u in (_str(p.get("image_url")),) if u),
        price_minor=minor,
        currency=currency,
        active=p.get("active") is True and not p.get("deleted_at"),
        inventory_item_id=product_id,
        updated_at=_time(p.get("updated_at")),
        deleted=bool(p.get("deleted_at")),
    )


def _stock(r: Json) -> PosStock:
    product_id, outlet_id = _str(r.get("product_id")), _str(r.get("outlet_id"))
    if product_id is None or outlet_id is None:
        raise PosBadResponse(f"{PROVIDER} inventory record without product_id or outlet_id")
    level = r.get("inventory_level")
    quantity = 0 if level is None else int(_decimal(level, "inventory_level").to_integral_value())
    return PosStock(product_id, outlet_id, quantity, _time(r.get("updated_at")))


def _location(o: Json) -> PosLocation:
    outlet_id, name = _str(o.get("id")), _str(o.get("name"))
    if outlet_id is None or name is None:
        raise PosBadResponse(f"{PROVIDER} outlet without id or name")
    return PosLocation(
        external_id=outlet_id,
        name=name,
        address_line1=_str(o.get("physical_address_1")),
        city=_str(o.get("physical_city")),
        region=_str(o.get("physical_state")),
        postal_code=_str(o.get("physical_postcode")),
        country=_str(o.get("physical_country_id")),
        active=not o.get("deleted_at"),
    )
