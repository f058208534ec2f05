"""Brands: claims by brand organizations (with their GS1 company prefixes), the operator's verification, and the
retail footprint of a brand's products.

Rules:
- Only `brand` organizations claim brands; a claim starts `pending`. Re-claiming the same brand replaces the
  prefixes (and the evidence, when given) and makes the claim pending again, unless it is verified with exactly
  the same prefixes (then nothing changes).
- Overlaps are reported, not refused: other organizations' claims on the brand, and every other claim with a
  prefix that begins, or is begun by, one of ours. Another organization is named only once its claim is verified.
- The operator verifies a claim after checking the prefixes' GS1 owner (GEPIR) and the evidence; verification is
  refused (`prefix_conflict`) while another verified claim overlaps a prefix. Rejected claims never count.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select

from localshelf.domain.brands import brand_key, company_prefix, prefixes_overlap
from localshelf.domain.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound
from localshelf.domain.ids import new_public_id, validate_public_id
from localshelf.services.access import owned, readable
from localshelf.store import brands as brand_store
from localshelf.store import footprint
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Brand, BrandClaim, BrandClaimPrefix, Organization, Product

ClaimStatus = Literal["pending", "verified", "rejected"]
Decision = Literal["verified", "rejected"]
MAX_PREFIXES = 20
ANOTHER_ORGANIZATION = "another organization"


class ClaimOverlap(BaseModel):
    """Another claim that names the same brand or covers some of the same GTINs."""

    brand: str = Field(description="The other claim's brand name.")
    organization: str = Field(description=f"Its organization's name once verified, else '{ANOTHER_ORGANIZATION}'.")
    status: ClaimStatus
    same_brand: bool = Field(description="True when the other claim is on this same brand.")
    overlapping_prefixes: list[str] = Field(description="The other claim's prefixes that overlap this claim's.")


class BrandClaimView(BaseModel):
    id: str
    organization_id: str
    brand_id: str
    brand: str
    status: ClaimStatus
    gtin_company_prefixes: list[str]
    evidence_url: str | None
    created_at: datetime
    decided_at: datetime | None
    decision_note: str | None
    overlaps: list[ClaimOverlap]


class BrandClaimList(BaseModel):
    organization_id: str
    claims: list[BrandClaimView]


def _prefixes(values: list[str]) -> list[str]:
    if not 1 <= len(values) <= MAX_PREFIXES:
        raise InvalidInput(f"Give 1 to {MAX_PREFIXES} GS1 company prefixes, got {len(values)}.")
    return list(dict.fromkeys(company_prefix(value) for value in values))


def _evidence(url: str | None) -> str | None:
    if url is None:
        return None
    url = url.strip()
    if not url.startswith("https://") or len(url) <= len("https://") or any(c.isspace() for c in url):
        raise InvalidInput("evidence_url must be an https:// URL.")
    return url


def _claim_prefixes(uow: UnitOfWork, claim_id: int) -> list[str]:
    return list(
        uow.session.scalars(
            select(BrandClaimPrefix.prefix)
            .where(BrandClaimPrefix.claim_id == claim_id)
            .order_by(BrandClaimPrefix.prefix)
        )
    )


def _overlaps(uow: UnitOfWork, claim: BrandClaim, prefixes: list[str]) -> list[ClaimOverlap]:
    by_claim: dict[int, list[str]] = defaultdict(list)
    for other_id, prefix in brand_store.overlapping_prefixes(uow.session, prefixes, claim.id):
        if any(prefixes_overlap(prefix, own) for own in prefixes):
            by_claim[other_id].append(prefix)
    same_brand = select(BrandClaim.id).where(BrandClaim.brand_id == claim.brand_id, BrandClaim.id != claim.id)
    ids = set(by_claim) | set(uow.session.scalars(same_brand))
    if not ids:
        return []
    rows = uow.session.execute(
        select(BrandClaim, Brand.name, Organization.name)
        .join(Brand, Brand.id == BrandClaim.brand_id)
        .join(Organization, Organization.id == BrandClaim.organization_id)
        .where(BrandClaim.id.in_(ids))
        .order_by(Brand.name_key, BrandClaim.created_at, BrandClaim.id)
    )
    return [
        ClaimOverlap(
            brand=brand_name,
            organization=(
                organization_name
                if other.status == "verified" or other.organization_id == claim.organization_id
                else ANOTHER_ORGANIZATION
            ),
            status=other.status,
            same_brand=other.brand_id == claim.brand_id,
            overlapping_prefixes=sorted(by_claim.get(other.id, [])),
        )
        for other, brand_name, organization_name in rows
    ]


def _view(uow: UnitOfWork, claim: BrandClaim, organization_id: str, brand: Brand) -> BrandClaimView:
    prefixes = _claim_prefixes(uow, claim.id)
    return BrandClaimView(
        id=claim.public_id,
        organization_id=organization_id,
        brand_id=brand.public_id,
        brand=brand.name,
        status=claim.status,
        gtin_company_prefixes=prefixes,
        evidence_url=claim.evidence_url,
        created_at=claim.created_at,
        decided_at=claim.decided_at,
        decision_note=claim.decision_note,
        overlaps=_overlaps(uow, claim, prefixes),
    )


def _brand_named(uow: UnitOfWork, name: str) -> Brand:
    key = brand_key(name)
    brand = uow.session.scalar(select(Brand).where(Brand.name_key == key))
    if brand is None:
        brand = Brand(public_id=new_public_id("brand"), name=" ".join(name.split()), name_key=key)
        uow.session.add(brand)
        uow.session.flush()
    return brand


def claim_brand(
    uow: UnitOfWork,
    organization_id: str,
    brand_name: str,
    gtin_company_prefixes: list[str],
    evidence_url: str | None,
    now: datetime,
) -> BrandClaimView:
    organization = owned(uow, organization_id)
    if organization.kind != "brand":
        raise InvalidInput(
            f"Organization {organization_id!r} is a retailer; only brand organizations claim brands.",
            ErrorCode.WRONG_ORGANIZATION_KIND,
        )
    prefixes = _prefixes(gtin_company_prefixes)
    evidence = _evidence(evidence_url)
    if not brand_key(brand_name):
        raise InvalidInput("brand_name must contain a visible character.")
    brand = _brand_named(uow, brand_name)
    claim = uow.session.scalar(
        select(BrandClaim).where(BrandClaim.organization_id == organization.id, BrandClaim.brand_id == brand.id)
    )
    if claim is None:
        claim = BrandClaim(
            public_id=new_public_id("brand_claim"),
            organization_id=organization.id,
            brand_id=brand.id,
            status="pending",
            evidence_url=evidence,
            created_at=now,
        )
        uow.session.add(claim)
        uow.session.flush()
    elif not (claim.status == "verified" and sorted(prefixes) == _claim_prefixes(uow, claim.id)):
        claim.status, claim.decided_at, claim.decision_note = "pending", None, None
        claim.evidence_url = evidence or claim.evidence_url
        uow.session.execute(delete(BrandClaimPrefix).where(BrandClaimPrefix.claim_id == claim.id))
        uow.session.flush()
    if not _claim_prefixes(uow, claim.id):
        uow.session.add_all(BrandClaimPrefix(claim_id=claim.id, prefix=prefix) for prefix in prefixes)
        uow.session.flush()
    return _view(uow, claim, organization.public_id, brand)


def verify_brand_claim(
    uow: UnitOfWork, claim_id: str, decision: Decision, note: str | None, now: datetime
) -> BrandClaimView:
    if not uow.actor.is_operator:
        raise Forbidden("Only the local operator may verify or reject brand claims.")
    claim_id = validate_public_id(claim_id, "brand_claim")
    row = uow.session.execute(
        select(BrandClaim, Brand, Organization.public_id)
        .join(Brand, Brand.id == BrandClaim.brand_id)
        .join(Organization, Organization.id == BrandClaim.organization_id)
        .where(BrandClaim.public_id == claim_id)
    ).first()
    if row is None:
        raise NotFound.of("brand claim", claim_id)
    claim, brand, organization_id = row
    if decision == "verified":
        prefixes = _claim_prefixes(uow, claim.id)
        clashes = [
            (other_id, prefix)
            for other_id, prefix in brand_store.overlapping_prefixes(uow.session, prefixes, claim.id, "verified")
            if any(prefixes_overlap(prefix, own) for own in prefixes)
        ]
        if clashes:
            other = uow.session.execute(
                select(BrandClaim.public_id, Brand.name)
                .join(Brand, Brand.id == BrandClaim.brand_id)
                .where(BrandClaim.id == clashes[0][0])
            ).one()
            raise Conflict(
                f"Prefix {clashes[0][1]} overlaps verified claim {other[0]} ({other[1]}); reject that claim first "
                "if GS1 says the prefix is this organization's.",
                ErrorCode.PREFIX_CONFLICT,
            )
    claim.status, claim.decided_at, claim.decision_note = decision, now, note
    uow.session.flush()
    return _view(uow, claim, organization_id, brand)


def list_brand_claims(uow: UnitOfWork, organization_id: str) -> BrandClaimList:
    organization = readable(uow, Organization, organization_id)
    rows = uow.session.execute(
        select(BrandClaim, Brand)
        .join(Brand, Brand.id == BrandClaim.brand_id)
        .where(BrandClaim.organization_id == organization.id)
        .order_by(BrandClaim.created_at, BrandClaim.id)
    )
    return BrandClaimList(
        organization_id=organization.public_id,
        claims=[_view(uow, claim, organization.public_id, brand) for claim, brand in rows],
    )


# --------------------------------------------------------------------------- footprint


class StatusCounts(BaseModel):
    in_stock: int
    low_stock: int
    out_of_stock: int
    discontinued: int


class ConfidenceMix(BaseModel):
    """Offers by the age of their last inventory sync: ≤1 h confirmed, ≤24 h likely, older uncertain, never unknown."""

    confirmed: int
    likely: int
    uncertain: int
    unknown: int


class FootprintStats(BaseModel):
    retailer_count: int = Field(description="Retailers with at least one counted offer.")
    store_count: int = Field(description="Published stores with at least one counted offer.")
    offer_count: int | None = Field(description="Offers counted (full visibility only).")
    in_stock_share: float | None = Field(description="Share of offers in_stock or low_stock, 0-1 (full only).")
    status_counts: StatusCounts | None = Field(description="Offers per status (full visibility only).")
    confidence: ConfidenceMix | None = Field(description="Offers per freshness level (full visibility only).")
    nearest_km: float | None = Field(description="Distance to the nearest such store, when a point was given.")


class FootprintGroup(FootprintStats):
    key: str = Field(description="Retailer id (org_...), 'COUNTRY-REGION' (or 'COUNTRY'), or product id (prd_...).")
    label: str = Field(description="Retailer name, 'REGION, COUNTRY', or product name.")
    gtin: str | None = Field(default=None, description="The product's GTIN-14 (group_by=product).")


class NearbyStore(BaseModel):
    location_id: str
    name: str
    retailer: str
    city: str
    distance_km: float
    offer_count: int | None = Field(description="The brand's offers at this store (full visibility only).")


class BrandFootprint(BaseModel):
    brand: str
    brand_id: str | None = Field(description="brd_... when the brand has been claimed, else null.")
    visibility: Literal["full", "public"] = Field(
        description="full: a member of a verified claimant (all statuses, counts, freshness); public: what search "
        "shows (in_stock/low_stock offers at published stores; only retailer and store counts)."
    )
    group_by: footprint.GroupBy
    radius_km: float | None
    totals: FootprintStats
    groups: list[FootprintGroup]
    truncated: bool = Field(description="True when there were more groups than `limit`.")
    nearest_stores: list[NearbyStore] = Field(description="Closest stores carrying the brand, when a point was given.")


NEAREST_STORES = 10
DEFAULT_RADIUS_KM = 25.0


def resolve_brand(uow: UnitOfWork, brand: str) -> tuple[Brand | None, str]:
    """The brand a name or `brd_` id names (None: a name nobody has claimed), with its comparison key."""
    text = brand.strip()
    if text.lower().startswith("brd_"):
        public_id = validate_public_id(text, "brand")
        found = uow.session.scalar(select(Brand).where(Brand.public_id == public_id))
        if found is None:
            raise NotFound.of("brand", public_id)
        return found, found.name_key
    key = brand_key(text)
    if not key:
        raise InvalidInput("brand must be a brand name or a brand id (brd_...).")
    return uow.session.scalar(select(Brand).where(Brand.name_key == key)), key


def is_verified_owner(uow: UnitOfWork, brand: Brand | None) -> bool:
    """The actor is the operator or a member (any role) of an organization with a verified claim on `brand`."""
    if uow.actor.is_operator:
        return True
    if brand is None:
        return False
    claimants = uow.session.scalars(
        select(BrandClaim.organization_id).where(BrandClaim.brand_id == brand.id, BrandClaim.status == "verified")
    )
    return any(uow.actor.role_in(organization_pk) is not None for organization_pk in claimants)


def _stats(row: footprint.Aggregate, full: bool) -> dict[str, object]:
    offers = row.offer_count
    return {
        "retailer_count": row.retailer_count,
        "store_count": row.store_count,
        "offer_count": offers if full else None,
        "in_stock_share": (round(row.available / offers, 4) if offers else 0.0) if full else None,
        "status_counts": StatusCounts(**row.statuses) if full else None,
        "confidence": ConfidenceMix(**row.confidence) if full else None,
        "nearest_km": None if row.nearest_km is None else round(row.nearest_km, 3),
    }


def _area(
    uow: UnitOfWork, latitude: float | None, longitude: float | None, radius_km: float | None
) -> footprint.Area | None:
    if (latitude is None) != (longitude is None):
        raise InvalidInput("Give both latitude and longitude, or neither.", ErrorCode.INVALID_COORDINATES)
    if latitude is None or longitude is None:
        if radius_km is not None:
            raise InvalidInput("radius_km needs latitude and longitude.", ErrorCode.COORDINATES_REQUIRED)
        return None
    radius = DEFAULT_RADIUS_KM if radius_km is None else radius_km
    return footprint.area_around(uow.session, uow.dialect, latitude, longitude, radius)


def brand_retail_footprint(
    uow: UnitOfWork,
    brand: str,
    latitude: float | None,
    longitude: float | None,
    radius_km: float | None,
    group_by: footprint.GroupBy,
    limit: int,
    now: datetime,
) -> BrandFootprint:
    area = _area(uow, latitude, longitude, radius_km)
    found, key = resolve_brand(uow, brand)
    full = is_verified_owner(uow, found)
    condition = brand_store.brand_condition(uow.session, found) if found else func.lower(Product.brand) == key
    scope = footprint.Scope(condition=condition, area=area, public=not full, now=now)
    totals = footprint.totals(uow.session, uow.dialect, scope)
    groups = footprint.groups(uow.session, uow.dialect, scope, group_by, limit + 1)
    nearest = footprint.nearest_stores(uow.session, uow.dialect, scope, NEAREST_STORES) if area else []
    return BrandFootprint(
        brand=found.name if found else " ".join(brand.split()),
        brand_id=found.public_id if found else None,
        visibility="full" if full else "public",
        group_by=group_by,
        radius_km=area.radius_km if area else None,
        totals=FootprintStats(**_stats(totals, full)),
        groups=[FootprintGroup(key=g.key, label=g.label, gtin=g.gtin, **_stats(g, full)) for g in groups[:limit]],
        truncated=len(groups) > limit,
        nearest_stores=[
            NearbyStore(
                location_id=s.location_id,
                name=s.name,
                retailer=s.retailer,
                city=s.city,
                distance_km=round(s.distance_km, 3),
                offer_count=s.offer_count if full else None,
            )
            for s in nearest
        ],
    )
