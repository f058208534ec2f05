"""Admin GraphQL API subset: ``POST /admin/api/{version}/graphql.json``.

There is no GraphQL engine here. The fake recognises an operation BY NAME - the ``operationName`` member of
the JSON body, or else the name in ``query Name(...)`` / ``mutation Name(...)`` - reads its arguments ONLY
from ``variables`` (literal arguments written in the query text are ignored) and answers the full field
set listed below, whatever the selection set says - except that a connection answers ``nodes`` and/or
``edges {cursor node}`` as selected, like Shopify (both when the query uses aliases, fragments or directives,
which this reader does not follow). Write queries with exactly these names and variables; select any subset
of the fields shown. Connections also answer ``pageInfo {hasNextPage endCursor hasPreviousPage
startCursor}``; cursors are opaque strings; ``first``
must be 1..250 (Shopify's per-connection cap). Scopes: a token with ``write_x`` also has ``read_x``.

Supported operations (variables; ``!`` = required):

``Shop`` - no variables. → ``shop {id name myshopifyDomain currencyCode}``. Cost 1.

``Locations($first: Int!, $after: String)`` - scope read_locations.
    → ``locations {nodes {id name isActive fulfillsOnlineOrders
    address {address1 city provinceCode zip countryCode}}}``. Cost 2 + first.

``ProductsPage($first: Int!, $after: String, $variantsFirst: Int = 100, $query: String)`` - scope read_products.
    Products in ascending id order (Shopify's default sortKey ID). ``query`` understands
    ``updated_at:>'2026-01-01T00:00:00Z'`` (also ``>=``, ``<``, ``<=``) and ``status:active[,draft,…]``,
    joined by spaces or ``AND``; other terms are ignored.
    → ``products {nodes {id title handle status vendor productType tags description featuredImage {url} createdAt updatedAt
    variants {pageInfo nodes {id title sku barcode price compareAtPrice updatedAt
    selectedOptions {name value} inventoryItem {id tracked}}}}}``. ``price`` is a decimal string.
    Cost 2 + first × (1 + variantsFirst) requested; actual counts what was returned.

``InventoryLevels($inventoryItemId: ID!, $first: Int!, $after: String, $names: [String!] = ["available"])``
    - scope read_inventory. → ``inventoryItem {id tracked sku variant {id}
    inventoryLevels {nodes {id location {id name} quantities(names: $names) {name quantity updatedAt}}}}``
    (``inventoryItem: null`` for an unknown id). Cost 3 + 2 × first.

``LocationInventory($locationId: ID!, $first: Int!, $after: String, $names: [String!] = ["available"])``
    - scope read_inventory. Every inventory level stocked at one location (the per-location sync).
    → ``location {id name isActive inventoryLevels {nodes {id item {id sku variant {id}}
    quantities(names: $names) {name quantity updatedAt}}}}`` (``location: null`` if unknown). Cost 3 + 2 × first.

``WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!)``
    - input ``{uri | callbackUrl, format: JSON}``. → ``webhookSubscriptionCreate {webhookSubscription
    {id topic format uri endpoint {__typename callbackUrl}} userErrors {field message}}``. Cost 10.

``WebhookSubscriptionUpdate($id: ID!, $webhookSubscription: WebhookSubscriptionInput!)``
    - input ``{uri | callbackUrl, format}`` (omitted members keep their value). → ``webhookSubscriptionUpdate
    {webhookSubscription {…as for create…} userErrors {field message}}``; an unknown id answers
    ``webhookSubscription: null`` and a userError on ``["id"]``. Cost 10.

``WebhookSubscriptionDelete($id: ID!)`` → ``webhookSubscriptionDelete {deletedWebhookSubscriptionId
    userErrors {field message}}``; an unknown id answers ``deletedWebhookSubscriptionId: null`` and a userError
    on ``["id"]``. Cost 10.

Quantity names accepted: available, on_hand, committed, incoming, reserved, damaged, safety_stock,
quality_control (the fake holds only ``available``; ``on_hand`` equals it and the others are 0).

Every answer carries ``extensions.cost {requestedQueryCost actualQueryCost throttleStatus {maximumAvailable
currentlyAvailable restoreRate}}``. The bucket (per shop) must hold ``requestedQueryCost`` before a query
runs; ``requested - actual`` is refunded. Otherwise HTTP 200 ``{"errors": [{"message": "Throttled",
"extensions": {"code": "THROTTLED", "documentation": …}}], "extensions": {"cost": {…, "actualQueryCost": null}}}``.
A query whose requested cost exceeds 1000 gets ``MAX_COST_EXCEEDED``. Unknown operations get an
``errors`` answer with code ``UNSUPPORTED_OPERATION`` (fake-specific). Bad variables get ``BAD_USER_INPUT``
(Shopify's exact codes/messages for argument errors are unconfirmed).
"""

