"""Tools: API keys, members and the audit log (owners only)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from localshelf.domain.auth import Role, Scope
from localshelf.server.state import AppState, app_state
from localshelf.services import audit, keys, members
from localshelf.services.audit import AuditPage
from localshelf.services.keys import ApiKeyList, ApiKeyView, CreatedApiKey
from localshelf.services.members import MemberView
from localshelf.tools import hints
from localshelf.tools.types import OrganizationId, Text100, Text200, Text255, _id_of

KeyId = Annotated[
    str, Field(description="API key id.", max_length=64, examples=["key_7k3m9x2p4q8r"]), _id_of("api_key")
]
RoleArg = Annotated[Role, Field(description="'owner', 'manager' (may change data) or 'staff' (read only).")]


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.creates("Create API key"))
    async def create_api_key(
        organization_id: OrganizationId,
        name: Annotated[Text100, Field(description="What the key is for.", examples=["Shopify sync worker"])],
        role: RoleArg,
        scopes: Annotated[
            list[Scope],
            Field(max_length=len(Scope), description="Kinds of change the key may make.", examples=[["offers:write"]]),
        ],
        ctx: Context[AppState, Any],
        expires_in_days: Annotated[
            int | None,
            Field(ge=1, le=3650, description="Days until the key stops working; omit for none.", examples=[90]),
        ] = None,
    ) -> CreatedApiKey:
        """Create an API key for one organization (owners only). The key is shown once: store it now.

        A key can grant no scope and no role beyond its creator's.
        """
        state = app_state(ctx)
        return await state.run(
            keys.create_api_key, organization_id, role, list(scopes), name, expires_in_days, state.clock()
        )

    @server.tool(annotations=hints.read_only("List API keys"))
    async def list_api_keys(organization_id: OrganizationId, ctx: Context[AppState, Any]) -> ApiKeyList:
        """List an organization's API keys by prefix, with role, scopes, expiry, revocation and last use."""
        return await app_state(ctx).read(keys.list_api_keys, organization_id)

    @server.tool(annotations=hints.changes("Revoke API key"))
    async def revoke_api_key(key_id: KeyId, ctx: Context[AppState, Any]) -> ApiKeyView:
        """Revoke an API key at once (owners only); calls with it fail from now on."""
        state = app_state(ctx)
        return await state.run(keys.revoke_api_key, key_id, state.clock())

    @server.tool(annotations=hints.changes("Add or change a member"))
    async def add_member(
        organization_id: OrganizationId,
        subject: Annotated[
            Text255,
            Field(
                description="The person's OAuth subject (`sub`) at the sign-in provider.",
                examples=["auth0|5f7c8ec7c33c6c004bbafe82"],
            ),
        ],
        role: RoleArg,
        ctx: Context[AppState, Any],
    ) -> MemberView:
        """Give a person a role in the organization, or change their role (owners only)."""
        return await app_state(ctx).run(members.add_member, organization_id, subject, role)

    @server.tool(annotations=hints.read_only("List audit entries"))
    async def list_audit_entries(
        organization_id: OrganizationId,
        ctx: Context[AppState, Any],
        cursor: Annotated[Text200 | None, Field(description="next_cursor from the previous page.")] = None,
        limit: Annotated[int, Field(ge=1, le=200, description="Entries per page.")] = 50,
    ) -> AuditPage:
        """Who changed what in this organization and how it ended, newest first (owners only)."""
        return await app_state(ctx).read(audit.list_audit_entries, organization_id, cursor, limit)
