"""GTIN (barcode number) validation and normalisation.

A GTIN is the number under a retail barcode. Four lengths are in use and all
name the same product space: EAN-8 (8 digits), UPC-A (12), EAN-13 (13) and
GTIN-14 (14). Left-padding with zeros to 14 digits does not change which product
a code names (UPC-A 036000291452 is GTIN-14 00036000291452), so every GTIN is
stored and compared in that 14-digit form.

The last digit is a GS1 mod-10 check digit: weight the other digits 3, 1, 3, 1,
... starting from the rightmost one, and the check digit brings the weighted
sum up to a multiple of 10.
"""

from __future__ import annotations

import re

from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.text import preview

GTIN_LENGTHS = (8, 12, 13, 14)
NORMALIZED_LENGTH = 14

# [0-9] rather than str.isdigit(), which also accepts "²" and Arabic-Indic digits.
_DIGITS = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[ -]")


def gtin_check_digit(body: str) -> int:
    """GS1 mod-10 check digit for `body`, a GTIN without its last digit."""
    if not _DIGITS.fullmatch(body):
        raise InvalidInput(f"GTIN body must contain only digits, got {preview(body)}.", ErrorCode.INVALID_GTIN)
    # From the right, the digits weigh 3, 1, 3, 1...
    weighted = 3 * sum(map(int, body[-1::-2])) + sum(map(int, body[-2::-2]))
    return (10 - weighted % 10) % 10


def with_check_digit(body: str) -> str:
    return body + str(gtin_check_digit(body))


def normalize_gtin(raw: str) -> str:
    """Validate a GTIN-8/12/13/14 and return it zero-padded to 14 digits.

    Surrounding whitespace and spaces or dashes between digits are ignored
    ("0 36000 29145 2", "4-006381-333931").
    """
    digits = _SEPARATORS.sub("", raw.strip())
    if digits and not _DIGITS.fullmatch(digits):
        raise InvalidInput(
            f"GTIN must contain only digits (spaces and dashes allowed), got {preview(raw)}.",
            ErrorCode.INVALID_GTIN,
        )
    if len(digits) not in GTIN_LENGTHS:
        raise InvalidInput(
            f"GTIN must have 8, 12, 13 or 14 digits, found {len(digits)} in {preview(raw)}.",
            ErrorCode.INVALID_GTIN,
        )
    if digits.count("0") == len(digits):
        raise InvalidInput(f"GTIN {preview(raw)} is all zeros.", ErrorCode.INVALID_GTIN)
    _check_digit_matches(digits, raw)
    return digits.zfill(NORMALIZED_LENGTH)


def is_valid_gtin(raw: str) -> bool:
    try:
        normalize_gtin(raw)
    except InvalidInput:
        return False
    return True


def _check_digit_matches(digits: str, raw: str) -> None:
    expected = gtin_check_digit(digits[:-1])
    found = int(digits[-1])
    if found != expected:
        raise InvalidInput(
            f"GTIN {preview(raw)} has a bad check digit: expected {expected}, found {found}.",
            ErrorCode.INVALID_GTIN,
        )
