"""What every provider fake shares: a settable clock and fault injection.

Queue ``Fault`` objects on a fake; each answers the next ``count`` requests whose path contains
``path_contains`` instead of (or before) the fake's normal handling:

* ``rate_limit``: 429 with the provider's own body (``Retry-After: retry_after`` unless None);
* ``server_error``: ``status`` (500/502/503...) with the provider's body (``Retry-After`` when set);
* ``delay``: wait ``delay_seconds`` through the fake's ``sleep``, then answer normally;
* ``truncate``: the real answer cut to half its bytes while Content-Length still announces the full length.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal["rate_limit", "server_error", "delay", "truncate"]
ErrorBody = Callable[["Fault"], object]  # the provider's JSON body for a 429 or 5xx fault


class FakeClock:
    """A settable clock (seconds since the epoch); tests advance it instead of sleeping."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Fault:
    kind: FaultKind
    count: int = 1
    status: int = 500
    retry_after: int | None = None
    delay_seconds: float = 0.0
    path_contains: str = ""


def take(faults: list[Fault], path: str) -> Fault | None:
    """The first queued fault for `path`, used up by one (removed when spent)."""
    for fault in faults:
        if fault.count > 0 and fault.path_contains in path:
            fault.count -= 1
            if fault.count == 0:
                faults.remove(fault)
            return fault
    return None


async def answer(
    fault: Fault,
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    body: ErrorBody,
    sleep: Callable[[float], Awaitable[None]],
) -> None:
    """Answer one request the way `fault` says (``app`` is the fake's real handler)."""
    if fault.kind == "delay":
        await sleep(fault.delay_seconds)
        await app(scope, receive, send)
    elif fault.kind in ("rate_limit", "server_error"):
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        status = 429 if fault.kind == "rate_limit" else fault.status
        await JSONResponse(body(fault), status, headers)(scope, receive, send)
    else:
        await truncated(app, scope, receive, send)


async def truncated(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
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
