"""MCP tools, one module per group; each module's `register(server)` adds its tools.

Tools are thin: validate arguments (types in `localshelf.tools.types`), call one
service function inside one unit of work, return a pydantic model.
"""

from __future__ import annotations

import functools
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool

from localshelf.server.state import AppState
from localshelf.tools import (
    access,
    brands,
    demand,
    integrations,
    inventory,
    locations,
    offers,
    organizations,
    products,
    readiness,
    retailer_items,
    search,
    sync,
)
from localshelf.tools.schemas import flattened

GROUPS = (
    organizations,
    locations,
    products,
    offers,
    search,
    access,
    integrations,
    sync,
    retailer_items,
    readiness,
    inventory,
    brands,
    demand,
)


@functools.cache
def tool_definitions() -> tuple[Tool, ...]:
    """Every tool, built once per process: definitions hold no state (a call reaches it through its context),
    and building them (JSON Schemas for 30-odd signatures) is the slowest part of assembling a server."""
    scratch: MCPServer[AppState] = MCPServer(name="localshelf-tools")
    for group in GROUPS:
        group.register(scratch)
    tools = scratch._tool_manager.list_tools()  # the SDK exposes registered tools only here
    for tool in tools:
        lift_optional_descriptions(tool.parameters)
        if tool.fn_metadata.output_schema is not None:
            tool.fn_metadata.output_schema = flattened(tool.fn_metadata.output_schema)
    return tuple(tools)


def lift_optional_descriptions(schema: dict[str, Any]) -> None:
    """Put an optional argument's description and examples on the property itself, where every client reads them.

    pydantic renders `Annotated[T, Field(description=...)] | None` as `anyOf: [{T, description}, null]`.
    """
    for prop in schema.get("properties", {}).values():
        for key in ("description", "examples"):
            if key in prop:
                continue
            carrying = [branch for branch in prop.get("anyOf", []) if key in branch]
            if len(carrying) == 1:
                prop[key] = carrying[0].pop(key)
