"""OAuth authorization-code grant, as documented by Shopify (non-embedded app).

* ``GET /admin/oauth/authorize?client_id&scope&redirect_uri&state[&grant_options[]=]`` - the fake merchant
  approves at once (``Shop.approve_installs``; with ``Shop.consent_page`` an Allow/Deny form comes first) and
  the answer is a 302 to ``redirect_uri`` with ``code, hmac, host, shop, state, timestamp``. ``hmac`` is the
  lowercase hex HMAC-SHA256, keyed with the client secret, of the other parameters sorted by key and joined as
  ``k=v&k=v`` (values percent-encoded).
  A denying merchant redirects with ``error=access_denied`` and ``state`` (unconfirmed shape).
* ``POST /admin/oauth/access_token`` (JSON or form: ``client_id, client_secret, code``) →
  ``{"access_token": "shpat_…", "scope": "read_products,…"}``. Codes are single-use and live 60 s
  (lifetime unconfirmed). Errors answer 400 ``{"error": …, "error_description": …}`` (RFC 6749 shape;
  Shopify's exact wording is unconfirmed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from localshelf.fakes.consent import consent_page
from localshelf.fakes.shopify.state import AuthCode, Shop, ShopifyState

CODE_LIFETIME_SECONDS = 60.0


def callback_message(params: Mapping[str, str]) -> str:
    """The string Shopify signs: every parameter except ``hmac``/``signature``, sorted, ``k=v`` joined by ``&``."""
    items = sorted((k, v) for k, v in params.items() if k not in ("hmac", "signature"))
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in items)


def callback_hmac(secret: str, params: Mapping[str, str]) -> str:
    return hmac.new(secret.encode(), callback_message(params).encode(), hashlib.sha256).hexdigest()


def _host_param(shop: Shop) -> str:
    store = shop.domain.split(".", 1)[0]
    return base64.b64encode(f"admin.shopify.com/store/{store}".encode()).decode().rstrip("=")


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    existing = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([*existing, *params.items()], quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def authorize(request: Request, state: ShopifyState, shop: Shop) -> Response:
    q = request.query_params
    client_id = q.get("client_id", "")
    redirect_uri = q.get("redirect_uri", "")
    scope = q.get("scope", "")
    if client_id != state.app.client_id:
        return PlainTextResponse("Oauth error invalid_request: The client_id is invalid", status_code=400)
    if not redirect_uri.startswith(("http://", "https://")):
        return PlainTextResponse(
            "Oauth error invalid_request: The redirect_uri is missing or not whitelisted", status_code=400
        )
    if not scope:
        return PlainTextResponse("Oauth error invalid_scope: The scope is missing", status_code=400)
    decision = q.get("decision")
    if shop.consent_page and decision is None:
        return consent_page(f"Install this app on {shop.name}?", "/admin/oauth/authorize", q.multi_items())
    now = int(state.clock())
    if not shop.approve_installs or decision == "deny":
        params = {"error": "access_denied", "shop": shop.domain, "state": q.get("state", ""), "timestamp": str(now)}
        params["hmac"] = callback_hmac(state.app.client_secret, params)
        return RedirectResponse(_with_query(redirect_uri, params), status_code=302)
    code = secrets.token_hex(16)
    # Normalise the scope list the way Shopify reports it: comma-separated, no spaces.
    granted = ",".join(s.strip() for s in scope.split(",") if s.strip())
    shop.codes[code] = AuthCode(code=code, scope=granted, expires_at=state.clock() + CODE_LIFETIME_SECONDS)
    params = {
        "code": code,
        "host": _host_param(shop),
        "shop": shop.domain,
        "state": q.get("state", ""),
        "timestamp": str(now),
    }
    params["hmac"] = callback_hmac(state.app.client_secret, params)
    return RedirectResponse(_with_query(redirect_uri, params), status_code=302)


async def access_token(request: Request, state: ShopifyState, shop: Shop) -> Response:
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    fields: dict[str, str]
    if "json" in content_type:
        try:
            loaded = json.loads(raw or b"{}")
        except ValueError:
            return _error(400, "invalid_request", "The request body is not valid JSON")
        if not isinstance(loaded, dict):
            return _error(400, "invalid_request", "The request body must be a JSON object")
        fields = {str(k): str(v) for k, v in loaded.items()}
    else:
        fields = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        fields.update({k: v for k, v in request.query_params.items() if k not in fields})
    if fields.get("client_id") != state.app.client_id or not hmac.compare_digest(
        fields.get("client_secret", "").encode(), state.app.client_secret.encode()
    ):
        return _error(400, "invalid_client", "Client authentication failed: the client_id or client_secret is invalid")
    grant = shop.codes.pop(fields.get("code", ""), None)  # single use: removed even when expired
    if grant is None or grant.expires_at < state.clock():
        return _error(400, "invalid_request", "The authorization code was not found or was already used")
    token = state.issue_token(shop, grant.scope)
    return JSONResponse({"access_token": token, "scope": grant.scope})
