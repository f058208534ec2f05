"""Tools: the global product catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from localshelf.server.state import AppState, app_state
from localshelf.services import products
from localshelf.services.views import ProductView
from localshelf.tools import hints
from localshelf.tools.types import Gtin, ProductId, Text200, Text300, Text2000, WebUrl


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.creates("Register product", idempotent=True))
    async def register_product(
        gtin: Gtin,
        name: Annotated[
            Text300,
            Field(
                description="Product name as printed on the pack, with size.",
                examples=["DeWalt 20V MAX Cordless Drill, 1/2 in."],
            ),
        ],
        ctx: Context[AppState, Any],
        brand: Annotated[Text200 | None, Field(description="Brand name.", examples=["DeWalt"])] = None,
        category: Annotated[
            Text200 | None, Field(description="Category path.", examples=["Tools > Power Tools"])
        ] = None,
        description: Annotated[
            Text2000 | None,
            Field(description="One or two sentences.", examples=["Compact drill/driver with two batteries."]),
        ] = None,
        image_urls: Annotated[
            list[WebUrl],
            Field(max_length=10, description="Product image URLs.", examples=[["https://example.com/drill.jpg"]]),
        ]
        | None = None,
    ) -> ProductView:
        """Add a product to the global catalogue by its barcode (GTIN) so offers can reference it.

        If the GTIN is already registered, the existing product is returned unchanged (created=false).
        Next: create_in_store_offer with its id or GTIN.
        """
        return await app_state(ctx).run(
            products.register_product, gtin, name, brand, description, category, list(image_urls or [])
        )

    @server.tool(annotations=hints.read_only("Get product"))
    async def get_product(
        ctx: Context[AppState, Any],
        product_id: ProductId | None = None,
        gtin: Annotated[Gtin | None, Field(description="Barcode number instead of product_id.")] = None,
    ) -> ProductView:
        """Look up one product by its id (prd_...) or its barcode (GTIN); give exactly one.
        Use it before register_product to see whether a GTIN is already in the catalogue."""
        return await app_state(ctx).read(products.get_product, product_id, gtin)
