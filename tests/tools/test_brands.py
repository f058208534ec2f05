"""Brands through a real MCP client on both backends: claims, overlap reports, the operator's verification rule,
and a brand's retail footprint (hand-computed expectations, visibility, radius)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from mcp import Client
from sqlalchemy import select

from localshelf.config import Settings
from localshelf.domain.auth import Role
from localshelf.domain.gtin import with_check_digit
from localshelf.domain.ids import new_public_id
from localshelf.server.app import build_server
from localshelf.server.transports import stdio_principal
from localshelf.store import footprint
from localshelf.store.brands import brand_condition
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import Brand, BrandClaim, BrandClaimPrefix, InStoreOffer, Location, Organization, Product
from tests.builders import EAST, NORTH, SELLWOOD, client_at, new_product, new_retailer, new_store, operator_key, toward
from tests.conftest import FIXED_NOW, call, call_error, row_counts, table_rows

pytestmark = pytest.mark.anyio

ACME_PREFIX = "0614141"
SEATTLE = (47.6062, -122.3321)


@asynccontextmanager
async def as_key(database: Database, key: str) -> AsyncIterator[Client]:
    """An in-process MCP session acting as an API key's principal (as `LOCALSHELF_STDIO_API_KEY` does)."""
    server = build_server(
        Settings(database_url="sqlite://", sync_worker=False), database=database, clock=lambda: FIXED_NOW
    )
    server.local_principal = stdio_principal(database, key)
    async with Client(server) as session:
        yield session


def brand_rows(database: Database) -> dict[str, list[tuple[object, ...]]]:
    """The rows of the brand tables (API keys record their last use, so whole-database snapshots would differ)."""
    return {name: rows for name, rows in table_rows(database).items() if name.startswith("brand")}


async def new_brand_org(client: Client, name: str) -> str:
    return str((await call(client, "create_organization", name=name, kind="brand"))["id"])


def prefixed_gtin(prefix: str, item: int) -> str:
    """An EAN-13 under `prefix`."""
    return with_check_digit(f"{prefix}{item:0{12 - len(prefix)}d}")


async def claim(client: Client, organization_id: str, brand: str, *prefixes: str, **extra: str) -> dict[str, object]:
    return await call(
        client,
        "claim_brand",
        organization_id=organization_id,
        brand_name=brand,
        gtin_company_prefixes=list(prefixes),
        **extra,
    )


# --------------------------------------------------------------------------- claims


async def test_a_claim_starts_pending_with_its_prefixes_and_one_brand_per_spelling(client: Client) -> None:
    acme = await new_brand_org(client, "Acme Tools Inc")
    first = await claim(
        client, acme, "  ACME   Tools ", ACME_PREFIX, "0614142", ACME_PREFIX, evidence_url="https://x.io/a"
    )
    assert first["status"] == "pending"
    assert first["brand"] == "ACME Tools"
    assert first["gtin_company_prefixes"] == [ACME_PREFIX, "0614142"]
    assert first["evidence_url"] == "https://x.io/a"
    assert first["overlaps"] == []
    assert str(first["id"]).startswith("clm_") and str(first["brand_id"]).startswith("brd_")

    rival = await new_brand_org(client, "Rival Co")
    second = await claim(client, rival, "acme tools", "0777777")
    assert second["brand_id"] == first["brand_id"]  # same brand key: case and spaces do not matter

    listed = await call(client, "list_brand_claims", organization_id=acme)
    assert [c["id"] for c in listed["claims"]] == [first["id"]]


async def test_reclaiming_replaces_the_pending_claims_prefixes_and_evidence(client: Client, database: Database) -> None:
    acme = await new_brand_org(client, "Acme Tools Inc")
    first = await claim(client, acme, "Acme", ACME_PREFIX, evidence_url="https://x.io/a")
    counts = row_counts(database)
    again = await claim(client, acme, "acme", "0614150", evidence_url="https://x.io/b")
    assert again["id"] == first["id"]
    assert again["gtin_company_prefixes"] == ["0614150"]
    assert again["evidence_url"] == "https://x.io/b"
    assert row_counts(database) == counts  # one claim, one prefix: replaced, not added

    await call(client, "verify_brand_claim", claim_id=first["id"], decision="verified")
    same = await claim(client, acme, "Acme", "0614150")
    assert same["status"] == "verified"  # nothing new to check
    changed = await claim(client, acme, "Acme", "0614150", "0614151")
    assert (changed["status"], changed["decided_at"]) == ("pending", None)  # a new prefix needs checking


