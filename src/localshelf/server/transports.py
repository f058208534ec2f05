"""Run the server over stdio (default) or streamable HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from localshelf.config import Settings
from localshelf.domain.auth import Principal
from localshelf.domain.errors import Forbidden
from localshelf.server.app import build_server
from localshelf.server.log_redaction import redact_access_log
from localshelf.services.keys import authenticate_key
from localshelf.store.db import Database


def stdio_principal(database: Database, key: str) -> Principal:
    principal = database.transaction(authenticate_key, key, datetime.now(UTC), read_only=True)
    if principal is None:
        raise Forbidden("LOCALSHELF_STDIO_API_KEY is not a valid, unrevoked, unexpired API key.")
    return principal


def run(settings: Settings) -> None:
    """Check the database first, so a bad URL or a stale schema is one clear line, not a traceback."""
    database = Database.from_url(settings.database_url)
    try:
        database.prepare(settings.should_auto_migrate)
        server = build_server(settings, database=database)
        if settings.transport == "stdio" and settings.stdio_api_key:
            server.local_principal = stdio_principal(database, settings.stdio_api_key)
        if settings.transport == "http":
            redact_access_log()
            server.run("streamable-http", host=settings.host, port=settings.port, streamable_http_path="/mcp")
        else:
            server.run()
    finally:
        database.dispose()
