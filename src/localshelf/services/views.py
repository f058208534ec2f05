"""What services return and tools hand to agents: plain pydantic models, never ORM rows."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from localshelf.domain.confidence import Confidence
from localshelf.domain.money import format_decimal
from localshelf.domain.stock import OfferStatus

OfferSource = Literal["manual", "pos"]
OrganizationKind = Literal["retailer", "brand"]
OpeningHours = dict[str, list[list[str]]]


class Price(BaseModel):
    amount_minor: int = Field(description="Integer amount in the currency's minor unit (cents for USD).")
    currency: str = Field(description="ISO 4217 code.")
    amount: str = Field(description="Decimal string for display, e.g. '10.99'.")

    @classmethod
    def of(cls, amount_minor: int, currency: str) -> Price:
        return cls(amount_minor=amount_minor, currency=currency, amount=format_decimal(amount_minor, currency))


class Address(BaseModel):
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str | None = None
    country: str = Field(description="ISO 3166-1 alpha-2 country code.")


class OrganizationView(BaseModel):
    id: str
    name: str
    kind: OrganizationKind
    website: str | None
    location_count: int
    published_location_count: int
    created_at: datetime


class LocationView(BaseModel):
    id: str
    organization_id: str
    name: str
    address: Address
    latitude: float
    longitude: float
    timezone: str | None
    opening_hours: OpeningHours | None = Field(
        description="Weekday (mon..sun) to a list of [open, close] 24-hour 'HH:MM' pairs; [] means closed."
    )
    phone: str | None
    website: str | None
    published: bool
    created_at: datetime
    updated_at: datetime


class NearbyLocation(LocationView):
    distance_km: float = Field(description="Great-circle distance on the WGS84 ellipsoid, in km.")


class ProductSummary(BaseModel):
    id: str
    gtin: str = Field(description="GTIN-14, zero-padded.")
    name: str
    brand: str | None


class ProductView(ProductSummary):
    description: str | None
    category: str | None
    image_urls: list[str]
    created: bool = Field(default=False, description="True when this call created the product.")


class OfferView(BaseModel):
    id: str
    organization_id: str
    location_id: str
    product: ProductSummary
    sku: str
    price: Price
    quantity_on_hand: int
    status: OfferStatus
    source: OfferSource
    last_inventory_sync: datetime | None
    confidence: Confidence = Field(description="Freshness of the stock level: confirmed <1h, likely <24h.")
    updated_at: datetime = Field(
        description="When its price, stock, status or SKU last changed; a sync that only confirms the stock moves "
        "last_inventory_sync instead."
    )


class OfferPage(BaseModel):
    offers: list[OfferView]
    total: int = Field(description="Offers matching the filters, across all pages.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class StoreSummary(BaseModel):
    location_id: str
    organization_id: str
    name: str
    address: Address
    latitude: float
    longitude: float
    phone: str | None
    distance_km: float


class StoreStock(BaseModel):
    """One store's offer of a product, as shoppers see it."""

    offer_id: str
    store: StoreSummary
    price: Price
    quantity_on_hand: int
    status: OfferStatus
    confidence: Confidence
    last_inventory_sync: datetime | None


class SearchHit(StoreStock):
    rank: int
    score: float = Field(description="Blend of text relevance, proximity, stock status and freshness (0-1).")
    product: ProductSummary


class TermCorrection(BaseModel):
    original: str
    corrected: str


class SearchResults(BaseModel):
    query: str
    terms: list[str] = Field(description="Normalised terms the search used, after typo correction.")
    corrections: list[TermCorrection]
    radius_km: float
    results: list[SearchHit]


class AvailabilityHit(StoreStock):
    sku: str


class Availability(BaseModel):
    gtin: str
    product: ProductSummary | None = Field(description="Null when no product with this GTIN is registered.")
    radius_km: float
    in_stock_store_count: int
    stores: list[AvailabilityHit] = Field(description="Every store in the radius carrying the GTIN, nearest first.")
