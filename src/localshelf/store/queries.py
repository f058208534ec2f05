"""Read queries for search, availability, nearby stores and offer listings.

Dialect-free: the backend-specific pre-filters come from `localshelf.store.dialects`,
the exact distance from `localshelf.store.spatial`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Subquery, and_, case, func, literal, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import SQLCoreOperations as SQLExpression

from localshelf.domain import ranking
from localshelf.domain.confidence import CONFIRMED_WITHIN, LIKELY_WITHIN
from localshelf.store.dialects import Dialect, distance_km
from localshelf.store.models import InStoreOffer, Location, Organization, Product, SearchTerm


def _word_prefix(doc: SQLExpression[str], term: str) -> ColumnElement[bool]:
    # Documents are " word word " and terms are [a-z0-9]+, so this is a word-prefix test.
    return doc.like(f"% {term}%")


def nearby_locations(
    dialect: Dialect,
    latitude: float,
    longitude: float,
    radius_km: float,
    organization_id: int | None = None,
) -> Subquery:
    """Published locations within the radius, each with its exact `distance_km`."""
    distance = distance_km(Location.latitude, Location.longitude, latitude, longitude)
    query = select(
        Location.id,
        Location.public_id,
        Location.organization_id,
        distance.label("distance_km"),
    ).where(Location.published.is_(True), dialect.within_radius(latitude, longitude, radius_km))
    if organization_id is not None:
        query = query.where(Location.organization_id == organization_id)
    inner = query.subquery("candidates")
    return select(inner).where(inner.c.distance_km <= radius_km).subquery("nearby")


def find_locations(
    session: Session,
    dialect: Dialect,
    latitude: float,
    longitude: float,
    radius_km: float,
    organization_id: int | None,
    limit: int,
) -> list[tuple[Location, float]]:
    nearby = nearby_locations(dialect, latitude, longitude, radius_km, organization_id)
    rows = session.execute(
        select(Location, nearby.c.distance_km)
        .join(nearby, nearby.c.id == Location.id)
        .options(joinedload(Location.organization))
        .order_by(nearby.c.distance_km, Location.public_id)
        .limit(limit)
    )
    return [(row[0], float(row[1])) for row in rows]


def _relevance(terms: Sequence[str]) -> ColumnElement[float]:
    per_term = [
        case(
            *[(_word_prefix(getattr(Product, field), term), weight) for field, weight in ranking.FIELD_WEIGHTS],
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
    latitude: float,
    longitude: float,
    radius_km: float,
    statuses: Sequence[str],
    limit: int,
    now: datetime,
) -> list[tuple[Any, ...]]:
    """Offers for products matching every term, in published stores within the radius, best first."""
    nearby = nearby_locations(dialect, latitude, longitude, radius_km)
    matched = (
        select(Product.id, _relevance(terms).label("relevance"))
        .where(dialect.text_match(terms), *[_word_prefix(Product.search_doc, term) for term in terms])
        .subquery("matched")
    )
    stock = case(*[(InStoreOffer.status == status, value) for status, value in ranking.STOCK_SCORES.items()], else_=0.0)
    proximity = literal(1.0, Float) - nearby.c.distance_km / radius_km
    score = (
        ranking.W_RELEVANCE * matched.c.relevance
        + ranking.W_PROXIMITY * proximity
        + ranking.W_STOCK * stock
        + ranking.W_FRESHNESS * _freshness(now)
    ).label("score")
    query = (
        select(InStoreOffer, Location, Product, Organization, nearby.c.distance_km, score)
        .join(nearby, nearby.c.id == InStoreOffer.location_id)
        .join(matched, matched.c.id == InStoreOffer.product_id)
        .join(Location, Location.id == InStoreOffer.location_id)
        .join(Product, Product.id == InStoreOffer.product_id)
        .join(Organization, Organization.id == InStoreOffer.organization_id)
        .where(InStoreOffer.status.in_(statuses))
        .order_by(score.desc(), nearby.c.distance_km, InStoreOffer.public_id)
        .limit(limit)
    )
    return [tuple(row) for row in session.execute(query)]


def availability(
    session: Session, dialect: Dialect, product_id: int, latitude: float, longitude: float, radius_km: float
) -> list[tuple[Any, ...]]:
    nearby = nearby_locations(dialect, latitude, longitude, radius_km)
    query = (
        select(InStoreOffer, Location, Organization, nearby.c.distance_km)
        .join(nearby, nearby.c.id == InStoreOffer.location_id)
        .join(Location, Location.id == InStoreOffer.location_id)
        .join(Organization, Organization.id == InStoreOffer.organization_id)
        .where(InStoreOffer.product_id == product_id)
        .order_by(nearby.c.distance_km, InStoreOffer.public_id)
    )
    return [tuple(row) for row in session.execute(query)]


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
