"""``GET /oauth2/authorize`` and ``POST /oauth2/token`` (api.json ``ObtainTokenRequest``/``ObtainTokenResponse``;
developer.squareup.com/docs/oauth-api/overview). Code-flow refresh tokens never expire and a refresh answers the
same refresh token. With ``SquareState.consent_page`` the seller first sees an Allow/Deny form (browser tests)."""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from localshelf.fakes.consent import consent_page
from localshelf.fakes.square.state import Grant, SquareState, rfc3339
from localshelf.fakes.square.wire import error_body

DEFAULT_REDIRECT_URI = "https://app.example/oauth/square/callback"


def _refused(detail: str) -> JSONResponse:
    return JSONResponse(error_body("AUTHENTICATION_ERROR", "UNAUTHORIZED", detail), 401)


def _bad(detail: str, code: str = "BAD_REQUEST") -> JSONResponse:
    return JSONResponse(error_body("INVALID_REQUEST_ERROR", code, detail), 400)


async def authorize(request: Request, state: SquareState) -> Response:
    query = request.query_params
    if query.get("client_id") != state.app.client_id:
        return _bad("Unknown client_id.", "NOT_FOUND")
    redirect_uri = query.get("redirect_uri") or DEFAULT_REDIRECT_URI
    csrf = query.get("state", "")
    decision = query.get("decision")
    if state.consent_page and decision is None:
        return consent_page("Allow access to your Square account?", "/oauth2/authorize", query.multi_items())
    if state.deny_authorization or decision == "deny":
        params = {"error": "access_denied", "error_description": "user_denied", "state": csrf}
    else:
        code = "sq0cgp-" + secrets.token_urlsafe(16)
        scopes = tuple(query.get("scope", "").split())
        state.codes[code] = (redirect_uri, scopes)
        params = {"code": code, "response_type": "code", "state": csrf}
    return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", 302)


async def token(request: Request, state: SquareState) -> Response:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return _bad("Request body is not JSON.")
    if not isinstance(body, dict):
        return _bad("Request body is not an object.")
    if body.get("client_id") != state.app.client_id or body.get("client_secret") != state.app.client_secret:
        return _refused("Invalid client credentials.")
    grant_type = body.get("grant_type")
    if grant_type == "authorization_code":
        found = state.codes.pop(str(body.get("code", "")), None)  # codes are single-use
        if found is None:
            return _refused("Invalid or already used authorization code.")
        redirect_uri, scopes = found
        if body.get("redirect_uri", redirect_uri) != redirect_uri:
            return _bad("redirect_uri does not match the authorization request.", "INVALID_VALUE")
        return _grant_response(state, state.issue_grant(scopes))
    if grant_type == "refresh_token":
        refresh = str(body.get("refresh_token", ""))
        previous = next((g for g in state.grants.values() if g.refresh_token == refresh), None)
        if previous is None or not refresh:
            return _refused("Invalid refresh token.")
        return _grant_response(state, state.issue_grant(previous.scopes, refresh_token=refresh))
    return _bad("Unsupported grant_type.", "INVALID_VALUE")


def _grant_response(state: SquareState, grant: Grant) -> JSONResponse:
    return JSONResponse(
        {
            "access_token": grant.access_token,
            "token_type": "bearer",
            "expires_at": rfc3339(grant.expires_at).replace(".000Z", "Z"),
            "merchant_id": state.merchant_id,
            "refresh_token": grant.refresh_token,
            "short_lived": False,
        }
    )
