"""Prompts for the agent skills built so far."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from localshelf.server.state import AppState


def register(server: MCPServer[AppState]) -> None:
    @server.prompt(name="local-product-search", title="Find a product in stock nearby")
    def local_product_search(what: str, near: str) -> str:
        """Help a shopper find a product in stock at a store near them."""
        return (
            f"A shopper wants: {what!r}, near {near!r}.\n"
            "1. Get the shopper's latitude/longitude (ask if unknown; decimal degrees).\n"
            "2. Call search_local_products with the shopper's words, coordinates and radius_km=5; widen to 15 if"
            " nothing comes back. If you have a barcode, use check_product_availability instead.\n"
            "3. Answer with the best 3 results: store name, distance_km, price, status, and how fresh the stock"
            " level is (confidence: confirmed <1 h, likely <24 h, uncertain older). Never promise stock that is"
            " not confirmed; suggest calling the store's phone for 'uncertain' results."
        )

    @server.prompt(name="onboard-retailer", title="Make a retailer discoverable (manual stock)")
    def onboard_retailer(retailer_name: str, store_address: str) -> str:
        """Take a retailer from nothing to discoverable in local search without a POS connection."""
        return (
            f"Onboard the retailer {retailer_name!r} whose store is at {store_address!r}.\n"
            "1. create_organization(name, kind='retailer').\n"
            "2. publish_location with the store's address and the entrance's latitude/longitude (ask the"
            " retailer, or let a US ZIP code stand in). Publish every store they have.\n"
            "3. For each product: register_product(gtin, name, brand, category), then create_in_store_offer"
            " with price_minor (cents) and quantity_on_hand.\n"
            "4. Verify: find_locations at the store's coordinates shows it at ~0 km, and search_local_products"
            " for one product at the same coordinates lists the store."
        )
