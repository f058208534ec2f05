"""Tools: retailer items (variants without a usable barcode) and matching them to global products."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from localshelf.domain.errors import InvalidInput
from localshelf.domain.ids import validate_public_id
from localshelf.server.state import AppState, app_state
from localshelf.services import matching
from localshelf.services.matching import MatchResult, UnmatchedItemPage
from localshelf.tools import hints
from localshelf.tools.types import Gtin, LocationId, OrganizationId, Text200, Text300


def _retailer_item_id(value: str) -> str:
    try:
        return validate_public_id(value, "retailer_item")
    except InvalidInput as exc:
        raise PydanticCustomError(exc.code.value, exc.message) from None


RetailerItemId = Annotated[
    str,
    Field(description="Retailer item id from list_unmatched_items.", examples=["itm_7k3m9x2p4q8r"], max_length=64),
    AfterValidator(_retailer_item_id),
]


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.read_only("List unmatched items"))
    async def list_unmatched_items(
        organization_id: OrganizationId,
        ctx: Context[AppState, Any],
        location_id: LocationId | None = None,
        limit: Annotated[int, Field(ge=1, le=50, description="Items per page.")] = 20,
        cursor: Annotated[
            Text200 | None, Field(description="next_cursor from the previous page; omit for the first page.")
        ] = None,
    ) -> UnmatchedItemPage:
        """A retailer's items that shoppers cannot find yet (no barcode, not matched), each with up to 3 suggestions.

        Use it to help a retailer make barcode-less POS variants and manual items searchable. Prices are in
        minor currency units. Each suggestion is an existing product ranked by name and brand similarity (score
        0..1); confirm the right one with the retailer, then call match_retailer_item with its GTIN (or with the
        barcode printed on the product).
        """
        return await app_state(ctx).read(matching.list_unmatched_items, organization_id, location_id, cursor, limit)

    @server.tool(annotations=hints.changes("Match retailer item"))
    async def match_retailer_item(
        item_id: RetailerItemId,
        gtin: Gtin,
        ctx: Context[AppState, Any],
        name: Annotated[
            Text300 | None,
            Field(
                description="Product name if the GTIN is new; defaults to the item's name.",
                examples=["Shop rag, 12 pack"],
            ),
        ] = None,
        brand: Annotated[Text200 | None, Field(description="Brand, if the GTIN is new.", examples=["Scott"])] = None,
        category: Annotated[
            Text200 | None, Field(description="Category, if the GTIN is new.", examples=["Cleaning > Rags"])
        ] = None,
    ) -> MatchResult:
        """Give a retailer item its GTIN so it becomes searchable offers at its store(s).

        Use it after list_unmatched_items. The product for the GTIN is linked, or created when new (name, brand
        and category only describe a new product). A POS item keeps the match across every later sync and
        follows POS price and stock; a manual item gets one offer at its store with its price (minor units) and
        quantity. Matching again with another GTIN re-points the item; the same GTIN again changes nothing.
        Check the result with search_local_products or list_in_store_offers.
        """
        state = app_state(ctx)
        return await state.run(matching.match_retailer_item, item_id, gtin, name, brand, category, state.clock())
