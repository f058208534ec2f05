"""Resource reads over streamable HTTP act as the request's API key: a real `localshelf serve --transport http`
process, one tenant's key reading its own records and another tenant's."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError
from mcp.types import TextResourceContents

from localshelf.domain.auth import Role
from localshelf.services import locations
from localshelf.services.locations import LocationFields
from localshelf.store.db import Database
from tests.builders import SELLWOOD, http_session, operator_key, operator_organization
from tests.integration.test_transports import running_http_server

pytestmark = pytest.mark.anyio


def store_of(database: Database, organization_id: str) -> str:
    fields = LocationFields(
        name="Sellwood",
        address_line1="8001 SE 13th Ave",
        city="Portland",
        country="US",
        latitude=SELLWOOD[0],
        longitude=SELLWOOD[1],
    )
    return database.transaction(locations.publish_location, organization_id, fields).id


async def test_a_key_reads_its_own_records_and_not_another_tenants(database: Database, tmp_path: Path) -> None:
    mine, theirs = operator_organization(database, "Alder Hardware"), operator_organization(database, "Rival")
    my_store, their_store = store_of(database, mine), store_of(database, theirs)
    key = operator_key(database, mine, Role.STAFF)
    with running_http_server(database, tmp_path / "server.log") as url:
        async with http_session(url, key) as client:
            own = await client.read_resource(f"localshelf://locations/{my_store}")
            (content,) = own.contents
            assert isinstance(content, TextResourceContents) and my_store in content.text
            for uri in (f"localshelf://locations/{their_store}", f"localshelf://organizations/{theirs}"):
                with pytest.raises(MCPError) as refused:
                    await client.read_resource(uri)
                assert str(refused.value.error.message).startswith("not_found: "), uri
