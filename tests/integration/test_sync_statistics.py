"""A sync analyzes the tables it builds only while they grow: a first sync refreshes the planner's statistics as the
offers double (without them PostgreSQL plans every batch's look-ups as whole-table reads), a sync that rewrites the
same catalog leaves them as they are (each ANALYZE of a big offers table would be wasted work)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from localshelf.services.materialize import BATCH
from localshelf.services.sync_runner import Growth
from localshelf.store.db import Database
from tests.conftest import call
from tests.integration.shopify_harness import connected_shop, expected_offers
from tests.integration.test_sync_recovery import map_all


def test_growth_asks_for_statistics_each_time_the_offers_doubled() -> None:
    growth, refreshed_after = Growth(known=0), []
    for created in [600] * 8:  # batches of 200 items at 3 stores
        if growth.doubled():
            refreshed_after.append(growth.known + growth.written)
            growth.refreshed()
        growth.add(created)
    assert refreshed_after == [600, 1200, 2400]
    settled = Growth(known=54_000)
    for _ in range(90):
        settled.add(0)  # a re-sync: every offer already exists
        assert not settled.doubled()
    settled.add(54_000)
    assert settled.doubled()


def manual_analyses(database: Database, table: str) -> int:
    """ANALYZE commands run on `table` (autovacuum's own are counted apart, in autoanalyze_count)."""
    with database.engine.connect() as connection:
        query = text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = :table")
        return int(connection.execute(query, {"table": table}).scalar_one())


@pytest.mark.anyio
async def test_a_resync_leaves_the_offer_statistics_alone(postgis_database: Database) -> None:
    shop = connected_shop(postgis_database, products=4 * BATCH, locations_count=2)
    with postgis_database.engine.connect() as connection:  # earlier tests' offers are deleted, not yet forgotten
        connection.execute(text("ANALYZE in_store_offers"))
        connection.commit()
    before = manual_analyses(postgis_database, "in_store_offers")
    async with shop.client() as client:
        await map_all(client, shop)
        first = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
        after_first = manual_analyses(postgis_database, "in_store_offers")
        again = (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]
    assert (first["state"], again["state"]) == ("succeeded", "succeeded")
    offers = len(expected_offers(shop))
    assert first["counters"]["offers_created"] == offers
    assert again["counters"]["offers_unchanged"] == offers
    assert after_first > before  # the offers grew from nothing: analyzed as they doubled
    assert manual_analyses(postgis_database, "in_store_offers") == after_first
