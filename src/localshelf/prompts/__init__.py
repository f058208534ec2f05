"""MCP prompts: one per agent skill."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from localshelf.server.state import AppState


def register_prompts(server: MCPServer[AppState]) -> None:
    from localshelf.prompts import skills

    skills.register(server)
