"""Public identifiers.

Ids shown to clients are short, random (so they reveal neither row counts nor
creation order) and typed by a prefix, so an id pasted into the wrong argument
is caught with a clear message instead of a confusing "not found":

    loc_7k2m9x4p0c1d

The 12 random characters come from `secrets` and use the lower-case Crockford
base32 alphabet (digits and letters without i, l, o, u, which are easily
misread or spell words), giving 60 bits: collisions are negligible at catalogue
scale, and the database's unique constraint is the backstop.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading

from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.text import preview

ID_PREFIXES: dict[str, str] = {
    "organization": "org",
    "location": "loc",
    "product": "prd",
    "offer": "ofr",
    "retailer_item": "itm",
    "user": "usr",
    "api_key": "key",
    "integration": "int",
    "sync_job": "job",
    "webhook_endpoint": "whk",
    "movement": "mov",
    "brand": "brd",
    "brand_claim": "clm",
}

ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_RANDOM_LENGTH = 12

_PATTERNS = {
    kind: re.compile(rf"{prefix}_[{ID_ALPHABET}]{{{ID_RANDOM_LENGTH}}}") for kind, prefix in ID_PREFIXES.items()
}


class _RandomCharacters(threading.local):
    """Id characters drawn from the OS a few kilobytes at a time, per thread: random bytes in base32 (5 bits a
    character, uniform) mapped onto the id alphabet.

    A sync creates an id per offer. Drawn one id at a time, each draw was a system call that releases the GIL, and
    taking it back waited behind the sync's other threads (the build lanes, the event loop)."""

    DRAWN = 5 * 1024  # bytes: 8,192 characters, whole base32 groups (5 bytes each), so no padding

    def __init__(self) -> None:
        self.characters, self.offset = "", 0

    def take(self, count: int) -> str:
        if self.offset + count > len(self.characters):
            self.characters = base64.b32encode(secrets.token_bytes(self.DRAWN)).decode().translate(_FROM_BASE32)
            self.offset = 0
        start, self.offset = self.offset, self.offset + count
        return self.characters[start : self.offset]


_FROM_BASE32 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ID_ALPHABET)
_random_characters = _RandomCharacters()


def new_public_id(kind: str) -> str:
    return f"{_prefix(kind)}_{_random_characters.take(ID_RANDOM_LENGTH)}"


def validate_public_id(value: str, kind: str) -> str:
    """The id in canonical form (trimmed, lower-case) if it is a well-formed `kind` id."""
    prefix = _prefix(kind)
    candidate = value.strip().lower()
    if not _PATTERNS[kind].fullmatch(candidate):
        raise InvalidInput(
            f"{preview(value)} is not {_with_article(kind.replace('_', ' '))} id "
            f"(expected {prefix}_ followed by {ID_RANDOM_LENGTH} characters).",
            ErrorCode.INVALID_ID,
        )
    return candidate


def _prefix(kind: str) -> str:
    # An unknown kind is a bug in the caller, not bad user input.
    try:
        return ID_PREFIXES[kind]
    except KeyError:
        raise ValueError(f"unknown id kind {kind!r}; expected one of {sorted(ID_PREFIXES)}") from None


def _with_article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