async def test_overlaps_are_reported_and_other_organizations_named_only_once_verified(client: Client) -> None:
    acme = await new_brand_org(client, "Acme Tools Inc")
    rival = await new_brand_org(client, "Rival Co")
    stanley = await new_brand_org(client, "Stanley Works")
    ours = await claim(client, acme, "Acme", ACME_PREFIX)
    theirs = await claim(client, rival, "Acme", "061414199")  # same brand, a longer prefix inside ours
    other_brand = await claim(client, stanley, "Stanley", "061414")  # another brand, a prefix containing ours
    await claim(client, stanley, "Unrelated", "0999999")

    assert theirs["overlaps"] == [
        {
            "brand": "Acme",
            "organization": "another organization",
            "status": "pending",
            "same_brand": True,
            "overlapping_prefixes": [ACME_PREFIX],
        },
    ]
    assert other_brand["overlaps"] == [
        {
            "brand": "Acme",
            "organization": "another organization",
            "status": "pending",
            "same_brand": False,
            "overlapping_prefixes": [ACME_PREFIX],
        },
        {
            "brand": "Acme",
            "organization": "another organization",
            "status": "pending",
            "same_brand": False,
            "overlapping_prefixes": ["061414199"],
        },
    ]

    await call(client, "verify_brand_claim", claim_id=ours["id"], decision="verified", note="GEPIR: Acme Tools Inc")
    listed = await call(client, "list_brand_claims", organization_id=rival)
    assert listed["claims"][0]["overlaps"][0]["organization"] == "Acme Tools Inc"
    assert listed["claims"][0]["overlaps"][0]["status"] == "verified"
    assert "Rival Co" not in str(await call(client, "list_brand_claims", organization_id=acme))


async def test_verifying_is_refused_while_another_verified_claim_overlaps_and_rejected_claims_never_count(
    client: Client, database: Database
) -> None:
    acme = await new_brand_org(client, "Acme Tools Inc")
    rival = await new_brand_org(client, "Rival Co")
    ours = await claim(client, acme, "Acme", ACME_PREFIX)
    theirs = await claim(client, rival, "Rival", "06141419")
    await call(client, "verify_brand_claim", claim_id=ours["id"], decision="verified")

    rows = table_rows(database)
    code, message = await call_error(client, "verify_brand_claim", claim_id=theirs["id"], decision="verified")
    assert code == "prefix_conflict"
    assert ours["id"] in message
    assert table_rows(database) == rows

    rejected = await call(client, "verify_brand_claim", claim_id=ours["id"], decision="rejected", note="not in GEPIR")
    assert (rejected["status"], rejected["decision_note"]) == ("rejected", "not in GEPIR")
    verified = await call(client, "verify_brand_claim", claim_id=theirs["id"], decision="verified")
    assert verified["status"] == "verified" and verified["decided_at"] is not None
    # A rejected claim can be rejected again, but verifying it now clashes with the verified one.
    code, _ = await call_error(client, "verify_brand_claim", claim_id=ours["id"], decision="verified")
    assert code == "prefix_conflict"


async def test_only_the_operator_verifies_and_only_owners_of_brand_organizations_claim(
    client: Client, database: Database
) -> None:
    acme = await new_brand_org(client, "Acme Tools Inc")
    pending = await claim(client, acme, "Acme", ACME_PREFIX)
    owner = operator_key(database, acme, Role.OWNER)
    manager = operator_key(database, acme, Role.MANAGER)
    retailer = await new_retailer(client, "Alder Hardware")
    rows = brand_rows(database)
    async with as_key(database, owner) as session:
        code, _ = await call_error(session, "verify_brand_claim", claim_id=pending["id"], decision="verified")
        assert code == "forbidden"
        code, _ = await call_error(
            session, "claim_brand", organization_id=retailer, brand_name="Acme", gtin_company_prefixes=["0614143"]
        )
        assert code == "not_found"  # another tenant's organization
    async with as_key(database, manager) as session:
        code, _ = await call_error(
            session, "claim_brand", organization_id=acme, brand_name="Acme", gtin_company_prefixes=["0614143"]
        )
        assert code == "forbidden"
        assert (await call(session, "list_brand_claims", organization_id=acme))["claims"][0]["status"] == "pending"
    assert brand_rows(database) == rows

    code, message = await call_error(
        client, "claim_brand", organization_id=retailer, brand_name="Acme", gtin_company_prefixes=[ACME_PREFIX]
    )
    assert code == "wrong_organization_kind", message
    assert brand_rows(database) == rows


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"gtin_company_prefixes": ["12345"]}, "invalid_gtin"),
        ({"gtin_company_prefixes": ["0614141a"]}, "invalid_gtin"),
        ({"gtin_company_prefixes": []}, "invalid_argument"),
        ({"gtin_company_prefixes": [f"06141{n:02d}" for n in range(21)]}, "value_too_long"),
        ({"evidence_url": "http://acme.example/gs1"}, "invalid_argument"),
        ({"brand_name": "   "}, "invalid_argument"),
        ({"organization_id": "loc_7k3m9x2p4q8r"}, "invalid_id"),
    ],
)
async def test_bad_claims_are_refused_and_write_nothing(
    client: Client, database: Database, changes: dict[str, object], code: str
) -> None:
    acme = await new_brand_org(client, "Acme Tools Inc")
    arguments: dict[str, object] = {
        "organization_id": acme,
        "brand_name": "Acme",
        "gtin_company_prefixes": [ACME_PREFIX],
        **changes,
    }
    rows = table_rows(database)
    got, message = await call_error(client, "claim_brand", **arguments)
    assert got == code, message
    assert table_rows(database) == rows


