"""Run the server over stdio (default) or streamable HTTP."""

from __future__ import annotations

from localshelf.config import Settings
from localshelf.server.app import build_server


def run(settings: Settings) -> None:
    server = build_server(settings)
    if settings.transport == "http":
        server.run("streamable-http", host=settings.host, port=settings.port, streamable_http_path="/mcp")
    else:
        server.run()
