"""The tool surface an agent sees through `tools/list`: names, descriptions, schemas, annotations.

Tool lists do not depend on the database backend, so these tests run once, on a SQLite
file. The snapshot test pins the whole surface to tests/tools/snapshots/tools.json;
after an intended change, regenerate it with

    LOCALSHELF_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/tools/test_tool_surface.py

and review the diff before committing it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import Tool

from localshelf.services import connect
from localshelf.store.db import Database
from tests.builders import (
    SELLWOOD,
    Onboarded,
    brand_row,
    client_at,
    finished_sync_job,
    onboard,
    retailer_item,
    webhook_endpoint,
)
from tests.conftest import FIXED_NOW, call, table_rows

pytestmark = pytest.mark.anyio

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"
UPDATE_ENV = "LOCALSHELF_UPDATE_SNAPSHOTS"

READ_TOOLS = frozenset(
    {
        "get_organization",
        "get_product",
        "find_locations",
        "list_in_store_offers",
        "search_local_products",
        "check_product_availability",
        "list_api_keys",
        "list_audit_entries",
        "list_integrations",
        "get_integration",
        "get_sync_job",
        "list_sync_jobs",
        "list_webhook_endpoints",
        "get_webhook_endpoint",
        "get_onboarding_status",
        "list_inventory_movements",
        "list_low_stock",
        "get_product_stock",
        "list_unmatched_items",
        "list_brand_claims",
        "brand_retail_footprint",
        "get_search_impressions",
        "brand_search_demand",
        "brand_coverage_gaps",
    }
)
CREATE_TOOLS = frozenset(
    {
        "create_organization",
        "publish_location",
        "create_in_store_offer",
        "create_api_key",
        "start_pos_connect",
        "poll_pos_connect",
        "trigger_sync",
    }
)
CHANGE_TOOLS = frozenset(
    {
        "update_location",
        "update_in_store_offer",
        "unpublish_location",
        "republish_location",
        "revoke_api_key",
        "add_member",
        "disconnect_integration",
        "map_pos_locations",
        "set_stock_rules",
        "match_retailer_item",
        "verify_brand_claim",
    }
)
IDEMPOTENT_ADDS = frozenset({"register_product", "list_pos_locations", "record_inventory_movement", "claim_brand"})
ONE_SHOT_CHANGES = frozenset({"cancel_sync_job", "rotate_webhook_secret"})
WRITE_TOOLS = CREATE_TOOLS | CHANGE_TOOLS | IDEMPOTENT_ADDS | ONE_SHOT_CHANGES
EXPECTED_TOOLS = READ_TOOLS | WRITE_TOOLS
assert len(EXPECTED_TOOLS) == 48

GEO_TOOLS = (
    "publish_location",
    "update_location",
    "find_locations",
    "search_local_products",
    "check_product_availability",
    "brand_retail_footprint",
)
RADIUS_TOOLS = ("find_locations", "search_local_products", "check_product_availability")


@pytest.fixture
async def sqlite_client(sqlite_database: Database) -> AsyncIterator[Client]:
    async with client_at(sqlite_database, FIXED_NOW) as client:
        yield client


@pytest.fixture
async def tools(sqlite_client: Client) -> dict[str, Tool]:
    listed: list[Tool] = []
    cursor: str | None = None
    while True:
        page = await sqlite_client.list_tools(cursor=cursor)
        listed.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    names = [tool.name for tool in listed]
    assert len(names) == len(set(names)), f"a tool is listed twice: {names}"
    return {tool.name: tool for tool in listed}


def value_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of a property's value: itself, or for an optional `X | None` its non-null branch."""
    branches = [branch for branch in schema.get("anyOf", []) if branch.get("type") != "null"]
    return {**branches[0], **schema} if len(branches) == 1 else schema


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]


# --------------------------------------------------------------------------- names and descriptions


async def test_the_server_lists_exactly_the_expected_tools(tools: dict[str, Tool]) -> None:
    assert set(tools) == EXPECTED_TOOLS