async def test_a_malformed_or_unknown_claim_id_is_refused(client: Client) -> None:
    assert (await call_error(client, "verify_brand_claim", claim_id="clm_x", decision="verified"))[0] == "invalid_id"
    code, _ = await call_error(client, "verify_brand_claim", claim_id="clm_7k3m9x2p4q8r", decision="rejected")
    assert code == "not_found"
    code, _ = await call_error(client, "verify_brand_claim", claim_id="clm_7k3m9x2p4q8r", decision="approved")
    assert code == "invalid_argument"


# --------------------------------------------------------------------------- footprint


@dataclass(frozen=True)
class Shelf:
    acme: str  # the brand organization
    claim: str
    alder: str
    birch: str
    s1: str  # Alder, Sellwood
    s2: str  # Alder, 15 km north
    s3: str  # Birch, 3 km east
    s5: str  # Birch, Seattle (WA)
    named: str  # product with brand "Acme", GTIN outside the prefix
    prefixed: str  # product with no brand, GTIN under the verified prefix


async def _offer(client: Client, org: str, loc: str, product: str, quantity: int, status: str | None = None) -> None:
    fields = {"status": status} if status else {}
    await call(
        client,
        "create_in_store_offer",
        organization_id=org,
        location_id=loc,
        product_id=product,
        sku=f"SKU-{product[-4:]}",
        price_minor=1999,
        quantity_on_hand=quantity,
        **fields,
    )


@pytest.fixture
async def shelf(client: Client, database: Database) -> Shelf:
    acme = await new_brand_org(client, "Acme Tools Inc")
    claimed = await claim(client, acme, "Acme", ACME_PREFIX)
    await call(client, "verify_brand_claim", claim_id=claimed["id"], decision="verified")
    named = (await new_product(client, "Acme claw hammer", brand="ACME"))["id"]
    prefixed = (await new_product(client, "Hex key set", gtin=prefixed_gtin(ACME_PREFIX, 1)))["id"]
    other = (await new_product(client, "Other saw", brand="Other"))["id"]

    alder = await new_retailer(client, "Alder Hardware")
    birch = await new_retailer(client, "Birch Supply")
    s1 = await new_store(client, alder, "Alder Sellwood", SELLWOOD, region="OR")
    s2 = await new_store(client, alder, "Alder North", toward(SELLWOOD, NORTH, 15), region="OR")
    s3 = await new_store(client, birch, "Birch East", toward(SELLWOOD, EAST, 3), region="OR")
    s4 = await new_store(client, birch, "Birch Back Room", toward(SELLWOOD, NORTH, 1), region="OR")
    s5 = await new_store(client, birch, "Birch Seattle", SEATTLE, region="WA")

    await _offer(client, alder, s1, named, 5)  # in_stock, confirmed
    await _offer(client, alder, s1, other, 5)  # not the brand's
    async with client_at(database, FIXED_NOW - timedelta(hours=3)) as earlier:
        await _offer(earlier, alder, s1, prefixed, 0)  # out_of_stock, likely
        await _offer(earlier, alder, s2, prefixed, 2, "low_stock")  # low_stock, likely
    async with client_at(database, FIXED_NOW - timedelta(days=3)) as old:
        await _offer(old, birch, s3, named, 4)  # in_stock, uncertain
        await _offer(old, birch, s5, prefixed, 0, "discontinued")  # discontinued, uncertain
    await _offer(client, birch, s4, named, 9)
    await call(client, "unpublish_location", location_id=s4)  # never counted
    return Shelf(acme, claimed["id"], alder, birch, s1, s2, s3, s5, named, prefixed)


