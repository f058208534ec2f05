"""Currencies and prices.

Prices are integers in the currency's minor unit (cents for USD, yen for JPY,
fils for KWD), never floats, so no amount is ever rounded on the way through.
How many minor units make a major one comes from the ISO 4217 table shipped
with the `iso4217` package: 10**2 for USD, 10**0 for JPY, 10**3 for KWD.
Codes the table lists without minor units (gold XAU, test code XTS, ...) are
treated as having none.
"""

from __future__ import annotations

import re

from iso4217 import Currency

from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.text import preview

MAX_AMOUNT_MINOR = 10**12

_THREE_LETTERS = re.compile(r"[A-Z]{3}")


def normalize_currency(code: str) -> str:
    """Upper-cased ISO 4217 code ("usd " -> "USD") that the iso4217 table lists as current."""
    candidate = code.strip().upper()
    if not _THREE_LETTERS.fullmatch(candidate):
        raise InvalidInput(
            f"Currency must be a three-letter ISO 4217 code such as 'USD', got {preview(code)}.",
            ErrorCode.INVALID_CURRENCY,
        )
    try:
        Currency(candidate)
    except ValueError:
        raise InvalidInput(
            f"{preview(code)} is not a current ISO 4217 currency code.", ErrorCode.INVALID_CURRENCY
        ) from None
    return candidate


def minor_unit_exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (USD 2, JPY 0, KWD 3)."""
    exponent = Currency(normalize_currency(currency)).exponent
    return 0 if exponent is None else exponent


def validate_amount_minor(amount_minor: int) -> None:
    # bool is an int subclass; True must not pass as a price of 1.
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidInput(
            f"Price must be a whole number of minor units, got {amount_minor!r}.", ErrorCode.INVALID_PRICE
        )
    if amount_minor < 0:
        raise InvalidInput(f"Price must not be negative, got {amount_minor}.", ErrorCode.INVALID_PRICE)
    if amount_minor > MAX_AMOUNT_MINOR:
        raise InvalidInput(
            f"Price must be at most {MAX_AMOUNT_MINOR} minor units, got {amount_minor}.",
            ErrorCode.INVALID_PRICE,
        )


def format_decimal(amount_minor: int, currency: str) -> str:
    """Plain decimal string of a minor-unit amount: (1099, "USD") -> "10.99", (500, "JPY") -> "500"."""
    exponent = minor_unit_exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), 10**exponent)
    if exponent == 0:
        return f"{sign}{major}"
    return f"{sign}{major}.{minor:0{exponent}d}"
