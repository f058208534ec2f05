"""MCP tools, one module per group; each module's `register(server)` adds its tools.

Tools are thin: validate arguments (types in `localshelf.tools.types`), call one
service function inside one unit of work, return a pydantic model.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from localshelf.server.state import AppState
from localshelf.tools import access, integrations, locations, offers, organizations, products, search, sync

GROUPS = (organizations, locations, products, offers, search, access, integrations, sync)


def register_tools(server: MCPServer[AppState]) -> None:
    for group in GROUPS:
        group.register(server)
    for tool in server._tool_manager.list_tools():  # the SDK exposes registered tools only here
        lift_optional_descriptions(tool.parameters)


def lift_optional_descriptions(schema: dict[str, Any]) -> None:
    """Put an optional argument's description on the property itself, where every client reads it.

    pydantic renders `Annotated[T, Field(description=...)] | None` as `anyOf: [{T, description}, null]`.
    """
    for prop in schema.get("properties", {}).values():
        if "description" in prop:
            continue
        described = [branch for branch in prop.get("anyOf", []) if "description" in branch]
        if len(described) == 1:
            prop["description"] = described[0].pop("description")
