"""Plain HTTP routes next to /mcp. They get no MCP auth from the SDK, so `HttpGate` does the same job:
the bearer credential (401 with the OAuth challenge) and the per-key rate (429 with Retry-After).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from localshelf.domain.auth import Principal
from localshelf.server.auth import CredentialVerifier, LocalshelfAccessToken
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import Organization
from localshelf.store.throttle import Throttle


@dataclass(frozen=True)
class HttpGate:
    verifier: CredentialVerifier
    throttle: Throttle
    public_url: str
    on_throttled: Callable[[], None] = lambda: None  # counted by the server's metrics

    def _metadata_url(self) -> str:
        scheme, _, rest = self.public_url.partition("://")
        host, _, path = rest.partition("/")
        return f"{scheme}://{host}/.well-known/oauth-protected-resource/{path}".rstrip("/")

    def unauthorized(self) -> Response:
        challenge = (
            'Bearer error="invalid_token", error_description="Authentication required", '
            f'resource_metadata="{self._metadata_url()}"'
        )
        body = {"error": "invalid_token", "error_description": "Authentication required"}
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": challenge})

    async def admit(self, request: Request) -> Principal | Response:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return self.unauthorized()
        token = await self.verifier.verify_token(header[7:].strip())
        if not isinstance(token, LocalshelfAccessToken):
            return self.unauthorized()
        principal = token.principal
        decision = await anyio.to_thread.run_sync(self.throttle.acquire, principal.throttle_key)
        if not decision.allowed:
            self.on_throttled()
            retry_after = decision.retry_after_seconds
            return JSONResponse(
                {"error": "rate_limited", "retry_after_seconds": round(retry_after, 3)},
                status_code=429,
                headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
            )
        return principal


def _organizations(uow: UnitOfWork, principal: Principal) -> list[dict[str, Any]]:
    if not principal.roles:
        return []
    rows = uow.session.execute(
        select(Organization.id, Organization.public_id).where(Organization.id.in_(list(principal.roles)))
    )
    return [{"id": public_id, "role": principal.roles[pk].value} for pk, public_id in rows]


def register_routes(server: MCPServer[Any], gate: HttpGate, database: Database) -> None:
    @server.custom_route("/whoami", methods=["GET"])  # type: ignore[untyped-decorator]
    async def whoami(request: Request) -> Response:
        """Which principal a credential acts as: a quick check that a key or token works."""
        admitted = await gate.admit(request)
        if isinstance(admitted, Response):
            return admitted
        organizations = await database.read(_organizations, admitted)
        return JSONResponse(
            {
                "kind": admitted.kind,
                "name": admitted.name,
                "key_prefix": admitted.key_prefix,
                "scopes": sorted(admitted.scopes),
                "organizations": organizations,
            }
        )
