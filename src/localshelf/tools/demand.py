"""Tools: demand signals — what shoppers were shown, and where they look for a brand that is not on the shelf."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from localshelf.server.state import AppState, app_state
from localshelf.services import demand
from localshelf.services.demand import BrandCoverageGaps, BrandDemand, SearchImpressions
from localshelf.tools import hints
from localshelf.tools.types import BrandRef, LocationId, OrganizationId, RadiusKm

Days = Annotated[int, Field(ge=1, le=366, description="How many days back, today (UTC) included.")]
CellLimit = Annotated[int, Field(ge=1, le=500, description="Maximum cells returned.")]


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.read_only("Get search impressions"))
    async def get_search_impressions(
        organization_id: OrganizationId,
        ctx: Context[AppState, Any],
        days: Days = 30,
        location_id: Annotated[LocationId | None, Field(description="Only this store of the organization.")] = None,
    ) -> SearchImpressions:
        """How often shoppers' searches and barcode checks showed a retailer's offers, per day and store.

        Use it to see which stores get seen and whether a catalog change paid off. Counts are written every few
        seconds, so the last moments may be missing. Next: list_in_store_offers to act on what is shown.
        """
        state = app_state(ctx)
        return await state.read(demand.get_search_impressions, organization_id, days, location_id, state.clock())

    @server.tool(annotations=hints.read_only("Brand search demand"))
    async def brand_search_demand(
        brand: BrandRef,
        ctx: Context[AppState, Any],
        days: Days = 30,
        limit: CellLimit = 100,
    ) -> BrandDemand:
        """Where shoppers look for a brand's products, per ~11 km grid cell: searches and unmet (nothing in stock).

        Only members of an organization with a verified claim on the brand may call it (else forbidden). No
        query text or shopper location finer than the cell is kept. Next: brand_coverage_gaps for cells no
        store serves.
        """
        state = app_state(ctx)
        return await state.read(demand.brand_search_demand, brand, days, limit, state.clock())

    @server.tool(annotations=hints.read_only("Brand coverage gaps"))
    async def brand_coverage_gaps(
        brand: BrandRef,
        ctx: Context[AppState, Any],
        days: Days = 30,
        radius_km: RadiusKm = 10.0,
        min_searches: Annotated[int, Field(ge=1, le=1_000_000, description="Ignore cells with fewer searches.")] = 1,
        limit: CellLimit = 50,
    ) -> BrandCoverageGaps:
        """Grid cells where shoppers searched for a brand but no published store within radius_km (km) of the
        cell's centre has any of its products in stock, most unmet searches first.

        Same access as brand_search_demand (verified brand owners). Use it to pick where to win new retailers;
        next: brand_retail_footprint for where the brand is carried today.
        """
        state = app_state(ctx)
        return await state.read(demand.brand_coverage_gaps, brand, days, radius_km, min_searches, limit, state.clock())
