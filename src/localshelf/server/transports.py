"""Run the server over stdio (default) or streamable HTTP."""

from __future__ import annotations

from localshelf.config import Settings
from localshelf.server.app import build_server
from localshelf.store.db import Database


def run(settings: Settings) -> None:
    """Check the database first, so a bad URL or a stale schema is one clear line, not a traceback."""
    database = Database.from_url(settings.database_url)
    try:
        database.prepare(settings.should_auto_migrate)
        server = build_server(settings, database=database)
        if settings.transport == "http":
            server.run("streamable-http", host=settings.host, port=settings.port, streamable_http_path="/mcp")
        else:
            server.run()
    finally:
        database.dispose()
