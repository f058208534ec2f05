"""The ASGI app: routes, token check, shop resolution and fault injection.

Routes: ``GET /admin/oauth/authorize``, ``POST /admin/oauth/access_token``,
``POST /admin/api/{version}/graphql.json``. The shop is chosen by the ``Host`` header
(``alder-hardware.myshopify.com``); when the host is not a known shop and the fake holds exactly one shop
(e.g. under uvicorn on localhost), that shop answers. Unknown shop → 404.

Fault injection (``FakeShopify.faults``): queue ``Fault`` objects; each applies to the next ``count``
matching requests (``path_contains`` filter), before normal handling.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import anyio
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from localshelf.fakes.faults import Fault, answer, take
from localshelf.fakes.shopify import graphql, oauth
from localshelf.fakes.shopify.state import Shop, ShopifyState
from localshelf.fakes.shopify.webhooks import WebhookSender

INVALID_TOKEN_BODY = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def _error_body(fault: Fault) -> object:
    if fault.kind == "rate_limit":
        return {
            "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
        }
    return {"errors": "Internal Server Error"}


class FakeShopify:
    def __init__(
        self, state: ShopifyState | None = None, *, sleep: Callable[[float], Awaitable[None]] | None = None
    ) -> None:
        self.state = state or ShopifyState()
        self.faults: list[Fault] = []
        self.sleep: Callable[[float], Awaitable[None]] = sleep or anyio.sleep
        self.request_log: list[tuple[str, str]] = []
        self.webhooks = WebhookSender(self.state)
        self._app = Starlette(
            routes=[
                Route("/admin/oauth/authorize", self._authorize, methods=["GET"]),
                Route("/admin/oauth/access_token", self._access_token, methods=["POST"]),
                Route("/admin/api/{version}/graphql.json", self._graphql, methods=["POST"]),
            ]
        )

    # ------------------------------------------------------------ knobs

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    # ------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        self.request_log.append((scope["method"], scope["path"]))
        fault = take(self.faults, scope["path"])
        if fault is None:
            await self._app(scope, receive, send)
        else:
            await answer(fault, self._app, scope, receive, send, _error_body, self.sleep)

    # ------------------------------------------------------------ handlers

    def _shop(self, request: Request) -> Shop | None:
        host = request.headers.get("host", "").split(":", 1)[0].lower()
        shop = self.state.shops.get(host)
        if shop is None and len(self.state.shops) == 1:
            shop = next(iter(self.state.shops.values()))
        return shop

    async def _authorize(self, request: Request) -> Response:
        shop = self._shop(request)
        if shop is None:
            return JSONResponse({"errors": "Not Found"}, 404)
        return await oauth.authorize(request, self.state, shop)

    async def _access_token(self, request: Request) -> Response:
        shop = self._shop(request)
        if shop is None:
            return JSONResponse({"errors": "Not Found"}, 404)
        return await oauth.access_token(request, self.state, shop)

    async def _graphql(self, request: Request) -> Response:
        shop = self._shop(request)
        if shop is None:
            return JSONResponse({"errors": "Not Found"}, 404)
        if request.path_params["version"] not in self.state.api_versions:
            return JSONResponse({"errors": "Not Found"}, 404)
        token = request.headers.get("x-shopify-access-token", "")
        scope = shop.tokens.get(token)
        if scope is None:
            return JSONResponse(INVALID_TOKEN_BODY, 401)
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        # orjson: the fake shares the benchmark machine's cores with the sync it serves; the json module's encoding
        # of the pages was a third of its time.
        answer = orjson.dumps(graphql.execute(self.state, shop, scope, body))
        return Response(answer, media_type="application/json")


def create_app(state: ShopifyState | None = None) -> FakeShopify:
    """Factory for ``uvicorn --factory localshelf.fakes.shopify.app:demo_app``-style use."""
    return FakeShopify(state)


def demo_app() -> FakeShopify:
    """One seeded shop (alder-hardware.myshopify.com, 50 products × 3 locations) for manual runs."""
    state = ShopifyState()
    shop = state.add_shop("alder-hardware.myshopify.com")
    state.seed(shop, products=50, locations=3, seed=1)
    return FakeShopify(state)
