"""Shopify webhook bodies → provider-neutral events (pure: no I/O, no database, no signature check).

Verify ``X-Shopify-Hmac-Sha256`` first (see :mod:`localshelf.pos.signatures`), then call
:func:`parse_events` with the ``X-Shopify-Topic`` header, the raw body and the shop's currency. Bodies are
REST-style snake_case JSON with integer ids; events carry the GraphQL GIDs the catalog reader uses
(``gid://shopify/ProductVariant/<id>``, ...), so webhook and sync records compare equal. Orders and refunds
(``orders/create``, ``refunds/create``) become one :class:`StockMoved` per line that moves stock.

Strict with what identifies or prices a record (ids, title, status, price, ``available``); lenient with
descriptive extras (vendor, product_type, images, body_html, sku, barcode). Anything unusable raises
:class:`PosBadResponse` with a short message that never quotes the body.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any, TypeAlias

from localshelf.domain.money import minor_unit_exponent, normalize_currency
from localshelf.pos.contract import (
    AppUninstalled,
    ItemsChanged,
    PosBadResponse,
    PosItem,
    PosStock,
    ProductDeleted,
    StockChanged,
    StockMoved,
)

Json = dict[str, Any]
DEFAULT_VARIANT_TITLE = "Default Title"
MOVEMENT_TOPICS = frozenset({"orders/create", "refunds/create"})  # need the read_orders scope
TOPICS = frozenset(
    {"inventory_levels/update", "products/create", "products/update", "products/delete", "app/uninstalled"}
    | MOVEMENT_TOPICS
)
# A refund line's restock_type → the movement's reason; "no_restock" (and anything unknown) moves no stock.
RESTOCK_REASONS = {"return": "return", "legacy_restock": "return", "cancel": "refund"}


ShopifyEvent: TypeAlias = StockChanged | ItemsChanged | ProductDeleted | AppUninstalled  # see pos.contract


def parse_events(topic: str, body: bytes, currency: str) -> list[ShopifyEvent | StockMoved]:
    """Parse one delivery of any subscribed topic: an order or a refund gives one movement per stock-moving line."""
    if topic == "orders/create":
        return list(_order_moves(_payload(topic, body)))
    if topic == "refunds/create":
        return list(_refund_moves(_payload(topic, body)))
    return [parse_event(topic, body, currency)]


def parse_event(topic: str, body: bytes, currency: str) -> ShopifyEvent:
    """Parse one delivery of a single-record topic. ``currency`` is the shop's (prices in the body carry none)."""
    if topic not in TOPICS or topic in MOVEMENT_TOPICS:
        raise PosBadResponse(f"Unsupported Shopify webhook topic {topic[:60]!r}")
    payload = _payload(topic, body)
    if topic == "inventory_levels/update":
        return _stock_changed(payload)
    if topic == "products/delete":
        return ProductDeleted(_gid(payload, "id", "Product", "product id"))
    if topic == "app/uninstalled":
        return AppUninstalled()
    return _items_changed(payload, normalize_currency(currency))


