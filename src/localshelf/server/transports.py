"""Run the server over stdio (default) or streamable HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import uvicorn
from mcp.server.transport_security import TransportSecuritySettings

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


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
LOOPBACK_HOST_PATTERNS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]


def transport_security(settings: Settings) -> TransportSecuritySettings | None:
    """Which Host (and Origin) headers /mcp accepts, against DNS rebinding. Bound to loopback: the SDK's default,
    loopback names only. Bound to another interface (a container, behind a proxy): the host of the public URL, and
    loopback for local health checks — never whatever name a browser page resolved to this address."""
    if settings.host in LOOPBACK_HOSTS:
        return None
    public = urlsplit(settings.public_url)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[public.netloc, *LOOPBACK_HOST_PATTERNS],
        allowed_origins=[f"{public.scheme}://{public.netloc}", *(f"http://{host}" for host in LOOPBACK_HOST_PATTERNS)],
    )


def run(settings: Settings) -> None:
    """Check the database first, so a bad URL or a stale schema is one clear line, not a traceback."""
    database = Database.from_url(settings.database_url, settings.read_database_url)
    try:
        database.prepare(settings.should_auto_migrate)
        server = build_server(settings, database=database)
        if settings.transport == "stdio" and settings.stdio_api_key:
            server.local_principal = stdio_principal(database, settings.stdio_api_key)
        if settings.transport == "http":
            redact_access_log()
            app = server.streamable_http_app(
                streamable_http_path="/mcp", host=settings.host, transport_security=transport_security(settings)
            )
            # log_config=None: uvicorn's loggers keep no handlers of their own and reach ours (server/logs.py).
            uvicorn.run(
                app, host=settings.host, port=settings.port, log_config=None, log_level=settings.log_level.lower()
            )
        else:
            server.run()
    finally:
        database.dispose()
