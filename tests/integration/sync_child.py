"""A sync runner in a process of its own, for the kill-and-resume test (tests/integration/test_sync_recovery.py).

    LOCALSHELF_CHILD_DATABASE_URL=... LOCALSHELF_CHILD_KEY=... LOCALSHELF_CHILD_TOKEN=... \\
        python -m tests.integration.sync_child PRODUCTS LOCATIONS SEED BUILT_AT PARK_AFTER

The parent has already made everything that lives in the database (organization, connected integration,
stores, location mapping, a queued job). The Shopify fake lives in memory, so this process rebuilds it with
`build_state` - the same deterministic catalog `connected_shop` seeds, with timestamps fixed at BUILT_AT -
and accepts the parent's access token; the database URL, the encryption key and the token come in the
environment (never on a command line). It prints `catalog <fingerprint>`, claims the queued job, runs it and
prints one `progress <n> <message>` line per progress report (each follows a committed page). After the
PARK_AFTER-th it prints `parked` and waits, doing nothing, for the parent's SIGKILL; a batch of offers that would
start after that waits too (on PostgreSQL the other build lane would otherwise go on building alone).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx

from localshelf.fakes.shopify import App, FakeShopify, Shop, ShopifyState
from localshelf.services import sync_jobs, sync_runner
from localshelf.services.pos_flows import PosContext
from localshelf.store import pos_staging as staging
from localshelf.store.db import Database
from tests.integration.shopify_harness import CLIENT_ID, CLIENT_SECRET, SHOP, settings

SCOPE = "read_products,read_inventory,read_locations"


PARKED = threading.Event()


def _still_once_parked(materialize: Any) -> Any:
    def batch(*arguments: Any) -> Any:
        if PARKED.is_set():
            threading.Event().wait()  # never set: the parent kills this process
        return materialize(*arguments)

    return batch


def build_state(products: int, locations: int, seed: int, built_at: float, token: str) -> ShopifyState:
    """The fake's state exactly as `connected_shop` builds it (same ids, catalog and stock), answering `token`.

    Timestamps are fixed at `built_at` so two processes build identical catalogs; afterwards the fake's clock
    is real time again (its rate-limit bucket refills by it).
    """
    state = ShopifyState(App(client_id=CLIENT_ID, client_secret=CLIENT_SECRET), clock=lambda: built_at)
    shop = state.add_shop(SHOP, restore_rate=100_000.0)
    state.seed(shop, products=products, locations=locations, seed=seed, variants_per_product=1)
    two = state.add_product(
        shop, "Canvas Apron", variants=[("APRON-S", "036000291452", "24.00"), ("APRON-L", None, "26.50")]
    )
    for location in shop.locations.values():
        for variant in two.variants:
            state.set_available(shop, variant.inventory_item_id, location.id, 5)
    shop.tokens[token] = SCOPE
    state.clock = time.time
    return state


def fingerprint(shop: Shop) -> str:
    """A digest of what a sync reads (ids, catalog, stock), leaving out timestamps."""
    catalog = {
        "locations": sorted((loc.id, loc.name, loc.is_active) for loc in shop.locations.values()),
        "products": sorted(
            (p.id, p.title, p.status, [(v.id, v.sku, v.barcode, v.price, v.inventory_item_id) for v in p.variants])
            for p in shop.products.values()
        ),
        "levels": sorted((item, location, quantity) for (item, location), quantity in shop.levels.items()),
    }
    return hashlib.sha256(json.dumps(catalog, sort_keys=True).encode()).hexdigest()


async def main(products: int, locations: int, seed: int, built_at: float, park_after: int) -> None:
    state = build_state(products, locations, seed, built_at, os.environ["LOCALSHELF_CHILD_TOKEN"])
    fake = FakeShopify(state)
    print("catalog", fingerprint(state.shops[SHOP]), flush=True)
    database = Database.from_url(os.environ["LOCALSHELF_CHILD_DATABASE_URL"])

    def http() -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), timeout=20)

    pos = PosContext(
        database, settings(encryption_keys=os.environ["LOCALSHELF_CHILD_KEY"]), lambda: datetime.now(UTC), http
    )
    ticket = await database.run(sync_jobs.claim, None, pos.clock())
    if ticket is None:
        print("nothing to claim", flush=True)
        return
    print("claimed", ticket.public_id, flush=True)
    reports = 0

    async def progress(done: float, _total: float | None, message: str) -> None:
        nonlocal reports
        reports += 1
        print("progress", reports, message, flush=True)
        if reports == park_after:
            PARKED.set()
            print("parked", flush=True)
            await anyio.sleep_forever()

    sync_runner.materialize = _still_once_parked(sync_runner.materialize)
    staging.upsert_items = _still_once_parked(staging.upsert_items)  # reading's other lane, likewise
    staging.upsert_stock = _still_once_parked(staging.upsert_stock)
    await pos.runner().run(ticket, progress)
    print("finished", flush=True)


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