def _payload(topic: str, body: bytes) -> Json:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise PosBadResponse(f"Shopify webhook {topic} body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise PosBadResponse(f"Shopify webhook {topic} body is not a JSON object")
    return payload


# ---------------------------------------------------------------- topics


def _stock_changed(payload: Json) -> StockChanged:
    available = payload.get("available")
    if available is None:
        available = 0
    elif not isinstance(available, int) or isinstance(available, bool):
        raise PosBadResponse("Shopify webhook inventory level has a non-integer available quantity")
    stock = PosStock(
        inventory_item_id=_gid(payload, "inventory_item_id", "InventoryItem", "inventory_item_id", fallback=None),
        location_external_id=_gid(payload, "location_id", "Location", "location_id", fallback=None),
        quantity=available,
        updated_at=_timestamp(payload.get("updated_at"), "updated_at"),
    )
    return StockChanged(stock)


def _items_changed(product: Json, currency: str) -> ItemsChanged:
    exponent = minor_unit_exponent(currency)
    product_id = _gid(product, "id", "Product", "product id")
    title = product.get("title")
    if not isinstance(title, str) or not title.strip():
        raise PosBadResponse("Shopify webhook product has a missing or empty title")
    status = product.get("status")
    if not isinstance(status, str):
        raise PosBadResponse("Shopify webhook product has a missing or invalid status")
    variants = product.get("variants")
    if not isinstance(variants, list):
        raise PosBadResponse("Shopify webhook product has a missing or invalid variants list")
    product_updated = _timestamp(product.get("updated_at"), "product updated_at")
    brand, category = _opt_str(product.get("vendor")), _opt_str(product.get("product_type"))
    description, image_urls = _description(product.get("body_html")), _image_urls(product.get("images"))
    items: list[PosItem] = []
    for index, raw in enumerate(variants):
        if not isinstance(raw, dict):
            raise PosBadResponse(f"Shopify webhook product variants[{index}] is not an object")
        variant_title = _opt_str(raw.get("title"))
        stamps = [
            t for t in (product_updated, _timestamp(raw.get("updated_at"), "variant updated_at")) if t is not None
        ]
        items.append(
            PosItem(
                external_id=_gid(raw, "id", "ProductVariant", f"variants[{index}].id"),
                product_external_id=product_id,
                sku=_opt_str(raw.get("sku")),
                barcode=_opt_str(raw.get("barcode")),
                name=title if variant_title in (None, DEFAULT_VARIANT_TITLE) else f"{title} - {variant_title}",
                brand=brand,
                category=category,
                description=description,
                image_urls=image_urls,
                price_minor=_price_minor(raw.get("price"), exponent, index),
                currency=currency,
                active=status.lower() == "active",
                inventory_item_id=_opt_gid(raw, "inventory_item_id", "InventoryItem", f"variants[{index}]"),
                updated_at=max(stamps) if stamps else None,
            )
        )
    return ItemsChanged(product_external_id=product_id, items=tuple(items), updated_at=product_updated)


def _happened_at(record: Json, what: str) -> datetime | None:
    """When an order or refund happened: its ``created_at``, else its ``processed_at``."""
    return _timestamp(record.get("created_at"), f"{what} created_at") or _timestamp(
        record.get("processed_at"), f"{what} processed_at"
    )


def _order_moves(order: Json) -> list[StockMoved]:
    """orders/create: each line sold from the order's location (POS orders carry ``location_id``; online orders
    do not, and their level change arrives as inventory_levels/update). Custom and gift-card lines move nothing."""
    order_id = _number(order, "id", "Order", "order id")
    if order.get("cancelled_at") is not None:
        return []
    location = _opt_gid(order, "location_id", "Location", "order")
    occurred = _happened_at(order, "order")
    moves = []
    for where, line, line_id, quantity in _lines(order, "line_items", "LineItem", "order"):
        if line.get("variant_id") is None or line.get("gift_card") is True or quantity == 0:
            continue
        moves.append(
            StockMoved(
                external_id=f"shopify:order:{order_id}:{line_id}",
                delta=-quantity,
                reason="sale",
                location_external_id=location,
                occurred_at=occurred,
                variant_external_id=_gid(line, "variant_id", "ProductVariant", f"{where}.variant_id", fallback=None),
            )
        )
    return moves


def _refund_moves(refund: Json) -> list[StockMoved]:
    """refunds/create: each refunded line restocked ("return", "cancel") at its ``location_id`` comes back."""
    refund_id = _number(refund, "id", "Refund", "refund id")
    occurred = _happened_at(refund, "refund")
    moves = []
    for where, line, line_id, quantity in _lines(refund, "refund_line_items", "RefundLineItem", "refund"):
        reason = RESTOCK_REASONS.get(str(line.get("restock_type")).lower())
        sold = line.get("line_item")
        if reason is None or quantity == 0 or not isinstance(sold, dict) or sold.get("variant_id") is None:
            continue
        moves.append(
            StockMoved(
                external_id=f"shopify:refund:{refund_id}:{line_id}",
                delta=quantity,
                reason=reason,
                location_external_id=_opt_gid(line, "location_id", "Location", where),
                occurred_at=occurred,
                variant_external_id=_gid(
                    sold, "variant_id", "ProductVariant", f"{where}.line_item.variant_id", fallback=None
                ),
            )
        )
    return moves


def _lines(parent: Json, key: str, kind: str, what: str) -> Iterator[tuple[str, Json, int, int]]:
    """Each line of an order or refund as (where, line, line id, quantity), every one checked."""
    for index, line in enumerate(_list(parent, key, what)):
        where = f"{key}[{index}]"
        if not isinstance(line, dict):
            raise PosBadResponse(f"Shopify webhook {what} {where} is not an object")
        yield where, line, _number(line, "id", kind, f"{where}.id"), _quantity(line.get("quantity"), where)


# ---------------------------------------------------------------- fields


def _number(obj: Json, key: str, kind: str, what: str) -> int:
    number = _id_number(obj.get(key), kind)
    if number is None:
        number = _id_number(obj.get("admin_graphql_api_id"), kind)
    if number is None:
        raise PosBadResponse(f"Shopify webhook has a missing or invalid {what}")
    return number


def _list(obj: Json, key: str, what: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PosBadResponse(f"Shopify webhook {what} has an invalid {key} list")
    return value


def _quantity(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PosBadResponse(f"Shopify webhook {where} has a missing or invalid quantity")
    return value


def _id_number(value: object, kind: str) -> int | None:
    """The integer behind a REST id (``123``) or a GID of ``kind`` (``gid://shopify/Kind/123``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if isinstance(value, str):
        match = re.fullmatch(rf"gid://shopify/{kind}/([1-9][0-9]*)", value)
        if match:
            return int(match.group(1))
    return None


def _gid(obj: Json, key: str, kind: str, what: str, *, fallback: str | None = "admin_graphql_api_id") -> str:
    number = _id_number(obj.get(key), kind)
    if number is None and fallback is not None:
        number = _id_number(obj.get(fallback), kind)
    if number is None:
        raise PosBadResponse(f"Shopify webhook has a missing or invalid {what}")
    return f"gid://shopify/{kind}/{number}"


def _opt_gid(obj: Json, key: str, kind: str, where: str) -> str | None:
    if obj.get(key) is None:
        return None
    return _gid(obj, key, kind, f"{where}.{key}", fallback=None)


def _opt_str(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _timestamp(value: object, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PosBadResponse(f"Shopify webhook has an invalid {what} timestamp") from None
    if parsed.tzinfo is None:
        raise PosBadResponse(f"Shopify webhook {what} timestamp has no UTC offset")
    return parsed.astimezone(UTC)


def _price_minor(price: object, exponent: int, index: int) -> int:
    shown = repr(price)[:20]
    if isinstance(price, bool) or not isinstance(price, str | int | float):
        raise PosBadResponse(f"Shopify webhook variants[{index}] has a missing or invalid price {shown}")
    try:
        amount = Decimal(str(price).strip())
    except InvalidOperation:
        raise PosBadResponse(f"Shopify webhook variants[{index}] price is not a decimal: {shown}") from None
    if not amount.is_finite() or amount < 0:
        raise PosBadResponse(f"Shopify webhook variants[{index}] has an invalid price {shown}")
    return int(amount.scaleb(exponent).to_integral_value(rounding=ROUND_HALF_EVEN))


def _image_urls(images: object) -> tuple[str, ...]:
    if not isinstance(images, list):
        return ()
    found: list[tuple[float, int, str]] = []
    for index, image in enumerate(images):
        src = image.get("src") if isinstance(image, dict) else None
        if isinstance(src, str) and src.startswith(("https://", "http://")):
            position = image.get("position")
            rank = position if isinstance(position, int) and not isinstance(position, bool) else math.inf
            found.append((rank, index, src))
    return tuple(src for _rank, _index, src in sorted(found))


class _TextOnly(HTMLParser):
    _BLOCKS = frozenset(
        {"br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
    )
    _HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        if tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _description(body_html: object) -> str | None:
    if not isinstance(body_html, str):
        return None
    parser = _TextOnly()
    parser.feed(body_html)
    parser.close()
    return " ".join("".join(parser.parts).split()) or None
