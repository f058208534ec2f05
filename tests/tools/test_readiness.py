"""get_onboarding_status: every blocker a retailer can meet, each with the exact next call, and the manual route.

POS states (connect pending, token refused, locations known, jobs) are set up as rows, exactly as the connect,
sync and webhook code leaves them; everything else goes through the MCP tools.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from mcp import Client
from sqlalchemy import select

from localshelf.config import Settings
from localshelf.domain import device_codes as codes
from localshelf.domain.auth import Role
from localshelf.domain.ids import new_public_id
from localshelf.server.app import build_server
from localshelf.server.transports import stdio_principal
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import ConnectGrant, Integration, Organization, PosLocationLink, SyncJob
from tests.builders import (
    DRILL_UPC,
    SELLWOOD,
    new_offer,
    new_product,
    new_retailer,
    new_store,
    operator_key,
    operator_organization,
    webhook_endpoint,
)
from tests.conftest import FIXED_NOW, call, call_error, row_counts

pytestmark = pytest.mark.anyio

SHOP = "alder-hardware.myshopify.com"


async def status_of(client: Client, organization_id: str) -> dict[str, Any]:
    return await call(client, "get_onboarding_status", organization_id=organization_id)


def codes_of(issues: list[dict[str, Any]]) -> list[str]:
    return [issue["code"] for issue in issues]


def blocker(status: dict[str, Any], code: str) -> dict[str, Any]:
    found = [issue for issue in status["blockers"] if issue["code"] == code]
    assert len(found) == 1, status["blockers"]
    return found[0]


def check(status: dict[str, Any], name: str) -> str:
    found = [c["status"] for c in status["checks"] if c["name"] == name]
    assert found, status["checks"]
    return found[0]


def add_integration(database: Database, organization_id: str, status: str, account: str = SHOP) -> str:
    def insert(uow: UnitOfWork) -> str:
        organization = uow.session.scalars(select(Organization).filter_by(public_id=organization_id)).one()
        integration = Integration(
            public_id=new_public_id("integration"),
            organization_id=organization.id,
            provider="shopify",
            external_account=account,
            status=status,
            scopes=[],
            access_token_encrypted="encrypted" if status == "connected" else None,
            error_message="Shopify refused the stored token" if status == "reauthorization_required" else None,
            connected_at=FIXED_NOW if status == "connected" else None,
        )
        uow.session.add(integration)
        uow.session.flush()
        return integration.public_id

    return database.transaction(insert)


def _integration(uow: UnitOfWork, integration_id: str) -> Integration:
    return uow.session.scalars(select(Integration).filter_by(public_id=integration_id)).one()


def add_grant(database: Database, integration_id: str, expires_in: timedelta) -> None:
    def insert(uow: UnitOfWork) -> None:
        integration = _integration(uow, integration_id)
        uow.session.add(
            ConnectGrant(
                organization_id=integration.organization_id,
                integration_id=integration.id,
                device_code_hash=codes.code_hash(codes.new_device_code()),
                user_code=codes.normalize_user_code(codes.new_user_code()),
                status="pending",
                interval_seconds=5,
                expires_at=FIXED_NOW + expires_in,
                created_at=FIXED_NOW - timedelta(minutes=1),
            )
        )

    database.transaction(insert)


def add_pos_location(database: Database, integration_id: str, external_id: str, name: str, postal: str) -> None:
    def insert(uow: UnitOfWork) -> None:
        integration = _integration(uow, integration_id)
        uow.session.add(
            PosLocationLink(
                integration_id=integration.id,
                external_id=external_id,
                name=name,
                address_line1="8001 SE 13th Ave",
                city="Portland",
                postal_code=postal,
                active=True,
            )
        )

    database.transaction(insert)


def add_job(database: Database, integration_id: str, state: str, finished: Any = None) -> str:
    def insert(uow: UnitOfWork) -> str:
        integration = _integration(uow, integration_id)
        job = SyncJob(
            public_id=new_public_id("sync_job"),
            organization_id=integration.organization_id,
            integration_id=integration.id,
            kind="full",
            state=state,
            phase="items" if state in ("queued", "running") else "done",
            requested_by="tests",
            error_message="Shopify answered 503" if state == "failed" else None,
            created_at=FIXED_NOW - timedelta(hours=30),
            finished_at=finished,
        )
        uow.session.add(job)
        uow.session.flush()
        return job.public_id

    return database.transaction(insert)


@asynccontextmanager
async def acting_as(database: Database, organization_id: str, role: Role) -> AsyncIterator[Client]:
    server = build_server(
        Settings(database_url="sqlite://", sync_worker=False), database=database, clock=lambda: FIXED_NOW
    )
    server.local_principal = stdio_principal(database, operator_key(database, organization_id, role))
    async with Client(server) as session:
        yield session


# --- a fresh retailer and the manual route ---------------------------------------------------------------------


async def test_a_fresh_retailer_is_told_to_connect_its_pos_with_the_manual_route_as_alternative(client: Client) -> None:
    org = await new_retailer(client)
    status = await status_of(client, org)
    assert status["discoverable"] is False and status["mode"] == "undecided"
    assert codes_of(status["blockers"]) == ["pos_not_connected", "no_published_location"]
    first = status["blockers"][0]
    assert first["next_step"]["tool"] == "start_pos_connect"
    assert first["next_step"]["arguments"]["organization_id"] == org
    assert first["next_step"]["arguments"]["provider"].startswith("<ask the retailer")
    assert first["alternative"]["tool"] == "publish_location"
    publish = status["blockers"][1]["next_step"]
    assert publish["tool"] == "publish_location" and publish["arguments"]["organization_id"] == org
    assert check(status, "in_stock_offer") == "failed" and check(status, "published_location") == "failed"


async def test_the_manual_route_reaches_discoverable_and_search_finds_the_store(client: Client) -> None:
    org = await new_retailer(client)
    store = await new_store(client, org, "Alder Hardware – Sellwood", SELLWOOD)

    status = await status_of(client, org)
    assert codes_of(status["blockers"]) == ["pos_not_connected", "no_in_stock_offer"]
    offer_step = status["blockers"][0]["alternative"]
    assert offer_step["tool"] == "create_in_store_offer"
    assert offer_step["arguments"]["location_id"] == store and offer_step["arguments"]["organization_id"] == org
    assert status["blockers"][1]["next_step"] == offer_step

    await new_product(client, "DeWalt 20V Cordless Drill", gtin=DRILL_UPC, brand="DeWalt")
    await new_offer(client, org, store, gtin=DRILL_UPC, quantity=3)
    status = await status_of(client, org)
    assert status["discoverable"] is True and status["blockers"] == []
    assert status["mode"] == "manual" and status["in_stock_offers"] == 1 and status["published_locations"] == 1
    for name in ("pos_connected", "pos_locations_mapped", "last_successful_sync", "webhooks"):
        assert check(status, name) == "not_applicable"
    assert codes_of(status["warnings"]) == ["manual_stock_only"]
    found = await call(
        client, "search_local_products", query="cordless drill", latitude=SELLWOOD[0], longitude=SELLWOOD[1]
    )
    assert found["results"][0]["store"]["location_id"] == store


async def test_an_offer_at_an_unpublished_store_does_not_count(client: Client) -> None:
    org = await new_retailer(client)
    store = await new_store(client, org, "Alder Hardware – Sellwood", SELLWOOD)
    await new_product(client, "DeWalt 20V Cordless Drill", gtin=DRILL_UPC)
    await new_offer(client, org, store, gtin=DRILL_UPC)
    await call(client, "unpublish_location", location_id=store)
    status = await status_of(client, org)
    assert status["discoverable"] is False
    assert codes_of(status["blockers"]) == ["no_published_location"]
    assert status["in_stock_offers"] == 0


# --- the POS route ----------------------------------------------------------------------------------------------


async def test_a_refused_token_asks_to_reconnect_the_same_shop(client: Client, database: Database) -> None:
    org = await new_retailer(client)
    add_integration(database, org, "reauthorization_required")
    status = await status_of(client, org)
    assert status["mode"] == "pos" and status["discoverable"] is False
    blocker = status["blockers"][0]
    assert blocker["code"] == "pos_reauthorization_required" and "refused" in blocker["message"]
    assert blocker["next_step"]["tool"] == "start_pos_connect"
    assert blocker["next_step"]["arguments"] == {"organization_id": org, "provider": "shopify", "account": SHOP}
    assert check(status, "pos_connected") == "failed"


async def test_a_connect_in_progress_says_poll_and_shows_the_page(client: Client, database: Database) -> None:
    org = await new_retailer(client)
    integration = add_integration(database, org, "pending")
    add_grant(database, integration, timedelta(minutes=10))
    blocker = (await status_of(client, org))["blockers"][0]
    assert blocker["code"] == "pos_connect_in_progress"
    step = blocker["next_step"]
    assert step["tool"] == "poll_pos_connect" and set(step["arguments"]) == {"device_code"}
    assert step["wait_seconds"] == 5
    assert step["handoff"]["verification_uri"] == "http://127.0.0.1:8765/connect"
    assert "user_code" not in step["handoff"]  # any member reads this; the code stays with the agent that started


async def test_an_expired_connect_says_start_again(client: Client, database: Database) -> None:
    org = await new_retailer(client)
    integration = add_integration(database, org, "pending")
    add_grant(database, integration, timedelta(minutes=-1))
    blocker = (await status_of(client, org))["blockers"][0]
    assert blocker["code"] == "pos_connect_expired"
    assert blocker["next_step"]["tool"] == "start_pos_connect"
    assert blocker["next_step"]["arguments"]["account"] == SHOP


async def test_connected_pos_walks_through_locations_mapping_and_first_sync(client: Client, database: Database) -> None:
    org = await new_retailer(client)
    integration = add_integration(database, org, "connected")

    status = await status_of(client, org)
    assert codes_of(status["blockers"])[:2] == ["pos_locations_unknown", "no_published_location"]
    assert status["blockers"][0]["next_step"] == {
        "tool": "list_pos_locations",
        "arguments": {"integration_id": integration},
        "wait_seconds": None,
        "handoff": None,
        "note": None,
    }

    add_pos_location(database, integration, "gid://shopify/Location/1", "Sellwood Store", "97202")
    add_pos_location(database, integration, "gid://shopify/Location/2", "Back Warehouse", "97230")
    status = await status_of(client, org)
    publish = status["blockers"][0]
    assert publish["code"] == "no_published_location"
    assert publish["next_step"]["arguments"]["name"] == "Sellwood Store"  # prefilled from the POS location
    assert publish["next_step"]["arguments"]["postal_code"] == "97202"

    store = await new_store(client, org, "Sellwood Store", SELLWOOD, postal_code="97202")
    status = await status_of(client, org)
    mapping = status["blockers"][0]
    assert mapping["code"] == "pos_locations_unmapped" and check(status, "pos_locations_mapped") == "failed"
    assert mapping["next_step"]["tool"] == "map_pos_locations"
    assert mapping["next_step"]["arguments"] == {
        "integration_id": integration,
        "mapping": [{"pos_location_id": "gid://shopify/Location/1", "location_id": store}],
    }
    await call(client, "map_pos_locations", **mapping["next_step"]["arguments"])

    status = await status_of(client, org)
    assert codes_of(status["blockers"]) == ["never_synced", "no_in_stock_offer"]
    assert status["blockers"][0]["next_step"]["arguments"] == {"integration_id": integration}
    assert check(status, "pos_locations_mapped") == "warning"  # the warehouse: some mapped, so not a blocker
    unmapped = [w for w in status["warnings"] if w["code"] == "pos_locations_unmapped"]
    assert unmapped[0]["next_step"]["tool"] == "publish_location"
    assert unmapped[0]["next_step"]["arguments"]["name"] == "Back Warehouse"
    assert "webhooks_missing" in codes_of(status["warnings"])


@pytest.mark.parametrize(
    ("state", "code", "tool"),
    [("queued", "sync_queued", "trigger_sync"), ("running", "sync_in_progress", "get_sync_job")],
)
async def test_a_first_sync_under_way_is_run_or_waited_for(
    client: Client, database: Database, state: str, code: str, tool: str
) -> None:
    org = await new_retailer(client)
    integration = add_integration(database, org, "connected")
    job = add_job(database, integration, state)
    step = blocker(await status_of(client, org), code)["next_step"]
    assert step["tool"] == tool
    if tool == "get_sync_job":
        assert step["arguments"] == {"job_id": job} and step["wait_seconds"]
    else:
        assert step["arguments"] == {"integration_id": integration} and job in step["note"]


async def test_a_failed_first_sync_is_retried_with_its_error_shown(client: Client, database: Database) -> None:
    org = await new_retailer(client)
    integration = add_integration(database, org, "connected")
    add_job(database, integration, "failed", finished=FIXED_NOW - timedelta(hours=1))
    failed = blocker(await status_of(client, org), "never_synced")
    assert "Shopify answered 503" in failed["message"] and failed["next_step"]["tool"] == "trigger_sync"


async def test_a_synced_retailer_is_discoverable_and_a_stale_sync_only_warns(
    client: Client, database: Database
) -> None:
    org = await new_retailer(client)
    integration = add_integration(database, org, "connected")
    store = await new_store(client, org, "Sellwood Store", SELLWOOD)
    add_pos_location(database, integration, "gid://shopify/Location/1", "Sellwood Store", "97202")
    await call(
        client,
        "map_pos_locations",
        integration_id=integration,
        mapping=[{"pos_location_id": "gid://shopify/Location/1", "location_id": store}],
    )
    database.transaction(webhook_endpoint, integration)
    await new_product(client, "DeWalt 20V Cordless Drill", gtin=DRILL_UPC)
    await new_offer(client, org, store, gtin=DRILL_UPC)

    add_job(database, integration, "succeeded", finished=FIXED_NOW - timedelta(hours=2))
    status = await status_of(client, org)
    assert status["discoverable"] is True and status["warnings"] == []
    assert all(c["ok"] for c in status["checks"]), status["checks"]

    add_job(database, integration, "succeeded", finished=FIXED_NOW - timedelta(hours=1))  # newest wins
    assert (await status_of(client, org))["warnings"] == []

    stale_org = await new_retailer(client, "Stale Hardware")
    stale = add_integration(database, stale_org, "connected", "stale-hardware.myshopify.com")
    stale_store = await new_store(client, stale_org, "Stale Store", SELLWOOD)
    add_pos_location(database, stale, "gid://shopify/Location/9", "Stale Store", "97202")
    await call(
        client,
        "map_pos_locations",
        integration_id=stale,
        mapping=[{"pos_location_id": "gid://shopify/Location/9", "location_id": stale_store}],
    )
    await new_offer(client, stale_org, stale_store, gtin=DRILL_UPC)
    database.transaction(webhook_endpoint, stale)
    add_job(database, stale, "succeeded", finished=FIXED_NOW - timedelta(hours=30))
    status = await status_of(client, stale_org)
    assert status["discoverable"] is True
    assert codes_of(status["warnings"]) == ["sync_stale"] and check(status, "last_successful_sync") == "warning"
    assert status["warnings"][0]["next_step"] == {
        "tool": "trigger_sync",
        "arguments": {"integration_id": stale},
        "wait_seconds": None,
        "handoff": None,
        "note": None,
    }


# --- who may ask ------------------------------------------------------------------------------------------------


async def test_staff_may_read_an_outsider_gets_not_found_and_nothing_is_written(database: Database) -> None:
    mine = operator_organization(database, "Alder Hardware")
    theirs = operator_organization(database, "Rival Hardware")
    before = row_counts(database)
    async with acting_as(database, mine, Role.STAFF) as staff:
        assert (await status_of(staff, mine))["organization_id"] == mine
        code, message = await call_error(staff, "get_onboarding_status", organization_id=theirs)
        assert code == "not_found" and theirs in message
    after = row_counts(database)
    assert {k: v for k, v in after.items() if k not in ("api_keys", "audit_entries")} == {
        k: v for k, v in before.items() if k not in ("api_keys", "audit_entries")
    }


async def test_a_brand_has_no_onboarding_status(client: Client, database: Database) -> None:
    brand = operator_organization(database, "DeWalt", kind="brand")
    code, _ = await call_error(client, "get_onboarding_status", organization_id=brand)
    assert code == "wrong_organization_kind"
