"""What every provider fake shares: a settable clock and fault injection.

Queue ``Fault`` objects on a fake; each answers the next ``count`` requests whose path contains
``path_contains`` instead of (or before) the fake's normal handling:

* ``rate_limit``: 429 with the provider's own body (``Retry-After: retry_after`` unless None);
* ``server_error``: ``status`` (500/502/503...) with the provider's body (``Retry-After`` when set);
* ``delay``: wait ``delay_seconds`` through the fake's ``sleep``, then answer normally (a slow page);
* ``truncate``: the real answer cut to half its bytes while Content-Length still announces the full length;
* ``timeout``: the request hangs for ``delay_seconds`` (at least ``TIMEOUT_HANG_SECONDS``) through the fake's
  ``sleep``, then the client gets ``httpx.ReadTimeout``;
* ``reset``: the connection is reset before any response: the client gets ``httpx.ReadError``;
* ``invalid_json``: 200 with a body that is not JSON (an HTML error page), or with ``wrong_shape`` a JSON
  value no endpoint answers (a list where an object is expected);
* ``repeat_page``: the next matching request is answered normally and recorded; the ``count`` matching
  requests after it get that same recorded answer again (a paging cursor that does not advance).

``httpx.ASGITransport`` has no timeouts and re-raises whatever the app raises, so ``timeout`` and ``reset`` raise
the very exceptions httpx raises on a real socket (a read past the client's timeout, a peer's RST). Served over a
real server (uvicorn) they end the request without an answer instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx
from anyio.lowlevel import checkpoint
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal[
    "rate_limit", "server_error", "delay", "truncate", "timeout", "reset", "invalid_json", "repeat_page"
]
ErrorBody = Callable[["Fault"], object]  # the provider's JSON body for a 429 or 5xx fault
TIMEOUT_HANG_SECONDS = 600.0  # longer than any client timeout we configure (20 s)
NOT_JSON = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
WRONG_SHAPE = b'["not", "the", "object", "this", "endpoint", "answers"]'


class FakeClock:
    """A settable clock (seconds since the epoch); tests advance it instead of sleeping."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """A sleep that only moves this clock (it still yields once, as a real sleep does)."""
        self.advance(max(seconds, 0.0))
        await checkpoint()


@dataclass
class Recorded:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class Fault:
    kind: FaultKind
    count: int = 1
    status: int = 500
    retry_after: int | None = None
    delay_seconds: float = 0.0
    path_contains: str = ""
    wrong_shape: bool = False  # invalid_json: valid JSON of the wrong shape instead of a non-JSON body
    recorded: Recorded | None = field(default=None, repr=False)  # repeat_page: the answer it repeats
    answered: list[str] = field(default_factory=list, repr=False)  # the path of each request it answered


def take(faults: list[Fault], path: str) -> Fault | None:
    """The first queued fault for `path`, used up by one (removed when spent).

    A ``repeat_page`` fault that has not recorded its page yet is returned without being used up."""
    for fault in faults:
        if fault.count > 0 and fault.path_contains in path:
            if fault.kind == "repeat_page" and fault.recorded is None:
                return fault
            fault.count -= 1
            fault.answered.append(path)
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
    elif fault.kind == "timeout":
        await sleep(max(fault.delay_seconds, TIMEOUT_HANG_SECONDS))
        raise httpx.ReadTimeout("timed out")
    elif fault.kind == "reset":
        raise httpx.ReadError("[Errno 104] Connection reset by peer")
    elif fault.kind == "invalid_json":
        content = WRONG_SHAPE if fault.wrong_shape else NOT_JSON
        await Response(content, 200, media_type="application/json")(scope, receive, send)
    elif fault.kind == "repeat_page":
        await _repeat(fault, app, scope, receive, send)
    else:
        await truncated(app, scope, receive, send)


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> Recorded:
    start: dict[str, object] = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))

    await app(scope, receive, capture)
    raw_headers = start.get("headers", [])
    assert isinstance(raw_headers, list)
    status = start.get("status", 200)
    assert isinstance(status, int)
    return Recorded(status, [(bytes(k), bytes(v)) for k, v in raw_headers], b"".join(chunks))


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _repeat(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    if fault.recorded is None:
        fault.recorded = await _capture(app, scope, receive)
    recorded = fault.recorded
    await _send(send, recorded.status, recorded.headers, recorded.body)


async def truncated(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    full = await _capture(app, scope, receive)
    headers = [(k, v) for k, v in full.headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(full.body)).encode()))
    await _send(send, full.status, headers, full.body[: len(full.body) // 2])
