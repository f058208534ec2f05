"""Skill prompts and resources through a real MCP client session: every prompt lists described arguments, renders,
and names only tools that exist; every resource template reads a real object exactly as the matching tool shows
it, as the caller (another tenant's object is an error, never data); the docs resources come from the code.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import TextContent, TextResourceContents

from localshelf.domain.auth import Role
from localshelf.domain.confidence import Confidence
from localshelf.pos.registry import CONNECTORS
from localshelf.store.db import Database
from tests.builders import DRILL_UPC, SELLWOOD, new_offer, new_product, new_retailer, new_store, operator_organization
from tests.conftest import call
from tests.tools.test_readiness import acting_as, add_integration, add_job

pytestmark = pytest.mark.anyio

SKILLS = {
    "onboard-retailer": {
        "retailer_name": "Alder Street Hardware",
        "organization_id": "org_7k3m9x2p4q8r",
        "pos_provider": "shopify",
        "shop_domain": "alder-hardware.myshopify.com",
        "store_address": "8001 SE 13th Ave, Portland",
    },
    "claim-brand": {
        "brand_name": "DeWalt",
        "organization_id": "org_7k3m9x2p4q8r",
        "company_prefixes": "0614141, 0036000",
        "evidence_url": "https://www.gs1.org/certificate/dewalt",
    },
    "local-product-search": {"what": "cordless drill", "near": "Sellwood, Portland"},
    "check-product-availability": {"gtin": DRILL_UPC, "near": "45.465,-122.653", "radius_km": "15"},
    "brand-retail-footprint": {"brand": "DeWalt", "near": "Portland, OR", "radius_km": "30"},
}
TOOL_CALL = re.compile(r"\b([a-z]+(?:_[a-z]+)+)\(")


async def render(client: Client, name: str, arguments: dict[str, str]) -> str:
    result = await client.get_prompt(name, arguments)
    texts = [m.content.text for m in result.messages if isinstance(m.content, TextContent)]
    assert texts, result
    return "\n".join(texts)


async def read_json(client: Client, uri: str) -> Any:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert isinstance(content, TextResourceContents) and content.mime_type == "application/json"
    return json.loads(content.text)


# --- prompts ----------------------------------------------------------------------------------------------------


async def test_every_skill_has_a_prompt_whose_arguments_are_described(client: Client) -> None:
    prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
    assert set(prompts) == set(SKILLS)
    for name, prompt in prompts.items():
        assert prompt.description and prompt.title, name
        arguments = {argument.name: argument for argument in prompt.arguments or []}
        assert set(arguments) == set(SKILLS[name]), name
        assert all(argument.description for argument in arguments.values()), name
        assert any(argument.required for argument in arguments.values()), name


async def test_every_prompt_renders_with_all_and_with_only_required_arguments(client: Client) -> None:
    prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
    for name, arguments in SKILLS.items():
        full = await render(client, name, arguments)
        for value in arguments.values():
            assert value in full, (name, value)
        required = {a.name: arguments[a.name] for a in prompts[name].arguments or [] if a.required}
        if required != arguments:  # the optional ones left out are asked for instead
            assert await render(client, name, required) != full


async def test_the_onboarding_prompt_follows_the_pos_flow_and_keeps_a_manual_branch(client: Client) -> None:
    text = await render(client, "onboard-retailer", {"retailer_name": "Alder Street Hardware"})
    order = ["start_pos_connect(", "user_code", "poll_pos_connect(", "get_onboarding_status("]
    positions = [text.index(marker) for marker in order[:3]]
    assert positions == sorted(positions) and "`interval`" in text and order[3] in text
    assert "create_organization(name='Alder Street Hardware', kind='retailer')" in text
    assert "Manual route" in text and "create_in_store_offer(" in text
    assert "Never show `device_code`" in text


async def test_every_tool_a_prompt_calls_exists(client: Client) -> None:
    """Passes once the brand and demand tools (built in parallel) are registered."""
    tools = {tool.name for tool in (await client.list_tools()).tools}
    for name, arguments in SKILLS.items():
        mentioned = set(TOOL_CALL.findall(await render(client, name, arguments)))
        assert mentioned, name
        assert mentioned <= tools, (name, sorted(mentioned - tools))


# --- resources --------------------------------------------------------------------------------------------------


async def test_the_resource_templates_and_docs_are_listed(client: Client) -> None:
    templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert templates == {
        "localshelf://organizations/{organization_id}",
        "localshelf://locations/{location_id}",
        "localshelf://offers/{offer_id}",
        "localshelf://integrations/{integration_id}",
        "localshelf://sync-jobs/{job_id}",
        "localshelf://brands/{brand}/footprint",
    }
    static = {str(r.uri) for r in (await client.list_resources()).resources}
    assert {
        "localshelf://docs/ranking",
        "localshelf://docs/confidence-levels",
        "localshelf://docs/providers",
        "localshelf://docs/error-codes",
    } <= static


async def test_every_template_reads_a_real_object_as_its_tool_shows_it(client: Client, database: Database) -> None:
    org = await new_retailer(client)
    store = await new_store(client, org, "Alder Hardware – Sellwood", SELLWOOD)
    await new_product(client, "DeWalt 20V Cordless Drill", gtin=DRILL_UPC, brand="DeWalt")
    offer = await new_offer(client, org, store, gtin=DRILL_UPC)
    integration = add_integration(database, org, "connected")
    job = add_job(database, integration, "failed")

    assert await read_json(client, f"localshelf://organizations/{org}") == await call(
        client, "get_organization", organization_id=org
    )
    location = await read_json(client, f"localshelf://locations/{store}")
    assert location["id"] == store and location["organization_id"] == org
    assert (location["latitude"], location["longitude"]) == pytest.approx(SELLWOOD)
    listed = await call(client, "list_in_store_offers", organization_id=org)
    assert await read_json(client, f"localshelf://offers/{offer['id']}") == listed["offers"][0]
    assert await read_json(client, f"localshelf://integrations/{integration}") == await call(
        client, "get_integration", integration_id=integration
    )
    assert await read_json(client, f"localshelf://sync-jobs/{job}") == await call(client, "get_sync_job", job_id=job)
    footprint = await read_json(client, "localshelf://brands/DeWalt/footprint")
    assert footprint == await call(client, "brand_retail_footprint", brand="DeWalt")
    assert footprint["totals"]["store_count"] == 1


async def test_a_missing_id_is_not_found(client: Client) -> None:
    with pytest.raises(MCPError) as refused:
        await client.read_resource("localshelf://locations/loc_7k3m9x2p4q8r")
    assert str(refused.value.error.message).startswith("not_found: ")


async def test_an_outsider_reading_another_tenants_resources_gets_an_error_not_data(database: Database) -> None:
    theirs = operator_organization(database, "Rival Hardware")
    mine = operator_organization(database, "Alder Hardware")
    integration = add_integration(database, theirs, "connected")
    job = add_job(database, integration, "failed")
    async with acting_as(database, theirs, Role.OWNER) as owner:
        store = await new_store(owner, theirs, "Rival – Sellwood", SELLWOOD)
        assert (await read_json(owner, f"localshelf://locations/{store}"))["id"] == store
    uris = [
        f"localshelf://organizations/{theirs}",
        f"localshelf://locations/{store}",
        f"localshelf://integrations/{integration}",
        f"localshelf://sync-jobs/{job}",
    ]
    async with acting_as(database, mine, Role.OWNER) as outsider:
        assert (await read_json(outsider, f"localshelf://organizations/{mine}"))["id"] == mine
        for uri in uris:
            with pytest.raises(MCPError) as refused:
                await outsider.read_resource(uri)
            message = str(refused.value.error.message)
            assert message.startswith("not_found: ") and "Rival" not in message, (uri, message)


async def test_the_confidence_and_provider_docs_come_from_the_code(client: Client) -> None:
    levels = await read_json(client, "localshelf://docs/confidence-levels")
    assert [level["level"] for level in levels["levels"]] == [c.value for c in Confidence]
    assert levels["levels"][0]["meaning"] == "last inventory sync at most 1 h ago"
    assert [level["freshness_score"] for level in levels["levels"]] == [1.0, 0.7, 0.3, 0.0]
    providers = await read_json(client, "localshelf://docs/providers")
    assert [row["provider"] for row in providers] == list(CONNECTORS)
    shopify = providers[0]
    assert shopify["account_up_front"] is True and "products/update" in shopify["webhooks"]["topics"]
    assert {row["provider"]: row["webhooks"]["delivery"].startswith("one app-wide") for row in providers} == {
        "shopify": False,
        "square": True,
        "clover": True,
        "lightspeed": False,
    }
