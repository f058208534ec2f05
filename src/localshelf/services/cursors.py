"""Opaque page cursors: a tag and the last row id, base64url-encoded; anything else is `invalid_cursor`."""

from __future__ import annotations

import base64
import binascii

from localshelf.domain.errors import ErrorCode, InvalidInput

_MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER columns


def encode_cursor(tag: str, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{tag}:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(tag: str, cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found_tag, value = raw.split(":", 1)
        if found_tag != tag or not value.isdigit() or int(value) > _MAX_ID:
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "cursor is not one this server issued: pass next_cursor from the previous page unchanged.",
            ErrorCode.INVALID_CURSOR,
        ) from exc
