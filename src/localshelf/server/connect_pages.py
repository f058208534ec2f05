"""The person-facing step of a headless connect: enter the code, see what is being connected, approve or deny,
go through the provider's consent, land back here. No JavaScript; every value shown is escaped; forms carry a
double-submit CSRF token; responses carry restrictive security headers (no inline script or style is allowed but
the page's own stylesheet, by hash). Code guessing is rate-limited per client address on every form that takes a
code, and each wrong code counts against the live codes it may aim at (services/connect.py), which expire after
`device_codes.MAX_WRONG_ATTEMPTS`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from localshelf.domain.throttle import Rate
from localshelf.pos.contract import PosError
from localshelf.pos.crypto import TokenCipher
from localshelf.pos.registry import CONNECTORS, connector
from localshelf.pos.signatures import valid_shop_domain
from localshelf.server.worker import Nudge
from localshelf.services import connect, pos_flows
from localshelf.services.pos_flows import PosContext
from localshelf.services.pos_gateway import app_for, require_app
from localshelf.store.throttle import throttle_for

CSRF_COOKIE = "localshelf_csrf"
ATTEMPTS_PER_MINUTE = 10  # code entries per client address; RFC 8628 §5.1 asks for a limit
STYLE = (  # contrast >= 4.5:1, 44 px targets, a visible focus ring: checked in a browser by tests/e2e
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5;"
    "color:#111;background:#fff}h1{font-size:1.75rem;line-height:1.2}.hint{margin:0;color:#444}"
    "label,input,button{display:block;font-size:1.1rem;margin:.5rem 0}"
    "label{font-weight:600}input,button{min-height:2.75rem;box-sizing:border-box}"
    "input{padding:.5rem;border:2px solid #333;width:100%;letter-spacing:.2em;font-family:ui-monospace,monospace;"
    "text-transform:uppercase}button{padding:.6rem 1.2rem;border:2px solid #111;background:#087a3c;color:#fff;"
    "cursor:pointer}button.deny{background:#fff;color:#111}a{color:#0645ad}"
    ":focus{outline:3px solid #06c;outline-offset:2px}@media (max-width:30rem){button{width:100%}}"
)
STYLE_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode() + "'"
SECURITY_HEADERS = {
    # form-action allows the redirect after approving to the provider's consent screen.
    "Content-Security-Policy": f"default-src 'none'; style-src {STYLE_HASH}; form-action 'self' https: http:; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _page(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def _form_page(title: str, body: str, csrf: str, secure: bool) -> HTMLResponse:
    """A page with a form: its CSRF token also goes into a cookie only this site's own requests carry."""
    response = _page(title, body)
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/", secure=secure)
    return response


def _too_many_attempts(retry_after_seconds: float) -> HTMLResponse:
    wait = int(retry_after_seconds) + 1
    return _page(
        "Too many attempts",
        f"<p>Wait {wait} seconds, then try again.</p>",
        status=429,
        headers={"Retry-After": str(wait)},
    )


def _session_expired() -> HTMLResponse:
    return _page("Session expired", '<p>Please <a href="/connect">start again</a>.</p>', status=403)


def _csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(token)}">'


async def _form(request: Request) -> dict[str, str] | None:
    """The posted form, or None when its CSRF token does not match the cookie."""
    form = await request.form()
    fields = {key: str(value) for key, value in form.items()}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, fields.get("csrf", "")):
        return None
    return fields


def _store(grant: connect.GrantOnPage) -> str:
    """The store being connected; Square and Clover name theirs only after consent, so none is shown yet."""
    provider = escape(grant.provider.capitalize())
    if grant.external_account.startswith(connect.PENDING_ACCOUNT):
        return f"the {provider} account you sign in to next"
    return f"the {provider} store <strong>{escape(grant.external_account)}</strong>"


