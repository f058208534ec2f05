"""MCP resources (read-only views agents can attach as context)."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from localshelf.server.state import AppState


def register_resources(server: MCPServer[AppState]) -> None:
    from localshelf.resources import catalog, docs, records

    catalog.register(server)
    docs.register(server)
    records.register(server)
