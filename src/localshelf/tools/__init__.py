"""MCP tools, one module per group; each module's `register(server)` adds its tools.

Tools are thin: validate arguments (types in `localshelf.tools.types`), call one
service function inside one unit of work, return a pydantic model.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from localshelf.server.state import AppState
from localshelf.tools import locations, offers, organizations, products, search

GROUPS = (organizations, locations, products, offers, search)


def register_tools(server: MCPServer[AppState]) -> None:
    for group in GROUPS:
        group.register(server)
