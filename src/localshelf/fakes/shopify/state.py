"""In-memory state of the fake Shopify: app, shops, locations, catalog, inventory, tokens, buckets.

Ids are plain integers inside the fake and rendered as GIDs (``gid://shopify/Product/123``) on
the GraphQL wire and as integers in REST-style webhook payloads, as Shopify does.
"""

from __future__ import annotations

import functools
import random
import secrets
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from localshelf.fakes.faults import FakeClock as FakeClock  # re-exported

ProductStatus = Literal["ACTIVE", "DRAFT", "ARCHIVED"]
Clock = Callable[[], float]
K = TypeVar("K")
V = TypeVar("V")


class VersionedDict(dict[K, V]):
    """A dict that counts its changes, so sorted views of it can be cached until it changes (a 100k-product
    catalog is paged 1,000 times: re-sorting it for every page made the fake quadratic)."""

    version: int = 0

    def __setitem__(self, key: K, value: V) -> None:
        self.version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: K) -> None:
        self.version += 1
        super().__delitem__(key)

    def pop(self, key: K, *default: Any) -> Any:
        self.version += 1
        return super().pop(key, *default)

    def popitem(self) -> tuple[K, V]:
        self.version += 1
        return super().popitem()

    def setdefault(self, key: K, default: Any = None) -> Any:
        self.version += 1
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.version += 1
        super().update(*args, **kwargs)

    def clear(self) -> None:
        self.version += 1
        super().clear()

    def __ior__(self, other: Any) -> VersionedDict[K, V]:  # type: ignore[override,misc]
        self.version += 1
        super().__ior__(other)
        return self


def keys_after(keys: list[int], after: int, first: int) -> tuple[list[int], bool]:
    """The first ``first`` of sorted ``keys`` greater than ``after``, and whether more follow."""
    start = bisect_right(keys, after)
    return keys[start : start + first], start + first < len(keys)


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: object, kind: str) -> int | None:
    """The integer id of ``gid://shopify/{kind}/{n}``, or None when it is not such a GID."""
    if not isinstance(value, str):
        return None
    prefix = f"gid://shopify/{kind}/"
    if not value.startswith(prefix):
        return None
    rest = value[len(prefix) :].split("?", 1)[0]
    return int(rest) if rest.isdigit() else None


@functools.lru_cache(maxsize=4096)  # a catalog's rows share a handful of times; formatting was a quarter of a page
def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class App:
    client_id: str
    client_secret: str


@dataclass(slots=True)  # a 100k-product catalog: no per-object __dict__
class Location:
    id: int
    name: str
    is_active: bool = True
    fulfills_online_orders: bool = True
    address1: str = ""
    city: str = ""
    province_code: str = ""
    zip: str = ""
    country_code: str = "US"


@dataclass(slots=True)
class Variant:
    id: int
    title: str
    sku: str | None
    barcode: str | None
    price: str  # Money scalar: decimal string such as "19.99"
    inventory_item_id: int
    compare_at_price: str | None = None
    option_name: str = "Title"
    option_value: str = "Default Title"
    tracked: bool = True
    updated_at: float = 0.0


@dataclass(slots=True)
class Product:
    id: int
    title: str
    handle: str
    vendor: str
    product_type: str
    status: ProductStatus
    variants: list[Variant]
    tags: list[str] = field(default_factory=list)
    updated_at: float = 0.0
    created_at: float = 0.0
    description: str = ""
    image_url: str | None = None


@dataclass
class LineItem:
    """One line of an order: ``quantity`` units of a variant."""

    id: int
    variant_id: int
    product_id: int
    title: str
    sku: str | None
    price: str
    quantity: int


@dataclass
class Order:
    """A sale; a POS sale carries the store's ``location_id`` (online orders have none)."""

    id: int
    number: int
    location_id: int | None
    line_items: list[LineItem]
    created_at: float


@dataclass
class RefundLine:
    id: int
    line_item: LineItem
    quantity: int
    restock_type: Literal["return", "cancel", "no_restock"]
    location_id: int | None  # where the units are restocked (None with no_restock)


@dataclass
class Refund:
    id: int
    order_id: int
    lines: list[RefundLine]
    created_at: float


@dataclass
class AuthCode:
    code: str
    scope: str
    expires_at: float


@dataclass
class WebhookSubscription:
    id: int
    topic: str  # GraphQL enum value, e.g. PRODUCTS_UPDATE
    uri: str
    format: str = "JSON"


@dataclass
class Bucket:
    """Shopify's leaky bucket for GraphQL cost: refills at ``restore_rate`` points/second."""

    maximum: float = 1000.0
    restore_rate: float = 50.0
    available: float = 1000.0
    updated: float = 0.0

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.available = min(self.maximum, self.available + elapsed * self.restore_rate)
        self.updated = now


