"""Tools: POS integrations and the headless connect (RFC 8628 device flow)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel, Field

from localshelf.domain.errors import ErrorCode, Unavailable
from localshelf.pos.registry import CONNECTORS
from localshelf.server.state import AppState, app_state
from localshelf.services import connect, pos_gateway, pos_locations
from localshelf.services.connect import ConnectPoll, ConnectStarted, IntegrationView, Provider
from localshelf.services.pos_locations import LocationMapping, PosLocationList
from localshelf.tools import hints
from localshelf.tools.types import OrganizationId, Text255, _id_of

IntegrationId = Annotated[
    str, Field(description="Integration id.", max_length=64, examples=["int_7k3m9x2p4q8r"]), _id_of("integration")
]


class IntegrationList(BaseModel):
    integrations: list[IntegrationView]


def _connectable(state: AppState, provider: str) -> frozenset[str]:
    """The providers this server can connect; refuses clearly when `provider` is not one of them."""
    settings = state.settings
    if not settings.encryption_keys:
        raise Unavailable(
            "POS connect is not configured on this server: it needs LOCALSHELF_ENCRYPTION_KEYS (to keep POS tokens "
            "encrypted) and the provider's app credentials.",
            ErrorCode.UNAVAILABLE,
        )
    pos_gateway.require_app(settings, provider)
    return frozenset(name for name in CONNECTORS if pos_gateway.app_for(settings, name) is not None)


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.creates("Start POS connect"))
    async def start_pos_connect(
        organization_id: OrganizationId,
        provider: Annotated[Provider, Field(description="The POS system: shopify, square, clover or lightspeed.")],
        ctx: Context[AppState, Any],
        account: Annotated[
            Text255 | None,
            Field(
                description="Shopify: the shop domain (required). Lightspeed: the store's domain prefix (optional). "
                "Square and Clover: leave out; the merchant is known after consent.",
                examples=["alder-hardware.myshopify.com"],
            ),
        ] = None,
    ) -> ConnectStarted:
        """Connect a retailer's POS without a browser session of your own (OAuth device flow, RFC 8628).

        Show the person user_code and verification_uri (or the verification_uri_complete link); they approve on
        any device. Then call poll_pos_connect(device_code) every `interval` seconds until it says connected.
        """
        state = app_state(ctx)
        available = _connectable(state, provider)
        return await state.run(
            connect.start_pos_connect,
            organization_id,
            provider,
            account,
            state.clock(),
            state.settings.web_base_url,
            available,
        )

    @server.tool(annotations=hints.creates("Poll POS connect"))
    async def poll_pos_connect(
        device_code: Annotated[
            str,
            Field(
                description="device_code from start_pos_connect.",
                max_length=128,
                examples=["GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"],
            ),
        ],
        ctx: Context[AppState, Any],
    ) -> ConnectPoll:
        """Check a headless connect: authorization_pending, slow_down (wait `interval`), access_denied,
        expired_token, or connected (with the integration). The device code works once after success."""
        state = app_state(ctx)
        return await state.run(connect.poll_pos_connect, device_code, state.clock())

    @server.tool(annotations=hints.read_only("List integrations"))
    async def list_integrations(organization_id: OrganizationId, ctx: Context[AppState, Any]) -> IntegrationList:
        """An organization's POS integrations with their status. Use it to find an integration_id."""
        found = await app_state(ctx).read(connect.list_integrations, organization_id)
        return IntegrationList(integrations=found)

    @server.tool(annotations=hints.read_only("Get integration"))
    async def get_integration(integration_id: IntegrationId, ctx: Context[AppState, Any]) -> IntegrationView:
        """One POS integration: provider, account, status, granted scopes, connect and last-sync times."""
        return await app_state(ctx).read(connect.get_integration, integration_id)

    @server.tool(annotations=hints.creates("List POS locations", idempotent=True))
    async def list_pos_locations(
        integration_id: IntegrationId,
        ctx: Context[AppState, Any],
        refresh: Annotated[
            bool, Field(description="Read the current list from the POS first (when connected).")
        ] = True,
    ) -> PosLocationList:
        """The POS's store locations, each with the localshelf location it is mapped to or a suggested match.

        Stock of an unmapped POS location is kept but not searchable: map every location with map_pos_locations.
        """
        state = app_state(ctx)
        connected = await state.read(connect.connected_account, integration_id) if refresh else None
        account = (
            await pos_gateway.live_account(state.database, state.settings, connected, state.http) if connected else None
        )
        if account is not None:
            seen = await pos_gateway.fetch_locations(state.settings, account, state.http)
            await state.run(pos_locations.store_pos_locations, integration_id, seen, state.clock())
        return await state.read(pos_locations.list_pos_locations, integration_id, account is not None)

    @server.tool(annotations=hints.changes("Map POS locations"))
    async def map_pos_locations(
        integration_id: IntegrationId,
        mapping: Annotated[
            list[LocationMapping],
            Field(
                max_length=500,
                description="Pairs of POS location id and localshelf location id (null unmaps).",
                examples=[[{"pos_location_id": "gid://shopify/Location/1", "location_id": "loc_7k3m9x2p4q8r"}]],
            ),
        ],
        ctx: Context[AppState, Any],
    ) -> PosLocationList:
        """Say which localshelf store each POS location is; its stock then shows at that store.
        Next: trigger_sync (or wait for the initial sync), then get_onboarding_status."""
        state = app_state(ctx)
        return await state.run(pos_locations.map_pos_locations, integration_id, mapping, state.clock())

    @server.tool(annotations=hints.changes("Disconnect integration"))
    async def disconnect_integration(integration_id: IntegrationId, ctx: Context[AppState, Any]) -> IntegrationView:
        """Stop updates from a POS. Offers and data are kept; the stored POS token is deleted."""
        state = app_state(ctx)
        return await state.run(connect.disconnect_integration, integration_id, state.clock())
