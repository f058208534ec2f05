"""Stock status from a quantity: the one rule manual offers and POS syncs share."""

from __future__ import annotations

from typing import Literal

OfferStatus = Literal["in_stock", "low_stock", "out_of_stock", "discontinued"]

LOW_STOCK_AT_OR_BELOW = 3


def status_for_quantity(quantity: int) -> OfferStatus:
    if quantity <= 0:
        return "out_of_stock"
    return "low_stock" if quantity <= LOW_STOCK_AT_OR_BELOW else "in_stock"


def pos_offer_status(active: bool, quantity: int) -> OfferStatus:
    """A POS item the retailer archived, drafted or deactivated is discontinued, whatever its stock."""
    return status_for_quantity(quantity) if active else "discontinued"
