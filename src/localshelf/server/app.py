"""Assemble the MCP server: tools, resources, prompts, lifespan and the error boundary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult

from localshelf import __version__
from localshelf.config import Settings
from localshelf.domain.errors import ErrorCode
from localshelf.server.errors import error_result, tool_failure
from localshelf.server.state import AppState, lifespan_for, utcnow
from localshelf.store.db import Database

INSTRUCTIONS = """\
localshelf answers "who has this in stock near me?" from retailers' live store inventory.
Shoppers: search_local_products (words) or check_product_availability (a barcode/GTIN) with the
shopper's latitude/longitude. Retailers: create_organization, publish_location (real coordinates),
register_product, create_in_store_offer, then confirm with search_local_products at the store's
coordinates. Distances are km; prices are integer minor units (cents). Errors start with a stable code.
"""


class LocalshelfServer(MCPServer[AppState]):
    """MCPServer whose tool failures all pass through `tool_failure`, and which refuses unknown arguments."""

    _arguments_of: dict[str, frozenset[str]] | None = None

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
                f"Unknown argument(s) {', '.join(unknown)} for {name}; expected: {expected}.",
            )
        try:
            return await super().call_tool(name, arguments, context)
        except MCPError:
            raise
        except ToolError as exc:
            return tool_failure(name, exc)


def build_server(
    settings: Settings | None = None,
    database: Database | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> LocalshelfServer:
    """`database` lets a caller (tests, the demo loader) share an engine it owns."""
    from localshelf.prompts import register_prompts
    from localshelf.resources import register_resources
    from localshelf.tools import register_tools

    settings = settings or Settings()
    server = LocalshelfServer(
        name="localshelf",
        title="localshelf — local inventory search",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan_for(settings, database, clock),
        log_level=settings.log_level,
    )
    register_tools(server)
    register_resources(server)
    register_prompts(server)
    return server


__all__ = ["CallToolResult", "LocalshelfServer", "build_server"]
