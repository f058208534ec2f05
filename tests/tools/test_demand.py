"""Demand signals: searches and barcode checks counted per day, store, grid cell and subject (no personal data),
flushed safely, and read back by retailers (impressions) and verified brand owners (demand, coverage gaps)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from mcp import Client
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from localshelf.config import Settings
from localshelf.domain.auth import Role
from localshelf.domain.ids import new_public_id
from localshelf.server.app import LocalshelfServer, build_server
from localshelf.server.transports import stdio_principal
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import Brand, BrandClaim, SearchDemandDaily, SearchImpressionDaily
from tests.builders import (
    DRILL_UPC,
    EAST,
    SELLWOOD,
    new_offer,
    new_product,
    new_store,
    onboard,
    operator_key,
    operator_organization,
    toward,
)
from tests.conftest import FIXED_NOW, call, call_error

pytestmark = pytest.mark.anyio

SELLWOOD_CELL = "45.4,-122.7"  # 45.4650, -122.6530 → south-west corner of its 0.1° cell
FAR_AWAY = toward(SELLWOOD, EAST, 40.0)  # about 40 km east: another cell, far beyond 10 km of any store
FAR_CELL = "45.4,-122.2"


@asynccontextmanager
async def session_at(database: Database, when: datetime) -> AsyncIterator[tuple[LocalshelfServer, Client]]:
    server = build_server(Settings(database_url="sqlite://", sync_worker=False), database=database, clock=lambda: when)
    async with Client(server) as client:
        yield server, client


def add_brand(database: Database, name: str, claimed_by: str | None = None, status: str = "verified") -> str:
    """A brand (and a claim on it), inserted directly: the claim tools are not the subject here."""

    def insert(uow: UnitOfWork) -> str:
        brand = Brand(public_id=new_public_id("brand"), name=name, name_key=" ".join(name.casefold().split()))
        uow.session.add(brand)
        uow.session.flush()
        if claimed_by is not None:
            organization_pk = uow.session.execute(
                text("SELECT id FROM organizations WHERE public_id = :id"), {"id": claimed_by}
            ).scalar_one()
            uow.session.add(
                BrandClaim(
                    public_id=new_public_id("brand_claim"),
                    organization_id=organization_pk,
                    brand_id=brand.id,
                    status=status,
                )
            )
        return brand.public_id

    return database.transaction(insert)


def demand_rows(database: Database) -> dict[tuple[str, str], tuple[int, int]]:
    with database.session() as session:
        rows = session.scalars(select(SearchDemandDaily)).all()
        assert all(row.day == FIXED_NOW.date() for row in rows)
        return {(row.cell, row.subject): (row.searches, row.unmet) for row in rows}


def impression_rows(database: Database) -> dict[tuple[Any, ...], int]:
    with database.session() as session:
        rows = session.scalars(select(SearchImpressionDaily)).all()
        return {(row.day, row.location_id, row.product_id): row.impressions for row in rows}


async def search(client: Client, query: str, at: tuple[float, float], **options: Any) -> dict[str, Any]:
    return await call(client, "search_local_products", query=query, latitude=at[0], longitude=at[1], **options)


async def check(client: Client, gtin: str, at: tuple[float, float]) -> dict[str, Any]:
    return await call(client, "check_product_availability", gtin=gtin, latitude=at[0], longitude=at[1])


async def test_searches_and_barcode_checks_are_counted_per_day_cell_and_subject(
    client: Client, server: LocalshelfServer, database: Database
) -> None:
    shop = await onboard(client)  # DeWalt drill in stock at Sellwood
    dewalt = add_brand(database, "DeWalt")
    add_brand(database, "Makita")  # a brand nobody asks about records nothing

    assert len((await search(client, "dewalt drill", SELLWOOD))["results"]) == 1
    assert len((await search(client, "cordless drill", SELLWOOD))["results"]) == 1
    assert (await search(client, "dewalt chainsaw", FAR_AWAY))["results"] == []
    assert (await check(client, DRILL_UPC, SELLWOOD))["in_stock_store_count"] == 1
    assert (await check(client, DRILL_UPC, FAR_AWAY))["stores"] == []
    assert (await check(client, "4006381333931", SELLWOOD))["product"] is None  # unknown GTIN: nothing to count
    assert impression_rows(database) == {} and demand_rows(database) == {}  # counted in memory only

    assert await server.demand_recorder.flush(database)
    with database.session() as session:
        location_pk, product_pk = session.execute(
            text("SELECT l.id, p.id FROM locations l, products p WHERE l.public_id = :loc AND p.public_id = :prd"),
            {"loc": shop.loc, "prd": shop.prd},
        ).one()
    assert impression_rows(database) == {(FIXED_NOW.date(), location_pk, product_pk): 3}
    assert demand_rows(database) == {
        (SELLWOOD_CELL, f"product:{shop.prd}"): (3, 0),
        (SELLWOOD_CELL, f"brand:{dewalt}"): (3, 0),  # named twice, returned by "cordless drill" too
        (FAR_CELL, f"product:{shop.prd}"): (1, 1),  # the barcode check that found no store
        (FAR_CELL, f"brand:{dewalt}"): (2, 2),  # "dewalt chainsaw" and that check
    }


async def test_no_query_text_or_fine_coordinates_are_stored(
    client: Client, server: LocalshelfServer, database: Database
) -> None:
    await onboard(client)
    add_brand(database, "DeWalt")
    shopper = (45.46789, -122.65432)
    await search(client, "dewalt secret birthday present", shopper)
    await check(client, DRILL_UPC, shopper)
    await server.demand_recorder.flush(database)

    with database.session() as session:
        rows = [tuple(row) for row in session.execute(select(SearchDemandDaily.__table__))]
    assert rows
    for row in rows:
        stored = " ".join(str(value) for value in row)
        assert not any(word in stored for word in ("secret", "birthday", "present", "dewalt"))
        assert "45.467" not in stored and "122.654" not in stored
    assert {(row[2], row[6], row[7]) for row in rows} == {("45.4,-122.7", 45.45, -122.65)}
    assert {column.name for column in SearchDemandDaily.__table__.columns} == {
        "id", "day", "cell", "subject", "product_id", "brand_id", "cell_latitude", "cell_longitude", "searches", "unmet"
    }  # fmt: skip


async def test_flush_is_idempotent_and_keeps_the_counts_when_the_database_refuses(
    client: Client, server: LocalshelfServer, database: Database
) -> None:
    shop = await onboard(client)
    await search(client, "drill", SELLWOOD)
    await search(client, "drill", SELLWOOD)
    recorder = server.demand_recorder

    with database.engine.begin() as connection:
        connection.execute(text("ALTER TABLE search_demand_daily RENAME TO search_demand_daily_away"))
    try:
        with pytest.raises(SQLAlchemyError):
            await recorder.flush(database)
        assert recorder.pending
        await search(client, "drill", SELLWOOD)  # counted while the database was refusing
    finally:
        with database.engine.begin() as connection:
            connection.execute(text("ALTER TABLE search_demand_daily_away RENAME TO search_demand_daily"))
    assert impression_rows(database) == {}  # the failed flush wrote nothing, not even half

    written = await recorder.flush(database)
    assert (written.impression_rows, written.demand_rows) == (1, 1)
    assert not recorder.pending
    assert (await recorder.flush(database)).demand_rows == 0
    assert list(impression_rows(database).values()) == [3]
    assert demand_rows(database) == {(SELLWOOD_CELL, f"product:{shop.prd}"): (3, 0)}

    await search(client, "drill", SELLWOOD)
    await recorder.flush(database)  # a later flush adds to the day's row
    assert demand_rows(database) == {(SELLWOOD_CELL, f"product:{shop.prd}"): (4, 0)}


async def test_shutdown_flushes_what_was_counted(database: Database) -> None:
    async with session_at(database, FIXED_NOW) as (_, client):
        shop = await onboard(client)
        await search(client, "drill", SELLWOOD)
    assert demand_rows(database) == {(SELLWOOD_CELL, f"product:{shop.prd}"): (1, 0)}


async def test_a_retailer_sees_impressions_per_day_and_store(client: Client, database: Database) -> None:
    shop = await onboard(client)
    other_store = await new_store(client, shop.org, "Alder Hardware – Moreland", toward(SELLWOOD, EAST, 1.0))
    saw = await new_product(client, "DeWalt Circular Saw", brand="DeWalt")
    await new_offer(client, shop.org, other_store, saw, sku="S1")
    await new_offer(client, shop.org, other_store, gtin=DRILL_UPC, sku="D1")
    rival = await onboard(
        client, retailer="Rival Tools", store="Rival", gtin="4006381333931", product="Rival Drill", brand="Rival"
    )

    yesterday = FIXED_NOW - timedelta(days=1)
    for when, queries in ((yesterday, ["dewalt"]), (FIXED_NOW, ["dewalt", "drill"])):
        async with session_at(database, when) as (server_then, client_then):
            for query in queries:
                await search(client_then, query, SELLWOOD)
            await server_then.demand_recorder.flush(database)

    report = await call(client, "get_search_impressions", organization_id=shop.org)
    assert report["since"] == str((FIXED_NOW - timedelta(days=29)).date())
    rows = [(r["day"], r["location_id"], r["impressions"], r["distinct_products"]) for r in report["days"]]
    today, before = str(FIXED_NOW.date()), str(yesterday.date())
    assert rows == [
        # today: "dewalt" shows the drill at both stores and the saw; "drill" the drill at both stores again
        (today, other_store, 3, 2),  # "Alder Hardware – Moreland" sorts before "– Sellwood"
        (today, shop.loc, 2, 1),
        (before, other_store, 2, 2),
        (before, shop.loc, 1, 1),
    ]
    assert report["total_impressions"] == 8

    one_store = await call(client, "get_search_impressions", organization_id=shop.org, location_id=shop.loc, days=1)
    assert [(r["day"], r["impressions"]) for r in one_store["days"]] == [(today, 2)]
    assert (await call(client, "get_search_impressions", organization_id=rival.org))["total_impressions"] == 1
    code, _ = await call_error(client, "get_search_impressions", organization_id=shop.org, location_id=rival.loc)
    assert code == "not_found"


async def outsider_sees(database: Database, member_of: str, tool: str, **arguments: Any) -> tuple[str, str]:
    server = build_server(
        Settings(database_url="sqlite://", sync_worker=False), database=database, clock=lambda: FIXED_NOW
    )
    server.local_principal = stdio_principal(database, operator_key(database, member_of, Role.STAFF))
    async with Client(server) as client:
        return await call_error(client, tool, **arguments)


async def test_impressions_are_for_members_only(client: Client, database: Database) -> None:
    shop = await onboard(client)
    stranger = operator_organization(database, "Stranger Things Ltd")
    code, _ = await outsider_sees(database, stranger, "get_search_impressions", organization_id=shop.org)
    assert code == "not_found"


async def test_brand_demand_and_coverage_gaps(client: Client, server: LocalshelfServer, database: Database) -> None:
    maker = operator_organization(database, "Acme Brands", kind="brand")
    acme = add_brand(database, "Acme", claimed_by=maker)
    shop = await onboard(client, gtin="4006381333931", product="Acme Anvil", brand="Acme")
    unstocked = await new_product(client, "Acme Rocket Skates", brand="ACME")  # carried nowhere

    await search(client, "acme anvil", SELLWOOD)  # met near Sellwood
    for _ in range(2):
        await search(client, "acme", FAR_AWAY)  # unmet 40 km away
    await check(client, unstocked["gtin"], FAR_AWAY)
    await check(client, unstocked["gtin"], SELLWOOD)  # a product of the brand not in stock anywhere
    await check(client, DRILL_UPC, FAR_AWAY)  # another brand's barcode: not Acme's demand
    await server.demand_recorder.flush(database)

    demand = await call(client, "brand_search_demand", brand=acme)
    cells = {c["cell"]: (c["searches"], c["unmet"], c["product_searches"], c["product_unmet"]) for c in demand["cells"]}
    assert cells == {FAR_CELL: (3, 3, 1, 1), SELLWOOD_CELL: (2, 1, 2, 1)}
    assert [c["cell"] for c in demand["cells"]] == [FAR_CELL, SELLWOOD_CELL]  # most unmet first
    assert demand["brand_name"] == "Acme"

    gaps = await call(client, "brand_coverage_gaps", brand=acme)
    assert [(g["cell"], g["cell_latitude"], g["cell_longitude"]) for g in gaps["gaps"]] == [(FAR_CELL, 45.45, -122.15)]
    assert gaps["radius_km"] == 10.0
    assert (await call(client, "brand_coverage_gaps", brand=acme, min_searches=4))["gaps"] == []
    # A store 5 km beyond the far searches with Acme in stock closes that gap for 10 km, not for 2 km.
    nearer = await new_store(client, shop.org, "Alder Hardware – Gresham", toward(FAR_AWAY, EAST, 5.0))
    await new_offer(client, shop.org, nearer, gtin="4006381333931", sku="A2")
    assert (await call(client, "brand_coverage_gaps", brand=acme))["gaps"] == []
    assert [g["cell"] for g in (await call(client, "brand_coverage_gaps", brand=acme, radius_km=2))["gaps"]] == [
        FAR_CELL
    ]


async def test_brand_demand_is_refused_to_everyone_but_verified_owners(client: Client, database: Database) -> None:
    verified_owner = operator_organization(database, "Acme Brands", kind="brand")
    pretender = operator_organization(database, "Not Acme", kind="brand")
    acme = add_brand(database, "Acme", claimed_by=verified_owner)
    add_brand(database, "Acme Pending")  # unrelated
    pending = add_brand(database, "Roadrunner", claimed_by=pretender, status="pending")

    for tool in ("brand_search_demand", "brand_coverage_gaps"):
        code, message = await outsider_sees(database, pretender, tool, brand=acme)
        assert code == "forbidden" and "verified claim" in message
        assert (await outsider_sees(database, pretender, tool, brand=pending))[0] == "forbidden"
        assert (await outsider_sees(database, pretender, tool, brand=new_public_id("brand")))[0] == "not_found"

    owner_server = build_server(
        Settings(database_url="sqlite://", sync_worker=False), database=database, clock=lambda: FIXED_NOW
    )
    owner_server.local_principal = stdio_principal(database, operator_key(database, verified_owner, Role.STAFF))
    async with Client(owner_server) as owner:
        assert (await call(owner, "brand_search_demand", brand=acme))["cells"] == []
        assert (await call(owner, "brand_coverage_gaps", brand=acme))["gaps"] == []
