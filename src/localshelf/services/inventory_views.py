"""What the inventory tools return: movements, stock rules, the low-stock list and the multi-location view."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from localshelf.domain.confidence import Confidence
from localshelf.domain.movements import MovementReason, MovementSource
from localshelf.domain.stock import OfferStatus
from localshelf.services.views import Price, ProductSummary


class MovementView(BaseModel):
    id: str
    offer_id: str | None = Field(description="The offer whose stock moved; null once that offer was deleted.")
    delta: int = Field(description="Units added (positive) or taken away (negative).")
    reason: MovementReason
    source: MovementSource
    external_id: str = Field(description="The caller's id of this movement (receipt line, return number...).")
    occurred_at: datetime
    applied: bool = Field(
        description="False when the quantity was left to the POS (a POS-synced offer): the movement is only recorded."
    )
    quantity_after: int | None = Field(description="Units on hand right after this movement; null when not applied.")
    note: str | None
    created_at: datetime


class RecordedMovement(BaseModel):
    movement: MovementView
    duplicate: bool = Field(
        description="True when this external_id was already recorded: the first movement is returned, nothing changed."
    )
    clamped: bool = Field(description="True when the stock would have gone below 0 and was set to 0 instead.")
    quantity_on_hand: int = Field(description="The offer's units on hand now.")
    status: OfferStatus = Field(description="The offer's stock status now.")
    message: str = Field(description="What happened, in one sentence.")


class MovementList(BaseModel):
    offer_id: str
    movements: list[MovementView] = Field(description="Newest first (by occurred_at).")


class StockRules(BaseModel):
    offer_id: str
    quantity_on_hand: int
    status: OfferStatus
    low_stock_threshold: int | None = Field(description="The offer's own low-stock level; null: the default.")
    low_stock_level: int = Field(description="The level in force: low_stock when 0 < quantity <= this.")
    reorder_point: int | None = Field(description="Reorder at or below this quantity; null: no reorder alert.")
    needs_reorder: bool = Field(description="True when quantity_on_hand <= reorder_point.")


class LowStockItem(BaseModel):
    offer_id: str
    product: ProductSummary
    sku: str
    location_id: str
    location_name: str
    quantity_on_hand: int
    status: OfferStatus
    low_stock_threshold: int | None = Field(description="The offer's own low-stock level; null: the default.")
    low_stock_level: int = Field(description="The level in force for this offer.")
    reorder_point: int | None
    needs_reorder: bool = Field(description="True when quantity_on_hand <= reorder_point.")
    source: str = Field(description="manual, or pos when a POS sync keeps the quantity.")
    last_inventory_sync: datetime | None


class LowStockPage(BaseModel):
    items: list[LowStockItem]
    total: int = Field(description="Offers low on stock or out of stock, across all pages.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class OfferStock(BaseModel):
    offer_id: str
    sku: str
    quantity_on_hand: int
    status: OfferStatus
    price: Price
    source: str
    last_inventory_sync: datetime | None
    confidence: Confidence = Field(description="Freshness of the stock level: confirmed <1h, likely <24h.")


class LocationStock(BaseModel):
    location_id: str
    name: str
    published: bool
    quantity_on_hand: int = Field(description="Units of the product on hand at this store, over all its offers.")
    offers: list[OfferStock] = Field(description="Empty when this store does not offer the product.")


class ProductStock(BaseModel):
    organization_id: str
    product: ProductSummary
    locations: list[LocationStock] = Field(description="Every location of the retailer, by name.")
    total_quantity: int = Field(description="Units on hand at all locations (discontinued offers included).")
    stocked_locations: int = Field(description="Locations with at least one unit on hand.")
