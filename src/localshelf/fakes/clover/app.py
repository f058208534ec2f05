"""The ASGI app: routes, bearer-token check and fault injection.

Routes: ``GET /oauth/v2/authorize``, ``POST /oauth/v2/token``, ``POST /oauth/v2/refresh`` (see
:mod:`.oauth`); ``GET /v3/merchants/{mId}``, ``/address``, ``/properties``, ``/items``, ``/item_stocks``,
``/item_stocks/{itemId}`` (see :mod:`.rest`). REST calls need ``Authorization: Bearer <access token>`` for
that merchant: a missing, unknown or expired token answers 401 ``{"message": "401 Unauthorized"}``; a token of
another merchant answers 401 too (Clover's choice between 401 and 403 there is unconfirmed). One host serves
OAuth and REST (Clover splits ``www.`` and ``api.`` hosts; the fake does not care).

Fault injection (``FakeClover.inject``): each ``Fault`` applies to the next ``count`` requests whose path
contains ``path_contains``, before normal handling. ``rate_limit`` answers 429 (``retry-after`` header when
``retry_after`` is set; Clover sends it on concurrency limits); ``server_error`` answers ``status``;
``delay`` waits ``delay_seconds`` through the fake's ``sleep`` then answers normally; ``truncate`` sends the
real answer cut to half its bytes while Content-Length announces the full length.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from localshelf.fakes.clover import oauth, rest
from localshelf.fakes.clover.state import Address, CloverState, Merchant
from localshelf.fakes.clover.webhooks import WebhookSender
from localshelf.fakes.faults import Fault, answer, take

UNAUTHORIZED = {"message": "401 Unauthorized"}
TOO_MANY_REQUESTS = {"message": "429 Too Many Requests"}  # body wording unconfirmed; key on the status


def _error_body(fault: Fault) -> object:
    return TOO_MANY_REQUESTS if fault.kind == "rate_limit" else {"message": f"{fault.status} Server Error"}


class FakeClover:
    def __init__(
        self, state: CloverState | None = None, *, sleep: Callable[[float], Awaitable[None]] | None = None
    ) -> None:
        self.state = state or CloverState()
        self.faults: list[Fault] = []
        self.sleep: Callable[[float], Awaitable[None]] = sleep or anyio.sleep
        self.request_log: list[tuple[str, str, str]] = []  # method, path, query string
        self.webhooks = WebhookSender(self.state)
        merchant = "/v3/merchants/{mId}"
        self._app = Starlette(
            routes=[
                Route("/oauth/v2/authorize", self._authorize, methods=["GET"]),
                Route("/oauth/v2/token", self._token, methods=["POST"]),
                Route("/oauth/v2/refresh", self._refresh, methods=["POST"]),
                Route(merchant, self._merchant, methods=["GET"]),
                Route(f"{merchant}/address", self._address, methods=["GET"]),
                Route(f"{merchant}/properties", self._properties, methods=["GET"]),
                Route(f"{merchant}/items", self._items, methods=["GET"]),
                Route(f"{merchant}/item_stocks", self._item_stocks, methods=["GET"]),
                Route(f"{merchant}/item_stocks/{{itemId}}", self._item_stock, methods=["GET"]),
            ]
        )

    # ------------------------------------------------------------ faults

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    # ------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        self.request_log.append((scope["method"], scope["path"], query.decode("latin-1")))
        fault = take(self.faults, scope["path"])
        if fault is None:
            await self._app(scope, receive, send)
        else:
            await answer(fault, self._app, scope, receive, send, _error_body, self.sleep)

    # ------------------------------------------------------------ handlers

    def _authorized(self, request: Request) -> Merchant | Response:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        merchant = self.state.merchant_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if merchant is None or merchant.id != request.path_params["mId"]:
            return JSONResponse(UNAUTHORIZED, 401)
        return merchant

    async def _authorize(self, request: Request) -> Response:
        return await oauth.authorize(request, self.state)

    async def _token(self, request: Request) -> Response:
        return await oauth.token(request, self.state)

    async def _refresh(self, request: Request) -> Response:
        return await oauth.refresh(request, self.state)

    async def _merchant(self, request: Request) -> Response:
        merchant = self._authorized(request)
        return merchant if isinstance(merchant, Response) else JSONResponse(rest.merchant_json(merchant, request))

    async def _address(self, request: Request) -> Response:
        merchant = self._authorized(request)
        return merchant if isinstance(merchant, Response) else JSONResponse(rest.address_json(merchant, request))

    async def _properties(self, request: Request) -> Response:
        merchant = self._authorized(request)
        return merchant if isinstance(merchant, Response) else JSONResponse(rest.properties_json(merchant, request))

    async def _items(self, request: Request) -> Response:
        merchant = self._authorized(request)
        return merchant if isinstance(merchant, Response) else rest.list_items(request, self.state, merchant)

    async def _item_stocks(self, request: Request) -> Response:
        merchant = self._authorized(request)
        return merchant if isinstance(merchant, Response) else rest.list_item_stocks(request, self.state, merchant)

    async def _item_stock(self, request: Request) -> Response:
        merchant = self._authorized(request)
        if isinstance(merchant, Response):
            return merchant
        return rest.get_item_stock(merchant, request.path_params["itemId"])


def create_app(state: CloverState | None = None) -> FakeClover:
    return FakeClover(state)


def demo_app() -> FakeClover:
    """One seeded merchant (200 items) for ``uvicorn --factory localshelf.fakes.clover.app:demo_app``."""
    state = CloverState()
    merchant = state.add_merchant(
        "Alder Hardware",
        address=Address(address1="100 Main St", city="Springfield", state="IL", zip="62701", country="US"),
    )
    state.seed(merchant, items=200, seed=1)
    return FakeClover(state)
