"""Which products belong to a brand, as one SQL condition shared by footprints and demand.

A product is the brand's when its `brand` field names it (case-insensitively) or its GTIN falls under a company
prefix of a *verified* claim on the brand. GTIN-14 = indicator digit + GTIN-13, so a prefix `p` matches the GTINs
`d p …` for each indicator digit `d`: ten range conditions the unique index on `products.gtin` serves.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from localshelf.store.models import Brand, BrandClaim, BrandClaimPrefix, Product


def verified_prefixes(session: Session, brand_id: int) -> list[str]:
    return list(
        session.scalars(
            select(BrandClaimPrefix.prefix)
            .join(BrandClaim, BrandClaim.id == BrandClaimPrefix.claim_id)
            .where(BrandClaim.brand_id == brand_id, BrandClaim.status == "verified")
            .order_by(BrandClaimPrefix.prefix)
        )
    )


def gtin_under_prefixes(prefixes: list[str]) -> ColumnElement[bool]:
    ranges = [
        Product.gtin.between(f"{digit}{prefix}", f"{digit}{prefix}".ljust(14, "9"))
        for prefix in prefixes
        for digit in "0123456789"
    ]
    return or_(*ranges) if ranges else false()


def brand_condition(session: Session, brand: Brand) -> ColumnElement[bool]:
    """The condition on `Product` that selects the brand's products."""
    named = func.lower(Product.brand) == brand.name_key
    return or_(named, gtin_under_prefixes(verified_prefixes(session, brand.id)))


def _candidates(prefix: str) -> ColumnElement[bool]:
    """Stored prefixes that may overlap `prefix`: its own leading parts (6+ digits) and those it begins."""
    leading = [prefix[:length] for length in range(6, len(prefix) + 1)]
    return or_(BrandClaimPrefix.prefix.in_(leading), BrandClaimPrefix.prefix.between(prefix, prefix.ljust(12, "9")))


def overlapping_prefixes(
    session: Session, prefixes: list[str], exclude_claim_id: int | None, status: str | None = None
) -> list[tuple[int, str]]:
    """(claim id, prefix) of other claims' prefixes overlapping any of `prefixes` (`status`: only such claims)."""
    if not prefixes:
        return []
    query = select(BrandClaimPrefix.claim_id, BrandClaimPrefix.prefix).where(or_(*map(_candidates, prefixes)))
    if exclude_claim_id is not None:
        query = query.where(BrandClaimPrefix.claim_id != exclude_claim_id)
    if status is not None:
        query = query.join(BrandClaim, BrandClaim.id == BrandClaimPrefix.claim_id).where(BrandClaim.status == status)
    rows = session.execute(query.order_by(BrandClaimPrefix.claim_id, BrandClaimPrefix.prefix))
    return [(int(claim_id), str(prefix)) for claim_id, prefix in rows]
