"""SQL for retailer-item matching: unmatched items page by page, and candidate products for suggestions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Integer, case, func, or_, select
from sqlalchemy.orm import Session

from localshelf.store.models import InStoreOffer, Location, Organization, Product, RetailerItem

CANDIDATES = 50  # products ranked in Python per item


def item_with_organization(session: Session, public_id: str) -> tuple[RetailerItem, Organization] | None:
    row = session.execute(
        select(RetailerItem, Organization)
        .join(Organization, Organization.id == RetailerItem.organization_id)
        .where(RetailerItem.public_id == public_id)
    ).first()
    return None if row is None else (row[0], row[1])


def unmatched_page(
    session: Session, organization_id: int, location_id: int | None, after_id: int | None, limit: int
) -> tuple[list[tuple[RetailerItem, str | None]], int]:
    """Unmatched items in id order after `after_id` (with their location's public id) and the total count."""
    where = [RetailerItem.organization_id == organization_id, RetailerItem.matched_product_id.is_(None)]
    if location_id is not None:
        where.append(RetailerItem.location_id == location_id)
    total = session.scalar(select(func.count()).select_from(RetailerItem).where(*where)) or 0
    query = (
        select(RetailerItem, Location.public_id)
        .outerjoin(Location, Location.id == RetailerItem.location_id)
        .where(*where)
        .order_by(RetailerItem.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(RetailerItem.id > after_id)
    return [(row[0], row[1]) for row in session.execute(query)], int(total)


def candidate_products(session: Session, words: Sequence[str], limit: int = CANDIDATES) -> list[Product]:
    """Products whose name, brand or category has a word starting with one of `words`, most shared words first."""
    if not words:
        return []
    # Documents are " word word " and words are [a-z0-9]+, so each LIKE is a word-prefix test.
    hits = [case((Product.search_doc.like(f"% {word}%"), 1), else_=0) for word in words]
    shared = sum(hits[1:], hits[0]).cast(Integer).label("shared")
    query = select(Product).where(or_(*[Product.search_doc.like(f"% {word}%") for word in words]))
    return list(session.scalars(query.order_by(shared.desc(), Product.id).limit(limit)))


def offers_of_pos_item(session: Session, pos_item_id: int) -> list[InStoreOffer]:
    return list(
        session.scalars(
            select(InStoreOffer)
            .where(InStoreOffer.pos_item_id == pos_item_id)
            .order_by(InStoreOffer.id)
            .execution_options(populate_existing=True)  # materialize rewrites offers in bulk, behind the ORM
        )
    )


def manual_offer(session: Session, product_id: int, location_id: int, sku: str) -> InStoreOffer | None:
    return session.scalar(
        select(InStoreOffer).where(
            InStoreOffer.product_id == product_id, InStoreOffer.location_id == location_id, InStoreOffer.sku == sku
        )
    )
