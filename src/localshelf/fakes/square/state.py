"""In-memory state of the fake Square seller account: app, locations, catalog, inventory counts, tokens.

Shapes follow Square's OpenAPI (``square/connect-api-specification`` api.json, Square-Version 2025-08-20):
``CatalogObject`` with ``item_data`` / ``item_variation_data`` / ``category_data`` / ``image_data``,
``Money`` as int64 minor units, ``InventoryCount`` with a decimal-string ``quantity``.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localshelf.fakes.faults import FakeClock as FakeClock  # re-exported

Clock = Callable[[], float]
Json = dict[str, Any]
ACCESS_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600  # Square: 30 days (ObtainToken)


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class App:
    client_id: str = "sq0idp-fake-client"
    client_secret: str = "sq0csp-fake-secret"


@dataclass
class Location:
    id: str
    name: str
    currency: str = "USD"
    status: str = "ACTIVE"
    address_line_1: str = ""
    locality: str = ""
    administrative_district_level_1: str = ""
    postal_code: str = ""
    country: str = "US"


@dataclass
class Variation:
    id: str
    name: str
    sku: str | None
    upc: str | None
    price: int | None  # cents; None = VARIABLE_PRICING without price_money
    updated_at: float = 0.0
    sellable: bool = True


@dataclass
class Item:
    id: str
    name: str
    variations: list[Variation]
    description: str = ""
    category_id: str | None = None
    image_id: str | None = None
    is_archived: bool = False
    updated_at: float = 0.0
    is_deleted: bool = False


@dataclass
class Category:
    id: str
    name: str
    updated_at: float = 0.0


@dataclass
class Image:
    id: str
    url: str
    updated_at: float = 0.0


@dataclass
class Grant:
    access_token: str
    refresh_token: str
    expires_at: float
    scopes: tuple[str, ...]


@dataclass
class SquareState:
    app: App = field(default_factory=App)
    clock: Clock = field(default_factory=FakeClock)
    merchant_id: str = "MLFAKE0MERCHANT"
    token_lifetime_seconds: float = ACCESS_TOKEN_LIFETIME_SECONDS
    page_size: int = 100  # ListCatalog's fixed page size
    locations: dict[str, Location] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    images: dict[str, Image] = field(default_factory=dict)
    counts: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)  # (var, loc) -> (qty, at)
    codes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # code -> (redirect_uri, scopes)
    grants: dict[str, Grant] = field(default_factory=dict)  # by access token
    deny_authorization: bool = False
    consent_page: bool = False  # show the seller an Allow/Deny page (browser tests) instead of approving at once
    _serial: int = 0

    def new_id(self) -> str:
        """Square ids are opaque upper-case strings; ours are unique and sortable."""
        self._serial += 1
        return f"SQ{self._serial:022d}"

    def add_location(self, name: str, **kwargs: Any) -> Location:
        location = Location(id=self.new_id(), name=name, **kwargs)
        self.locations[location.id] = location
        return location

    def main_location(self) -> Location:
        """The first location created, as Square's main location is the account's original one."""
        return next(iter(self.locations.values()))

    def add_item(
        self,
        name: str,
        variations: list[tuple[str, str | None, str | None, int | None]],  # (name, sku, upc, cents)
        *,
        category: str | None = None,
        image_url: str | None = None,
        is_archived: bool = False,
    ) -> Item:
        now = self.clock()
        category_id = None
        if category is not None:
            found = next((c for c in self.categories.values() if c.name == category), None)
            if found is None:
                found = Category(id=self.new_id(), name=category, updated_at=now)
                self.categories[found.id] = found
            category_id = found.id
        image_id = None
        if image_url is not None:
            image = Image(id=self.new_id(), url=image_url, updated_at=now)
            self.images[image.id] = image
            image_id = image.id
        item_id = self.new_id()
        built = [Variation(self.new_id(), n, sku, upc, cents, now) for n, sku, upc, cents in variations]
        item = Item(item_id, name, built, f"{name}, from the fake Square catalog.", category_id, image_id)
        item.is_archived, item.updated_at = is_archived, now
        self.items[item_id] = item
        return item

    def touch(self, item: Item) -> None:
        item.updated_at = self.clock()
        for variation in item.variations:
            variation.updated_at = item.updated_at

    def set_count(self, variation_id: str, location_id: str, quantity: str) -> None:
        self.counts[(variation_id, location_id)] = (quantity, self.clock())

    def issue_grant(self, scopes: tuple[str, ...], refresh_token: str | None = None) -> Grant:
        grant = Grant(
            access_token="EAAA" + secrets.token_urlsafe(24),
            refresh_token=refresh_token or "EQAA" + secrets.token_urlsafe(24),
            expires_at=self.clock() + self.token_lifetime_seconds,
            scopes=scopes,
        )
        self.grants[grant.access_token] = grant
        return grant

    def token_valid(self, token: str) -> str | None:
        """None when usable, else Square's error code for it."""
        grant = self.grants.get(token)
        if grant is None:
            return "UNAUTHORIZED"
        if grant.expires_at <= self.clock():
            return "ACCESS_TOKEN_EXPIRED"
        return None

    def seed(self, *, items: int = 40, locations: int = 2, seed: int = 1) -> None:
        """A deterministic catalog: 1-3 variations per item, most with a valid UPC-A/EAN-13, some without,
        some archived, a few VARIABLE_PRICING variations, and an IN_STOCK count per variation and location."""
        rng = random.Random(seed)
        for n in range(locations):
            self.add_location(f"Store {n + 1}", address_line_1=f"{n + 1} Main St", locality="Springfield")
        for n in range(items):
            variations: list[tuple[str, str | None, str | None, int | None]] = []
            count = rng.randint(1, 3)
            for v in range(count):
                name = "Regular" if count == 1 else ["Small", "Medium", "Large"][v]
                upc = None if rng.random() < 0.2 else (_gtin(rng, 12) if rng.random() < 0.5 else _gtin(rng, 13))
                cents = None if rng.random() < 0.05 else rng.randint(99, 9999)
                variations.append((name, f"SKU-{n}-{v}", upc, cents))
            item = self.add_item(
                f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {n}",
                variations,
                category=rng.choice(_CATEGORIES) if rng.random() < 0.8 else None,
                image_url=f"https://items-images.example/fake/{n}.jpg" if rng.random() < 0.7 else None,
                is_archived=rng.random() < 0.1,
            )
            for variation in item.variations:
                for location in self.locations.values():
                    self.set_count(variation.id, location.id, str(rng.randint(0, 40)))


_ADJECTIVES = ["Steel", "Brass", "Cedar", "Copper", "Oak", "Granite", "Maple", "Iron"]
_NOUNS = ["Kettle", "Mug", "Lantern", "Basket", "Candle", "Bowl", "Scarf", "Notebook"]
_CATEGORIES = ["Kitchen", "Home", "Gifts", "Stationery"]


def _gtin(rng: random.Random, length: int) -> str:
    digits = [rng.randrange(10) for _ in range(length - 1)]
    # GS1 mod 10: weights 3,1,3,... from the rightmost body digit
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)
