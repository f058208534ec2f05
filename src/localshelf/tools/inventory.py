"""Tools: inventory movements (sales, returns, restocks...), per-offer stock rules, low-stock list, multi-location stock."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from localshelf.domain.errors import ErrorCode
from localshelf.domain.movements import MAX_DELTA, MovementReason
from localshelf.domain.stock import LOW_STOCK_AT_OR_BELOW, MAX_STOCK_LEVEL
from localshelf.server.state import AppState, app_state
from localshelf.services import inventory
from localshelf.services.inventory_views import LowStockPage, MovementList, ProductStock, RecordedMovement, StockRules
from localshelf.tools import hints
from localshelf.tools.types import (
    Gtin,
    LocationId,
    OfferId,
    OrganizationId,
    ProductId,
    Text200,
    Text255,
    Text300,
    _domain,
    _in_range,
)


def _as_sent(value: Any) -> str:
    """repr() of what the caller sent, cut short: a hostile value must not make the message long."""
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _integer(code: ErrorCode) -> BeforeValidator:
    """Units are whole numbers: a fraction, a boolean or text is refused with the quantity's own code."""

    def check(value: Any) -> Any:
        fraction = isinstance(value, float) and not value.is_integer()  # NaN and infinity included
        if isinstance(value, bool) or not isinstance(value, int | float) or fraction:
            raise PydanticCustomError(code.value, f"Expected a whole number of units, got {_as_sent(value)}.")
        return int(value)

    return BeforeValidator(check)


Delta = Annotated[
    int,
    _integer(ErrorCode.INVALID_QUANTITY),
    Field(
        description=(
            "Units the stock changes by: negative for sale and shrinkage, positive for return, refund and restock, "
            "either sign (not 0) for adjustment."
        ),
        examples=[-2],
        json_schema_extra={"minimum": -MAX_DELTA, "maximum": MAX_DELTA},
    ),
    _domain(_in_range(-MAX_DELTA, MAX_DELTA, ErrorCode.INVALID_QUANTITY, "delta")),
]
StockLevel = Annotated[
    int,
    _integer(ErrorCode.INVALID_QUANTITY),
    Field(json_schema_extra={"minimum": 0, "maximum": MAX_STOCK_LEVEL}),
    _domain(_in_range(0, MAX_STOCK_LEVEL, ErrorCode.INVALID_QUANTITY, "stock level")),
]


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.creates("Record inventory movement", idempotent=True))
    async def record_inventory_movement(
        offer_id: OfferId,
        delta: Delta,
        reason: Annotated[
            MovementReason,
            Field(description="Why the stock changed: sale, return, refund, restock, adjustment or shrinkage."),
        ],
        occurred_at: Annotated[
            datetime,
            Field(
                description="When it happened, ISO 8601 with an offset; not future.", examples=["2026-11-24T15:04:05Z"]
            ),
        ],
        external_id: Annotated[
            Text255,
            Field(
                description="Your unique id of this movement (receipt line, return number); repeats are ignored.",
                examples=["receipt-1042-line-3"],
            ),
        ],
        ctx: Context[AppState, Any],
        note: Annotated[
            Text300 | None, Field(description="Free text kept with the movement.", examples=["Water-damaged box"])
        ] = None,
    ) -> RecordedMovement:
        """Record one stock change with its cause (a sale, a return, a delivery...) and apply it to the offer's stock.

        Safe to retry: a repeat with the same external_id returns the first movement (`duplicate: true`) and
        changes nothing; the same external_id with different values fails with external_id_reused. Stock never
        goes below 0 (`clamped: true` says it was cut at 0); the status follows the offer's low-stock threshold.
        For an offer a POS sync keeps (source pos), the movement is only recorded (`applied: false`): the POS
        count sets the quantity at its next sync or webhook. See the history with list_inventory_movements.
        """
        return await app_state(ctx).run(
            inventory.record_inventory_movement,
            offer_id,
            delta,
            reason,
            occurred_at,
            external_id,
            note,
            app_state(ctx).clock(),
        )

    @server.tool(annotations=hints.read_only("List inventory movements"))
    async def list_inventory_movements(
        offer_id: OfferId,
        ctx: Context[AppState, Any],
        limit: Annotated[int, Field(ge=1, le=200, description="Movements to return, newest first.")] = 50,
    ) -> MovementList:
        """An offer's stock movements, newest first (by when they happened), with the quantity after each.

        Use it to explain a stock level or to check that a sale or return was recorded.
        """
        return await app_state(ctx).read(inventory.list_inventory_movements, offer_id, limit)

    @server.tool(annotations=hints.changes("Set stock rules"))
    async def set_stock_rules(
        offer_id: OfferId,
        ctx: Context[AppState, Any],
        low_stock_threshold: Annotated[
            StockLevel | None,
            Field(
                description=(
                    f"low_stock when 0 < quantity <= this (units); null or omitted: the default, "
                    f"{LOW_STOCK_AT_OR_BELOW}."
                ),
                examples=[5],
            ),
        ] = None,
        reorder_point: Annotated[
            StockLevel | None,
            Field(
                description="Reorder when quantity <= this (units); null or omitted: no reorder alert.", examples=[2]
            ),
        ] = None,
    ) -> StockRules:
        """Set an offer's own low-stock threshold and reorder point; the stock status is recomputed at once.

        The offer's rules become exactly these values (omit one to clear it). They also hold for offers a POS
        sync keeps. Offers at or below either level appear in list_low_stock.
        """
        return await app_state(ctx).run(inventory.set_stock_rules, offer_id, low_stock_threshold, reorder_point)

    @server.tool(annotations=hints.read_only("List low stock"))
    async def list_low_stock(
        organization_id: OrganizationId,
        ctx: Context[AppState, Any],
        location_id: Annotated[LocationId | None, Field(description="Only this store.")] = None,
        cursor: Annotated[
            Text200 | None, Field(description="next_cursor from the previous page; omit for the first page.")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=200, description="Offers per page.")] = 50,
    ) -> LowStockPage:
        """A retailer's offers that are out of stock, at or below their low-stock level, or at their reorder point.

        Each item says whether it needs reordering (quantity <= reorder_point). Discontinued offers are left out.
        Use it for a daily reorder list; change an offer's levels with set_stock_rules.
        """
        return await app_state(ctx).read(inventory.list_low_stock, organization_id, location_id, cursor, limit)

    @server.tool(annotations=hints.read_only("Get product stock"))
    async def get_product_stock(
        organization_id: OrganizationId,
        ctx: Context[AppState, Any],
        product_id: ProductId | None = None,
        gtin: Annotated[Gtin | None, Field(description="Barcode of the product, instead of product_id.")] = None,
    ) -> ProductStock:
        """One product's stock at every location of the retailer (quantity, status, price, freshness) and the total.

        Give exactly one of product_id or gtin. Locations that do not offer the product are listed with 0 units.
        """
        return await app_state(ctx).read(
            inventory.get_product_stock, organization_id, product_id, gtin, app_state(ctx).clock()
        )
