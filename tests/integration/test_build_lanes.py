"""PostgreSQL builds a sync's offers in two lanes: batches that share products and SKUs end exactly as one lane
would leave them, and a deadlock PostgreSQL breaks is recognised as one (the lane runs its batch again)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from localshelf.services import sync_runner
from localshelf.services.materialize import BATCH, Tally
from localshelf.store.db import Database, UnitOfWork, is_deadlock
from tests.conftest import call
from tests.integration.shopify_harness import connected_shop, expected_offers, retailer_item_skus, stored_offers

pytestmark = pytest.mark.anyio


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
    assert sync_runner.BUILD_LANES == 2
    async with shop.client() as client:
        await call(client, "list_pos_locations", integration_id=shop.integration_id)
        await call(client, "map_pos_locations", integration_id=shop.integration_id, mapping=shop.mapping())
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert job["state"] == "succeeded", job
    assert stored_offers(postgis_database) == expected_offers(shop)
    barcode_less = {v.sku for v in variants if not v.barcode}
    assert {sku for sku, _ in retailer_item_skus(postgis_database)} == barcode_less
    assert job["counters"]["offers_created"] == len(expected_offers(shop))


def test_a_deadlock_postgresql_breaks_is_told_apart_from_other_errors(postgis_database: Database) -> None:
    engine = postgis_database.engine
    with engine.begin() as setup:
        setup.execute(text("CREATE TABLE IF NOT EXISTS lane_probe (id integer PRIMARY KEY)"))
        setup.execute(text("INSERT INTO lane_probe VALUES (1), (2) ON CONFLICT DO NOTHING"))
    both_hold_one = threading.Barrier(2)
    errors: list[DBAPIError] = []

    def lock(first: int, second: int) -> None:
        with engine.connect() as connection, connection.begin():
            connection.execute(text("SET LOCAL deadlock_timeout = '50ms'"))
            connection.execute(text("SELECT id FROM lane_probe WHERE id = :id FOR UPDATE"), {"id": first})
            both_hold_one.wait(timeout=10)
            try:
                connection.execute(text("SELECT id FROM lane_probe WHERE id = :id FOR UPDATE"), {"id": second})
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
    with engine.begin() as teardown:
        teardown.execute(text("DROP TABLE lane_probe"))


async def test_a_lane_whose_batch_postgresql_picked_to_break_a_deadlock_builds_it_again(
    postgis_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = connected_shop(postgis_database, products=3 * BATCH, locations_count=2)
    with postgis_database.engine.begin() as setup:
        setup.execute(text("CREATE TABLE IF NOT EXISTS lane_probe (id integer PRIMARY KEY)"))
        setup.execute(text("INSERT INTO lane_probe VALUES (1), (2) ON CONFLICT DO NOTHING"))
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
            uow.session.execute(text("SELECT id FROM lane_probe WHERE id = :id FOR UPDATE"), {"id": mine})
            both_hold_one.wait(timeout=10)
            try:
                uow.session.execute(text("SELECT id FROM lane_probe WHERE id = :id FOR UPDATE"), {"id": theirs})
            except DBAPIError as exc:
                deadlocks.append(attempt if is_deadlock(exc) else -1)
                raise
        return real_materialize(uow, *arguments)

    monkeypatch.setattr(sync_runner, "materialize", crossing_locks)
    async with shop.client() as client:
        await call(client, "list_pos_locations", integration_id=shop.integration_id)
        await call(client, "map_pos_locations", integration_id=shop.integration_id, mapping=shop.mapping())
        job = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert len(deadlocks) == 1 and deadlocks[0] in (0, 1)  # one lane was rolled back, and only once
    assert job["state"] == "succeeded", job
    assert stored_offers(postgis_database) == expected_offers(shop)
    assert job["counters"]["offers_created"] == len(expected_offers(shop))  # the rolled-back batch counted once
    with postgis_database.engine.begin() as teardown:
        teardown.execute(text("DROP TABLE lane_probe"))
