"""Typed errors shared by every layer.

Every anticipated failure is a `LocalshelfError` carrying a stable `ErrorCode`
(part of the public contract: agents branch on it) and a one-line human message.
The MCP boundary (`localshelf.server.errors`) turns them into tool errors in one
place; nothing else formats errors for clients.

    LocalshelfError
    ├── InvalidInput          bad arguments (many codes: invalid_gtin, invalid_coordinates, ...)
    ├── NotFound              unknown id, or an id the caller may not see
    ├── Conflict              uniqueness violations (duplicate_offer, ...)
    ├── Forbidden             the caller may see the object but not do this (forbidden, insufficient_scope)
    ├── RateLimited           over the per-key request rate; carries retry_after_seconds
    └── Unavailable           a dependency is down or not set up (database not migrated, ...)
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_ARGUMENT = "invalid_argument"
    INVALID_GTIN = "invalid_gtin"
    INVALID_COORDINATES = "invalid_coordinates"
    INVALID_RADIUS = "invalid_radius"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_PRICE = "invalid_price"
    INVALID_CURRENCY = "invalid_currency"
    INVALID_ID = "invalid_id"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_OPENING_HOURS = "invalid_opening_hours"
    INVALID_TIMEZONE = "invalid_timezone"
    EMPTY_QUERY = "empty_query"
    VALUE_TOO_LONG = "value_too_long"
    COORDINATES_REQUIRED = "coordinates_required"
    NOT_FOUND = "not_found"
    DUPLICATE_OFFER = "duplicate_offer"
    DUPLICATE_PRODUCT = "duplicate_product"
    EXTERNAL_ID_REUSED = "external_id_reused"
    WRONG_ORGANIZATION_KIND = "wrong_organization_kind"
    FORBIDDEN = "forbidden"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    RATE_LIMITED = "rate_limited"
    NOT_CONNECTED = "not_connected"
    ALREADY_FINISHED = "already_finished"
    PREFIX_CONFLICT = "prefix_conflict"
    UNAVAILABLE = "unavailable"
    INTERNAL_ERROR = "internal_error"


class LocalshelfError(Exception):
    """Base of every anticipated failure; `code` is stable, `message` is for people."""

    default_code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code or self.default_code
        self.message = message


class InvalidInput(LocalshelfError):
    default_code = ErrorCode.INVALID_ARGUMENT


class NotFound(LocalshelfError):
    default_code = ErrorCode.NOT_FOUND

    @classmethod
    def of(cls, kind: str, public_id: str) -> NotFound:
        return cls(f"No {kind} with id {public_id!r}.")


class Conflict(LocalshelfError):
    default_code = ErrorCode.DUPLICATE_OFFER


class Forbidden(LocalshelfError):
    default_code = ErrorCode.FORBIDDEN


class RateLimited(LocalshelfError):
    default_code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after_seconds: float) -> None:
        self.retry_after_seconds = round(max(retry_after_seconds, 0.001), 3)
        super().__init__(
            f"Too many requests for this key; retry after {self.retry_after_seconds} s "
            f"(retry_after_seconds={self.retry_after_seconds})."
        )


class Unavailable(LocalshelfError):
    default_code = ErrorCode.UNAVAILABLE
