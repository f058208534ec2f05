"""Stock status from a quantity: the one rule manual offers and POS syncs share."""

from __future__ import annotations

from typing import Literal

OfferStatus = Literal["in_stock", "low_stock", "out_of_stock", "discontinued"]

LOW_STOCK_AT_OR_BELOW = 3
MAX_STOCK_LEVEL = 1_000_000  # the highest low-stock threshold or reorder point an offer may have


def low_stock_level(threshold: int | None) -> int:
    """The quantity at or below which an offer is low on stock: its own threshold, else the default."""
    return LOW_STOCK_AT_OR_BELOW if threshold is None else threshold


def status_for_quantity(quantity: int, threshold: int | None = None) -> OfferStatus:
    if quantity <= 0:
        return "out_of_stock"
    return "low_stock" if quantity <= low_stock_level(threshold) else "in_stock"


def pos_offer_status(active: bool, quantity: int, threshold: int | None = None) -> OfferStatus:
    """A POS item the retailer archived, drafted or deactivated is discontinued, whatever its stock."""
    return status_for_quantity(quantity, threshold) if active else "discontinued"


def needs_reorder(quantity: int, reorder_point: int | None) -> bool:
    return reorder_point is not None and quantity <= reorder_point
