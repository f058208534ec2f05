"""Where a brand's products are stocked: per-group aggregates computed by the database (GROUP BY), never row by row.

Plan shape: the brand's products (`brand_condition`) → offers through `ix_offers_product_cover`
(product_id, location_id) → their published locations (and, around a point, the stores of
`queries.nearby_stores` joined as the dialect's distance table). `public` scopes count only what search shows:
in_stock/low_stock offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, case, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from localshelf.domain.confidence import CONFIRMED_WITHIN, LIKELY_WITHIN
from localshelf.store.dialects import Dialect, NearbyStore
from localshelf.store.models import OFFER_STATUSES, InStoreOffer, Location, Organization, Product
from localshelf.store.queries import nearby_stores

GroupBy = Literal["retailer", "region", "product"]
SEARCHABLE_STATUSES = ("in_stock", "low_stock")
CONFIDENCE_LEVELS = ("confirmed", "likely", "uncertain", "unknown")


@dataclass(frozen=True)
class Area:
    latitude: float
    longitude: float
    radius_km: float
    stores: tuple[NearbyStore, ...]


def area_around(session: Session, dialect: Dialect, latitude: float, longitude: float, radius_km: float) -> Area:
    stores = nearby_stores(session, dialect, latitude, longitude, radius_km)
    return Area(latitude, longitude, radius_km, tuple(stores))


@dataclass(frozen=True)
class Scope:
    """Which offers count: the brand's products (`condition` on Product), at published stores, in `area`."""

    condition: ColumnElement[bool]
    area: Area | None
    public: bool
    now: datetime


@dataclass(frozen=True)
class Aggregate:
    retailer_count: int
    store_count: int
    offer_count: int
    available: int
    statuses: dict[str, int]
    confidence: dict[str, int]
    nearest_km: float | None
    key: str = ""
    label: str = ""
    gtin: str | None = None


@dataclass(frozen=True)
class StoreRow:
    location_id: str
    name: str
    retailer: str
    city: str
    distance_km: float
    offer_count: int


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _confidence(now: datetime) -> dict[str, ColumnElement[bool]]:
    synced = InStoreOffer.last_inventory_sync
    return {
        "confirmed": synced >= now - CONFIRMED_WITHIN,
        "likely": (synced < now - CONFIRMED_WITHIN) & (synced >= now - LIKELY_WITHIN),
        "uncertain": synced < now - LIKELY_WITHIN,
        "unknown": synced.is_(None),
    }


def _measures(scope: Scope, distance: ColumnElement[Any] | None) -> list[ColumnElement[Any]]:
    return [
        func.count(func.distinct(InStoreOffer.organization_id)).label("retailer_count"),
        func.count(func.distinct(InStoreOffer.location_id)).label("store_count"),
        func.count().label("offer_count"),
        _count_if(InStoreOffer.status.in_(SEARCHABLE_STATUSES)).label("available"),
        *[_count_if(InStoreOffer.status == status).label(f"status_{status}") for status in OFFER_STATUSES],
        *[_count_if(test).label(f"confidence_{level}") for level, test in _confidence(scope.now).items()],
        (func.min(distance) if distance is not None else literal(None)).label("nearest_km"),
    ]


def _scoped(query: Select[Any], dialect: Dialect, scope: Scope) -> tuple[Select[Any], ColumnElement[Any] | None]:
    brand_products = select(Product.id).where(scope.condition)
    query = query.join(Location, Location.id == InStoreOffer.location_id).where(
        InStoreOffer.product_id.in_(brand_products), Location.published.is_(True)
    )
    if scope.public:
        query = query.where(InStoreOffer.status.in_(SEARCHABLE_STATUSES))
    if scope.area is None:
        return query, None
    nearby = dialect.distance_table()
    joined = query.join(nearby, nearby.c.id == InStoreOffer.location_id)
    return joined.params(dialect.distance_values(scope.area.stores)), nearby.c.distance_km


def _aggregate(row: Any, **labels: Any) -> Aggregate:
    return Aggregate(
        retailer_count=int(row.retailer_count),
        store_count=int(row.store_count),
        offer_count=int(row.offer_count),
        available=int(row.available),
        statuses={status: int(getattr(row, f"status_{status}")) for status in OFFER_STATUSES},
        confidence={level: int(getattr(row, f"confidence_{level}")) for level in CONFIDENCE_LEVELS},
        nearest_km=None if row.nearest_km is None else float(row.nearest_km),
        **labels,
    )


def totals(session: Session, dialect: Dialect, scope: Scope) -> Aggregate:
    query, distance = _scoped(select(InStoreOffer.id), dialect, scope)
    row = session.execute(query.with_only_columns(*_measures(scope, distance))).one()
    return _aggregate(row)


def _group_keys(group_by: GroupBy) -> dict[str, InstrumentedAttribute[Any]]:
    if group_by == "retailer":
        return {"key": Organization.public_id, "label": Organization.name}
    if group_by == "product":
        return {"key": Product.public_id, "label": Product.name, "gtin": Product.gtin}
    return {"country": Location.country, "region": Location.region}


def groups_query(dialect: Dialect, scope: Scope, group_by: GroupBy, limit: int) -> Select[Any]:
    """At most `limit` groups, most stores first (then most offers, then key)."""
    query, distance = _scoped(select(InStoreOffer.id), dialect, scope)
    if group_by == "retailer":
        query = query.join(Organization, Organization.id == InStoreOffer.organization_id)
    elif group_by == "product":
        query = query.join(Product, Product.id == InStoreOffer.product_id)
    keys = _group_keys(group_by)
    return (
        query.with_only_columns(*[column.label(name) for name, column in keys.items()], *_measures(scope, distance))
        .group_by(*keys.values())
        .order_by(func.count(func.distinct(InStoreOffer.location_id)).desc(), func.count().desc(), *keys.values())
        .limit(limit)
    )


def groups(session: Session, dialect: Dialect, scope: Scope, group_by: GroupBy, limit: int) -> list[Aggregate]:
    result: list[Aggregate] = []
    for row in session.execute(groups_query(dialect, scope, group_by, limit)):
        if group_by == "region":
            key = f"{row.country}-{row.region}" if row.region else row.country
            label = f"{row.region}, {row.country}" if row.region else row.country
            result.append(_aggregate(row, key=key, label=label))
        else:
            result.append(_aggregate(row, key=row.key, label=row.label, gtin=getattr(row, "gtin", None)))
    return result


def nearest_stores(session: Session, dialect: Dialect, scope: Scope, limit: int) -> list[StoreRow]:
    """The closest stores carrying the brand in the area, nearest first."""
    query, distance = _scoped(select(InStoreOffer.id), dialect, scope)
    assert distance is not None, "nearest stores need an area"
    closest = func.min(distance)
    rows = session.execute(
        query.join(Organization, Organization.id == Location.organization_id)
        .with_only_columns(Location.public_id, Location.name, Organization.name, Location.city, closest, func.count())
        .group_by(Location.public_id, Location.name, Organization.name, Location.city)
        .order_by(closest, Location.public_id)
        .limit(limit)
    )
    return [
        StoreRow(
            location_id=location_id,
            name=name,
            retailer=retailer,
            city=city,
            distance_km=float(km),
            offer_count=int(offers),
        )
        for location_id, name, retailer, city, km, offers in rows
    ]