async def test_the_full_footprint_counts_every_status_at_published_stores(client: Client, shelf: Shelf) -> None:
    answer = await call(client, "brand_retail_footprint", brand="acme")
    assert answer["visibility"] == "full"
    assert answer["totals"] == {
        "retailer_count": 2,
        "store_count": 4,
        "offer_count": 5,
        "in_stock_share": 0.6,
        "status_counts": {"in_stock": 2, "low_stock": 1, "out_of_stock": 1, "discontinued": 1},
        "confidence": {"confirmed": 1, "likely": 2, "uncertain": 2, "unknown": 0},
        "nearest_km": None,
    }
    assert [(g["key"], g["label"], g["store_count"], g["offer_count"]) for g in answer["groups"]] == [
        (shelf.alder, "Alder Hardware", 2, 3),
        (shelf.birch, "Birch Supply", 2, 2),
    ]
    assert answer["truncated"] is False and answer["nearest_stores"] == []

    by_region = await call(client, "brand_retail_footprint", brand=answer["brand_id"], group_by="region")
    assert [(g["key"], g["label"], g["store_count"], g["offer_count"]) for g in by_region["groups"]] == [
        ("US-OR", "OR, US", 3, 4),
        ("US-WA", "WA, US", 1, 1),
    ]
    by_product = await call(client, "brand_retail_footprint", brand="Acme", group_by="product", limit=1)
    assert [(g["key"], g["store_count"], g["in_stock_share"]) for g in by_product["groups"]] == [
        (shelf.prefixed, 3, round(1 / 3, 4))
    ]
    assert by_product["truncated"] is True


async def test_outsiders_see_only_what_search_shows(client: Client, database: Database, shelf: Shelf) -> None:
    async with as_key(database, operator_key(database, shelf.alder, Role.OWNER)) as retailer:
        answer = await call(retailer, "brand_retail_footprint", brand="Acme", group_by="product")
    assert answer["visibility"] == "public"
    assert answer["totals"] == {
        "retailer_count": 2,
        "store_count": 3,
        "offer_count": None,
        "in_stock_share": None,
        "status_counts": None,
        "confidence": None,
        "nearest_km": None,
    }
    assert [(g["key"], g["store_count"], g["retailer_count"]) for g in answer["groups"]] == [
        (shelf.named, 2, 2),
        (shelf.prefixed, 1, 1),
    ]


async def test_members_of_the_verified_claimant_see_full_figures_and_pending_prefixes_do_not_count(
    client: Client, database: Database, shelf: Shelf
) -> None:
    staff = operator_key(database, shelf.acme, Role.STAFF)
    async with as_key(database, staff) as brand_member:
        assert (await call(brand_member, "brand_retail_footprint", brand="Acme"))["totals"]["offer_count"] == 5
    await call(client, "verify_brand_claim", claim_id=shelf.claim, decision="rejected")
    async with as_key(database, staff) as brand_member:
        answer = await call(brand_member, "brand_retail_footprint", brand="Acme", group_by="product")
    assert answer["visibility"] == "public"
    assert [g["key"] for g in answer["groups"]] == [shelf.named]  # the prefix-only product left with the claim


async def test_around_a_point_only_stores_within_the_radius_count_and_the_nearest_are_listed(
    client: Client, shelf: Shelf
) -> None:
    answer = await call(
        client, "brand_retail_footprint", brand="Acme", latitude=SELLWOOD[0], longitude=SELLWOOD[1], radius_km=5
    )
    assert answer["radius_km"] == 5
    totals = answer["totals"]
    assert (totals["store_count"], totals["offer_count"], totals["nearest_km"]) == (2, 3, 0.0)
    assert [(s["location_id"], s["retailer"], s["offer_count"]) for s in answer["nearest_stores"]] == [
        (shelf.s1, "Alder Hardware", 2),
        (shelf.s3, "Birch Supply", 1),
    ]
    assert answer["nearest_stores"][1]["distance_km"] == pytest.approx(3.0, abs=0.01)
    wide = await call(
        client, "brand_retail_footprint", brand="Acme", latitude=SELLWOOD[0], longitude=SELLWOOD[1], radius_km=20
    )
    assert [s["location_id"] for s in wide["nearest_stores"]] == [shelf.s1, shelf.s3, shelf.s2]


