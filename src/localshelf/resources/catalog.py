"""Reference resources: the ranking formula and the error codes agents can branch on."""

from __future__ import annotations

import json

from mcp.server.mcpserver import MCPServer

from localshelf.domain import ranking
from localshelf.domain.errors import ErrorCode
from localshelf.server.state import AppState


def register(server: MCPServer[AppState]) -> None:
    @server.resource("localshelf://docs/ranking", mime_type="text/plain", title="How search results are ranked")
    def ranking_formula() -> str:
        """The search ranking formula and its weights."""
        return (ranking.__doc__ or "").strip()

    @server.resource("localshelf://docs/error-codes", mime_type="application/json", title="Error codes")
    def error_codes() -> str:
        """Every stable error code a tool can return."""
        return json.dumps(sorted(code.value for code in ErrorCode))