def register_connect_pages(server: MCPServer[Any], pos: PosContext, nudge: Nudge) -> None:
    settings, database = pos.settings, pos.database
    attempts = throttle_for(database.engine, Rate(ATTEMPTS_PER_MINUTE))
    secure_cookies = settings.web_base_url.startswith("https://")

    def callback_url(provider: str) -> str:
        return f"{settings.web_base_url}/integrations/{provider}/callback"

    def now() -> datetime:
        return pos.clock()

    async def refused_attempt(request: Request) -> Response | None:
        """A 429 page when this client entered codes too often; None when it may try (and the try is counted)."""
        client = request.client.host if request.client else "unknown"
        decision = await anyio.to_thread.run_sync(attempts.acquire, f"connect-page:{client}")
        return None if decision.allowed else _too_many_attempts(decision.retry_after_seconds)

    async def refused_code(user_code: str) -> HTMLResponse:
        if await database.read(connect.code_expired, user_code, now()):
            return _page(
                "Code expired",
                '<p>This code has expired. Ask your assistant for a new one, then <a href="/connect">enter it '
                "here</a>.</p>",
                status=400,
            )
        return _page(
            "Code not recognised",
            '<p>That code is wrong or was already used. <a href="/connect">Try again</a>.</p>',
            status=400,
        )

    @server.custom_route("/connect", methods=["GET"])  # type: ignore[untyped-decorator]
    async def enter_code(request: Request) -> Response:
        token = secrets.token_urlsafe(32)
        prefilled = escape(request.query_params.get("user_code", "")[:20])
        shop = request.query_params.get("shop", "")
        shop = shop if valid_shop_domain(shop) else ""
        about = f" <strong>{escape(shop)}</strong>" if shop else " your point-of-sale system"
        body = (
            f"<p>Enter the code your assistant showed you to connect{about}.</p>"
            f'<form method="post" action="/connect">{_csrf_field(token)}'
            f'<input type="hidden" name="shop" value="{escape(shop)}">'
            '<label for="user_code">Code</label><p class="hint" id="user_code_hint">8 letters, like BCDF-GHJK</p>'
            f'<input id="user_code" name="user_code" value="{prefilled}" autocomplete="one-time-code" '
            'autocapitalize="characters" spellcheck="false" required maxlength="20" '
            'aria-describedby="user_code_hint" autofocus>'
            "<button type=submit>Continue</button></form>"
        )
        return _form_page("Connect your store", body, token, secure_cookies)

    @server.custom_route("/connect", methods=["POST"])  # type: ignore[untyped-decorator]
    async def confirm(request: Request) -> Response:
        form = await _form(request)
        if form is None:
            return _session_expired()
        refused = await refused_attempt(request)
        if refused is not None:
            return refused
        grant = await database.run(connect.grant_for_page, form.get("user_code", ""), now())
        if grant is None or form.get("shop", "") not in ("", grant.external_account):
            return await refused_code(form.get("user_code", ""))
        token = secrets.token_urlsafe(32)
        body = (
            f"<p><strong>{escape(grant.organization_name)}</strong> will be connected to {_store(grant)}. "
            "localshelf will read its products, prices and stock to show them in local search.</p>"
            f'<form method="post" action="/connect/decision">{_csrf_field(token)}'
            f'<input type="hidden" name="user_code" value="{escape(grant.user_code)}">'
            '<button type=submit name="decision" value="approve">Approve and continue</button>'
            '<button type=submit name="decision" value="deny" class="deny">Deny</button></form>'
        )
        return _form_page("Confirm the connection", body, token, secure_cookies)

    @server.custom_route("/connect/decision", methods=["POST"])  # type: ignore[untyped-decorator]
    async def decide(request: Request) -> Response:
        form = await _form(request)
        if form is None:
            return _session_expired()
        refused = await refused_attempt(request)  # the code is posted again here: as open to guessing
        if refused is not None:
            return refused
        user_code = form.get("user_code", "")
        if form.get("decision") == "deny":
            if not await database.run(connect.deny, user_code, now()):
                return await refused_code(user_code)
            return _page("Connection denied", "<p>Nothing was connected. You can close this page.</p>")
        state = secrets.token_urlsafe(32)
        consent = await database.run(connect.approve, user_code, state, now())
        if consent is None:
            return await refused_code(user_code)
        return _to_consent(consent, state)

    def _to_consent(consent: connect.PendingConsent, state: str) -> Response:
        app = require_app(settings, consent.provider)
        url = connector(consent.provider).authorize_url(app, consent.account, state, callback_url(consent.provider))
        return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)

    @server.custom_route("/integrations/{provider}/install", methods=["GET"])  # type: ignore[untyped-decorator]
    async def install(request: Request) -> Response:
        """The browser flow. With `token` (the one-click `install_url` from start_pos_connect): straight to the
        provider's consent with a fresh single-use state. Launched from Shopify itself (signed with `hmac`): the
        person enters their connect code, which says which organization the shop joins."""
        provider = request.path_params["provider"]
        if provider not in CONNECTORS or app_for(settings, provider) is None:
            return _page("Could not connect", "<p>This point-of-sale system is not set up here.</p>", status=404)
        shop, token = request.query_params.get("shop") or None, request.query_params.get("token", "")
        if shop is not None and not connector(provider).valid_account(shop):
            return _page("Could not connect", "<p>That is not a store address.</p>", status=400)
        if token:
            state = secrets.token_urlsafe(32)
            consent = await database.run(connect.approve_install, token, provider, shop, state, now())
            if consent is None:
                return _page(
                    "Link expired",
                    '<p>This link was used or has expired. <a href="/connect">Enter a code</a> instead.</p>',
                    status=400,
                )
            return _to_consent(consent, state)
        app = require_app(settings, provider)
        query = list(request.query_params.multi_items())
        if provider != "shopify" or shop is None or not connector(provider).callback_authentic(app, query, time.time()):
            return _page("Could not connect", "<p>This install link is not signed by Shopify.</p>", status=400)
        return RedirectResponse(f"/connect?{urlencode({'shop': shop})}", status_code=303, headers=SECURITY_HEADERS)

    @server.custom_route("/integrations/{provider}/callback", methods=["GET"])  # type: ignore[untyped-decorator]
    async def oauth_callback(request: Request) -> Response:
        failed = _page("Could not connect", "<p>The connection could not be completed. Start again.</p>", status=400)
        provider = request.path_params["provider"]
        app = app_for(settings, provider) if provider in CONNECTORS else None
        if app is None:
            return failed
        pos_connector = connector(provider)
        query = list(request.query_params.multi_items())
        params = dict(query)
        state, code = params.get("state", ""), params.get("code", "")
        if params.get("error") and state:
            if await database.run(connect.deny_by_state, state, now()):
                return _page("Connection denied", "<p>Nothing was connected. You can close this page.</p>")
            return failed
        if not (state and code) or not pos_connector.callback_authentic(app, query, time.time()):
            return failed
        consent = await database.read(connect.grant_for_state, state, now())
        named = pos_connector.callback_account(params)
        if consent is None or consent.provider != provider:
            return failed
        if consent.account is not None and named != consent.account:
            return failed  # consent given for another shop than the one this connect named
        account = named or consent.account
        try:
            async with pos.http() as http:
                grant = await pos_connector.exchange(http, app, account or "", code, callback_url(provider))
        except PosError:
            return failed
        account = account or grant.account
        if not account or not pos_connector.valid_account(account):
            return failed
        cipher = TokenCipher.from_setting(settings.encryption_keys or "")
        tokens = connect.StoredTokens(
            cipher.encrypt(grant.access_token),
            cipher.encrypt(grant.refresh_token) if grant.refresh_token else None,
            grant.expires_at,
            grant.scopes,
        )
        connected = await database.run(connect.complete, state, account, tokens, now())
        if connected is None:
            return failed
        await pos_flows.after_connect(pos, connected.id)
        nudge.set()
        return _page(
            "Connected",
            f"<p>{escape(connected.external_account)} is connected. You can close this page; "
            "your assistant will take it from here.</p>",
        )
