"""The Clover REST v3 subset: merchant, address, properties, inventory items and item stocks.

Shapes, from docs.clover.com (Merchants and Inventory API reference, "Querying inventory", the June 2023
changelog that added ``limit``/``offset`` to items) and the third-party ``api-evangelist/clover`` OpenAPI:

* ``GET /v3/merchants/{mId}[?expand=address,properties]`` → ``{"href", "id", "name", "address": {"href"} |
  {address1, address2, address3, city, state, zip, country, phoneNumber}, "properties": {...}}``.
* ``GET /v3/merchants/{mId}/address`` → the address object; ``GET .../properties`` → ``{"defaultCurrency", ...}``.
* ``GET /v3/merchants/{mId}/items?limit&offset&expand=categories,itemStock&filter=…`` →
  ``{"elements": [Item], "href": …}``. ``limit`` defaults to 100, max 1000 (``CloverState.max_limit``); a larger
  limit is clamped. Order: creation order (Clover's default sort is unconfirmed).
* ``GET /v3/merchants/{mId}/item_stocks?limit&offset`` → ``{"elements": [{"item": {"id"}, "stockCount",
  "quantity"}]}``; ``GET .../item_stocks/{itemId}`` → one such object.

``filter`` may repeat (all must hold). Fields: ``modifiedTime``, ``price``, ``id``, ``sku``, ``itemCode``,
``name``, ``hidden``, ``available``, ``deleted``; operators ``= != < <= > >=``. Unknown fields answer 400.
Deleted items are left out unless a filter names ``deleted`` (``filter=deleted=true`` lists only deleted
ones); they carry ``"deleted": true`` and ``deletedTime``. That exact deleted-item behaviour is **unconfirmed**
(Clover lists ``deleted`` among the item filter fields; older APIs used ``includeDeleted=true``). Error
bodies ``{"message": "…"}`` follow the common Clover convention; exact wording is unconfirmed.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from localshelf.fakes.clover.state import CloverState, Item, Merchant

Json = dict[str, Any]
DEFAULT_LIMIT = 100
_FILTER = re.compile(r"^\s*([A-Za-z.]+)\s*(>=|<=|!=|=|>|<)\s*(.*?)\s*$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_INT_FIELDS: dict[str, Callable[[Item], int]] = {"modifiedTime": lambda i: i.modified_ms, "price": lambda i: i.price}
_STR_FIELDS: dict[str, Callable[[Item], str | None]] = {
    "id": lambda i: i.id,
    "sku": lambda i: i.sku,
    "itemCode": lambda i: i.code,
    "name": lambda i: i.name,
}
_BOOL_FIELDS: dict[str, Callable[[Item], bool]] = {
    "hidden": lambda i: i.hidden,
    "available": lambda i: i.available,
    "deleted": lambda i: i.deleted,
}


class BadRequest(Exception):
    pass


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


def _href(request: Request) -> str:
    return str(request.url)


def _expand(request: Request) -> set[str]:
    return {part.strip() for value in request.query_params.getlist("expand") for part in value.split(",")}


def _page_bounds(request: Request, state: CloverState) -> tuple[int, int]:
    try:
        limit = int(request.query_params.get("limit", DEFAULT_LIMIT))
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        raise BadRequest("limit and offset must be integers") from None
    if limit < 1 or offset < 0:
        raise BadRequest("limit must be positive and offset not negative")
    return min(limit, state.max_limit), offset


def address_json(merchant: Merchant, request: Request) -> Json:
    a = merchant.address
    return {
        "href": f"{request.base_url}v3/merchants/{merchant.id}/address",
        "address1": a.address1,
        "address2": a.address2,
        "address3": a.address3,
        "city": a.city,
        "state": a.state,
        "zip": a.zip,
        "country": a.country,
        "phoneNumber": a.phone_number,
    }


def properties_json(merchant: Merchant, request: Request) -> Json:
    return {
        "href": f"{request.base_url}v3/merchants/{merchant.id}/properties",
        "defaultCurrency": merchant.currency,
        "trackStock": True,
        "timezone": "America/Chicago",
    }


def merchant_json(merchant: Merchant, request: Request) -> Json:
    expand = _expand(request)
    base = f"{request.base_url}v3/merchants/{merchant.id}"
    return {
        "href": base,
        "id": merchant.id,
        "name": merchant.name,
        "address": address_json(merchant, request) if "address" in expand else {"href": f"{base}/address"},
        "properties": properties_json(merchant, request) if "properties" in expand else {"href": f"{base}/properties"},
    }


def stock_json(item: Item) -> Json:
    quantity = item.quantity if item.quantity is not None else 0.0
    return {"item": {"id": item.id}, "stockCount": math.floor(quantity + 0.5), "quantity": quantity}


def item_json(item: Item, expand: set[str]) -> Json:
    body: Json = {
        "id": item.id,
        "hidden": item.hidden,
        "available": item.available,
        "autoManage": False,
        "name": item.name,
        "alternateName": "",
        "price": item.price,
        "priceType": item.price_type,
        "defaultTaxRates": True,
        "isRevenue": True,
        "modifiedTime": item.modified_ms,
    }
    if item.code is not None:
        body["code"] = item.code
    if item.sku is not None:
        body["sku"] = item.sku
    if item.deleted:
        body["deleted"] = True
        body["deletedTime"] = item.deleted_ms
    if "categories" in expand:
        body["categories"] = {
            "elements": [{"id": c.id, "name": c.name, "sortOrder": c.sort_order} for c in item.categories]
        }
    if "itemStock" in expand and item.quantity is not None:
        body["itemStock"] = stock_json(item)
    return body


def _predicate(raw: str) -> tuple[Callable[[Item], bool], bool]:
    """One ``filter`` value → (test, whether it names ``deleted``)."""
    match = _FILTER.match(raw)
    if match is None:
        raise BadRequest(f"Invalid filter: {raw[:80]}")
    name, op, value = match.groups()
    compare = _OPS[op]
    if name in _INT_FIELDS:
        try:
            number = int(value)
        except ValueError:
            raise BadRequest(f"Invalid value for {name}") from None
        int_get = _INT_FIELDS[name]
        return (lambda item: compare(int_get(item), number)), False
    if name in _BOOL_FIELDS:
        if value not in ("true", "false") or op not in ("=", "!="):
            raise BadRequest(f"Invalid value for {name}")
        flag, bool_get = value == "true", _BOOL_FIELDS[name]
        return (lambda item: compare(bool_get(item), flag)), name == "deleted"
    if name in _STR_FIELDS:
        str_get = _STR_FIELDS[name]
        return (lambda item: compare(str_get(item) or "", value)), False
    raise BadRequest(f"Invalid filter field: {name}")


def list_items(request: Request, state: CloverState, merchant: Merchant) -> Response:
    try:
        limit, offset = _page_bounds(request, state)
        tests = [_predicate(raw) for raw in request.query_params.getlist("filter")]
    except BadRequest as exc:
        return error(400, str(exc))
    names_deleted = any(about_deleted for _test, about_deleted in tests)
    chosen = [
        item
        for item in merchant.items.values()
        if (names_deleted or not item.deleted) and all(test(item) for test, _ in tests)
    ]
    expand = _expand(request)
    page = [item_json(item, expand) for item in chosen[offset : offset + limit]]
    return JSONResponse({"elements": page, "href": _href(request)})


def list_item_stocks(request: Request, state: CloverState, merchant: Merchant) -> Response:
    try:
        limit, offset = _page_bounds(request, state)
    except BadRequest as exc:
        return error(400, str(exc))
    stocked = [i for i in merchant.items.values() if i.quantity is not None and not i.deleted]
    page = [stock_json(item) for item in stocked[offset : offset + limit]]
    return JSONResponse({"elements": page, "href": _href(request)})


def get_item_stock(merchant: Merchant, item_id: str) -> Response:
    item = merchant.items.get(item_id)
    if item is None or item.deleted or item.quantity is None:
        return error(404, "Not Found")
    return JSONResponse(stock_json(item))
