"""Read queries for search, availability, nearby stores and offer listings.

Dialect-free: the backend-specific pre-filters and the distance table come from
`localshelf.store.dialects`; the exact distance is `localshelf.domain.geo.distance_km`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, func, literal, select
from sqlalchemy.orm import Session, joinedload, load_only

from localshelf.domain import geo, ranking
from localshelf.domain.confidence import CONFIRMED_WITHIN, LIKELY_WITHIN
from localshelf.store.dialects import Dialect, NearbyStore
from localshelf.store.models import InStoreOffer, Location, Organization, Product, SearchTerm

# What a search or availability answer shows of each row (`services.present.store_stock`, `product_summary`):
# the rest (documents, descriptions, opening hours, JSON) stays in the database.
_STOCK_COLUMNS = (
    load_only(
        InStoreOffer.public_id,
        InStoreOffer.sku,
        InStoreOffer.price_minor,
        InStoreOffer.currency,
        InStoreOffer.quantity_on_hand,
        InStoreOffer.status,
        InStoreOffer.last_inventory_sync,
    ),
    load_only(
        Location.public_id,
        Location.name,
        Location.address_line1,
        Location.address_line2,
        Location.city,
        Location.region,
        Location.postal_code,
        Location.country,
        Location.latitude,
        Location.longitude,
        Location.phone,
    ),
    load_only(Organization.public_id),
)
_SUMMARY_COLUMNS = load_only(Product.public_id, Product.gtin, Product.name, Product.brand)


def _exact_distance(
    store_latitude: float, store_longitude: float, latitude: float, longitude: float, radius_km: float
) -> float | None:
    km = geo.distance_km(store_latitude, store_longitude, latitude, longitude)
    return km if km <= radius_km else None


def nearby_stores(
    session: Session,
    dialect: Dialect,
    latitude: float,
    longitude: float,
    radius_km: float,
    organization_id: int | None = None,
) -> list[NearbyStore]:
    """Published locations within the radius, each with its exact distance.

    The dialect's index-backed pre-filter finds the candidates; the exact distance is the Python
    function, computed here for those few rows. Keeping it out of the big joins that follow gives
    the planner a real row count for "stores nearby" (a SQL function in the filter hid it, and
    PostgreSQL chose nested loops for one store where there were a hundred).
    """
    query = select(Location.id, Location.latitude, Location.longitude).where(
        Location.published.is_(True), dialect.within_radius(latitude, longitude, radius_km)
    )
    if organization_id is not None:
        query = query.where(Location.organization_id == organization_id)
    stores = []
    for location_id, store_latitude, store_longitude in session.execute(query):
        km = _exact_distance(store_latitude, store_longitude, latitude, longitude, radius_km)
        if km is not None:
            stores.append(NearbyStore(location_id, km))
    return stores


def find_locations(
    session: Session, dialect: Dialect, nearby: Sequence[NearbyStore], limit: int
) -> list[tuple[Location, float]]:
    if not nearby:
        return []
    distances = dialect.distance_table(nearby)
    rows = session.execute(
        select(Location, distances.c.distance_km)
        .join(distances, distances.c.id == Location.id)
        .options(joinedload(Location.organization))
        .order_by(distances.c.distance_km, Location.public_id)
        .limit(limit)
    )
    return [(row[0], float(row[1])) for row in rows]


def _relevance(dialect: Dialect, terms: Sequence[str]) -> ColumnElement[float]:
    per_term = [
        case(
            *[(dialect.word_prefix(getattr(Product, field), term), weight) for field, weight in ranking.FIELD_WEIGHTS],
            else_=0.0,
        )
        for term in terms
    ]
    total: ColumnElement[float] = per_term[0]
    for part in per_term[1:]:
        total = total + part
    return total / float(len(terms))


def _freshness(now: datetime) -> ColumnElement[float]:
    synced = InStoreOffer.last_inventory_sync
    return case(
        (synced.is_(None), ranking.FRESHNESS_UNKNOWN),
        (synced >= now - CONFIRMED_WITHIN, ranking.FRESHNESS_CONFIRMED),
        (synced >= now - LIKELY_WITHIN, ranking.FRESHNESS_LIKELY),
        else_=ranking.FRESHNESS_UNCERTAIN,
    )


def search_offers(
    session: Session,
    dialect: Dialect,
    terms: Sequence[str],
    nearby: Sequence[NearbyStore],
    radius_km: float,
    statuses: Sequence[str],
    limit: int,
    now: datetime,
) -> list[tuple[Any, ...]]:
    """Offers for products matching every term, in the `nearby` stores, best first.

    Plan shape (PostgreSQL, city scale): the matching products (GIN text index, then the exact word test)
    hashed (SQLite: materialized, then probed through an automatic index); the nearby stores' in-stock offers from the covering index `ix_offers_search_cover` (or, for a
    rare word, the matching products' offers from `ix_offers_product_cover`) probing it; the best `limit` by
    score; only those joined to their rows. The search benchmark's EXPLAIN check keeps it that way.
    """
    if not nearby:
        return []
    distances = dialect.distance_table(nearby)
    matched = dialect.computed_first(
        select(Product.id, _relevance(dialect, terms).label("relevance")).where(
            dialect.text_match(terms), *[dialect.word_prefix(Product.search_doc, term) for term in terms]
        ),
        "matched",
    )
    stock = case(*[(InStoreOffer.status == status, value) for status, value in ranking.STOCK_SCORES.items()], else_=0.0)
    proximity = literal(1.0, Float) - distances.c.distance_km / radius_km
    score = (
        ranking.W_RELEVANCE * matched.c.relevance
        + ranking.W_PROXIMITY * proximity
        + ranking.W_STOCK * stock
        + ranking.W_FRESHNESS * _freshness(now)
    ).label("score")
    best = (
        select(InStoreOffer.id, InStoreOffer.public_id, distances.c.distance_km, score)
        .join(distances, distances.c.id == InStoreOffer.location_id)
        .join(matched, matched.c.id == InStoreOffer.product_id)
        .where(InStoreOffer.status.in_(statuses))
        .order_by(score.desc(), distances.c.distance_km, InStoreOffer.public_id)
        .limit(limit)
        .subquery("best")
    )
    query = (
        select(InStoreOffer, Location, Product, Organization, best.c.distance_km, best.c.score)
        .join(best, best.c.id == InStoreOffer.id)
        .join(Product, Product.id == InStoreOffer.product_id)
        .join(Location, Location.id == InStoreOffer.location_id)
        .join(Organization, Organization.id == InStoreOffer.organization_id)
        .options(*_STOCK_COLUMNS, _SUMMARY_COLUMNS)
        .order_by(best.c.score.desc(), best.c.distance_km, best.c.public_id)
    )
    return [tuple(row) for row in session.execute(query)]


def availability(
    session: Session, dialect: Dialect, product_id: int, latitude: float, longitude: float, radius_km: float
) -> list[tuple[InStoreOffer, Location, Organization, float]]:
    """The product's offers at published stores within the radius, nearest first.

    Starts from the product's offers (a handful) rather than from the stores nearby (a thousand
    in a city at 10 km): the radius pre-filter applies to the joined locations.
    """
    query = (
        select(InStoreOffer, Location, Organization)
        .join(Location, Location.id == InStoreOffer.location_id)
        .join(Organization, Organization.id == InStoreOffer.organization_id)
        .where(
            InStoreOffer.product_id == product_id,
            Location.published.is_(True),
            dialect.within_radius(latitude, longitude, radius_km),
        )
        .options(*_STOCK_COLUMNS)
    )
    found = []
    for offer, location, organization in session.execute(query):
        km = _exact_distance(location.latitude, location.longitude, latitude, longitude, radius_km)
        if km is not None:
            found.append((offer, location, organization, km))
    return sorted(found, key=lambda hit: (hit[3], hit[0].public_id))


def offers_page(
    session: Session,
    organization_id: int,
    location_id: int | None,
    status: str | None,
    after_id: int | None,
    limit: int,
) -> tuple[list[InStoreOffer], int]:
    filters = [InStoreOffer.organization_id == organization_id]
    if location_id is not None:
        filters.append(InStoreOffer.location_id == location_id)
    if status is not None:
        filters.append(InStoreOffer.status == status)
    total = session.scalar(select(func.count()).select_from(InStoreOffer).where(*filters)) or 0
    page = (
        select(InStoreOffer)
        .where(and_(*filters))
        .options(
            joinedload(InStoreOffer.product),
            joinedload(InStoreOffer.location),
            joinedload(InStoreOffer.organization),
        )
    )
    if after_id is not None:
        page = page.where(InStoreOffer.id > after_id)
    rows = session.scalars(page.order_by(InStoreOffer.id).limit(limit)).all()
    return list(rows), int(total)


def location_counts(session: Session, organization_id: int) -> tuple[int, int]:
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Location.published.is_(True), 1), else_=0)), 0)).where(
            Location.organization_id == organization_id
        )
    ).one()
    return int(row[0]), int(row[1])


def known_term_prefix(session: Session, term: str) -> bool:
    return session.scalar(select(SearchTerm.term).where(SearchTerm.term.like(f"{term}%")).limit(1)) is not None


def organization_by_public_id(session: Session, public_id: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.public_id == public_id))
