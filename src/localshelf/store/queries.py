"""Read queries for search, availability, nearby stores and offer listings.

Dialect-free: the backend-specific pre-filters and the distance table come from
`localshelf.store.dialects`; the exact distance is `localshelf.domain.geo.distance_km`.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session, joinedload

from localshelf.domain import geo, ranking
from localshelf.domain.confidence import CONFIRMED_WITHIN, LIKELY_WITHIN
from localshelf.store.dialects import Dialect, NearbyStore, dialect_for
from localshelf.store.models import InStoreOffer, Location, Organization, Product, SearchTerm
from localshelf.store.types import UtcDateTime


@functools.lru_cache(maxsize=8)
def _nearby_statement(dialect_name: str, wraps: bool, by_organization: bool) -> Select[int, float, float]:
    query = select(Location.id, Location.latitude, Location.longitude).where(
        Location.published.is_(True), dialect_for(dialect_name).radius_filter(wraps)
    )
    if by_organization:
        query = query.where(Location.organization_id == bindparam("organization_id", type_=Integer()))
    return query


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
    wraps, parameters = dialect.radius_values(latitude, longitude, radius_km)
    if organization_id is not None:
        parameters = {**parameters, "organization_id": organization_id}
    query = _nearby_statement(dialect.name, wraps, organization_id is not None)
    to = geo.distances_from(latitude, longitude)
    stores = []
    # Plain rows through the connection: the ORM's loading costs ~3 µs a row here, for ~100-1,000 stores.
    for location_id, store_latitude, store_longitude in session.connection().execute(query, parameters):
        km = to(store_latitude, store_longitude)
        if km <= radius_km:
            stores.append(NearbyStore(location_id, km))
    return stores


def find_locations(
    session: Session, dialect: Dialect, nearby: Sequence[NearbyStore], limit: int
) -> list[tuple[Location, float]]:
    if not nearby:
        return []
    distances = dialect.distance_table()
    rows = session.execute(
        select(Location, distances.c.distance_km)
        .join(distances, distances.c.id == Location.id)
        .options(joinedload(Location.organization))
        .order_by(distances.c.distance_km, Location.public_id)
        .limit(limit),
        dialect.distance_values(nearby),
    )
    return [(row[0], float(row[1])) for row in rows]


def _relevance(dialect: Dialect, needles: Sequence[ColumnElement[str]]) -> ColumnElement[float]:
    per_term = [
        case(
            *[
                (dialect.word_prefix(getattr(Product, field), needle), weight)
                for field, weight in ranking.FIELD_WEIGHTS
            ],
            else_=0.0,
        )
        for needle in needles
    ]
    total: ColumnElement[float] = per_term[0]
    for part in per_term[1:]:
        total = total + part
    return total / float(len(needles))


def _freshness() -> ColumnElement[float]:
    synced = InStoreOffer.last_inventory_sync
    return case(
        (synced.is_(None), ranking.FRESHNESS_UNKNOWN),
        (synced >= bindparam("confirmed_since", type_=UtcDateTime()), ranking.FRESHNESS_CONFIRMED),
        (synced >= bindparam("likely_since", type_=UtcDateTime()), ranking.FRESHNESS_LIKELY),
        else_=ranking.FRESHNESS_UNCERTAIN,
    )


class _Shape:
    """What a search or availability answer shows of each row (`services.present.store_stock`,
    `product_summary`): columns read as one flat row through the connection, handed out as named parts.

    The ORM's loading (entities, or bundles) cost ~0.4 ms a statement plus ~20 µs a row on top of the driver
    (search benchmark); plain rows skip it, and the parts keep the attribute names the presenters read."""

    def __init__(self, **parts: Sequence[Any]) -> None:
        self.columns = [column for group in parts.values() for column in group]
        self._parts: list[tuple[Any, int, int]] = []
        start = 0
        for name, group in parts.items():
            self._parts.append((namedtuple(name, [column.key for column in group]), start, start + len(group)))
            start += len(group)

    def split(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """(part, ..., then the row's columns after the parts)."""
        named = tuple(part._make(row[first:last]) for part, first, last in self._parts)
        return named + tuple(row[len(self.columns) :])


_OFFER = (
    InStoreOffer.public_id,
    InStoreOffer.sku,
    InStoreOffer.price_minor,
    InStoreOffer.currency,
    InStoreOffer.quantity_on_hand,
    InStoreOffer.status,
    InStoreOffer.last_inventory_sync,
)
_LOCATION = (
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
)
_SEARCH_HIT = _Shape(
    offer=_OFFER,
    location=_LOCATION,
    product=(Product.public_id, Product.gtin, Product.name, Product.brand),
    organization=(Organization.public_id,),
)
_STORE_OFFER = _Shape(offer=_OFFER, location=_LOCATION, organization=(Organization.public_id,))
_PRODUCT = _Shape(product=(Product.id, Product.public_id, Product.gtin, Product.name, Product.brand))
_PRODUCT_BY_GTIN = select(*_PRODUCT.columns).where(Product.gtin == bindparam("gtin", type_=Product.gtin.type))


def product_row_by_gtin(session: Session, gtin: str) -> Any | None:
    """The product with this GTIN-14 as a named part (id, public_id, gtin, name, brand), or None: what an
    availability answer shows of it, read as a plain row (`_Shape`)."""
    for row in session.connection().execute(_PRODUCT_BY_GTIN, {"gtin": gtin}):
        return _PRODUCT.split(row)[0]
    return None


@functools.lru_cache(maxsize=64)
def _search_statement(dialect_name: str, term_count: int) -> Select[Any]:
    """The search statement for `term_count` words, built once per backend: every value is a named bind
    parameter (`search_offers` passes them). Building it anew cost about 1 ms a search (profiled)."""
    dialect = dialect_for(dialect_name)
    needles = [bindparam(f"needle_{index}", type_=String()) for index in range(term_count)]
    distances = dialect.distance_table()
    matched = dialect.computed_first(
        select(Product.id, _relevance(dialect, needles).label("relevance")).where(
            dialect.text_match(bindparam("text_query", type_=String())),
            *[dialect.word_prefix(Product.search_doc, needle) for needle in needles],
        ),
        "matched",
    )
    stock = case(*[(InStoreOffer.status == status, value) for status, value in ranking.STOCK_SCORES.items()], else_=0.0)
    proximity = literal(1.0, Float) - distances.c.distance_km / bindparam("radius_km", type_=Float())
    score = (
        ranking.W_RELEVANCE * matched.c.relevance
        + ranking.W_PROXIMITY * proximity
        + ranking.W_STOCK * stock
        + ranking.W_FRESHNESS * _freshness()
    ).label("score")
    best = (
        select(InStoreOffer.id, InStoreOffer.public_id, distances.c.distance_km, score)
        .join(distances, distances.c.id == InStoreOffer.location_id)
        .join(matched, matched.c.id == InStoreOffer.product_id)
        .where(InStoreOffer.status.in_(bindparam("statuses", expanding=True)))
        .order_by(score.desc(), distances.c.distance_km, InStoreOffer.public_id)
        .limit(bindparam("limit", type_=Integer()))
        .subquery("best")
    )
    return (
        select(*_SEARCH_HIT.columns, best.c.distance_km, best.c.score)
        .select_from(InStoreOffer)
        .join(best, best.c.id == InStoreOffer.id)
        .join(Product, Product.id == InStoreOffer.product_id)
        .join(Location, Location.id == InStoreOffer.location_id)
        .join(Organization, Organization.id == InStoreOffer.organization_id)
        .order_by(best.c.score.desc(), best.c.distance_km, best.c.public_id)
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
    """Offers for products matching every term, in the `nearby` stores, best first: rows of
    (offer, location, product, organization, distance_km, score), the first four named parts (`_Shape`).

    Plan shape (PostgreSQL, city scale): the matching products (GIN text index, then the exact word test)
    hashed (SQLite: materialized, then probed through an automatic index); the nearby stores' in-stock offers
    from the covering index `ix_offers_search_cover` (or, for a rare word, the matching products' offers from
    `ix_offers_product_cover`) probing it; the best `limit` by score; only those joined to their rows. The
    search benchmark's EXPLAIN check keeps it that way.
    """
    if not nearby or not terms:
        return []
    parameters = {
        **{f"needle_{index}": f" {term}" for index, term in enumerate(terms)},
        "text_query": dialect.text_query(terms),
        **dialect.distance_values(nearby),
        "radius_km": radius_km,
        "statuses": list(statuses),
        "limit": limit,
        "confirmed_since": now - CONFIRMED_WITHIN,
        "likely_since": now - LIKELY_WITHIN,
    }
    rows = session.connection().execute(_search_statement(dialect.name, len(terms)), parameters)
    return [_SEARCH_HIT.split(row) for row in rows]


@functools.lru_cache(maxsize=4)
def _availability_statement(dialect_name: str, wraps: bool) -> Select[Any]:
    return (
        select(*_STORE_OFFER.columns)
        .select_from(InStoreOffer)
        .join(Location, Location.id == InStoreOffer.location_id)
        .join(Organization, Organization.id == InStoreOffer.organization_id)
        .where(
            InStoreOffer.product_id == bindparam("product_id", type_=Integer()),
            Location.published.is_(True),
            dialect_for(dialect_name).radius_filter(wraps),
        )
    )


def availability(
    session: Session, dialect: Dialect, product_id: int, latitude: float, longitude: float, radius_km: float
) -> list[tuple[Any, Any, Any, float]]:
    """The product's offers at published stores within the radius, nearest first: (offer, location,
    organization, distance_km), the first three named parts (`_Shape`).

    Starts from the product's offers (a handful) rather than from the stores nearby (a thousand
    in a city at 10 km): the radius pre-filter applies to the joined locations.
    """
    wraps, parameters = dialect.radius_values(latitude, longitude, radius_km)
    query = _availability_statement(dialect.name, wraps)
    to = geo.distances_from(latitude, longitude)
    found = []
    for row in session.connection().execute(query, {**parameters, "product_id": product_id}):
        offer, location, organization = _STORE_OFFER.split(row)
        km = to(location.latitude, location.longitude)
        if km <= radius_km:
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


@functools.lru_cache(maxsize=16)
def _known_terms_statement(term_count: int) -> Select[*tuple[bool, ...]]:
    return select(
        *[
            exists().where(SearchTerm.term.like(bindparam(f"prefix_{index}", type_=String()))).label(f"t{index}")
            for index in range(term_count)
        ]
    )


def known_term_prefixes(session: Session, terms: Sequence[str]) -> set[str]:
    """The terms some indexed word starts with, in one round trip."""
    if not terms:
        return set()
    prefixes = {f"prefix_{index}": f"{term}%" for index, term in enumerate(terms)}
    found = session.execute(_known_terms_statement(len(terms)), prefixes).one()
    return {term for term, known in zip(terms, found, strict=True) if known}


def organization_by_public_id(session: Session, public_id: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.public_id == public_id))
