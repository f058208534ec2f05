"""Id completions (`completion/complete`) offer only the caller's own organizations, stores and integrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client
from mcp_types import PromptReference, ResourceTemplateReference

from localshelf.store.db import Database
from tests.builders import SELLWOOD, http_session, new_retailer, new_store, operator_key
from tests.integration.test_transports import running_http_server

pytestmark = pytest.mark.anyio

LOCATION = ResourceTemplateReference(uri="localshelf://locations/{location_id}")
ONBOARD = PromptReference(name="onboard-retailer")


async def test_completions_offer_only_the_callers_own_ids(client: Client, database: Database, tmp_path: Path) -> None:
    own = await new_retailer(client, "Own Hardware")
    other = await new_retailer(client, "Other Hardware")
    own_store = await new_store(client, own, "Own Hardware – Sellwood", SELLWOOD)
    await new_store(client, other, "Other Hardware – Sellwood", SELLWOOD)
    key = operator_key(database, own)
    with running_http_server(database, tmp_path / "server.log") as url:
        async with http_session(url, key) as caller:
            stores = await caller.complete(LOCATION, {"name": "location_id", "value": "loc_"})
            organizations = await caller.complete(ONBOARD, {"name": "organization_id", "value": ""})
            unrelated = await caller.complete(ONBOARD, {"name": "retailer_name", "value": "O"})
    assert stores.completion.values == [own_store]
    assert organizations.completion.values == [own]
    assert unrelated.completion.values == []


async def test_the_local_operator_completes_by_prefix_across_organizations(client: Client) -> None:
    first = await new_retailer(client, "First Hardware")
    second = await new_retailer(client, "Second Hardware")
    everyone = await client.complete(ONBOARD, {"name": "organization_id", "value": "org_"})
    assert sorted(everyone.completion.values) == sorted([first, second])
    narrowed = await client.complete(ONBOARD, {"name": "organization_id", "value": first[:-1]})
    assert first in narrowed.completion.values
    wildcard = await client.complete(ONBOARD, {"name": "organization_id", "value": "org_%"})
    assert wildcard.completion.values == []  # a LIKE wildcard in the prefix is a literal character
