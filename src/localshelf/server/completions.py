"""`completion/complete` for id arguments (`organization_id`, `location_id`, `integration_id`) of resource
templates and prompts: ids of the caller's own organizations only, within the caller's rate.

Registered on the low-level server because the SDK's `@completion()` decorator hands the handler no request
context, and the ids must be read as the caller through the lifespan's database.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp_types import CompleteRequestParams, CompleteResult, Completion

from localshelf.domain.auth import Principal
from localshelf.server.auth import caller_principal
from localshelf.server.state import AppState, current_actor
from localshelf.services.completions import COMPLETION_LIMIT, IdKind, own_ids

ID_ARGUMENTS: dict[str, IdKind] = {
    "organization_id": "organization",
    "location_id": "location",
    "integration_id": "integration",
}
NOTHING = CompleteResult(completion=Completion(values=[]))


async def _permitted(state: AppState, principal: Principal) -> bool:
    if principal.is_operator or state.throttle is None:
        return True
    return (await state.acquire(principal.throttle_key)).allowed


def register_completions(server: MCPServer[AppState]) -> None:
    async def complete(ctx: ServerRequestContext[AppState, Any], params: CompleteRequestParams) -> CompleteResult:
        kind = ID_ARGUMENTS.get(params.argument.name)
        # Read per call: transports.run may replace it after the server is built (LOCALSHELF_STDIO_API_KEY).
        principal = caller_principal(getattr(server, "local_principal", None))
        state = ctx.lifespan_context
        if kind is None or principal is None or not isinstance(state, AppState):
            return NOTHING
        if not await _permitted(state, principal):
            return NOTHING
        token = current_actor.set(principal)
        try:
            ids = await state.read(own_ids, kind, params.argument.value.strip()[:64])
        finally:
            current_actor.reset(token)
        return CompleteResult(completion=Completion(values=ids, has_more=len(ids) == COMPLETION_LIMIT))

    server._lowlevel_server.add_request_handler("completion/complete", CompleteRequestParams, complete)
