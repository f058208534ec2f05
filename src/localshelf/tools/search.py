"""Tools: what shoppers ask — local product search and barcode availability."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from localshelf.server.state import AppState, app_state
from localshelf.services import search
from localshelf.services.views import Availability, SearchResults
from localshelf.tools import hints
from localshelf.tools.types import Gtin, Latitude, Longitude, RadiusKm, SearchQuery

ShopperLatitude = Annotated[Latitude, Field(description="Shopper's latitude, decimal degrees (WGS84).")]
ShopperLongitude = Annotated[Longitude, Field(description="Shopper's longitude, decimal degrees (WGS84).")]


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.read_only("Search local products"))
    async def search_local_products(
        query: SearchQuery,
        latitude: ShopperLatitude,
        longitude: ShopperLongitude,
        ctx: Context[AppState, Any],
        radius_km: RadiusKm = 5.0,
        in_stock_only: Annotated[
            bool,
            Field(
                description="Only in_stock and low_stock offers (default); false adds out_of_stock. Discontinued never shows."
            ),
        ] = True,
        limit: Annotated[int, Field(ge=1, le=100, description="Maximum results.")] = 20,
    ) -> SearchResults:
        """Find products in stock at stores near a shopper, best match first.

        Ranking blends text relevance (0.45), proximity (0.25), stock status (0.15) and inventory
        freshness (0.15); typos are corrected (see `corrections`). Each result has the product,
        the store with distance_km, price, quantity, status and confidence.
        Example: query='cordless drill', latitude=45.52, longitude=-122.68, radius_km=5.
        Next: check_product_availability with a result's GTIN lists every nearby store that carries it.
        """
        state = app_state(ctx)
        now = state.clock()
        results = await state.read(
            search.search_local_products, query, latitude, longitude, radius_km, in_stock_only, limit, now
        )
        state.demand.searched(results, latitude, longitude, now)
        return results

    @server.tool(annotations=hints.read_only("Check product availability"))
    async def check_product_availability(
        gtin: Gtin,
        latitude: ShopperLatitude,
        longitude: ShopperLongitude,
        ctx: Context[AppState, Any],
        radius_km: RadiusKm = 10.0,
    ) -> Availability:
        """Every store within radius_km that carries this barcode (GTIN), nearest first, with status and confidence.

        Includes out-of-stock offers so the answer can say "carried, but sold out". Use it when the shopper
        has a barcode, or after search_local_products found the product.
        """
        state = app_state(ctx)
        now = state.clock()
        availability = await state.read(search.check_product_availability, gtin, latitude, longitude, radius_km, now)
        state.demand.checked(availability, latitude, longitude, now)
        return availability
