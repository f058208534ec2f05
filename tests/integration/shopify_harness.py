"""A connected Shopify integration against the in-process Shopify fake, for sync and webhook tests.

The fake runs as an ASGI app behind httpx's ASGITransport (the connector speaks real HTTP to it); the
integration is connected the way the device flow leaves it (encrypted token from the fake's own OAuth).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from mcp import Client
from sqlalchemy import select

from localshelf.config import Settings
from localshelf.domain.gtin import is_valid_gtin, normalize_gtin
from localshelf.fakes.shopify import App, FakeShopify, Shop, ShopifyState, gid
from localshelf.pos.crypto import TokenCipher
from localshelf.server.app import LocalshelfServer, build_server
from localshelf.services import connect, locations
from localshelf.services.locations import LocationFields
from localshelf.store.db import Database
from localshelf.store.models import InStoreOffer, Location, RetailerItem
from tests.builders import operator_organization

SHOP = "alder-hardware.myshopify.com"
CLIENT_ID, CLIENT_SECRET = "localshelf-test-app", "localshelf-test-secret"
KEY = TokenCipher.generate_key()
STORE_COORDINATES = [(45.4665, -122.6490), (45.5231, -122.6765), (45.5122, -122.6587)]


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": "sqlite://",
        "sync_worker": False,
        "encryption_keys": KEY,
        "shopify_client_id": CLIENT_ID,
        "shopify_client_secret": CLIENT_SECRET,
        "shopify_base_url_template": "https://{shop}",
        "public_url": "http://127.0.0.1:8765/mcp",
    }
    return Settings(**{**values, **overrides})


@dataclass
class Connected:
    database: Database
    state: ShopifyState
    fake: FakeShopify
    shop: Shop
    organization_id: str
    integration_id: str
    stores: dict[str, str]  # POS location GID -> localshelf location id (published, not yet mapped)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.fake), timeout=20)

    def server(self, **overrides: Any) -> LocalshelfServer:
        return build_server(settings(**overrides), database=self.database, pos_http=self.http)

    @asynccontextmanager
    async def client(self, **overrides: Any) -> AsyncIterator[Client]:
        async with Client(self.server(**overrides)) as session:
            yield session

    def mapping(self) -> list[dict[str, str]]:
        return [{"pos_location_id": pos, "location_id": store} for pos, store in self.stores.items()]


def connected_shop(database: Database, products: int = 24, locations_count: int = 2, seed: int = 7) -> Connected:
    state = ShopifyState(App(client_id=CLIENT_ID, client_secret=CLIENT_SECRET), clock=time.time)
    shop = state.add_shop(SHOP, restore_rate=100_000.0)
    state.seed(shop, products=products, locations=locations_count, seed=seed, variants_per_product=1)
    # a product with two options, one of them without a barcode
    two = state.add_product(
        shop, "Canvas Apron", variants=[("APRON-S", "036000291452", "24.00"), ("APRON-L", None, "26.50")]
    )
    for location in shop.locations.values():
        for variant in two.variants:
            state.set_available(shop, variant.inventory_item_id, location.id, 5)
    token = state.issue_token(shop, "read_products,read_inventory,read_locations")
    organization_id = operator_organization(database, "Alder Street Hardware")
    now = datetime.now(UTC)
    started = database.transaction(
        connect.start_pos_connect, organization_id, "shopify", SHOP, now, "http://x", frozenset({"shopify"})
    )
    database.transaction(connect.approve, started.user_code, "state-" + started.integration_id, now)
    encrypted = TokenCipher.from_setting(KEY).encrypt(token)
    tokens = connect.StoredTokens(encrypted, None, None, ("read_products",))
    database.transaction(connect.complete, "state-" + started.integration_id, SHOP, tokens, now)
    stores = {}
    for index, location in enumerate(sorted(shop.locations.values(), key=lambda loc: loc.id)):
        lat, lon = STORE_COORDINATES[index % len(STORE_COORDINATES)]
        fields = LocationFields(
            name=f"Alder {location.name}",
            address_line1=location.address1,
            city="Portland",
            country="US",
            latitude=lat,
            longitude=lon,
        )
        stores[gid("Location", location.id)] = database.transaction(
            locations.publish_location, organization_id, fields
        ).id
    fake = FakeShopify(state)
    return Connected(database, state, fake, shop, organization_id, started.integration_id, stores)


def expected_offers(connected: Connected, mapped: set[str] | None = None) -> set[tuple[Any, ...]]:
    """Ground truth from the fake: (sku, store, gtin, price_minor, quantity, status) per offer."""
    shop, rows = connected.shop, set()
    stores = {pos: store for pos, store in connected.stores.items() if mapped is None or pos in mapped}
    for product in shop.products.values():
        for variant in product.variants:
            if not variant.barcode or not is_valid_gtin(variant.barcode):
                continue
            for (item, location), quantity in shop.levels.items():
                store = stores.get(gid("Location", location))
                if item != variant.inventory_item_id or store is None:
                    continue
                if product.status != "ACTIVE":
                    status = "discontinued"
                else:
                    status = "out_of_stock" if quantity <= 0 else "low_stock" if quantity <= 3 else "in_stock"
                price = int(Decimal(variant.price) * 100)
                sku = variant.sku or gid("ProductVariant", variant.id)
                rows.add((sku, store, normalize_gtin(variant.barcode), price, max(quantity, 0), status))
    return rows


def stored_offers(database: Database) -> set[tuple[Any, ...]]:
    from localshelf.store.models import Product

    with database.session() as session:
        rows = session.execute(
            select(
                InStoreOffer.sku,
                Location.public_id,
                Product.gtin,
                InStoreOffer.price_minor,
                InStoreOffer.quantity_on_hand,
                InStoreOffer.status,
            )
            .join(Location, Location.id == InStoreOffer.location_id)
            .join(Product, Product.id == InStoreOffer.product_id)
        )
        return {tuple(row) for row in rows}


def retailer_item_skus(database: Database) -> set[tuple[str, int]]:
    with database.session() as session:
        return {(row.sku, row.quantity_on_hand) for row in session.scalars(select(RetailerItem))}