async def test_an_unclaimed_brand_name_and_bad_points_are_answered_plainly(client: Client, shelf: Shelf) -> None:
    nobody = await call(client, "brand_retail_footprint", brand="Other")
    assert (nobody["brand_id"], nobody["totals"]["store_count"]) == (None, 1)
    code, _ = await call_error(client, "brand_retail_footprint", brand="Acme", latitude=45.5)
    assert code == "invalid_coordinates"
    code, _ = await call_error(client, "brand_retail_footprint", brand="Acme", radius_km=5)
    assert code == "coordinates_required"
    code, _ = await call_error(client, "brand_retail_footprint", brand="brd_7k3m9x2p4q8r")
    assert code == "not_found"


# --------------------------------------------------------------------------- plan (PostGIS)


def _bulk_catalogue(uow: UnitOfWork) -> None:
    """40 stores, 400 products (4 of them Acme's: 2 by name, 2 by prefix), 4,000 offers."""
    retailer = Organization(public_id=new_public_id("organization"), name="Bulk Retail", kind="retailer")
    maker = Organization(public_id=new_public_id("organization"), name="Acme Tools Inc", kind="brand")
    uow.session.add_all([retailer, maker])
    uow.session.flush()
    stores = [
        Location(
            public_id=new_public_id("location"),
            organization_id=retailer.id,
            name=f"Store {n}",
            address_line1="1 Main St",
            city="Portland",
            region="OR",
            country="US",
            latitude=SELLWOOD[0] + n * 0.01,
            longitude=SELLWOOD[1],
            published=True,
        )
        for n in range(40)
    ]
    products = [
        Product(
            public_id=new_public_id("product"),
            gtin="0"
            + (prefixed_gtin(ACME_PREFIX, n) if n % 200 == 1 else with_check_digit(f"{5_000_000_000 + n:012d}")),
            name=f"Item {n}",
            brand="Acme" if n % 200 == 0 else f"Maker {n % 50}",
            name_doc=f" item {n} ",
            brand_doc=" maker ",
            category_doc=" ",
            search_doc=f" item {n} maker ",
        )
        for n in range(400)
    ]
    uow.session.add_all([*stores, *products])
    brand = Brand(public_id=new_public_id("brand"), name="Acme", name_key="acme")
    uow.session.add(brand)
    uow.session.flush()
    verified = BrandClaim(
        public_id=new_public_id("brand_claim"),
        organization_id=maker.id,
        brand_id=brand.id,
        status="verified",
        created_at=FIXED_NOW,
    )
    uow.session.add(verified)
    uow.session.flush()
    uow.session.add(BrandClaimPrefix(claim_id=verified.id, prefix=ACME_PREFIX))
    uow.session.add_all(
        InStoreOffer(
            public_id=new_public_id("offer"),
            organization_id=retailer.id,
            location_id=stores[(p * 7 + k) % 40].id,
            product_id=product.id,
            sku=f"S{p}-{k}",
            price_minor=999,
            currency="USD",
            quantity_on_hand=3,
            status="in_stock",
            last_inventory_sync=FIXED_NOW,
        )
        for p, product in enumerate(products)
        for k in range(10)
    )


def _plans(uow: UnitOfWork) -> list[str]:
    brand = uow.session.scalar(select(Brand).where(Brand.name_key == "acme"))
    assert brand is not None
    condition = brand_condition(uow.session, brand)
    area = footprint.area_around(uow.session, uow.dialect, SELLWOOD[0], SELLWOOD[1], 10.0)
    plans = []
    for scope_area, public in ((None, False), (area, True)):
        scope = footprint.Scope(condition=condition, area=scope_area, public=public, now=FIXED_NOW)
        query = footprint.groups_query(uow.dialect, scope, "retailer", 50)
        sql = query.compile(dialect=uow.session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        rows = uow.session.connection().exec_driver_sql(f"EXPLAIN {sql}")
        plans.append("\n".join(row[0] for row in rows))
    return plans


def test_the_footprint_reaches_offers_through_an_index_not_a_scan(postgis_database: Database) -> None:
    postgis_database.transaction(_bulk_catalogue)
    with postgis_database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    plans = postgis_database.transaction(_plans, read_only=True)
    # Brand-wide: from the brand's products to their offers, through an index led by product_id (the covering
    # one or the unique (product, location, sku) one: the planner may take either).
    by_product = r"(using \w+ on in_store_offers|Bitmap Index Scan on (ix_offers|uq_offer)_\w+)[^\n]*\n\s+Index Cond: \(product_id = "
    assert re.search(by_product, plans[0]), plans[0]
    for plan in plans:
        assert "Seq Scan on in_store_offers" not in plan, plan
        assert re.search(
            r"Index (Only )?Scan using (ix_offers|uq_offer)_\w+ on in_store_offers|Bitmap Index Scan on ix_offers_",
            plan,
        )
