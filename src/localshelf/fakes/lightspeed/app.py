"""The fake X-Series ASGI app: OAuth, API 2.0 reads, bearer check and fault injection.

Routes (POS-REFERENCE.md §4): ``GET /connect`` (redirects to ``redirect_uri`` with ``code``, ``domain_prefix``
and ``state``), ``POST /api/1.0/token`` (form-encoded code exchange and refresh), ``GET /api/2.0/outlets``,
``/products`` and ``/inventory`` (``after`` version cursor, ``page_size``; answers ``{"data": [...],
"version": {"min", "max"}}``, no ``version`` when empty). Deleted products are listed only with
``deleted=true``. Webhooks: ``GET``/``POST /api/2.0/webhooks`` and ``GET``/``PUT``/``DELETE
/api/2.0/webhooks/{id}`` (see :mod:`.webhooks`). The error body shape ``{"error": ..., "details": ...}`` is unconfirmed; clients key on status.

Fault injection (``FakeLightspeed.inject``) applies to the next ``count`` requests whose path contains
``path_contains``: ``rate_limit`` answers 429 (with ``Retry-After`` when set), ``server_error`` answers
``status``, ``truncate`` cuts the real answer in half while Content-Length announces the full length.

``budget`` mimics the documented request budget (``300 x registers + 50`` per 5-minute window): once the
window's API 2.0 requests are spent, 429 with ``Retry-After`` (seconds to the window's end) and
``X-RateLimit-Limit``/``X-RateLimit-Remaining`` (header names from a third-party profile, unconfirmed).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlencode

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from localshelf.fakes.faults import Fault, answer, take
from localshelf.fakes.lightspeed.state import WEBHOOK_TYPES, LightspeedState
from localshelf.fakes.lightspeed.wire import inventory_json, outlet_json, product_json, webhook_json

MAX_PAGE_SIZE = 10_000  # the real default and cap are unconfirmed
DEFAULT_PAGE_SIZE = 1_000


def _fault_body(fault: Fault) -> object:
    return {"error": "Too Many Requests" if fault.kind == "rate_limit" else "Service Unavailable", "details": ""}


def _error(status: int, error: str, details: str = "") -> JSONResponse:
    return JSONResponse({"error": error, "details": details}, status)


class FakeLightspeed:
    def __init__(
        self, state: LightspeedState | None = None, *, budget: int | None = None, window_seconds: int = 300
    ) -> None:
        self.state = state or LightspeedState()
        self.budget, self.window_seconds = budget, window_seconds
        self._window: tuple[int, int] = (0, 0)  # window start, requests counted in it
        self.faults: list[Fault] = []
        self.sleep: Callable[[float], Awaitable[None]] = anyio.sleep  # slow and hanging faults wait through it
        self.request_log: list[tuple[str, str, str]] = []
        self._app = Starlette(
            routes=[
                Route("/connect", self._connect),
                Route("/api/1.0/token", self._token, methods=["POST"]),
                Route("/api/2.0/outlets", self._outlets),
                Route("/api/2.0/products", self._products),
                Route("/api/2.0/inventory", self._inventory),
                Route("/api/2.0/webhooks", self._webhooks, methods=["GET", "POST"]),
                Route("/api/2.0/webhooks/{webhook_id}", self._webhook, methods=["GET", "PUT", "DELETE"]),
            ]
        )

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        self.request_log.append((scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1")))
        fault = take(self.faults, scope["path"])
        if fault is None and self._over_budget(scope["path"]):
            await self._budget_spent()(scope, receive, send)
        elif fault is None:
            await self._app(scope, receive, send)
        else:
            await answer(fault, self._app, scope, receive, send, _fault_body, self.sleep)

    def _over_budget(self, path: str) -> bool:
        if self.budget is None or not path.startswith("/api/2.0/"):
            return False
        now = int(self.state.clock())
        start = now - now % self.window_seconds
        used = self._window[1] + 1 if self._window[0] == start else 1
        self._window = (start, used)
        return used > self.budget

    def _budget_spent(self) -> Response:
        wait = self._window[0] + self.window_seconds - int(self.state.clock())
        headers = {"Retry-After": str(wait), "X-RateLimit-Limit": str(self.budget), "X-RateLimit-Remaining": "0"}
        return JSONResponse({"error": "Too Many Requests", "details": "request budget spent"}, 429, headers)

    # ------------------------------------------------------------ OAuth

    async def _connect(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != self.state.client_id or q.get("response_type") != "code":
            return _error(400, "invalid_request")
        redirect_uri = q.get("redirect_uri", "")
        code = self.state.issue_code(redirect_uri)
        query = urlencode({"code": code, "domain_prefix": self.state.domain_prefix, "state": q.get("state", "")})
        return RedirectResponse(f"{redirect_uri}?{query}", 302)

    async def _token(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _error(400, "invalid_request", "parameters must be form-encoded in the body")
        form = await request.form()
        if form.get("client_id") != self.state.client_id or form.get("client_secret") != self.state.client_secret:
            return _error(401, "invalid_client")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self.state.redeem_code(str(form.get("code", "")), str(form.get("redirect_uri", "")))
        elif grant_type == "refresh_token":
            grant = self.state.rotate(str(form.get("refresh_token", "")))
        else:
            return _error(400, "unsupported_grant_type")
        if grant is None:
            return _error(400, "invalid_grant")
        return JSONResponse(
            {
                "access_token": grant.access_token,
                "token_type": "Bearer",
                "expires": int(grant.access_expires),
                "expires_in": self.state.access_ttl,
                "refresh_token": grant.refresh_token,
                "domain_prefix": self.state.domain_prefix,
                "scope": "",
            }
        )

    # ------------------------------------------------------------ API 2.0

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.state.token_valid(token.strip())

    def _paged(self, request: Request, records: Iterable[Any], to_json: Callable[[Any], dict[str, Any]]) -> Response:
        if not self._authorized(request):
            return _error(401, "Unauthorized", "invalid or expired access token")
        try:
            after = int(request.query_params.get("after", "0"))
            size = min(int(request.query_params.get("page_size", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
        except ValueError:
            return _error(400, "Bad Request", "after and page_size must be integers")
        if size < 1:
            return _error(400, "Bad Request", "page_size must be positive")
        page = sorted((r for r in records if r.version > after), key=lambda r: r.version)[:size]
        body: dict[str, Any] = {"data": [to_json(r) for r in page]}
        if page:
            body["version"] = {"min": page[0].version, "max": page[-1].version}
        return Response(json.dumps(body), media_type="application/json")

    async def _outlets(self, request: Request) -> Response:
        return self._paged(request, self.state.outlets.values(), outlet_json)

    async def _products(self, request: Request) -> Response:
        deleted = request.query_params.get("deleted") == "true"
        records = [p for p in self.state.products.values() if deleted or p.deleted_at is None]
        return self._paged(request, records, product_json)

    async def _inventory(self, request: Request) -> Response:
        return self._paged(request, self.state.inventory.values(), inventory_json)

    # ------------------------------------------------------------ webhooks

    async def _webhooks(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, "Unauthorized", "invalid or expired access token")
        if request.method == "GET":
            return JSONResponse({"data": [webhook_json(w) for w in self.state.webhooks.values()]})
        body = await _json_body(request)
        if body is None or not isinstance(body.get("url"), str) or body.get("type") not in WEBHOOK_TYPES:
            return _error(400, "Bad Request", f"url and a type of {', '.join(WEBHOOK_TYPES)} are required")
        webhook = self.state.add_webhook(body["url"], body["type"], body.get("active", True) is not False)
        return JSONResponse({"data": webhook_json(webhook)})

    async def _webhook(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, "Unauthorized", "invalid or expired access token")
        webhook = self.state.webhooks.get(request.path_params["webhook_id"])
        if webhook is None:
            return _error(404, "Not Found", "no such webhook")
        if request.method == "DELETE":
            del self.state.webhooks[webhook.id]
            return Response(status_code=204)
        if request.method == "PUT":
            body = await _json_body(request)
            if (
                body is None
                or not isinstance(body.get("url", ""), str)
                or body.get("type", webhook.type) not in WEBHOOK_TYPES
            ):
                return _error(400, "Bad Request", "url must be a string and type a webhook type")
            webhook.url = body.get("url") or webhook.url
            webhook.type = body.get("type", webhook.type)
            webhook.active = body.get("active", webhook.active) is not False
        return JSONResponse({"data": webhook_json(webhook)})


async def _json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