@pytest.mark.parametrize("name", sorted(EXPECTED_TOOLS))
async def test_every_tool_is_described_in_at_least_one_full_sentence(tools: dict[str, Tool], name: str) -> None:
    description = tools[name].description or ""
    sentence = first_sentence(description)
    assert sentence[:1].isupper(), f"{name}: description should start a sentence: {description!r}"
    assert sentence.endswith((".", "!", "?")), f"{name}: first sentence is not finished: {sentence!r}"
    assert len(sentence.split()) >= 5, f"{name}: first sentence too short to explain the tool: {sentence!r}"


@pytest.mark.parametrize("name", sorted(EXPECTED_TOOLS))
async def test_every_input_property_carries_a_description(tools: dict[str, Tool], name: str) -> None:
    schema = tools[name].input_schema
    assert schema.get("type") == "object" and schema.get("properties"), f"{name}: no input properties"
    missing = [prop for prop, sub in schema["properties"].items() if not sub.get("description", "").strip()]
    assert not missing, f"{name}: properties without a description: {missing}"


@pytest.mark.parametrize("name", sorted(EXPECTED_TOOLS))
async def test_every_tool_declares_an_output_schema_for_structured_output(tools: dict[str, Tool], name: str) -> None:
    output = tools[name].output_schema
    assert output is not None, f"{name} has no output schema"
    assert output.get("type") == "object" and output.get("properties"), f"{name}: output schema is not an object"


# --------------------------------------------------------------------------- annotations


@pytest.mark.parametrize("name", sorted(EXPECTED_TOOLS))
async def test_every_tool_has_a_title_and_a_closed_world(tools: dict[str, Tool], name: str) -> None:
    annotations = tools[name].annotations
    assert annotations is not None, f"{name} has no annotations"
    assert annotations.title, f"{name} has no human title"
    assert annotations.open_world_hint is False, f"{name}: localshelf only touches its own database"


@pytest.mark.parametrize("name", sorted(READ_TOOLS))
async def test_read_tools_are_marked_read_only(tools: dict[str, Tool], name: str) -> None:
    annotations = tools[name].annotations
    assert annotations is not None and annotations.read_only_hint is True


@pytest.mark.parametrize("name", sorted(WRITE_TOOLS))
async def test_write_tools_are_not_marked_read_only(tools: dict[str, Tool], name: str) -> None:
    annotations = tools[name].annotations
    assert annotations is not None and annotations.read_only_hint is False


@pytest.mark.parametrize("name", sorted(CHANGE_TOOLS))
async def test_tools_that_overwrite_are_destructive_and_idempotent(tools: dict[str, Tool], name: str) -> None:
    annotations = tools[name].annotations
    assert annotations is not None
    assert (annotations.destructive_hint, annotations.idempotent_hint) == (True, True)


@pytest.mark.parametrize("name", sorted(ONE_SHOT_CHANGES))
async def test_tools_whose_repeat_differs_are_destructive_and_not_idempotent(tools: dict[str, Tool], name: str) -> None:
    annotations = tools[name].annotations
    assert annotations is not None
    assert (annotations.destructive_hint, annotations.idempotent_hint) == (True, False)


@pytest.mark.parametrize("name", sorted(CREATE_TOOLS))
async def test_tools_that_create_a_new_record_per_call_are_not_idempotent(tools: dict[str, Tool], name: str) -> None:
    annotations = tools[name].annotations
    assert annotations is not None
    assert (annotations.destructive_hint, annotations.idempotent_hint) == (False, False)


@pytest.mark.parametrize("name", sorted(IDEMPOTENT_ADDS))
async def test_an_idempotent_adding_tool_is_marked_idempotent_and_not_destructive(
    tools: dict[str, Tool], name: str
) -> None:
    annotations = tools[name].annotations
    assert annotations is not None
    assert (annotations.destructive_hint, annotations.idempotent_hint) == (False, True)


# --------------------------------------------------------------------------- schema bounds


