"""Assemble the MCP server: tools, resources, prompts, lifespan and the error boundary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult
from starlette.applications import Starlette

from localshelf import __version__
from localshelf.config import Settings
from localshelf.domain.auth import OPERATOR, Principal
from localshelf.domain.errors import ErrorCode
from localshelf.domain.throttle import Rate
from localshelf.server.auth import caller_principal, http_auth
from localshelf.server.completions import register_completions
from localshelf.server.connect_pages import register_connect_pages
from localshelf.server.errors import error_result, quoted, tool_failure
from localshelf.server.guard import guarded
from localshelf.server.health import register_health_routes
from localshelf.server.logs import RequestIdMiddleware
from localshelf.server.metrics import Metrics
from localshelf.server.routes import HttpGate, register_routes
from localshelf.server.state import AppState, lifespan_for, utcnow
from localshelf.server.webhook_routes import register_webhook_routes
from localshelf.server.worker import Nudge
from localshelf.services.demand_recorder import DemandRecorder
from localshelf.services.pos_flows import PosContext
from localshelf.services.pos_gateway import HttpFactory, default_http
from localshelf.store.db import Database
from localshelf.store.throttle import Throttle, throttle_for

INSTRUCTIONS = """\
localshelf answers "who has this in stock near me?" from retailers' live store inventory.
Shoppers: search_local_products (words) or check_product_availability (a barcode/GTIN) with the
shopper's latitude/longitude. Retailers: create_organization, then get_onboarding_status and do what
blockers[0].next_step says (POS connect, stores, mapping, first sync, or manual offers) until discoverable;
the onboard-retailer prompt walks through it. Distances are km; prices are integer minor units (cents). Errors start with a stable code.
"""


class LocalshelfServer(MCPServer[AppState]):
    """MCPServer whose tool failures all pass through `tool_failure`, and which refuses unknown arguments."""

    _arguments_of: dict[str, frozenset[str]] | None = None
    # Who calls act as when no credential came with the request: the operator on stdio and
    # in-process; None over HTTP, where the SDK's bearer middleware admits only verified callers.
    local_principal: Principal | None = OPERATOR
    # Search impressions and demand counted in memory by this server's calls (build_server sets it).
    demand_recorder: DemandRecorder
    metrics: Metrics

    def streamable_http_app(self, *args: Any, **kwargs: Any) -> Starlette:
        """The SDK's app, with a request id on every HTTP request (server/logs.py)."""
        app = super().streamable_http_app(*args, **kwargs)
        app.add_middleware(RequestIdMiddleware)
        return app

    async def _unknown_arguments(self, name: str, arguments: dict[str, Any]) -> list[str]:
        if self._arguments_of is None:
            self._arguments_of = {
                tool.name: frozenset(tool.input_schema.get("properties", {})) for tool in await self.list_tools()
            }
        known = self._arguments_of.get(name)
        return [] if known is None else sorted(set(arguments) - known)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> Any:
        unknown = await self._unknown_arguments(name, arguments)
        if unknown:
            # A misspelt argument ("radius") silently ignored would answer a different question.
            expected = ", ".join(sorted(self._arguments_of[name])) if self._arguments_of else ""
            return error_result(
                ErrorCode.INVALID_ARGUMENT,
                f"Unknown argument(s) {quoted(unknown)} for {name}; expected: {expected}.",
            )
        principal = caller_principal(self.local_principal)
        if principal is None:
            return error_result(ErrorCode.FORBIDDEN, "This call carried no credential.")
        state = _state_of(context)
        if state is None:
            return await self._run(name, arguments, context)
        return await guarded(name, arguments, principal, state, lambda: self._run(name, arguments, context))

    async def _run(self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except MCPError:
            raise
        except ToolError as exc:
            return tool_failure(name, exc)


def _state_of(context: Context[AppState, Any] | None) -> AppState | None:
    if context is None:
        return None
    try:
        state = context.request_context.lifespan_context
    except (AttributeError, LookupError, ValueError):
        return None
    return state if isinstance(state, AppState) else None


def build_server(
    settings: Settings | None = None,
    database: Database | None = None,
    clock: Callable[[], datetime] = utcnow,
    pos_http: HttpFactory = default_http,
) -> LocalshelfServer:
    """`database` lets a caller (tests, the demo loader) share an engine it owns; `pos_http` makes the
    HTTP clients that reach POS providers (tests point them at the provider fakes).

    With `settings.transport == "http"` every request must carry an API key or OAuth token
    (`database` is then required: the verifier looks credentials up in it).
    """
    from localshelf.prompts import register_prompts
    from localshelf.resources import register_resources
    from localshelf.tools import tool_definitions

    settings = settings or Settings()
    auth: dict[str, Any] = {}
    throttle: Throttle | None = None
    if settings.transport == "http":
        if database is None:
            raise ValueError("the HTTP transport needs the database up front, to verify credentials")
        verifier, auth_settings = http_auth(settings, database)
        auth = {"token_verifier": verifier, "auth": auth_settings}
        throttle = throttle_for(database.engine, Rate(settings.rate_limit_per_minute))
    nudge = Nudge()
    demand = DemandRecorder()
    metrics = Metrics()
    server = LocalshelfServer(
        name="localshelf",
        title="localshelf — local inventory search",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan_for(settings, database, clock, throttle, pos_http, nudge, demand, metrics),
        tools=list(tool_definitions()),
        log_level=settings.log_level,
        **auth,
    )
    server.demand_recorder, server.metrics = demand, metrics
    if auth and throttle is not None and database is not None:
        server.local_principal = None
        register_routes(server, HttpGate(verifier, throttle, settings.public_url, metrics.throttle), database)
        register_connect_pages(server, PosContext(database, settings, clock, pos_http), nudge)
        register_webhook_routes(server, settings, database, nudge, metrics)
        register_health_routes(server, settings, database, metrics)
    register_resources(server)
    register_prompts(server)
    register_completions(server)
    return server


__all__ = ["CallToolResult", "LocalshelfServer", "build_server"]