@dataclass
class Shop:
    domain: str
    name: str
    id: int
    currency: str = "USD"
    approve_installs: bool = True  # False: the merchant denies the OAuth request
    consent_page: bool = False  # True: the merchant sees an Allow/Deny page (browser tests) before deciding
    locations: dict[int, Location] = field(default_factory=dict)
    products: VersionedDict[int, Product] = field(default_factory=VersionedDict)
    levels: VersionedDict[tuple[int, int], int] = field(default_factory=VersionedDict)  # (item, location) -> available
    level_updated: dict[tuple[int, int], float] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> granted scope string
    codes: dict[str, AuthCode] = field(default_factory=dict)
    subscriptions: dict[int, WebhookSubscription] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    refunds: dict[int, Refund] = field(default_factory=dict)
    bucket: Bucket = field(default_factory=Bucket)
    _sorted: dict[object, tuple[int, list[int]]] = field(default_factory=dict, repr=False, compare=False)

    def product_ids(self) -> list[int]:
        """Product ids in ascending order (Shopify's default sort), cached until the catalog changes."""
        return self._cached("products", self.products, lambda: sorted(self.products))

    def stocked_item_ids(self, location_id: int) -> list[int]:
        """Inventory item ids stocked at a location, ascending, cached until a level changes."""
        return self._cached(
            ("levels", location_id), self.levels, lambda: sorted(i for i, loc in self.levels if loc == location_id)
        )

    def _cached(self, name: object, source: Iterable[object], build: Callable[[], list[int]]) -> list[int]:
        version = source.version if isinstance(source, VersionedDict) else None
        hit = self._sorted.get(name)
        if version is not None and hit is not None and hit[0] == version:
            return hit[1]
        keys = build()
        if version is not None:
            self._sorted[name] = (version, keys)
        return keys

    def variant_by_item(self, inventory_item_id: int) -> Variant | None:
        for product in self.products.values():
            for variant in product.variants:
                if variant.inventory_item_id == inventory_item_id:
                    return variant
        return None

    def inventory_item_ids(self) -> list[int]:
        return sorted(v.inventory_item_id for p in self.products.values() for v in p.variants)


_ADJECTIVES = ["Steel", "Brass", "Cedar", "Copper", "Oak", "Granite", "Maple", "Iron", "Slate", "Birch"]
_NOUNS = ["Hammer", "Wrench", "Lantern", "Trowel", "Shovel", "Clamp", "Chisel", "Level", "Rake", "Saw"]
_VENDORS = ["Alder Tools", "Northwind", "Pine & Co", "Harbor Supply"]
_TYPES = ["Hand Tools", "Garden", "Lighting", "Hardware"]


def _ean13(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(12)]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