from __future__ import annotations

import base64
import binascii
import json
import operator
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from localshelf.fakes.shopify.state import (
    Location,
    Product,
    Shop,
    ShopifyState,
    Variant,
    WebhookSubscription,
    gid,
    iso,
    keys_after,
    parse_gid,
)

MAX_PAGE_SIZE = 250
MAX_QUERY_COST = 1000
THROTTLE_DOCS = "https://shopify.dev/api/usage/rate-limits"
QUANTITY_NAMES = frozenset(
    {"available", "on_hand", "committed", "incoming", "reserved", "damaged", "safety_stock", "quality_control"}
)
WEBHOOK_TOPICS = frozenset(
    {
        "APP_UNINSTALLED",
        "PRODUCTS_CREATE",
        "PRODUCTS_UPDATE",
        "PRODUCTS_DELETE",
        "INVENTORY_LEVELS_UPDATE",
        "INVENTORY_LEVELS_CONNECT",
        "INVENTORY_LEVELS_DISCONNECT",
        "INVENTORY_ITEMS_CREATE",
        "INVENTORY_ITEMS_UPDATE",
        "INVENTORY_ITEMS_DELETE",
        "LOCATIONS_CREATE",
        "LOCATIONS_UPDATE",
        "LOCATIONS_DELETE",
        "BULK_OPERATIONS_FINISH",
        "ORDERS_CREATE",
        "REFUNDS_CREATE",
    }
)

Json = dict[str, Any]
T = TypeVar("T")
_OPERATION_NAME = re.compile(r"^\s*(?:#[^\n]*\n\s*)*(query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)")


