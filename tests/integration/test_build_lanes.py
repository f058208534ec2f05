"""PostgreSQL builds a sync's offers in two lanes: batches that share products and SKUs end exactly as one lane
would leave them, and a deadlock PostgreSQL breaks is recognised as one (the lane runs its batch again)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from localshelf.fakes.shopify import inventory_level_payload
from localshelf.server.state import utcnow
from localshelf.services import sync_jobs, sync_runner
from localshelf.services.materialize import BATCH, Tally
from localshelf.store import pos_staging as staging
from localshelf.store.db import Database, UnitOfWork, is_deadlock
from localshelf.store.models import SyncJob
from tests.conftest import call
from tests.integration import test_shopify_webhooks
from tests.integration.shopify_harness import (
    Connected,
    connected_shop,
    expected_offers,
    retailer_item_skus,
    stored_offers,
)
from tests.integration.test_shopify_webhooks import Hooks, barcoded_products, event_count, first_location
from tests.integration.test_sync_recovery import map_all

pytestmark = pytest.mark.anyio
LOCK_PROBE_ROW = text("SELECT id FROM lane_probe WHERE id = :id FOR UPDATE")


@pytest.fixture
def lane_probe(postgis_database: Database) -> Iterator[Database]:
    """The PostGIS test database with a two-row table for lock cycles, dropped afterwards."""
    with postgis_database.engine.begin() as setup:
        setup.execute(text("CREATE TABLE IF NOT EXISTS lane_probe (id integer PRIMARY KEY)"))
        setup.execute(text("INSERT INTO lane_probe VALUES (1), (2) ON CONFLICT DO NOTHING"))
    yield postgis_database
    with postgis_database.engine.begin() as teardown:
        teardown.execute(text("DROP TABLE lane_probe"))


async def test_batches_sharing_gtins_and_skus_build_in_two_lanes_exactly(postgis_database: Database) -> None:
    shop = connected_shop(postgis_database, products=5 * BATCH, locations_count=2)
    variants = sorted((v for p in shop.shop.products.values() for v in p.variants), key=lambda v: v.id)
    first, second = variants[:BATCH], variants[BATCH : 2 * BATCH]
    # Batches one and two are built at once: a third of their GTINs are the same (new products both lanes insert),
    # and barcode-less variants share SKUs in opposite orders (retailer items both lanes upsert).
    for index, (one, two) in enumerate(zip(first, second, strict=True)):
        if index % 3 == 0 and one.barcode:
            two.barcode = one.barcode
        elif index % 3 == 1 and index < 60:
            one.barcode = two.barcode = None
            two.sku = first[59 - index].sku = f"SHARED-{index:03d}"
    assert sync_runner.LANES == 2
    async with shop.client() as client:
        await map_all(client, shop)
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert job["state"] == "succeeded", job
    assert stored_offers(postgis_database) == expected_offers(shop)
    barcode_less = {v.sku for v in variants if not v.barcode}
    assert {sku for sku, _ in retailer_item_skus(postgis_database)} == barcode_less
    assert job["counters"]["offers_created"] == len(expected_offers(shop))


def test_a_deadlock_postgresql_breaks_is_told_apart_from_other_errors(lane_probe: Database) -> None:
    engine = lane_probe.engine
    both_hold_one = threading.Barrier(2)
    errors: list[DBAPIError] = []

    def lock(first: int, second: int) -> None:
        with engine.connect() as connection, connection.begin():
            connection.execute(text("SET LOCAL deadlock_timeout = '50ms'"))
            connection.execute(LOCK_PROBE_ROW, {"id": first})
            both_hold_one.wait(timeout=10)
            try:
                connection.execute(LOCK_PROBE_ROW, {"id": second})
            except DBAPIError as exc:
                errors.append(exc)

    lanes = [threading.Thread(target=lock, args=pair) for pair in ((1, 2), (2, 1))]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join(timeout=30)
    assert len(errors) == 1 and is_deadlock(errors[0])  # PostgreSQL rolled back one of the two, the other went on
    with pytest.raises(DBAPIError) as duplicate, engine.begin() as connection:
        connection.execute(text("INSERT INTO lane_probe VALUES (1)"))
    assert not is_deadlock(duplicate.value)


async def test_a_lane_whose_batch_postgresql_picked_to_break_a_deadlock_builds_it_again(
    lane_probe: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgis_database = lane_probe
    shop = connected_shop(postgis_database, products=3 * BATCH, locations_count=2)
    both_hold_one = threading.Barrier(2)
    built: list[int] = []
    deadlocks: list[int] = []
    real_materialize = sync_runner.materialize

    def crossing_locks(uow: UnitOfWork, *arguments: Any) -> Tally:
        attempt = len(built)
        built.append(attempt)
        if attempt < 2:  # the first two batches, one in each lane: they take two rows in opposite orders
            uow.session.execute(text("SET LOCAL deadlock_timeout = '50ms'"))
            mine, theirs = (1, 2) if attempt == 0 else (2, 1)
            uow.session.execute(LOCK_PROBE_ROW, {"id": mine})
            both_hold_one.wait(timeout=10)
            try:
                uow.session.execute(LOCK_PROBE_ROW, {"id": theirs})
            except DBAPIError as exc:
                deadlocks.append(attempt if is_deadlock(exc) else -1)
                raise
        return real_materialize(uow, *arguments)

    monkeypatch.setattr(sync_runner, "materialize", crossing_locks)
    async with shop.client() as client:
        await map_all(client, shop)
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert len(deadlocks) == 1 and deadlocks[0] in (0, 1)  # one lane was rolled back, and only once
    assert job["state"] == "succeeded", job
    assert stored_offers(postgis_database) == expected_offers(shop)
    assert job["counters"]["offers_created"] == len(expected_offers(shop))  # the rolled-back batch counted once


@pytest.fixture
def shop(postgis_database: Database) -> Connected:
    return connected_shop(postgis_database, products=3 * BATCH, locations_count=2)


hooks = test_shopify_webhooks.hooks  # that module's fixture, on this module's three-batch shop


async def test_levels_applied_while_both_lanes_hold_their_items_end_at_the_pos_truth(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both lanes have locked their first batch's items and read their stock when new levels arrive for an item of
    each batch and of one not built yet: the webhook batch waits for the lanes' item locks, so the offers written
    last come from the newest levels, not from the stock the lanes read before."""
    shop = hooks.shop
    holding = [threading.Event(), threading.Event()]
    go = threading.Event()
    lane = threading.local()
    built: list[int] = []
    real_materialize, real_stock_for = sync_runner.materialize, staging.stock_for

    def first_batches_pause(uow: UnitOfWork, *arguments: Any) -> Tally:
        lane.batch = len(built)
        built.append(lane.batch)
        try:
            return real_materialize(uow, *arguments)
        finally:
            lane.batch = None

    def stock_then_wait(*arguments: Any) -> Any:
        levels = real_stock_for(*arguments)
        batch = getattr(lane, "batch", None)
        if batch is not None and batch < 2:  # a lane's first batch: items locked, stock read; wait for the test
            holding[batch].set()
            assert go.wait(timeout=30)
        return levels

    monkeypatch.setattr(sync_runner, "materialize", first_batches_pause)
    monkeypatch.setattr(staging, "stock_for", stock_then_wait)
    listed = sorted(shop.shop.products)  # product ids: one item per product, staged in this order
    barcoded = {product.id for product in barcoded_products(shop)}
    batch_of = {product_id: position // BATCH for position, product_id in enumerate(listed)}
    picked = [  # an item of each lane's first batch, and one of the third batch
        shop.shop.products[next(p for p in listed if p in barcoded and batch_of[p] == batch)] for batch in (0, 1, 2)
    ]
    location = first_location(shop)
    async with shop.client() as client:
        await map_all(client, shop)
        async with anyio.create_task_group() as group:
            job: dict[str, Any] = {}

            async def sync() -> None:
                job.update((await call(client, "trigger_sync", integration_id=shop.integration_id))["job"])

            group.start_soon(sync)
            try:
                with anyio.fail_after(30):
                    while not all(event.is_set() for event in holding):
                        await anyio.sleep(0.01)
                for index, product in enumerate(picked):
                    item = product.variants[0].inventory_item_id
                    shop.state.set_available(shop.shop, item, location, 70 + index)
                    payload = inventory_level_payload(shop.shop, item, location)
                    assert await hooks.emit("inventory_levels/update", payload) == {"outcome": "accepted"}
                group.start_soon(hooks.apply)  # waits for the lanes' locks on the first two picks' items
                await anyio.sleep(0.3)
            finally:
                go.set()  # (also when the test failed: the lanes' threads must not wait for nothing)
    await hooks.apply()
    assert job["state"] == "succeeded", job
    assert stored_offers(shop.database) == expected_offers(shop)
    assert event_count(shop.database) == len(picked)


async def test_a_lane_committing_last_never_moves_the_resume_point_back(database: Database) -> None:
    """Both backends: the build lanes' saves keep the larger "after" of the same phase, whatever their order."""
    shop = connected_shop(database, products=2)
    async with shop.client() as client:
        await map_all(client, shop)
        await call(client, "trigger_sync", integration_id=shop.integration_id, wait=False)
    ticket = await database.run(sync_jobs.claim, None, utcnow())
    assert ticket is not None

    def save(phase: str, after: int | None, never_back: str | None) -> dict[str, Any]:
        checkpoint = {"phase": phase} if after is None else {"phase": phase, "after": after}
        database.transaction(
            sync_jobs.save_progress, ticket.job_id, ticket.runner_token, phase, checkpoint, {}, utcnow(), never_back
        )
        with database.session() as session:
            stored = session.scalar(select(SyncJob.checkpoint).where(SyncJob.id == ticket.job_id))
        assert stored is not None
        return stored

    assert save("stock", None, None) == {"phase": "stock"}
    assert save("materialize", 0, "after") == {"phase": "materialize", "after": 0}  # another phase: replaced
    assert save("materialize", 400, "after") == {"phase": "materialize", "after": 400}
    assert save("materialize", 200, "after") == {"phase": "materialize", "after": 400}  # the later commit, behind
    assert save("materialize", 600, "after") == {"phase": "materialize", "after": 600}
    assert save("materialize", 100, None) == {"phase": "materialize", "after": 100}  # without it, as before
