"""Organizations: retailers and brands, their ids, and their location counts."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from mcp import Client

from localshelf.store.db import Database
from tests.builders import SELLWOOD, new_store, store_fields
from tests.conftest import call, call_error, row_counts

pytestmark = pytest.mark.anyio

PUBLIC_ID = re.compile(r"^org_[0-9a-hjkmnp-tv-z]{12}$")
NORTH_OF_SELLWOOD = (45.4790, SELLWOOD[1])


async def counts(client: Client, organization_id: str) -> tuple[int, int]:
    org = await call(client, "get_organization", organization_id=organization_id)
    return org["location_count"], org["published_location_count"]


async def test_a_retailer_is_created_with_its_name_website_and_no_locations(client: Client) -> None:
    org = await call(
        client, "create_organization", name="Alder Street Hardware", kind="retailer", website="https://alder.example"
    )

    assert org["name"] == "Alder Street Hardware"
    assert org["kind"] == "retailer"
    assert org["website"] == "https://alder.example"
    assert (org["location_count"], org["published_location_count"]) == (0, 0)
    datetime.fromisoformat(org["created_at"])
    assert await call(client, "get_organization", organization_id=org["id"]) == org


async def test_an_organization_is_a_retailer_unless_told_otherwise(client: Client) -> None:
    org = await call(client, "create_organization", name="Corner Shop")

    assert org["kind"] == "retailer"
    assert org["website"] is None


async def test_a_brand_is_created_and_fetched_as_a_brand(client: Client) -> None:
    brand = await call(client, "create_organization", name="DeWalt", kind="brand")

    fetched = await call(client, "get_organization", organization_id=brand["id"])
    assert fetched["kind"] == "brand"
    assert fetched["name"] == "DeWalt"
    assert (fetched["location_count"], fetched["published_location_count"]) == (0, 0)


async def test_organization_ids_are_org_and_twelve_random_characters_not_a_sequence(client: Client) -> None:
    ids = [(await call(client, "create_organization", name=f"Shop {n}"))["id"] for n in range(10)]

    assert all(PUBLIC_ID.fullmatch(org_id) for org_id in ids), ids
    assert len(set(ids)) == len(ids)
    # Sequential ids would sort in creation order and share leading characters.
    assert ids != sorted(ids)
    assert len({org_id[4] for org_id in ids}) > 1


async def test_get_organization_counts_locations_and_follows_unpublish_and_republish(client: Client) -> None:
    org = await call(client, "create_organization", name="Alder Street Hardware")
    first = await new_store(client, org["id"], "Alder Sellwood", SELLWOOD)
    await new_store(client, org["id"], "Alder Woodstock", NORTH_OF_SELLWOOD)
    assert await counts(client, org["id"]) == (2, 2)

    await call(client, "unpublish_location", location_id=first)
    assert await counts(client, org["id"]) == (2, 1)

    await call(client, "republish_location", location_id=first)
    assert await counts(client, org["id"]) == (2, 2)


async def test_location_counts_are_per_organization(client: Client) -> None:
    alder = await call(client, "create_organization", name="Alder Street Hardware")
    birch = await call(client, "create_organization", name="Birch Books")
    await new_store(client, alder["id"], "Alder Sellwood", SELLWOOD)
    await new_store(client, alder["id"], "Alder Woodstock", NORTH_OF_SELLWOOD)
    await new_store(client, birch["id"], "Birch Sellwood", SELLWOOD)

    assert await counts(client, alder["id"]) == (2, 2)
    assert await counts(client, birch["id"]) == (1, 1)


async def test_a_brand_cannot_publish_a_store_location(client: Client, database: Database) -> None:
    brand = await call(client, "create_organization", name="DeWalt", kind="brand")
    before = row_counts(database)

    code, message = await call_error(
        client, "publish_location", organization_id=brand["id"], **store_fields("DeWalt Outlet", SELLWOOD)
    )

    assert code == "wrong_organization_kind"
    assert "brand" in message
    assert row_counts(database) == before
    assert await counts(client, brand["id"]) == (0, 0)


@pytest.mark.parametrize("website", ["javascript:alert(1)", "data:text/html,<script>x</script>", "alder.example"])
async def test_a_website_that_is_not_an_http_url_is_refused_and_nothing_is_written(
    client: Client, database: Database, website: str
) -> None:
    before = row_counts(database)
    code, message = await call_error(client, "create_organization", name="Alder Street Hardware", website=website)
    assert code == "invalid_argument" and "website" in message
    assert row_counts(database) == before
