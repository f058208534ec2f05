"""Brand names and GS1 company prefixes: the pure rules shared by brand claims, footprints and demand."""

from __future__ import annotations

import re

from localshelf.domain.errors import ErrorCode, InvalidInput

_PREFIX = re.compile(r"[0-9]{6,12}")


def brand_key(name: str) -> str:
    """How two spellings of one brand compare: case-folded, inner whitespace collapsed."""
    return " ".join(name.casefold().split())


def company_prefix(value: str) -> str:
    """A GS1 company prefix as it begins a GTIN-13 (a UPC company prefix with its leading 0): 6-12 digits."""
    candidate = value.strip()
    if not _PREFIX.fullmatch(candidate):
        raise InvalidInput(
            f"{candidate[:20]!r} is not a GS1 company prefix (6 to 12 digits, as it begins the GTIN-13).",
            ErrorCode.INVALID_GTIN,
        )
    return candidate


def prefixes_overlap(a: str, b: str) -> bool:
    """Two company prefixes overlap when one begins the other: they would claim the same GTINs."""
    return a.startswith(b) or b.startswith(a)
