"""`localshelf serve --transport http`, with every request given a bearer key that it lacks.

The MCP conformance runner (`conformance server --url`) cannot send headers, and localshelf's HTTP endpoint
refuses anonymous callers. So this process serves the very app `localshelf serve --transport http` serves
(same settings, auth, routes) behind one ASGI layer that adds `Authorization: Bearer $LOCALSHELF_FRONT_KEY`
to a request without one — what a client configured with the key would send.

    python -m tests.ecosystem.bearer_front   (LOCALSHELF_* settings from the environment)
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from localshelf.config import Settings
from localshelf.server.app import build_server
from localshelf.store.db import Database


class BearerFront:
    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.header = (b"authorization", f"Bearer {key}".encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(name == b"authorization" for name, _ in scope["headers"]):
            scope = {**scope, "headers": [*scope["headers"], self.header]}
        await self.app(scope, receive, send)


def main() -> None:
    settings = Settings(transport="http")
    database = Database.from_url(settings.database_url)
    database.prepare(settings.should_auto_migrate)
    server = build_server(settings, database=database)
    app: Any = server.streamable_http_app(streamable_http_path="/mcp", host=settings.host)
    try:
        uvicorn.run(
            BearerFront(app, os.environ["LOCALSHELF_FRONT_KEY"]),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            lifespan="on",
        )
    finally:
        database.dispose()


if __name__ == "__main__":
    main()
