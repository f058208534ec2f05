"""The one boundary where failures become MCP tool errors.

Agents get `isError: true` and one text line `<code>: <message>`. There is no
structured content on errors: clients (the TypeScript SDK among them) validate it
against the tool's output schema even on errors. Codes come from
`localshelf.domain.errors.ErrorCode`. Unexpected exceptions are logged with their
traceback here and reach the client only as `internal_error` with a reference.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError

from localshelf.domain.errors import ErrorCode, LocalshelfError
from localshelf.domain.text import preview

logger = logging.getLogger("localshelf.errors")

_CODES = {code.value for code in ErrorCode}
_MAX_QUOTED = 5
_PYDANTIC_CODES = {"string_too_long": ErrorCode.VALUE_TOO_LONG, "too_long": ErrorCode.VALUE_TOO_LONG}
# A value of the wrong type or shape still gets the code of what the argument is.
_FIELD_CODES = {
    "latitude": ErrorCode.INVALID_COORDINATES,
    "longitude": ErrorCode.INVALID_COORDINATES,
    "radius_km": ErrorCode.INVALID_RADIUS,
    "gtin": ErrorCode.INVALID_GTIN,
    "price_minor": ErrorCode.INVALID_PRICE,
    "quantity_on_hand": ErrorCode.INVALID_QUANTITY,
    "currency": ErrorCode.INVALID_CURRENCY,
    "opening_hours": ErrorCode.INVALID_OPENING_HOURS,
    "timezone": ErrorCode.INVALID_TIMEZONE,
}


def error_result(code: ErrorCode, message: str, meta: dict[str, Any] | None = None) -> CallToolResult:
    """`meta` carries machine-readable extras, e.g. `{"retry_after_seconds": 0.2}` for `rate_limited`."""
    return CallToolResult(
        content=[TextContent(type="text", text=f"{code.value}: {message}")], is_error=True, _meta=meta
    )


def quoted(names: Sequence[str]) -> str:
    """Names the caller sent, for a message: each cut short and escaped, at most a few, so that hostile input
    (a megabyte key, a thousand keys, a newline) still makes one short line."""
    shown = ", ".join(preview(name) for name in names[:_MAX_QUOTED])
    more = len(names) - _MAX_QUOTED
    return f"{shown} and {more} more" if more > 0 else shown


def from_error(error: LocalshelfError) -> CallToolResult:
    retry_after = getattr(error, "retry_after_seconds", None)
    return error_result(
        error.code, error.message, None if retry_after is None else {"retry_after_seconds": retry_after}
    )


def error_code_of(result: CallToolResult) -> str:
    """'ok', or the code of an error result (its text line starts with the code)."""
    if not result.is_error:
        return "ok"
    first = result.content[0] if result.content else None
    return first.text.partition(":")[0] if isinstance(first, TextContent) else ErrorCode.INTERNAL_ERROR.value


def _field(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "arguments"


def _from_validation(error: ValidationError) -> CallToolResult:
    first = error.errors(include_url=False)[0]
    kind, field = first["type"], _field(first["loc"])
    if kind in _CODES:
        return error_result(ErrorCode(kind), first["msg"])
    if kind == "missing":
        return error_result(ErrorCode.INVALID_ARGUMENT, f"{field} is required.")
    if kind == "extra_forbidden":
        return error_result(ErrorCode.INVALID_ARGUMENT, f"{field} is not an argument of this tool.")
    code = _PYDANTIC_CODES.get(kind) or _FIELD_CODES.get(str(first["loc"][0]), ErrorCode.INVALID_ARGUMENT)
    return error_result(code, f"{field}: {first['msg']}.")


def tool_failure(tool: str, exc: ToolError) -> CallToolResult:
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        return _from_validation(cause)
    if isinstance(cause, LocalshelfError):
        return from_error(cause)
    if isinstance(cause, OperationalError | DBAPIError) and getattr(cause, "connection_invalidated", False):
        return error_result(ErrorCode.UNAVAILABLE, "The database is unreachable right now; retry shortly.")
    if not isinstance(exc, UnexpectedToolError):
        # The SDK's own anticipated failures (unknown tool name): its text is safe to show.
        return error_result(ErrorCode.INVALID_ARGUMENT, str(exc).removeprefix(f"Error executing tool {tool}: "))
    reference = secrets.token_hex(4)
    logger.error("tool %s failed unexpectedly (ref %s)", tool, reference, exc_info=cause or exc)
    return error_result(ErrorCode.INTERNAL_ERROR, f"Internal error while running {tool} (reference {reference}).")
