"""Shared by the sync and webhook suites: a connected, mapped Shopify shop in a `bench_database`.

The shop is the integration tests' harness (`tests/integration/shopify_harness.connected_shop`): the Shopify fake
as an ASGI app answering instantly (its cost bucket refills at 100,000 points/s), an organization with a
connected integration and one published store per POS location. `map_and_queue` maps every POS location and
queues a full sync; `run_queued_sync` claims and runs it with the real `SyncRunner`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from localshelf.services import pos_gateway, pos_locations, sync_jobs
from localshelf.services.pos_flows import PosContext
from localshelf.services.pos_locations import LocationMapping
from localshelf.store.db import Database
from localshelf.store.models import Integration
from tests.integration.shopify_harness import Connected, settings


def utcnow() -> datetime:
    return datetime.now(UTC)


def url_of(database: Database) -> str:
    """The URL a child process opens the same database with."""
    return database.engine.url.render_as_string(hide_password=False)


def index_fake_variants(shop: Connected) -> None:
    """Give the fake an O(1) `variant_by_item` (its own is a scan of the whole catalog, called per stock level).

    Without this the fake, not localshelf, dominates a 10k-SKU sync (quadratic: 5.1 s of 18.8 s at 5k SKUs).
    The catalog does not change while a suite runs, so the index stays right.
    """
    index = {variant.inventory_item_id: variant for p in shop.shop.products.values() for variant in p.variants}
    shop.shop.variant_by_item = index.get  # type: ignore[method-assign]


def pos_context(shop: Connected) -> PosContext:
    return PosContext(shop.database, settings(), utcnow, shop.http)


async def map_and_queue(shop: Connected) -> None:
    """Store the POS locations, map each to its published store and queue a full sync."""
    pos = pos_context(shop)
    account = await pos_gateway.live_account(shop.database, pos.settings, _integration_pk(shop), pos.http, utcnow())
    assert account is not None, "the harness's integration is not connected"
    async with pos_gateway.open_catalog(pos.settings, account, pos.http) as reader:
        seen = await reader.locations()
    await shop.database.run(pos_locations.store_pos_locations, shop.integration_id, seen, utcnow())
    mapping = [LocationMapping(pos_location_id=pos_id, location_id=store) for pos_id, store in shop.stores.items()]
    await shop.database.run(pos_locations.map_pos_locations, shop.integration_id, mapping, utcnow())
    await shop.database.run(sync_jobs.request_sync, shop.integration_id, "full", utcnow())


def _integration_pk(shop: Connected) -> int:
    with shop.database.session() as session:
        pk = session.scalar(sa.select(Integration.id).where(Integration.public_id == shop.integration_id))
    assert pk is not None
    return pk


async def run_queued_sync(shop: Connected) -> str:
    """Claim the queued job and run it to its end; the job's final state."""
    ticket = await shop.database.run(sync_jobs.claim, None, utcnow())
    assert ticket is not None, "no sync job was queued"
    await pos_context(shop).runner().run(ticket)
    view = await shop.database.read(sync_jobs.view_by_pk, ticket.job_id)
    return view.state
