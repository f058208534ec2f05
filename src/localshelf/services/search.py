"""Local product search and GTIN availability: the consumer-facing questions."""

from __future__ import annotations

from datetime import datetime

from localshelf.domain import ranking
from localshelf.domain.gtin import normalize_gtin
from localshelf.domain.text import edit_distance, query_terms, trigram_similarity
from localshelf.services.present import product_summary, store_stock
from localshelf.services.views import (
    Availability,
    AvailabilityHit,
    SearchHit,
    SearchResults,
    TermCorrection,
)
from localshelf.store import queries
from localshelf.store.db import UnitOfWork

# A typed word is replaced by an indexed word only if it is close both ways: trigram
# similarity (pg_trgm's default cut-off, which the PostgreSQL pre-filter also uses) and
# few edits for its length. The same Python check decides on both backends.
MIN_CORRECTION_SIMILARITY = 0.3


def max_edits(term: str) -> int:
    return 0 if len(term) < 4 else 1 if len(term) < 7 else 2


def correct_terms(uow: UnitOfWork, terms: list[str]) -> tuple[list[str], list[TermCorrection]]:
    """Replace words no product contains with the closest indexed word (typo tolerance)."""
    corrected: list[str] = []
    corrections: list[TermCorrection] = []
    known = queries.known_term_prefixes(uow.session, terms)
    for term in terms:
        if term in known:
            corrected.append(term)
            continue
        scored = [
            (edit_distance(term, cand), -trigram_similarity(term, cand), cand)
            for cand in uow.dialect.similar_terms(uow.session, term)
        ]
        scored = [item for item in scored if item[0] <= max_edits(term) and -item[1] >= MIN_CORRECTION_SIMILARITY]
        if not scored:
            corrected.append(term)
            continue
        best = min(scored)[2]
        corrected.append(best)
        corrections.append(TermCorrection(original=term, corrected=best))
    return list(dict.fromkeys(corrected)), corrections


def search_local_products(
    uow: UnitOfWork,
    query: str,
    latitude: float,
    longitude: float,
    radius_km: float,
    in_stock_only: bool,
    limit: int,
    now: datetime,
) -> SearchResults:
    terms = query_terms(query)
    statuses = ranking.IN_STOCK_STATUSES if in_stock_only else ranking.SEARCHABLE_STATUSES
    nearby = queries.nearby_stores(uow.session, uow.dialect, latitude, longitude, radius_km)
    rows = queries.search_offers(uow.session, uow.dialect, terms, nearby, radius_km, statuses, limit, now)
    corrections: list[TermCorrection] = []
    if not rows:
        # Typos are looked for only when the words as typed found nothing: a hit means every word starts
        # some product's indexed word, and such a word is never corrected (`correct_terms`). Saves a
        # round trip on every search that finds something.
        corrected, corrections = correct_terms(uow, terms)
        if corrections:
            rows = queries.search_offers(uow.session, uow.dialect, corrected, nearby, radius_km, statuses, limit, now)
        terms = corrected
    hits = [
        SearchHit(
            rank=rank,
            score=round(float(score), 6),
            product=product_summary(product),
            **store_stock(offer, location, organization, float(distance), now),
        )
        for rank, (offer, location, product, organization, distance, score) in enumerate(rows, start=1)
    ]
    return SearchResults(query=query, terms=terms, corrections=corrections, radius_km=radius_km, results=hits)


def check_product_availability(
    uow: UnitOfWork, gtin: str, latitude: float, longitude: float, radius_km: float, now: datetime
) -> Availability:
    gtin14 = normalize_gtin(gtin)
    product = queries.product_row_by_gtin(uow.session, gtin14)
    if product is None:
        return Availability(gtin=gtin14, product=None, radius_km=radius_km, in_stock_store_count=0, stores=[])
    rows = queries.availability(uow.session, uow.dialect, product.id, latitude, longitude, radius_km)
    stores = [
        AvailabilityHit(sku=offer.sku, **store_stock(offer, location, organization, float(distance), now))
        for offer, location, organization, distance in rows
    ]
    in_stock = len({hit.store.location_id for hit in stores if hit.status in ranking.IN_STOCK_STATUSES})
    return Availability(
        gtin=gtin14,
        product=product_summary(product),
        radius_km=radius_km,
        in_stock_store_count=in_stock,
        stores=stores,
    )
