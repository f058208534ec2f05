"""Resource templates for single records: the same service functions and tenant checks as the tools.

A read runs as the calling principal (the API key or OAuth user of the request; the operator on stdio), within
the caller's rate, in one read-only unit. A refusal (`not_found` for another tenant's id) is an MCP error whose
message starts with the same stable code a tool would return.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, INVALID_REQUEST
from pydantic import BaseModel

from localshelf.domain.errors import ErrorCode, LocalshelfError
from localshelf.server.auth import caller_principal
from localshelf.server.state import AppState, app_state, current_actor
from localshelf.services import brands, connect, organizations, records, sync_jobs

JSON = "application/json"


async def read_as_caller(ctx: Context[AppState, Any], fn: Callable[..., BaseModel], *args: Any) -> str:
    """`fn(uow, *args)` as the caller, rendered as JSON; a refusal becomes `<code>: <message>`."""
    principal = caller_principal(getattr(ctx.mcp_server, "local_principal", None))
    if principal is None:
        raise MCPError(code=INVALID_REQUEST, message=f"{ErrorCode.FORBIDDEN.value}: This read carried no credential.")
    state = app_state(ctx)
    if not principal.is_operator and state.throttle is not None:
        decision = await state.acquire(principal.throttle_key)
        if not decision.allowed:
            raise MCPError(
                code=INVALID_REQUEST,
                message=f"{ErrorCode.RATE_LIMITED.value}: Too many calls; retry in {decision.retry_after_seconds} s.",
            )
    token = current_actor.set(principal)
    try:
        view = await state.read(fn, *args)
    except LocalshelfError as exc:
        raise MCPError(code=INVALID_PARAMS, message=f"{exc.code.value}: {exc.message}") from None
    finally:
        current_actor.reset(token)
    return view.model_dump_json()


def bounded(value: str, limit: int = 64) -> str:
    """A URI parameter as the matching tool argument would accept it (ids up to 64 characters, names 200)."""
    stripped = value.strip()
    if not stripped or len(stripped) > limit:
        raise MCPError(
            code=INVALID_PARAMS,
            message=f"{ErrorCode.INVALID_ARGUMENT.value}: expected 1 to {limit} characters, got {len(stripped)}.",
        )
    return stripped


def register(server: MCPServer[AppState]) -> None:
    @server.resource("localshelf://organizations/{organization_id}", mime_type=JSON, title="Organization")
    async def organization(organization_id: str, ctx: Context[AppState, Any]) -> str:
        """An organization you belong to (as get_organization returns it)."""
        return await read_as_caller(ctx, organizations.get_organization, bounded(organization_id))

    @server.resource("localshelf://locations/{location_id}", mime_type=JSON, title="Store location")
    async def location(location_id: str, ctx: Context[AppState, Any]) -> str:
        """One of your organization's store locations: address, coordinates, hours, published or not."""
        return await read_as_caller(ctx, records.get_location, bounded(location_id))

    @server.resource("localshelf://offers/{offer_id}", mime_type=JSON, title="In-store offer")
    async def offer(offer_id: str, ctx: Context[AppState, Any]) -> str:
        """One of your organization's offers: price (minor units), stock, status, freshness (confidence)."""
        return await read_as_caller(ctx, records.get_offer, bounded(offer_id), app_state(ctx).clock())

    @server.resource("localshelf://integrations/{integration_id}", mime_type=JSON, title="POS integration")
    async def integration(integration_id: str, ctx: Context[AppState, Any]) -> str:
        """One of your POS integrations (as get_integration returns it)."""
        return await read_as_caller(ctx, connect.get_integration, bounded(integration_id))

    @server.resource("localshelf://sync-jobs/{job_id}", mime_type=JSON, title="Sync job")
    async def sync_job(job_id: str, ctx: Context[AppState, Any]) -> str:
        """One sync job: state, phase, counters, error (as get_sync_job returns it)."""
        return await read_as_caller(ctx, sync_jobs.get_sync_job, bounded(job_id))

    @server.resource("localshelf://brands/{brand}/footprint", mime_type=JSON, title="Brand retail footprint")
    async def brand_footprint(brand: str, ctx: Context[AppState, Any]) -> str:
        """Which retailers carry a brand, grouped by retailer (brand_retail_footprint with its defaults)."""
        now = app_state(ctx).clock()
        return await read_as_caller(
            ctx, brands.brand_retail_footprint, bounded(brand, 200), None, None, None, "retailer", 50, now
        )
