"""The ASGI app: routes, bearer-token and scope checks, pagination and fault injection.

Routes (api.json operations): ``GET /oauth2/authorize``, ``POST /oauth2/token`` (ObtainToken), ``GET /v2/locations``
(ListLocations), ``GET /v2/catalog/list`` (ListCatalog), ``POST /v2/catalog/search`` (SearchCatalogObjects),
``POST /v2/inventory/counts/batch-retrieve`` (BatchRetrieveInventoryCounts). Errors use Square's envelope
``{"errors":[{"category","code","detail"}]}`` (developer.squareup.com/docs/build-basics/handling-errors).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from localshelf.fakes.faults import Fault, answer, take
from localshelf.fakes.square import oauth, wire
from localshelf.fakes.square.faults import fault_body
from localshelf.fakes.square.state import SquareState, rfc3339
from localshelf.fakes.square.webhooks import WebhookSender
from localshelf.fakes.square.wire import Json, error_body

CATALOG_TYPES = {"ITEM", "ITEM_VARIATION", "CATEGORY", "IMAGE"}
MAX_COUNTS_PAGE = 1000  # BatchRetrieveInventoryCounts ``limit`` upper bound


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode("ascii")


def decode_cursor(cursor: object) -> int | None:
    """The offset inside a cursor of ours; 0 for no cursor; None for one we did not issue."""
    if cursor in (None, ""):
        return 0
    try:
        text = base64.urlsafe_b64decode(str(cursor).encode("ascii")).decode("ascii")
    except (ValueError, UnicodeError):
        return None
    prefix, _, number = text.partition(":")
    return int(number) if prefix == "offset" and number.isdigit() else None


def _bad(detail: str, code: str = "BAD_REQUEST") -> JSONResponse:
    return JSONResponse(error_body("INVALID_REQUEST_ERROR", code, detail), 400)


class FakeSquare:
    def __init__(self, state: SquareState | None = None) -> None:
        self.state = state or SquareState()
        self.faults: list[Fault] = []
        self.sleep: Callable[[float], Awaitable[None]] = anyio.sleep  # slow and hanging faults wait through it
        self.request_log: list[tuple[str, str]] = []
        self.webhooks = WebhookSender(self.state)
        self.counts_page_size = MAX_COUNTS_PAGE
        self._app = Starlette(
            routes=[
                Route("/oauth2/authorize", self._authorize, methods=["GET"]),
                Route("/oauth2/token", self._token, methods=["POST"]),
                Route("/v2/locations", self._locations, methods=["GET"]),
                Route("/v2/locations/{location_id}", self._location, methods=["GET"]),
                Route("/v2/catalog/list", self._list_catalog, methods=["GET"]),
                Route("/v2/catalog/search", self._search_catalog, methods=["POST"]),
                Route("/v2/inventory/counts/batch-retrieve", self._batch_counts, methods=["POST"]),
            ]
        )

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        self.request_log.append((scope["method"], scope["path"]))
        fault = take(self.faults, scope["path"])
        if fault is None:
            await self._app(scope, receive, send)
        else:
            await answer(fault, self._app, scope, receive, send, fault_body, self.sleep)

    # ------------------------------------------------------------ auth

    def _auth_error(self, request: Request, scope: str) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        problem = self.state.token_valid(token)
        if problem is not None:
            detail = (
                "The access token has expired."
                if problem == "ACCESS_TOKEN_EXPIRED"
                else "This request could not be authorized."
            )
            return JSONResponse(error_body("AUTHENTICATION_ERROR", problem, detail), 401)
        if scope not in self.state.grants[token].scopes:
            return JSONResponse(
                error_body("AUTHENTICATION_ERROR", "INSUFFICIENT_SCOPES", f"Missing the {scope} permission."), 403
            )
        return None

    async def _json_body(self, request: Request) -> Json | None:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    # ------------------------------------------------------------ handlers

    async def _authorize(self, request: Request) -> Response:
        return await oauth.authorize(request, self.state)

    async def _token(self, request: Request) -> Response:
        return await oauth.token(request, self.state)

    async def _locations(self, request: Request) -> Response:
        if (refused := self._auth_error(request, "MERCHANT_PROFILE_READ")) is not None:
            return refused
        ordered = sorted(self.state.locations.values(), key=lambda loc: loc.name)
        return JSONResponse({"locations": [wire.location_object(self.state, loc) for loc in ordered]})

    async def _location(self, request: Request) -> Response:
        if (refused := self._auth_error(request, "MERCHANT_PROFILE_READ")) is not None:
            return refused
        location_id = request.path_params["location_id"]
        if location_id == "main" and self.state.locations:
            location = self.state.main_location()
        elif location_id in self.state.locations:
            location = self.state.locations[location_id]
        else:
            return JSONResponse(error_body("INVALID_REQUEST_ERROR", "NOT_FOUND", "Location not found."), 404)
        return JSONResponse({"location": wire.location_object(self.state, location)})

    async def _list_catalog(self, request: Request) -> Response:
        if (refused := self._auth_error(request, "ITEMS_READ")) is not None:
            return refused
        raw_types = request.query_params.get("types")
        types = {t.strip().upper() for t in raw_types.split(",")} if raw_types else set(CATALOG_TYPES)
        offset = decode_cursor(request.query_params.get("cursor"))
        if offset is None:
            return _bad("Invalid cursor.", "INVALID_CURSOR")
        objects = wire.catalog_objects(self.state, types & CATALOG_TYPES)
        return JSONResponse(_page(objects, offset, self.state.page_size, "objects"))

    async def _search_catalog(self, request: Request) -> Response:
        if (refused := self._auth_error(request, "ITEMS_READ")) is not None:
            return refused
        body = await self._json_body(request)
        if body is None:
            return _bad("Request body is not a JSON object.")
        types = {str(t).upper() for t in body.get("object_types") or CATALOG_TYPES}
        begin = _parse_time(body.get("begin_time"))
        if body.get("begin_time") is not None and begin is None:
            return _bad("begin_time is not an RFC 3339 timestamp.", "INVALID_TIME")
        offset = decode_cursor(body.get("cursor"))
        if offset is None:
            return _bad("Invalid cursor.", "INVALID_CURSOR")
        objects = wire.catalog_objects(
            self.state, types & CATALOG_TYPES, include_deleted=bool(body.get("include_deleted_objects"))
        )
        if begin is not None:
            objects = [o for o in objects if (_parse_time(o["updated_at"]) or begin) > begin]
        limit = body.get("limit")
        size = min(int(limit), self.state.page_size) if isinstance(limit, int) and limit > 0 else self.state.page_size
        page = _page(objects, offset, size, "objects")
        if body.get("include_related_objects"):
            page["related_objects"] = self._related(page.get("objects", []))
        page["latest_time"] = rfc3339(self.state.clock())
        return JSONResponse(page)

    def _related(self, objects: list[Json]) -> list[Json]:
        related: dict[str, Json] = {}
        for obj in objects:
            data = obj.get("item_data") or {}
            for ref in data.get("categories", []):
                category = self.state.categories.get(ref["id"])
                if category is not None:
                    related[category.id] = wire.category_object(category)
            for image_id in data.get("image_ids", []):
                image = self.state.images.get(image_id)
                if image is not None:
                    related[image.id] = wire.image_object(image)
        return list(related.values())

    async def _batch_counts(self, request: Request) -> Response:
        if (refused := self._auth_error(request, "INVENTORY_READ")) is not None:
            return refused
        body = await self._json_body(request)
        if body is None:
            return _bad("Request body is not a JSON object.")
        location_ids = set(body.get("location_ids") or self.state.locations)
        object_ids = set(body.get("catalog_object_ids") or [])
        states = set(body.get("states") or ["IN_STOCK"])
        offset = decode_cursor(body.get("cursor"))
        if offset is None:
            return _bad("Invalid cursor.", "INVALID_CURSOR")
        limit = body.get("limit", MAX_COUNTS_PAGE)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_COUNTS_PAGE:
            return _bad("limit must be between 1 and 1000.", "INVALID_VALUE")
        rows = [
            (at, var, loc, qty)
            for (var, loc), (qty, at) in self.state.counts.items()
            if loc in location_ids and (not object_ids or var in object_ids) and "IN_STOCK" in states
        ]
        rows.sort(key=lambda row: (-row[0], row[1], row[2]))  # newest calculated_at first, as Square sorts
        counts = [wire.count_object(var, loc, qty, at) for at, var, loc, qty in rows]
        return JSONResponse(_page(counts, offset, min(limit, self.counts_page_size), "counts"))


def _page(rows: list[Json], offset: int, size: int, key: str) -> Json:
    """Square omits empty lists and the cursor on the last page."""
    chunk = rows[offset : offset + size]
    page: Json = {key: chunk} if chunk else {}
    if offset + size < len(rows):
        page["cursor"] = encode_cursor(offset + size)
    return page


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def create_app(state: SquareState | None = None) -> FakeSquare:
    return FakeSquare(state)


def demo_app() -> FakeSquare:
    """A seeded seller (40 items × 2 locations) for ``uvicorn --factory localshelf.fakes.square.app:demo_app``."""
    state = SquareState()
    state.seed(items=40, locations=2, seed=1)
    return FakeSquare(state)
