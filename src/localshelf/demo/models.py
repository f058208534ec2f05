"""Plain records of the demo data set (re-exported by `localshelf.demo.dataset`).

They hold only values the loader writes: keys tie them together (an offer names its
location by `location_key` and its product by `gtin`) so the data set needs no
database ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal


@dataclass(frozen=True, slots=True)
class DemoOrganization:
    key: str
    name: str
    kind: Literal["retailer", "brand"]
    website: str | None
    gtin_company_prefixes: tuple[str, ...]  # empty for retailers


@dataclass(frozen=True, slots=True)
class DemoLocation:
    key: str
    organization_key: str
    name: str
    address_line1: str
    address_line2: str | None
    city: str
    region: str
    postal_code: str
    country: str
    latitude: float
    longitude: float
    timezone: str
    opening_hours: dict[str, list[list[str]]]
    phone: str | None
    website: str | None
    published: bool


@dataclass(frozen=True, slots=True)
class DemoProduct:
    gtin: str  # 14 digits, zero-padded GTIN-14 form
    name: str
    brand: str
    description: str
    category: str
    image_urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoOffer:
    location_key: str
    gtin: str  # GTIN-14
    sku: str
    price_minor: int
    currency: str
    quantity_on_hand: int
    status: str
    source: str
    last_sync_age: timedelta | None  # None: never synced


@dataclass(frozen=True, slots=True)
class DemoRetailerItem:
    location_key: str
    name: str
    sku: str
    price_minor: int
    currency: str
    quantity_on_hand: int


@dataclass(frozen=True, slots=True)
class DemoDataset:
    organizations: tuple[DemoOrganization, ...]
    locations: tuple[DemoLocation, ...]
    products: tuple[DemoProduct, ...]
    offers: tuple[DemoOffer, ...]
    retailer_items: tuple[DemoRetailerItem, ...]
