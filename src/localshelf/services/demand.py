"""Demand signals: what shoppers were shown (retailers) and where they look for a brand (verified brand owners)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field

from localshelf.domain.errors import Forbidden, NotFound
from localshelf.services import brands
from localshelf.services.access import own_location_pk, readable
from localshelf.store import demand as store
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Brand, Organization


class ImpressionDay(BaseModel):
    day: date
    location_id: str
    location_name: str
    impressions: int = Field(description="Times one of this store's offers was shown by a search or barcode check.")
    distinct_products: int = Field(description="How many different products of this store were shown that day.")


class SearchImpressions(BaseModel):
    organization_id: str
    location_id: str | None
    since: date = Field(description="First day counted (UTC); the last is today.")
    total_impressions: int
    days: list[ImpressionDay] = Field(description="One row per day and store with impressions, newest day first.")


class DemandCell(BaseModel):
    cell: str = Field(description="The ~11 km grid cell, as 'lat,lon' of its south-west corner (0.1° steps).")
    cell_latitude: float = Field(description="The cell's centre.")
    cell_longitude: float
    searches: int = Field(description="Calls about the brand: its name in the query, or one of its products shown.")
    unmet: int = Field(description="Of those, calls that found none of its products in stock nearby.")
    product_searches: int = Field(description="Calls about each of its products, summed (one call, two products: 2).")
    product_unmet: int = Field(description="Of those, product calls that found it in stock nowhere nearby.")


class BrandDemand(BaseModel):
    brand_id: str
    brand_name: str
    since: date
    cells: list[DemandCell] = Field(description="Most unmet first, then most searched.")


class BrandCoverageGaps(BaseModel):
    brand_id: str
    brand_name: str
    since: date
    radius_km: float
    gaps: list[DemandCell] = Field(
        description="Cells with searches but no published store within radius_km of the centre having the brand's "
        "products in stock; most unmet first."
    )


def _since(now: datetime, days: int) -> date:
    return now.date() - timedelta(days=days - 1)


def get_search_impressions(
    uow: UnitOfWork, organization_id: str, days: int, location_id: str | None, now: datetime
) -> SearchImpressions:
    organization = readable(uow, Organization, organization_id)
    location_pk = own_location_pk(uow, organization, location_id)
    since = _since(now, days)
    rows = [
        ImpressionDay(day=day, location_id=lid, location_name=name, impressions=total, distinct_products=products)
        for day, lid, name, total, products in store.impressions_by_day(
            uow.session, organization.id, since, location_pk
        )
    ]
    return SearchImpressions(
        organization_id=organization.public_id,
        location_id=location_id,
        since=since,
        total_impressions=sum(row.impressions for row in rows),
        days=rows,
    )


def visible_brand(uow: UnitOfWork, brand_ref: str) -> Brand:
    """A brand (name or id) whose demand the actor may see: a member of an organization with a verified claim."""
    brand, _ = brands.resolve_brand(uow, brand_ref)
    if brand is None:
        raise NotFound.of("brand", brand_ref.strip()[:80])
    if not brands.is_verified_owner(uow, brand):
        raise Forbidden(
            "Only members of an organization with a verified claim on this brand may see its search demand; "
            "claim the brand (claim_brand) and wait for verification."
        )
    return brand


def _cells(rows: list[store.DemandRow]) -> list[DemandCell]:
    return [
        DemandCell(
            cell=cell,
            cell_latitude=lat,
            cell_longitude=lon,
            searches=searches,
            unmet=unmet,
            product_searches=product_searches,
            product_unmet=product_unmet,
        )
        for cell, lat, lon, searches, unmet, product_searches, product_unmet in rows
    ]


def brand_search_demand(uow: UnitOfWork, brand_id: str, days: int, limit: int, now: datetime) -> BrandDemand:
    brand = visible_brand(uow, brand_id)
    since = _since(now, days)
    rows = store.brand_demand(uow.session, brand, since, limit)
    return BrandDemand(brand_id=brand.public_id, brand_name=brand.name, since=since, cells=_cells(rows))


def brand_coverage_gaps(
    uow: UnitOfWork, brand_id: str, days: int, radius_km: float, min_searches: int, limit: int, now: datetime
) -> BrandCoverageGaps:
    brand = visible_brand(uow, brand_id)
    since = _since(now, days)
    rows = store.brand_gaps(uow.session, brand, since, radius_km, min_searches, limit)
    return BrandCoverageGaps(
        brand_id=brand.public_id, brand_name=brand.name, since=since, radius_km=radius_km, gaps=_cells(rows)
    )