class GraphQLError(Exception):
    def __init__(self, message: str, code: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra

    def as_json(self) -> Json:
        return {"message": self.message, "extensions": {"code": self.code, **self.extra}}


@dataclass
class Planned:
    """An operation ready to run: what it asks for, what it needs, and how to run it."""

    requested_cost: int
    scope: str | None
    run: Callable[[], tuple[Json, int]]  # → (data, actual cost)


Selection = dict[str, "Selection"]
_SELECTION_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|#[^\n]*|\.\.\.|[_A-Za-z][_0-9A-Za-z]*|[{}():@]|[^\s,]')


@lru_cache(maxsize=64)
def selection_of(query: str) -> Selection | None:
    """The operation's selection set as nested field names, or None when it uses what this reader does not
    follow (aliases, fragments, directives)."""
    tokens = [t for t in _SELECTION_TOKEN.findall(query) if not t.startswith("#")]
    if "{" not in tokens or any(t in ("...", "@", ":") for t in _outside_parentheses(tokens)):
        return None
    position = tokens.index("{")
    selection, _ = _selection_set(tokens, position + 1)
    return selection


def _outside_parentheses(tokens: list[str]) -> list[str]:
    depth, outside = 0, []
    for token in tokens:
        depth += token == "("
        depth -= token == ")"
        if depth == 0 and token != ")":
            outside.append(token)
    return outside


def _selection_set(tokens: list[str], position: int) -> tuple[Selection, int]:
    fields: Selection = {}
    while position < len(tokens) and tokens[position] != "}":
        name = tokens[position]
        position += 1
        if position < len(tokens) and tokens[position] == "(":  # arguments: skipped
            depth = 0
            while position < len(tokens):
                depth += tokens[position] == "("
                depth -= tokens[position] == ")"
                position += 1
                if depth == 0:
                    break
        children: Selection = {}
        if position < len(tokens) and tokens[position] == "{":
            children, position = _selection_set(tokens, position + 1)
        fields[name] = children
    return fields, position + 1


def prune_connections(value: Any, selection: Selection) -> None:
    """Drop the ``nodes`` or ``edges`` of each selected connection that the query did not ask for."""
    if isinstance(value, list):
        for item in value:
            prune_connections(item, selection)
        return
    if not isinstance(value, dict):
        return
    if "pageInfo" in value and "nodes" in value and "edges" in value:
        for unasked in [key for key in ("nodes", "edges") if key not in selection]:
            del value[unasked]
    for name, children in selection.items():
        if children and name in value:
            prune_connections(value[name], children)


def operation_name(body: Json) -> str | None:
    name = body.get("operationName")
    if isinstance(name, str) and name:
        return name
    query = body.get("query")
    if isinstance(query, str):
        match = _OPERATION_NAME.match(query)
        if match:
            return match.group(2)
    return None


# ---------------------------------------------------------------- helpers


def encode_cursor(last_id: int) -> str:
    # What json.dumps({"last_id": last_id}) writes, without its encoder per cursor (one per node of a page).
    return base64.urlsafe_b64encode(f'{{"last_id": {int(last_id)}}}'.encode()).decode()


def decode_cursor(cursor: object) -> int:
    if cursor is None:
        return -1
    try:
        if not isinstance(cursor, str):
            raise ValueError
        loaded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        value = loaded["last_id"]
        if not isinstance(value, int):
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise GraphQLError(f"Invalid cursor for pagination: {cursor!r}", "BAD_USER_INPUT") from exc


def _page_size(variables: Json, name: str = "first", default: int | None = None) -> int:
    value = variables.get(name, default)
    if value is None:
        raise GraphQLError(f"Variable ${name} of type Int! was provided invalid value", "BAD_USER_INPUT")
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PAGE_SIZE:
        raise GraphQLError(f"${name} must be between 1 and {MAX_PAGE_SIZE}, got {value!r}", "BAD_USER_INPUT")
    return value


def _page(items: Sequence[T], key: Callable[[T], int], first: int, after: object) -> tuple[list[T], bool]:
    start = decode_cursor(after)
    remaining = [item for item in items if key(item) > start]
    return remaining[:first], len(remaining) > first


def _products_page(shop: Shop, keep: Callable[[Product], bool], first: int, after: int) -> tuple[list[Product], bool]:
    """The next ``first`` products (ascending id) that ``keep`` accepts, and whether more follow."""
    ids = shop.product_ids()
    page: list[Product] = []
    for index in range(bisect_right(ids, after), len(ids)):
        product = shop.products[ids[index]]
        if keep(product):
            if len(page) == first:
                return page, True
            page.append(product)
    return page, False


def _connection(nodes: list[Json], keys: list[int], has_next: bool, has_previous: bool) -> Json:
    cursors = [encode_cursor(k) for k in keys]
    return {
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
        "nodes": nodes,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
    }


def _quantity_names(variables: Json) -> list[str]:
    names = variables.get("names", ["available"])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise GraphQLError("Variable $names must be a list of strings", "BAD_USER_INPUT")
    unknown = [n for n in names if n not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(f"Invalid quantity names: {', '.join(unknown)}", "BAD_USER_INPUT")
    return names


def _quantities(shop: Shop, item_id: int, location_id: int, names: list[str]) -> list[Json]:
    available = shop.levels.get((item_id, location_id), 0)
    updated = iso(shop.level_updated.get((item_id, location_id), 0.0))
    values = {"available": available, "on_hand": available}
    return [{"name": n, "quantity": values.get(n, 0), "updatedAt": updated} for n in names]


def _level_id(item_id: int, location_id: int) -> str:
    return f"{gid('InventoryLevel', location_id)}?inventory_item_id={item_id}"


def _location_json(location: Location) -> Json:
    return {
        "id": gid("Location", location.id),
        "name": location.name,
        "isActive": location.is_active,
        "fulfillsOnlineOrders": location.fulfills_online_orders,
        "address": {
            "address1": location.address1,
            "city": location.city,
            "provinceCode": location.province_code,
            "zip": location.zip,
            "countryCode": location.country_code,
        },
    }


def _variant_json(variant: Variant) -> Json:
    return {
        "id": gid("ProductVariant", variant.id),
        "title": variant.title,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "price": variant.price,
        "compareAtPrice": variant.compare_at_price,
        "updatedAt": iso(variant.updated_at),
        "selectedOptions": [{"name": variant.option_name, "value": variant.option_value}],
        "inventoryItem": {"id": gid("InventoryItem", variant.inventory_item_id), "tracked": variant.tracked},
    }


def _product_json(product: Product, variants_first: int) -> tuple[Json, int]:
    variants = product.variants[:variants_first]
    data = {
        "id": gid("Product", product.id),
        "title": product.title,
        "handle": product.handle,
        "status": product.status,
        "vendor": product.vendor,
        "productType": product.product_type,
        "tags": list(product.tags),
        "description": product.description,
        "featuredImage": {"url": product.image_url} if product.image_url else None,
        "createdAt": iso(product.created_at),
        "updatedAt": iso(product.updated_at),
        "variants": _connection(
            [_variant_json(v) for v in variants],
            [v.id for v in variants],
            len(product.variants) > variants_first,
            False,
        ),
    }
    return data, len(variants)


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "": operator.eq,
}
_QUERY_TERM = re.compile(r"(\w+):(>=|<=|>|<)?'?([^'\s]+)'?")


def _updated_check(compare: Callable[[float, float], bool], bound: float) -> Callable[[Product], bool]:
    return lambda p: compare(p.updated_at, bound)


def _status_check(wanted: set[str]) -> Callable[[Product], bool]:
    return lambda p: p.status in wanted


def _product_filter(query: object) -> Callable[[Product], bool]:
    if query is None or query == "":
        return lambda _p: True
    if not isinstance(query, str):
        raise GraphQLError("Variable $query must be a string", "BAD_USER_INPUT")
    checks: list[Callable[[Product], bool]] = []
    for field_name, op, raw in _QUERY_TERM.findall(query):
        if field_name == "updated_at":
            try:
                bound = datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
            except ValueError as exc:
                raise GraphQLError(f"Invalid updated_at value {raw!r}", "BAD_USER_INPUT") from exc
            checks.append(_updated_check(_COMPARISONS[op], bound))
        elif field_name == "status":
            wanted = {s.strip().upper() for s in raw.split(",")}
            checks.append(_status_check(wanted))
    return lambda p: all(check(p) for check in checks)


def _has_scope(granted: str, needed: str) -> bool:
    scopes = {s.strip() for s in granted.split(",")}
    return needed in scopes or needed.replace("read_", "write_", 1) in scopes


# ---------------------------------------------------------------- operations


def _plan_shop(state: ShopifyState, shop: Shop, variables: Json) -> Planned:
    def run() -> tuple[Json, int]:
        data = {
            "shop": {
                "id": gid("Shop", shop.id),
                "name": shop.name,
                "myshopifyDomain": shop.domain,
                "currencyCode": shop.currency,
            }
        }
        return data, 1

    return Planned(1, None, run)


def _plan_locations(state: ShopifyState, shop: Shop, variables: Json) -> Planned:
    first = _page_size(variables)
    after = variables.get("after")
    decode_cursor(after)

    def run() -> tuple[Json, int]:
        items, has_next = _page(sorted(shop.locations.values(), key=lambda x: x.id), lambda x: x.id, first, after)
        conn = _connection([_location_json(x) for x in items], [x.id for x in items], has_next, after is not None)
        return {"locations": conn}, 2 + len(items)

    return Planned(2 + first, "read_locations", run)


def _plan_products(state: ShopifyState, shop: Shop, variables: Json) -> Planned:
    first = _page_size(variables)
    variants_first = _page_size(variables, "variantsFirst", 100)
    after = variables.get("after")
    decode_cursor(after)
    keep = _product_filter(variables.get("query"))

    def run() -> tuple[Json, int]:
        items, has_next = _products_page(shop, keep, first, decode_cursor(after))
        nodes: list[Json] = []
        actual = 2
        for product in items:
            node, variant_count = _product_json(product, variants_first)
            nodes.append(node)
            actual += 1 + variant_count
        return {"products": _connection(nodes, [p.id for p in items], has_next, after is not None)}, actual

    return Planned(2 + first * (1 + variants_first), "read_products", run)


def _plan_inventory_levels(state: ShopifyState, shop: Shop, variables: Json) -> Planned:
    item_id = parse_gid(variables.get("inventoryItemId"), "InventoryItem")
    if item_id is None:
        raise GraphQLError("Variable $inventoryItemId must be an InventoryItem GID", "BAD_USER_INPUT")
    first = _page_size(variables)
    after = variables.get("after")
    decode_cursor(after)
    names = _quantity_names(variables)

    def run() -> tuple[Json, int]:
        variant = shop.variant_by_item(item_id)
        if variant is None:
            return {"inventoryItem": None}, 1
        location_ids = sorted(loc for (item, loc) in shop.levels if item == item_id)
        items, has_next = _page(location_ids, lambda x: x, first, after)
        nodes = [
            {
                "id": _level_id(item_id, loc),
                "location": {"id": gid("Location", loc), "name": shop.locations[loc].name},
                "quantities": _quantities(shop, item_id, loc, names),
            }
            for loc in items
        ]
        data = {
            "inventoryItem": {
                "id": gid("InventoryItem", item_id),
                "tracked": variant.tracked,
                "sku": variant.sku,
                "variant": {"id": gid("ProductVariant", variant.id)},
                "inventoryLevels": _connection(nodes, items, has_next, after is not None),
            }
        }
        return data, 3 + 2 * len(items)

    return Planned(3 + 2 * first, "read_inventory", run)


def _plan_location_inventory(state: ShopifyState, shop: Shop, variables: Json) -> Planned:
    location_id = parse_gid(variables.get("locationId"), "Location")
    if location_id is None:
        raise GraphQLError("Variable $locationId must be a Location GID", "BAD_USER_INPUT")
    first = _page_size(variables)
    after = variables.get("after")
    decode_cursor(after)
    names = _quantity_names(variables)

    def run() -> tuple[Json, int]:
        location = shop.locations.get(location_id)
        if location is None:
            return {"location": None}, 1
        items, has_next = keys_after(shop.stocked_item_ids(location_id), decode_cursor(after), first)
        nodes = []
        for item_id in items:
            variant = shop.variant_by_item(item_id)
            nodes.append(
                {
                    "id": _level_id(item_id, location_id),
                    "item": {
                        "id": gid("InventoryItem", item_id),
                        "sku": variant.sku if variant else None,
                        "variant": {"id": gid("ProductVariant", variant.id)} if variant else None,
                    },
                    "quantities": _quantities(shop, item_id, location_id, names),
                }
            )
        data = {
            "location": {
                "id": gid("Location", location.id),
                "name": location.name,
                "isActive": location.is_active,
                "inventoryLevels": _connection(nodes, items, has_next, after is not None),
            }
        }
        return data, 3 + 2 * len(items)

    return Planned(3 + 2 * first, "read_inventory", run)


def _plan_webhook_create(state: ShopifyState, shop: Shop, variables: Json) -> Planned:
    topic = variables.get("topic")
    sub = variables.get("webhookSubscription")
    if not isinstance(sub, dict):
        raise GraphQLError(
            "Variable $webhookSubscription of type WebhookSubscriptionInput! was not provided", "BAD_USER_INPUT"
        )

    def run() -> tuple[Json, int]:
        errors: list[Json] = []
        if topic not in WEBHOOK_TOPICS:
            errors.append({"field": ["topic"], "message": f"Topic {topic!r} is not supported"})
        uri = sub.get("uri") or sub.get("callbackUrl")
        if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
            errors.append({"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"})
        fmt = sub.get("format", "JSON")
        if errors:
            return {"webhookSubscriptionCreate": {"webhookSubscription": None, "userErrors": errors}}, 10
        assert isinstance(uri, str) and isinstance(topic, str)
        if any(s.topic == topic and s.uri == uri for s in shop.subscriptions.values()):
            message = "Address for this topic has already been taken"
            return {
                "webhookSubscriptionCreate": {
                    "webhookSubscription": None,
                    "userErrors": [{"field": ["address"], "message": message}],
                }
            }, 10
        subscription = WebhookSubscription(id=state.new_id(), topic=topic, uri=uri, format=str(fmt))
        shop.subscriptions[subscription.id] = subscription
        created = _subscription_json(subscription)
        return {"webhookSubscriptionCreate": {"webhookSubscription": created, "userErrors": []}}, 10

    return Planned(10, None, run)


def _subscription_json(subscription: WebhookSubscription) -> Json:
    return {
        "id": gid("WebhookSubscription", subscription.id),
        "topic": subscription.topic,
        "format": subscription.format,
        "uri": subscription.uri,
        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": subscription.uri},
    }


def _subscription_id(variables: Json) -> int:
    subscription_id = parse_gid(variables.get("id"), "WebhookSubscription")
    if subscription_id is None:
        raise GraphQLError("Variable $id must be a WebhookSubscription GID", "BAD_USER_INPUT")
    return subscription_id


_UNKNOWN_SUBSCRIPTION: Json = {"field": ["id"], "message": "Webhook subscription does not exist"}


def _plan_webhook_update(state: ShopifyState, shop: Shop, variables: Json) -> Planned:
    subscription_id = _subscription_id(variables)
    sub = variables.get("webhookSubscription")
    if not isinstance(sub, dict):
        raise GraphQLError(
            "Variable $webhookSubscription of type WebhookSubscriptionInput! was not provided", "BAD_USER_INPUT"
        )

    def answer(subscription: Json | None, errors: list[Json]) -> tuple[Json, int]:
        return {"webhookSubscriptionUpdate": {"webhookSubscription": subscription, "userErrors": errors}}, 10

    def run() -> tuple[Json, int]:
        subscription = shop.subscriptions.get(subscription_id)
        if subscription is None:
            return answer(None, [dict(_UNKNOWN_SUBSCRIPTION)])
        given = sub.get("uri") if sub.get("uri") is not None else sub.get("callbackUrl")
        uri = subscription.uri if given is None else given
        if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
            return answer(None, [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}])
        if any(
            s.id != subscription.id and s.topic == subscription.topic and s.uri == uri
            for s in shop.subscriptions.values()
        ):
            return answer(None, [{"field": ["address"], "message": "Address for this topic has already been taken"}])
        subscription.uri = uri
        subscription.format = str(sub.get("format") or subscription.format)
        return answer(_subscription_json(subscription), [])

    return Planned(10, None, run)