@pytest.mark.parametrize("name", GEO_TOOLS)
async def test_latitude_and_longitude_schemas_state_their_bounds(tools: dict[str, Tool], name: str) -> None:
    properties = tools[name].input_schema["properties"]
    latitude, longitude = value_schema(properties["latitude"]), value_schema(properties["longitude"])
    assert (latitude.get("minimum"), latitude.get("maximum")) == (-90, 90)
    assert (longitude.get("minimum"), longitude.get("maximum")) == (-180, 180)
    assert latitude["type"] == longitude["type"] == "number"


@pytest.mark.parametrize("name", RADIUS_TOOLS)
async def test_the_radius_schema_states_its_100_km_maximum(tools: dict[str, Tool], name: str) -> None:
    radius = value_schema(tools[name].input_schema["properties"]["radius_km"])
    assert radius.get("maximum") == 100
    assert radius.get("exclusiveMinimum") == 0
    assert "100" in radius["description"]


# --------------------------------------------------------------------------- annotations are true in practice


@pytest.fixture
async def shop(sqlite_client: Client) -> Onboarded:
    return await onboard(sqlite_client)


@pytest.fixture
def integration(sqlite_database: Database, shop: Onboarded) -> str:
    started = sqlite_database.transaction(
        connect.start_pos_connect,
        shop.org,
        "shopify",
        "alder-hardware.myshopify.com",
        FIXED_NOW,
        "http://127.0.0.1",
        frozenset({"shopify"}),
    )
    return started.integration_id


def _read_calls(database: Database, shop: Onboarded, integration: str) -> dict[str, dict[str, Any]]:
    here = {"latitude": SELLWOOD[0], "longitude": SELLWOOD[1]}
    job = database.transaction(finished_sync_job, integration)
    endpoint = database.transaction(webhook_endpoint, integration)
    brand = database.transaction(brand_row, "Alder Tools")
    return {
        "get_organization": {"organization_id": shop.org},
        "get_product": {"product_id": shop.prd},
        "find_locations": here,
        "list_in_store_offers": {"organization_id": shop.org},
        "search_local_products": {"query": "cordless drill", **here},
        "check_product_availability": {"gtin": "036000291452", **here},
        "list_api_keys": {"organization_id": shop.org},
        "list_audit_entries": {"organization_id": shop.org},
        "list_integrations": {"organization_id": shop.org},
        "get_integration": {"integration_id": integration},
        "get_sync_job": {"job_id": job},
        "list_sync_jobs": {"integration_id": integration},
        "list_webhook_endpoints": {"integration_id": integration},
        "get_webhook_endpoint": {"endpoint_id": endpoint},
        "get_onboarding_status": {"organization_id": shop.org},
        "list_inventory_movements": {"offer_id": shop.ofr},
        "list_low_stock": {"organization_id": shop.org},
        "get_product_stock": {"organization_id": shop.org, "product_id": shop.prd},
        "list_unmatched_items": {"organization_id": shop.org},
        "list_brand_claims": {"organization_id": shop.org},
        "brand_retail_footprint": {"brand": "Alder Tools", **here},
        "get_search_impressions": {"organization_id": shop.org},
        "brand_search_demand": {"brand": brand},
        "brand_coverage_gaps": {"brand": brand},
    }