class ShopifyState:
    """All shops served by one fake instance, plus the single app that installs into them."""

    def __init__(self, app: App | None = None, clock: Clock | None = None, api_versions: tuple[str, ...] = ()) -> None:
        self.app = app or App(client_id="fake-client-id", client_secret="fake-client-secret")
        self.clock: Clock = clock or FakeClock()
        self.shops: dict[str, Shop] = {}
        self.api_versions = api_versions or ("2025-07", "2025-10", "2026-01", "2026-04", "unstable")
        self._next_id = 1000

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_shop(
        self, domain: str, name: str | None = None, *, bucket_max: float = 1000.0, restore_rate: float = 50.0
    ) -> Shop:
        now = self.clock()
        shop = Shop(
            domain=domain,
            name=name or domain.split(".", 1)[0].replace("-", " ").title(),
            id=self.new_id(),
            bucket=Bucket(maximum=bucket_max, restore_rate=restore_rate, available=bucket_max, updated=now),
        )
        self.shops[domain] = shop
        return shop

    def add_location(self, shop: Shop, name: str, **kwargs: object) -> Location:
        location = Location(id=self.new_id(), name=name, **kwargs)  # type: ignore[arg-type]
        shop.locations[location.id] = location
        return location

    def add_product(
        self,
        shop: Shop,
        title: str,
        *,
        variants: list[tuple[str | None, str | None, str]],  # (sku, barcode, price)
        vendor: str = "",
        product_type: str = "",
        status: ProductStatus = "ACTIVE",
        tags: list[str] | None = None,
        description: str = "",
        image_url: str | None = None,
    ) -> Product:
        now = self.clock()
        product_id = self.new_id()
        built = [
            Variant(
                id=self.new_id(),
                title="Default Title" if len(variants) == 1 else f"Option {i + 1}",
                sku=sku,
                barcode=barcode,
                price=str(Decimal(price).quantize(Decimal("0.01"))),
                inventory_item_id=self.new_id(),
                option_value="Default Title" if len(variants) == 1 else f"Option {i + 1}",
                updated_at=now,
            )
            for i, (sku, barcode, price) in enumerate(variants)
        ]
        handle = "-".join(title.lower().split()) + f"-{product_id}"
        product = Product(
            id=product_id,
            title=title,
            handle=handle,
            vendor=vendor,
            product_type=product_type,
            status=status,
            variants=built,
            tags=tags or [],
            updated_at=now,
            created_at=now,
            description=description,
            image_url=image_url,
        )
        shop.products[product_id] = product
        return product

    def set_available(self, shop: Shop, inventory_item_id: int, location_id: int, available: int) -> None:
        key = (inventory_item_id, location_id)  # one tuple for both dicts
        shop.levels[key] = available
        shop.level_updated[key] = self.clock()

    def sell(
        self, shop: Shop, location_id: int | None, lines: list[tuple[Variant, int]], at: float | None = None
    ) -> Order:
        """A sale: each variant's available quantity at ``location_id`` drops (an online order, None, moves none)."""
        moment = self.clock() if at is None else at
        items = []
        for variant, quantity in lines:
            product = next(p for p in shop.products.values() if variant in p.variants)
            items.append(
                LineItem(self.new_id(), variant.id, product.id, product.title, variant.sku, variant.price, quantity)
            )
            if location_id is not None:
                self._move(shop, variant.inventory_item_id, location_id, -quantity, moment)
        order = Order(self.new_id(), len(shop.orders) + 1001, location_id, items, moment)
        shop.orders[order.id] = order
        return order

    def refund(
        self,
        shop: Shop,
        order: Order,
        lines: list[tuple[LineItem, int, Literal["return", "cancel", "no_restock"]]],
        at: float | None = None,
    ) -> Refund:
        """Refund lines of ``order``; restocked ones ("return", "cancel") come back at the order's location."""
        moment = self.clock() if at is None else at
        refund_lines = []
        for line, quantity, restock_type in lines:
            location = order.location_id if restock_type != "no_restock" else None
            refund_lines.append(RefundLine(self.new_id(), line, quantity, restock_type, location))
            variant = next(v for p in shop.products.values() for v in p.variants if v.id == line.variant_id)
            if location is not None:
                self._move(shop, variant.inventory_item_id, location, quantity, moment)
        refund = Refund(self.new_id(), order.id, refund_lines, moment)
        shop.refunds[refund.id] = refund
        return refund

    def _move(self, shop: Shop, inventory_item_id: int, location_id: int, delta: int, at: float) -> None:
        key = (inventory_item_id, location_id)
        shop.levels[key] = shop.levels.get(key, 0) + delta
        shop.level_updated[key] = at

    def seed(
        self,
        shop: Shop,
        *,
        products: int,
        locations: int,
        variants_per_product: int = 1,
        seed: int = 0,
    ) -> None:
        """Deterministically create ``products`` products × ``locations`` locations (same seed → same data)."""
        rng = random.Random(seed)
        made_locations = [
            self.add_location(
                shop, f"Store {i + 1}", address1=f"{100 + i} Main St", city="Springfield", zip=f"{62700 + i}"
            )
            for i in range(locations)
        ]
        active: ProductStatus = "ACTIVE"
        statuses: list[ProductStatus] = [*([active] * 8), "DRAFT", "ARCHIVED"]
        for n in range(products):
            title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {n + 1}"
            variant_specs: list[tuple[str | None, str | None, str]] = [
                (
                    f"SKU-{seed}-{n + 1:05d}-{v + 1}",
                    _ean13(rng) if rng.random() < 0.9 else None,
                    f"{rng.randrange(199, 19999) / 100:.2f}",
                )
                for v in range(variants_per_product)
            ]
            product = self.add_product(
                shop,
                title,
                variants=variant_specs,
                vendor=rng.choice(_VENDORS),
                product_type=rng.choice(_TYPES),
                status=rng.choice(statuses),
                tags=sorted(rng.sample(["sale", "new", "outdoor", "indoor", "gift"], 2)),
                description=f"{title}, made to last.",
                image_url=f"https://cdn.shopify.com/s/files/1/fake/products/{n + 1}.jpg",
            )
            for variant in product.variants:
                for location in made_locations:
                    self.set_available(shop, variant.inventory_item_id, location.id, rng.randrange(0, 40))

    def uninstall(self, shop: Shop) -> None:
        """The merchant uninstalls the app: every token and webhook subscription stops working."""
        shop.tokens.clear()
        shop.codes.clear()
        shop.subscriptions.clear()

    def issue_token(self, shop: Shop, scope: str) -> str:
        token = "shpat_" + secrets.token_hex(16)
        shop.tokens[token] = scope
        return token
