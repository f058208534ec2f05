"""How much to trust a stock level, judged by the age of the last inventory sync.

Retailers push inventory on their own schedule, so a stock figure is only as
good as its last sync:

    age <= CONFIRMED_WITHIN (1 h)   confirmed
    age <= LIKELY_WITHIN (24 h)     likely
    older                           uncertain
    never synced                    unknown

A sync timestamp in the future (clock skew between the retailer and us) counts
as confirmed. Naive datetimes are taken to be UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum


class Confidence(StrEnum):
    CONFIRMED = "confirmed"
    LIKELY = "likely"
    UNCERTAIN = "uncertain"
    UNKNOWN = "unknown"


CONFIRMED_WITHIN = timedelta(hours=1)
LIKELY_WITHIN = timedelta(hours=24)


def as_utc(value: datetime) -> datetime:
    """`value` as an aware UTC datetime; naive values are read as UTC already."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def confidence_for(last_sync: datetime | None, now: datetime) -> Confidence:
    if last_sync is None:
        return Confidence.UNKNOWN
    age = as_utc(now) - as_utc(last_sync)
    if age <= CONFIRMED_WITHIN:
        return Confidence.CONFIRMED
    if age <= LIKELY_WITHIN:
        return Confidence.LIKELY
    return Confidence.UNCERTAIN
