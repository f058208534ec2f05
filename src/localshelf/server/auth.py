"""Credentials over HTTP: API keys and OAuth access tokens, both as `Authorization: Bearer ...`.

The MCP SDK's bearer middleware calls `CredentialVerifier.verify_token` for every HTTP
request: a None answer is a 401 with the `WWW-Authenticate` header and RFC 9728
metadata the MCP authorization spec requires. A verified credential carries the
`Principal` the tool calls then act as. stdio has no credentials: it runs as the
configured local principal (the operator).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from pydantic import ConfigDict

from localshelf.config import Settings
from localshelf.domain.auth import Principal
from localshelf.server.oauth import JwtVerifier, OAuthSettings, TokenRejected
from localshelf.services.keys import KEY_MARK, authenticate_key, key_needs_touch, touch_key
from localshelf.services.members import principal_for_subject
from localshelf.store.db import Database

logger = logging.getLogger("localshelf.auth")


class LocalshelfAccessToken(AccessToken):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    principal: Principal


def caller_principal(local: Principal | None) -> Principal | None:
    token = get_access_token()
    if isinstance(token, LocalshelfAccessToken):
        return token.principal
    return local


class CredentialVerifier:
    def __init__(self, database: Database, resource_url: str, jwt: JwtVerifier | None) -> None:
        self.database = database
        self.resource_url = resource_url
        self.jwt = jwt

    async def verify_token(self, token: str) -> AccessToken | None:
        now = datetime.now(UTC)
        if token.startswith(KEY_MARK):
            principal = await self.database.read(authenticate_key, token, now)
            if principal is None:
                logger.info("refused an API key (unknown, revoked or expired)")
                return None
            if principal.key_prefix and key_needs_touch(principal, now):
                await self.database.run(touch_key, principal.key_prefix, now)
            return self._access_token(principal, client_id=principal.key_prefix or "api-key", expires_at=None)
        if self.jwt is None:
            return None
        try:
            verified = await anyio.to_thread.run_sync(self.jwt.verify, token)
        except TokenRejected as exc:
            logger.info("refused an access token: %s", exc.reason)
            return None
        principal = await self.database.run(principal_for_subject, verified.subject, verified.scopes)
        return self._access_token(principal, client_id=verified.client_id or "oauth", expires_at=verified.expires_at)

    def _access_token(self, principal: Principal, client_id: str, expires_at: int | None) -> LocalshelfAccessToken:
        return LocalshelfAccessToken(
            token="[verified]",  # the secret itself is not kept around
            client_id=client_id,
            scopes=sorted(principal.scopes),
            expires_at=expires_at,
            resource=self.resource_url,
            subject=principal.name,
            principal=principal,
        )


def oauth_settings(settings: Settings) -> OAuthSettings | None:
    if not settings.oauth_issuer:
        return None
    return OAuthSettings(
        issuer=settings.oauth_issuer,
        audience=settings.oauth_audience or settings.public_url,
        jwks_url=settings.oauth_jwks_url,
        jwks_file=settings.oauth_jwks_file,
    )


def http_auth(settings: Settings, database: Database) -> tuple[CredentialVerifier, AuthSettings]:
    """Verifier and SDK auth settings for the HTTP transport (API keys always; OAuth when configured)."""
    oauth = oauth_settings(settings)
    verifier = CredentialVerifier(database, settings.public_url, JwtVerifier(oauth) if oauth else None)
    auth = AuthSettings(
        # With no OAuth issuer configured only API keys work; the metadata then names this server.
        issuer_url=oauth.issuer if oauth else settings.public_url,
        resource_server_url=settings.public_url,
        validate_token_resource=True,
    )
    return verifier, auth