async def _repeatable_calls(
    client: Client, database: Database, shop: Onboarded, integration: str
) -> dict[str, dict[str, Any]]:
    key = await call(
        client, "create_api_key", organization_id=shop.org, name="to revoke", role="staff", scopes=["offers:write"]
    )
    maker = await call(client, "create_organization", name="Alder Tools Inc.", kind="brand")
    claim = await call(
        client, "claim_brand", organization_id=maker["id"], brand_name="Alder Tools", gtin_company_prefixes=["0360002"]
    )
    return {
        "record_inventory_movement": {
            "offer_id": shop.ofr,
            "delta": -1,
            "reason": "sale",
            "occurred_at": FIXED_NOW.isoformat(),
            "external_id": "register-1:sale-1",
        },
        "set_stock_rules": {"offer_id": shop.ofr, "low_stock_threshold": 5, "reorder_point": 2},
        "match_retailer_item": {"item_id": database.transaction(retailer_item, shop.org), "gtin": "036000291452"},
        "claim_brand": {
            "organization_id": maker["id"],
            "brand_name": "Alder Tools",
            "gtin_company_prefixes": ["0360002"],
        },
        "verify_brand_claim": {"claim_id": claim["id"], "decision": "verified"},
        "disconnect_integration": {"integration_id": integration},
        "revoke_api_key": {"key_id": key["id"]},
        "add_member": {"organization_id": shop.org, "subject": "someone@example.com", "role": "staff"},
        "update_location": {"location_id": shop.loc, "name": "Alder Hardware – Sellwood (new sign)"},
        "update_in_store_offer": {"offer_id": shop.ofr, "price_minor": 8999, "quantity_on_hand": 4},
        "unpublish_location": {"location_id": shop.loc},
        "republish_location": {"location_id": shop.loc},
        "register_product": {"gtin": "036000291452", "name": "Another name for the same barcode"},
        "list_pos_locations": {"integration_id": integration},
        "map_pos_locations": {"integration_id": integration, "mapping": []},
    }


@pytest.mark.parametrize("name", sorted(READ_TOOLS))
async def test_a_read_only_tool_leaves_every_table_as_it_was(
    sqlite_client: Client, sqlite_database: Database, shop: Onboarded, integration: str, name: str
) -> None:
    arguments = _read_calls(sqlite_database, shop, integration)[name]
    before = table_rows(sqlite_database)
    assert await call(sqlite_client, name, **arguments)
    assert table_rows(sqlite_database) == before


@pytest.mark.parametrize("name", sorted(CHANGE_TOOLS | IDEMPOTENT_ADDS))
async def test_an_idempotent_tool_called_twice_leaves_the_same_state_and_answer_as_once(
    sqlite_client: Client, sqlite_database: Database, shop: Onboarded, integration: str, name: str
) -> None:
    arguments = (await _repeatable_calls(sqlite_client, sqlite_database, shop, integration))[name]
    first = await call(sqlite_client, name, **arguments)
    after_once = table_rows(sqlite_database)
    second = await call(sqlite_client, name, **arguments)
    assert table_rows(sqlite_database) == after_once
    # Whether this call created or changed something (or was a duplicate) is reported; everything else must match.
    for answer in (first, second):
        for reported in ("created", "duplicate", "changed", "message"):
            answer.pop(reported, None)
    assert second == first


# --------------------------------------------------------------------------- snapshot


def normalized(tools: dict[str, Tool]) -> list[dict[str, Any]]:
    fields = {"name", "description", "input_schema", "output_schema", "annotations"}
    return [
        tools[name].model_dump(mode="json", by_alias=True, exclude_none=True, include=fields) for name in sorted(tools)
    ]


def render(surface: list[dict[str, Any]]) -> str:
    return json.dumps(surface, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


async def test_the_tool_surface_matches_the_reviewed_snapshot(tools: dict[str, Tool]) -> None:
    live = render(normalized(tools))
    if os.environ.get(UPDATE_ENV) == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(live, encoding="utf-8")
        return
    how = (
        f"If the change is intended, regenerate with `{UPDATE_ENV}=1 .venv/bin/pytest tests/tools/test_tool_surface.py`,"
        " then review and commit the diff of tests/tools/snapshots/tools.json."
    )
    assert SNAPSHOT.exists(), f"No snapshot at {SNAPSHOT}. {how}"
    stored = SNAPSHOT.read_text(encoding="utf-8")
    if stored != live:
        diff = difflib.unified_diff(
            stored.splitlines(), live.splitlines(), "snapshots/tools.json (reviewed)", "tools/list (live)", lineterm=""
        )
        shown = list(diff)
        cut = f"\n... {len(shown) - 200} more diff lines" if len(shown) > 200 else ""
        pytest.fail(f"The tool surface changed.\n{how}\n\n" + "\n".join(shown[:200]) + cut, pytrace=False)