def _plan_webhook_delete(state: ShopifyState, shop: Shop, variables: Json) -> Planned:
    subscription_id = _subscription_id(variables)

    def run() -> tuple[Json, int]:
        if shop.subscriptions.pop(subscription_id, None) is None:
            result: Json = {"deletedWebhookSubscriptionId": None, "userErrors": [dict(_UNKNOWN_SUBSCRIPTION)]}
        else:
            result = {"deletedWebhookSubscriptionId": gid("WebhookSubscription", subscription_id), "userErrors": []}
        return {"webhookSubscriptionDelete": result}, 10

    return Planned(10, None, run)


OPERATIONS: dict[str, Callable[[ShopifyState, Shop, Json], Planned]] = {
    "Shop": _plan_shop,
    "Locations": _plan_locations,
    "ProductsPage": _plan_products,
    "InventoryLevels": _plan_inventory_levels,
    "LocationInventory": _plan_location_inventory,
    "WebhookSubscriptionCreate": _plan_webhook_create,
    "WebhookSubscriptionUpdate": _plan_webhook_update,
    "WebhookSubscriptionDelete": _plan_webhook_delete,
}


# ---------------------------------------------------------------- execution


def _cost(shop: Shop, requested: int, actual: int | None) -> Json:
    bucket = shop.bucket
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": float(bucket.maximum),
            "currentlyAvailable": int(bucket.available),
            "restoreRate": float(bucket.restore_rate),
        },
    }


