"""Tools: organizations."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from localshelf.server.state import AppState, app_state
from localshelf.services import organizations
from localshelf.services.views import OrganizationKind, OrganizationView
from localshelf.tools import hints
from localshelf.tools.types import OrganizationId, Text200, WebUrl


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.creates("Create organization"))
    async def create_organization(
        name: Annotated[Text200, Field(description="Trading name.", examples=["Alder Street Hardware"])],
        ctx: Context[AppState, Any],
        kind: Annotated[
            OrganizationKind,
            Field(description="'retailer' (has stores and offers) or 'brand' (owns products)."),
        ] = "retailer",
        website: Annotated[WebUrl | None, Field(description="Public website, an http(s) URL.")] = None,
    ) -> OrganizationView:
        """Create a retailer or brand organization: the first step of onboarding. Returns its id (org_...).
        Next: get_onboarding_status, which names each following step."""
        return await app_state(ctx).run(organizations.create_organization, name, kind, website)

    @server.tool(annotations=hints.read_only("Get organization"))
    async def get_organization(organization_id: OrganizationId, ctx: Context[AppState, Any]) -> OrganizationView:
        """Fetch an organization with its number of locations and how many are published.
        For what still keeps it out of search, call get_onboarding_status."""
        return await app_state(ctx).read(organizations.get_organization, organization_id)
