"""Tools: is a retailer discoverable in local search yet, and what is the next step if not."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from localshelf.server.state import AppState, app_state
from localshelf.services import readiness
from localshelf.services.readiness import OnboardingStatus
from localshelf.tools import hints
from localshelf.tools.types import OrganizationId


def register(server: MCPServer[AppState]) -> None:
    @server.tool(annotations=hints.read_only("Get onboarding status"))
    async def get_onboarding_status(organization_id: OrganizationId, ctx: Context[AppState, Any]) -> OnboardingStatus:
        """Whether a retailer is discoverable in local search now, every check behind it, and what blocks it.

        Use it right after create_organization and after each onboarding step. Do exactly what
        blockers[0].next_step says (a value in <angle brackets> is what to ask the retailer; show `handoff` to
        the person; wait `wait_seconds` first), then call this again until discoverable is true. A retailer
        without a POS takes blockers[0].alternative (manual offers). Warnings do not block search.
        """
        state = app_state(ctx)
        return await state.read(
            readiness.get_onboarding_status, organization_id, state.clock(), state.settings.web_base_url
        )