def execute(state: ShopifyState, shop: Shop, granted_scope: str, body: object) -> Json:
    """Answer one GraphQL request body (always HTTP 200 at this layer)."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return {"errors": [{"message": "Parameter Missing or Invalid: query", "extensions": {"code": "BAD_REQUEST"}}]}
    name = operation_name(body)
    planner = OPERATIONS.get(name or "")
    if planner is None:
        message = f"Fake Shopify does not support operation {name!r}; supported: {', '.join(sorted(OPERATIONS))}"
        return {"errors": [GraphQLError(message, "UNSUPPORTED_OPERATION").as_json()]}
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return {"errors": [GraphQLError("variables must be an object", "BAD_USER_INPUT").as_json()]}
    try:
        planned = planner(state, shop, variables)
    except GraphQLError as exc:
        return {"errors": [exc.as_json()]}
    if planned.scope and not _has_scope(granted_scope, planned.scope):
        message = f"Access denied for {name} field. Required access: `{planned.scope}` access scope."
        return {"data": None, "errors": [GraphQLError(message, "ACCESS_DENIED").as_json()]}
    bucket = shop.bucket
    bucket.refill(state.clock())
    if planned.requested_cost > MAX_QUERY_COST:
        message = (
            f"Query cost is {planned.requested_cost}, which exceeds the single query max cost limit ({MAX_QUERY_COST})."
        )
        error = GraphQLError(message, "MAX_COST_EXCEEDED", cost=planned.requested_cost, maxCost=MAX_QUERY_COST)
        return {"errors": [error.as_json()], "extensions": {"cost": _cost(shop, planned.requested_cost, None)}}
    if planned.requested_cost > bucket.available:
        error = GraphQLError("Throttled", "THROTTLED", documentation=THROTTLE_DOCS)
        return {"errors": [error.as_json()], "extensions": {"cost": _cost(shop, planned.requested_cost, None)}}
    bucket.available -= planned.requested_cost
    data, actual = planned.run()
    selection = selection_of(str(body["query"]))
    if selection is not None:
        prune_connections(data, selection)
    actual = min(actual, planned.requested_cost)
    bucket.available = min(bucket.maximum, bucket.available + planned.requested_cost - actual)
    return {"data": data, "extensions": {"cost": _cost(shop, planned.requested_cost, actual)}}
