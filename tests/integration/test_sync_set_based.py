"""The sync's batch writes (one statement per page on PostgreSQL, executemany on SQLite) keep the staging guards,
and count rows as before; a sync's page units commit without waiting for the WAL flush."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from localshelf.store import pos_staging as staging
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import InStoreOffer, Integration, PosItem, PosStock
from tests.conftest import call
from tests.integration.shopify_harness import connected_shop

pytestmark = pytest.mark.anyio

EARLY, LATE = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
FIRST_JOB, SECOND_JOB = 101, 102


def item(external_id: str, name: str, at: datetime, **changes: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "product_external_id": f"product-{external_id}",
        "inventory_item_id": f"inventory-{external_id}",
        "sku": f"SKU-{external_id}",
        "barcode": None,
        "gtin": None,
        "name": name,
        "brand": None,
        "category": "Tools",
        "description": None,
        "image_urls": [f"https://cdn.example/{external_id}.jpg", 'with "quotes", {braces}'],
        "price_minor": 1250,
        "currency": "USD",
        "active": True,
        "deleted": False,
        "pos_updated_at": at,
        **changes,
    }


def level(inventory_item_id: str, quantity: int, at: datetime) -> dict[str, Any]:
    return {
        "inventory_item_id": inventory_item_id,
        "location_external_id": "L1",
        "quantity": quantity,
        "pos_updated_at": at,
    }


@pytest.fixture
def integration_pk(database: Database) -> int:
    shop = connected_shop(database, products=0)
    with database.session() as session:
        pk = session.scalar(select(Integration.id).where(Integration.public_id == shop.integration_id))
    assert pk is not None
    return pk


def staged_items(database: Database) -> dict[str, tuple[Any, ...]]:
    with database.session() as session:
        rows = session.execute(
            select(
                PosItem.external_id, PosItem.name, PosItem.image_urls, PosItem.pos_updated_at, PosItem.last_seen_job_id
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def staged_levels(database: Database) -> dict[str, tuple[int, datetime, int | None]]:
    with database.session() as session:
        rows = session.execute(
            select(PosStock.inventory_item_id, PosStock.quantity, PosStock.pos_updated_at, PosStock.last_seen_job_id)
        ).all()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def test_a_listed_page_keeps_newer_fields_and_marks_every_item_seen(database: Database, integration_pk: int) -> None:
    first = [item("a", "Saw", LATE), item("b", "Drill", EARLY, brand=None, description="cordless")]
    database.transaction(lambda uow: staging.upsert_items(uow, integration_pk, first, FIRST_JOB))
    page = [item("a", "Old saw", EARLY), item("b", "Drill v2", LATE), item("c", "Hammer", EARLY, image_urls=[])]
    database.transaction(lambda uow: staging.upsert_items(uow, integration_pk, page, SECOND_JOB))

    urls = ["https://cdn.example/{}.jpg", 'with "quotes", {braces}']
    assert staged_items(database) == {
        "a": ("Saw", [urls[0].format("a"), urls[1]], LATE, SECOND_JOB),  # older data ignored, still seen
        "b": ("Drill v2", [urls[0].format("b"), urls[1]], LATE, SECOND_JOB),
        "c": ("Hammer", [], EARLY, SECOND_JOB),
    }


HOSTILE_TEXT = ['back\\slash "quoted" {braced}', "new\nline\ttab", "naïve café ☕ 𝔘", "NULL", "", "'; DROP TABLE x; --"]


def test_any_text_and_a_naive_time_are_staged_exactly_as_given(database: Database, integration_pk: int) -> None:
    """The batch travels as one JSON document on PostgreSQL (an executemany on SQLite): nothing in the text may
    change on the way, and a naive time means UTC, as UtcDateTime binds it."""
    naive = LATE.replace(tzinfo=None)
    page = [
        item(f"t{index}", value, naive, brand=value or None, image_urls=[value, value[::-1]])
        for index, value in enumerate(HOSTILE_TEXT)
    ]
    database.transaction(lambda uow: staging.upsert_items(uow, integration_pk, page, FIRST_JOB))
    with database.session() as session:
        stored = {row.external_id: row for row in session.scalars(select(PosItem))}
    for index, value in enumerate(HOSTILE_TEXT):
        row = stored[f"t{index}"]
        assert (row.name, row.brand, row.image_urls) == (value, value or None, [value, value[::-1]])
        assert row.pos_updated_at == LATE


def test_without_a_job_only_newer_levels_land_and_are_counted(database: Database, integration_pk: int) -> None:
    first = [level("a", 5, LATE), level("b", 5, EARLY)]
    assert database.transaction(lambda uow: staging.upsert_stock(uow, integration_pk, first, FIRST_JOB)) == 2
    page = [level("a", 1, EARLY), level("b", 2, EARLY), level("c", 3, EARLY), level("d", 4, LATE)]

    written = database.transaction(lambda uow: staging.upsert_stock(uow, integration_pk, page, None))

    assert written == 3  # b (as new), c and d; a's level is older than the stored one
    assert staged_levels(database) == {
        "a": (5, LATE, FIRST_JOB),
        "b": (2, EARLY, FIRST_JOB),  # a webhook's level keeps the mark of the job that listed it
        "c": (3, EARLY, None),
        "d": (4, LATE, None),
    }


def test_with_a_job_every_listed_level_is_counted_and_seen(database: Database, integration_pk: int) -> None:
    database.transaction(lambda uow: staging.upsert_stock(uow, integration_pk, [level("a", 5, LATE)], None))
    page = [level("a", 1, EARLY), level("b", 2, EARLY)]

    written = database.transaction(lambda uow: staging.upsert_stock(uow, integration_pk, page, SECOND_JOB))

    assert written == 2
    assert staged_levels(database) == {"a": (5, LATE, SECOND_JOB), "b": (2, EARLY, SECOND_JOB)}


def test_a_page_repeating_a_level_applies_its_rows_in_order(database: Database, integration_pk: int) -> None:
    page = [level("a", 1, EARLY), level("a", 7, LATE), level("a", 3, EARLY), level("b", 2, EARLY)]

    written = database.transaction(lambda uow: staging.upsert_stock(uow, integration_pk, page, None))

    assert written == 3  # a inserted, a updated by the newer row, the older third row ignored; b inserted
    assert staged_levels(database) == {"a": (7, LATE, None), "b": (2, EARLY, None)}


async def synced_shop(database: Database, products: int) -> None:
    shop = connected_shop(database, products=products)
    async with shop.client() as client:
        await call(client, "list_pos_locations", integration_id=shop.integration_id)
        await call(client, "map_pos_locations", integration_id=shop.integration_id, mapping=shop.mapping())
        assert (await call(client, "trigger_sync", integration_id=shop.integration_id))["job"]["state"] == "succeeded"


async def test_offers_are_updated_by_id_leaving_the_others_as_they_were(database: Database) -> None:
    await synced_shop(database, products=6)
    before = offers(database)
    changed_ids = sorted(before)[:2]
    at = datetime(2026, 2, 1, tzinfo=UTC)
    changes = [
        {"id": pk, "price_minor": 99 + pk, "quantity_on_hand": pk, "status": "low_stock", "last_inventory_sync": at}
        for pk in changed_ids
    ]

    database.transaction(lambda uow: staging.update_offers(uow, changes))

    expected = dict(before)
    for change in changes:
        expected[change["id"]] = (change["price_minor"], change["quantity_on_hand"], "low_stock", at)
    assert offers(database) == expected


def offers(database: Database) -> dict[int, tuple[int, int, str, datetime | None]]:
    with database.session() as session:
        rows = session.execute(
            select(
                InStoreOffer.id,
                InStoreOffer.price_minor,
                InStoreOffer.quantity_on_hand,
                InStoreOffer.status,
                InStoreOffer.last_inventory_sync,
            )
        ).all()
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


async def test_inserted_offers_are_counted_without_the_ones_clashing_with_an_offer(database: Database) -> None:
    await synced_shop(database, products=3)
    with database.session() as session:
        model = session.scalars(select(InStoreOffer).order_by(InStoreOffer.id)).first()
        assert model is not None
        copied = {name: getattr(model, name) for name in COPIED}
    at = datetime(2026, 2, 1, tzinfo=UTC)
    stamps = {"last_inventory_sync": at, "created_at": at, "updated_at": at}
    clash = {**copied, **stamps, "public_id": "offer_clash01"}
    new = {**copied, **stamps, "public_id": "offer_new0001", "sku": "NEW-SKU", "pos_item_id": None}
    before = len(offers(database))

    added = database.transaction(
        lambda uow: staging.insert_offers(uow, [clash, new, {**new, "public_id": "offer_new0002"}])
    )

    assert added == 1
    assert len(offers(database)) == before + 1


COPIED = (
    "organization_id", "location_id", "product_id", "sku", "price_minor", "currency", "quantity_on_hand", "status",
    "source", "pos_item_id",
)  # fmt: skip


def commit_durability(uow: UnitOfWork) -> str:
    if uow.dialect.name == "postgresql":
        return str(uow.session.scalar(text("SHOW synchronous_commit")))
    return f"synchronous={uow.session.scalar(text('PRAGMA synchronous'))}"


def test_a_page_unit_commits_without_waiting_for_the_flush_and_the_next_unit_waits_again(database: Database) -> None:
    def page_unit(uow: UnitOfWork) -> str:
        staging.commit_without_flush_wait(uow)
        return commit_durability(uow)

    during, after = database.transaction(page_unit), database.transaction(commit_durability)

    if database.dialect == "postgresql":
        assert (during, after) == ("off", "on")
    else:
        assert during == after == "synchronous=1"  # WAL + NORMAL already: the commit does not wait for a sync
