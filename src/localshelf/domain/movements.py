"""Inventory movements: why stock changed, which sign each cause may have, and when it may have happened."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from localshelf.domain.errors import ErrorCode, InvalidInput

MovementReason = Literal["sale", "return", "refund", "restock", "adjustment", "shrinkage"]
MovementSource = Literal["manual", "pos"]

DECREASES: frozenset[str] = frozenset({"sale", "shrinkage"})
INCREASES: frozenset[str] = frozenset({"return", "refund", "restock"})
MAX_DELTA = 1_000_000_000
MAX_QUANTITY = 1_000_000_000  # the most units an offer may hold, as create/update_in_store_offer accept
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew between the caller and this server


def check_delta(reason: str, delta: int) -> None:
    """Sales and shrinkage take stock away, returns, refunds and restocks add it; an adjustment may do either."""
    if delta == 0:
        raise InvalidInput("delta must not be 0: a movement changes stock.", ErrorCode.INVALID_QUANTITY)
    if reason in DECREASES and delta > 0:
        raise InvalidInput(
            f"A {reason} takes units away: delta must be negative, got {delta}.", ErrorCode.INVALID_QUANTITY
        )
    if reason in INCREASES and delta < 0:
        raise InvalidInput(f"A {reason} adds units: delta must be positive, got {delta}.", ErrorCode.INVALID_QUANTITY)


def check_occurred_at(occurred_at: datetime, now: datetime) -> None:
    if occurred_at.tzinfo is None:
        raise InvalidInput("occurred_at needs a time zone offset, e.g. '2026-11-24T12:00:00Z'.")
    if occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(
            f"occurred_at {occurred_at.isoformat()} is in the future; give the time the stock actually changed."
        )


def apply_delta(quantity: int, delta: int) -> tuple[int, bool]:
    """The quantity after the movement, never below 0, and whether it had to be clamped to 0."""
    after = quantity + delta
    if after > MAX_QUANTITY:
        raise InvalidInput(
            f"This movement would take the stock to {after}, above the maximum of {MAX_QUANTITY}.",
            ErrorCode.INVALID_QUANTITY,
        )
    return (0, True) if after < 0 else (after, False)
