"""Clover OAuth v2 with expiring tokens (docs.clover.com "High-trust app auth flow", "Refresh access tokens",
"Expiring tokens required in all regions"; POS-REFERENCE.md §3.2).

* ``GET /oauth/v2/authorize?client_id&redirect_uri[&state][&response_type=code]`` → 302 to ``redirect_uri`` with
  ``merchant_id, employee_id, client_id, code`` (and ``state`` when sent). The callback is not signed. The
  approving merchant is ``CloverState.installing`` (default: the first merchant). Callback parameter names
  other than ``code``/``merchant_id`` are third-party observations (unconfirmed).
* ``POST /oauth/v2/token`` JSON ``{client_id, client_secret, code}`` → ``{access_token, access_token_expiration,
  refresh_token, refresh_token_expiration}`` (expirations: epoch seconds). Codes are single-use.
* ``POST /oauth/v2/refresh`` JSON ``{client_id, refresh_token}`` (no secret) → a new pair of the same shape. The
  refresh token is single-use: once used it is refused. Earlier access tokens stay valid until they expire
  (unconfirmed). At most ``max_refresh_tokens`` live refresh tokens per merchant; the oldest are dropped.

Refusals answer 400 (bad request/client) or 401 (bad, used or expired code/refresh token) with
``{"message": …}``; Clover's exact OAuth error statuses and bodies are unconfirmed.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from localshelf.fakes.clover.rest import error
from localshelf.fakes.clover.state import CloverState, Merchant


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *params.items()], quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


async def _json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _token_answer(state: CloverState, merchant: Merchant) -> Response:
    access, access_exp, refresh, refresh_exp = state.issue_tokens(merchant)
    body = {
        "access_token": access,
        "access_token_expiration": int(access_exp),
        "refresh_token": refresh,
        "refresh_token_expiration": int(refresh_exp),
    }
    return Response(json.dumps(body), media_type="application/json")


async def authorize(request: Request, state: CloverState) -> Response:
    q = request.query_params
    redirect_uri = q.get("redirect_uri", "")
    if q.get("client_id") != state.app.client_id:
        return error(400, "Invalid client_id")
    if not redirect_uri.startswith(("http://", "https://")):
        return error(400, "Invalid redirect_uri")
    merchant = state.merchants.get(state.installing or "") or next(iter(state.merchants.values()), None)
    if merchant is None:
        return error(400, "No merchant to install into")
    params = {
        "merchant_id": merchant.id,
        "employee_id": state.new_id(),
        "client_id": state.app.client_id,
        "code": state.issue_code(merchant),
    }
    if "state" in q:
        params["state"] = q["state"]
    return RedirectResponse(_with_query(redirect_uri, params), status_code=302)


async def token(request: Request, state: CloverState) -> Response:
    body = await _json_body(request)
    if body is None:
        return error(400, "Request body must be a JSON object")
    if body.get("client_id") != state.app.client_id or not secrets.compare_digest(
        str(body.get("client_secret", "")).encode(), state.app.client_secret.encode()
    ):
        return error(400, "Invalid client_id or client_secret")
    grant = state.codes.pop(str(body.get("code", "")), None)  # single use: gone even when expired
    merchant = state.merchants.get(grant.merchant_id) if grant and grant.expires_at > state.clock() else None
    if merchant is None:
        return error(401, "Invalid or expired authorization code")
    return _token_answer(state, merchant)


async def refresh(request: Request, state: CloverState) -> Response:
    body = await _json_body(request)
    if body is None:
        return error(400, "Request body must be a JSON object")
    if body.get("client_id") != state.app.client_id:
        return error(400, "Invalid client_id")
    merchant = state.use_refresh_token(str(body.get("refresh_token", "")))
    if merchant is None:
        return error(401, "Invalid or expired refresh token")
    return _token_answer(state, merchant)
