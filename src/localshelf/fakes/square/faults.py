"""Fault injection for the fake: queued ``Fault`` objects answer the next matching requests instead of the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from localshelf.fakes.square.wire import error_body

FaultKind = Literal["rate_limit", "server_error", "truncate"]


@dataclass
class Fault:
    """``rate_limit``: 429 RATE_LIMITED (``Retry-After: retry_after`` unless None; whether Square sends it is
    unconfirmed). ``server_error``: ``status`` with an API_ERROR body. ``truncate``: the real answer cut to half
    its bytes, Content-Length still announcing the full length. Applies to the next ``count`` requests whose path
    contains ``path_contains``."""

    kind: FaultKind
    count: int = 1
    status: int = 500
    retry_after: int | None = None
    path_contains: str = ""


async def answer(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.kind == "rate_limit":
        body = error_body("RATE_LIMIT_ERROR", "RATE_LIMITED", "This request was rate limited. Please retry later.")
        await JSONResponse(body, 429, headers)(scope, receive, send)
    elif fault.kind == "server_error":
        code = "SERVICE_UNAVAILABLE" if fault.status == 503 else "INTERNAL_SERVER_ERROR"
        await JSONResponse(error_body("API_ERROR", code, "Fault injected."), fault.status, headers)(
            scope, receive, send
        )
    else:
        await _truncated(app, scope, receive, send)


async def _truncated(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    start: dict[str, object] = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))

    await app(scope, receive, capture)
    full = b"".join(chunks)
    raw_headers = start.get("headers", [])
    assert isinstance(raw_headers, list)
    headers = [(k, v) for k, v in raw_headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(full)).encode()))
    await send({"type": "http.response.start", "status": start.get("status", 200), "headers": headers})
    await send({"type": "http.response.body", "body": full[: len(full) // 2], "more_body": False})
