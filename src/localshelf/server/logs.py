"""Log lines an operator can follow: one request id per HTTP request and per MCP tool call, carried in context
variables (so a line logged deep in a service, in a worker thread, still names its request), and an optional
JSON format (`LOCALSHELF_LOG_FORMAT=json`: one object per line with ts, level, logger, message, request_id and,
where known, tool and organization).

uvicorn's access lines pass `RedactSecretUrls` (server/log_redaction.py) on their own logger before any handler
formats them, so the JSON lines carry the masked request target too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LogFormat = Literal["text", "json"]
REQUEST_ID_HEADER = "x-request-id"
# An incoming id is kept only if it is short and plain: it ends up in every log line of the request.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_ACCESS_ARGUMENTS = 5  # uvicorn's access record: (client, method, path with query, http version, status)

request_id: ContextVar[str | None] = ContextVar("localshelf_request_id", default=None)
current_tool: ContextVar[str | None] = ContextVar("localshelf_tool", default=None)
current_organization: ContextVar[str | None] = ContextVar("localshelf_organization", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(value: str | None) -> str | None:
    return value if value and _SANE_REQUEST_ID.match(value) else None


@contextmanager
def tool_call_context(tool: str, organization: object) -> Iterator[str]:
    """The tool call's request id (the HTTP request's when the call runs inside one, else a new one), with the
    tool and organization, for every line logged during the call."""
    call_id = request_id.get() or new_request_id()
    tokens = (
        request_id.set(call_id),
        current_tool.set(tool),
        current_organization.set(organization if isinstance(organization, str) else None),
    )
    try:
        yield call_id
    finally:
        current_organization.reset(tokens[2])
        current_tool.reset(tokens[1])
        request_id.reset(tokens[0])


class RequestIdMiddleware:
    """Gives each HTTP request an id (a sane incoming `X-Request-Id`, else a new one), sets it for the request's
    log lines and in `request.state.request_id`, and echoes it in the response's `X-Request-Id` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        rid = sane_request_id(incoming) or new_request_id()
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        state["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER.encode()]
                message = {**message, "headers": [*headers, (REQUEST_ID_HEADER.encode(), rid.encode())]}
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        except* ClientDisconnect:
            # The client gave up before its answer (its own timeout): nothing is broken and nobody is left to
            # answer, so one line instead of the ASGI server's "Exception in ASGI application" traceback.
            logging.getLogger("localshelf.http").info("client disconnected before its answer: %s", scope.get("path"))
        finally:
            request_id.reset(token)


def _context_fields() -> dict[str, str]:
    fields = {"request_id": request_id.get(), "tool": current_tool.get(), "organization": current_organization.get()}
    return {name: value for name, value in fields.items() if value is not None}


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    args = record.args
    if record.name != "uvicorn.access" or not isinstance(args, tuple) or len(args) != _ACCESS_ARGUMENTS:
        return {}
    _client, method, target, _version, status = args
    return {"method": method, "path": target, "status": status}


class JsonFormatter(logging.Formatter):
    """One JSON object per line. The message is formatted after the loggers' filters ran (secrets masked)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None,
            **_context_fields(),
            **_access_fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with the request id (and tool) in brackets when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        fields = _context_fields()
        context = " ".join(f"{k}={v}" for k, v in fields.items() if k != "organization")
        record.context = f" [{context}]" if context else ""
        return super().format(record)


class _LocalshelfHandler(logging.StreamHandler[TextIO]):
    """Marks the root handler `configure_logging` installed, so a second call replaces it instead of doubling."""


def configure_logging(level: str, log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """Send every logger's records (uvicorn's included, see transports.py) to one handler on the root logger."""
    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _LocalshelfHandler)]:
        root.removeHandler(existing)
    handler = _LocalshelfHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    return handler
