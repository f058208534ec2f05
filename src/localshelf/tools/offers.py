"""Tools: in-store offers (price and stock of a product at one store)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from localshelf.domain.stock import OfferStatus
from localshelf.server.state import AppState, app_state
from localshelf.services import offers
from localshelf.services.views import OfferPage, OfferView
from localshelf.tools import hints
from localshelf.tools.types import (
    Currency,
    Gtin,
    LocationId,
    OfferId,
    OrganizationId,
    PriceMinor,
    ProductId,
    Quantity,
    Text64,
    Text200,
)

Status = Annotated[
    OfferStatus,
    Field(description="Stock status; when omitted it follows quantity (0 out_of_stock, 1-3 low_stock, else in_stock)."),
]


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.creates("Create in-store offer"))
    async def create_in_store_offer(
        organization_id: OrganizationId,
        location_id: LocationId,
        sku: Annotated[Text64, Field(description="The retailer's own SKU for this item.", examples=["DW-DCD771C2"])],
        price_minor: PriceMinor,
        quantity_on_hand: Quantity,
        ctx: Context[AppState, Any],
        product_id: ProductId | None = None,
        gtin: Annotated[
            Gtin | None, Field(description="Barcode of a registered product, instead of product_id.")
        ] = None,
        currency: Currency = "USD",
        status: Status | None = None,
    ) -> OfferView:
        """Offer a registered product at one of the retailer's stores, with price and stock (manual, no POS).

        (product, location, sku) is unique: a second offer for the same triple fails with duplicate_offer.
        The stock level counts as confirmed now.
        """
        return await app_state(ctx).run(
            offers.create_in_store_offer,
            organization_id,
            location_id,
            product_id,
            gtin,
            sku,
            price_minor,
            currency,
            quantity_on_hand,
            status,
            app_state(ctx).clock(),
        )

    @server.tool(annotations=hints.changes("Update in-store offer"))
    async def update_in_store_offer(
        offer_id: OfferId,
        ctx: Context[AppState, Any],
        price_minor: PriceMinor | None = None,
        currency: Currency | None = None,
        quantity_on_hand: Quantity | None = None,
        status: Status | None = None,
    ) -> OfferView:
        """Change an offer's price or stock. A stock change also marks the inventory as just confirmed.
        Use it for a new price or a stock count; for a sale or a return, record_inventory_movement keeps the cause."""
        return await app_state(ctx).run(
            offers.update_in_store_offer,
            offer_id,
            price_minor,
            currency,
            quantity_on_hand,
            status,
            app_state(ctx).clock(),
        )

    @server.tool(annotations=hints.read_only("List in-store offers"))
    async def list_in_store_offers(
        organization_id: OrganizationId,
        ctx: Context[AppState, Any],
        location_id: LocationId | None = None,
        status: Annotated[OfferStatus | None, Field(description="Only offers with this status.")] = None,
        cursor: Annotated[
            Text200 | None, Field(description="next_cursor from the previous page; omit for the first page.")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=200, description="Offers per page.")] = 50,
    ) -> OfferPage:
        """A retailer's offers, page by page, with the total count, last_inventory_sync and confidence.

        Use it to report sync progress to a retailer (poll no faster than every 5 seconds).
        """
        return await app_state(ctx).read(
            offers.list_in_store_offers,
            organization_id,
            location_id,
            status,
            cursor,
            limit,
            app_state(ctx).clock(),
        )
