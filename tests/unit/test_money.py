import pytest

from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.money import (
    MAX_AMOUNT_MINOR,
    format_decimal,
    minor_unit_exponent,
    normalize_currency,
    validate_amount_minor,
)


@pytest.mark.parametrize(("raw", "code"), [("USD", "USD"), ("usd", "USD"), (" eur\n", "EUR"), ("jPy", "JPY")])
def test_currency_codes_are_trimmed_and_upper_cased(raw: str, code: str) -> None:
    assert normalize_currency(raw) == code


@pytest.mark.parametrize("raw", ["", "US", "USDX", "U$D", "12 ", "ÜSD", "u s d"])
def test_currency_that_is_not_three_letters_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidInput, match="three-letter") as caught:
        normalize_currency(raw)
    assert caught.value.code is ErrorCode.INVALID_CURRENCY


@pytest.mark.parametrize("raw", ["ZZZ", "ABC", "HRK", "DEM"])
def test_unknown_or_withdrawn_currency_is_rejected_by_name(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_currency(raw)
    assert caught.value.code is ErrorCode.INVALID_CURRENCY
    assert repr(raw) in caught.value.message


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", 4),
        ("XAU", 0),
        ("usd", 2),
    ],
)
def test_minor_unit_exponent_comes_from_iso_4217(currency: str, exponent: int) -> None:
    assert minor_unit_exponent(currency) == exponent


def test_minor_unit_exponent_of_unknown_currency_is_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        minor_unit_exponent("ZZZ")
    assert caught.value.code is ErrorCode.INVALID_CURRENCY


@pytest.mark.parametrize("amount", [0, 1, 1099, MAX_AMOUNT_MINOR])
def test_amounts_from_zero_to_the_maximum_are_accepted(amount: int) -> None:
    validate_amount_minor(amount)


@pytest.mark.parametrize("amount", [-1, -1099, MAX_AMOUNT_MINOR + 1, 10**30, True, False])
def test_negative_huge_or_boolean_amounts_are_rejected(amount: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_amount_minor(amount)
    assert caught.value.code is ErrorCode.INVALID_PRICE


def test_maximum_amount_is_a_trillion_minor_units() -> None:
    assert MAX_AMOUNT_MINOR == 10**12


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1099, "USD", "10.99"),
        (0, "USD", "0.00"),
        (5, "USD", "0.05"),
        (100, "eur", "1.00"),
        (500, "JPY", "500"),
        (0, "JPY", "0"),
        (1234, "KWD", "1.234"),
        (7, "KWD", "0.007"),
        (12345, "CLF", "1.2345"),
        (3, "XAU", "3"),
        (MAX_AMOUNT_MINOR, "USD", "10000000000.00"),
        (-250, "USD", "-2.50"),
    ],
)
def test_format_decimal_places_the_point_by_the_minor_unit(amount: int, currency: str, text: str) -> None:
    assert format_decimal(amount, currency) == text


def test_format_decimal_is_exact_where_floats_would_round() -> None:
    amount = 999_999_999_999
    assert format_decimal(amount, "USD") == "9999999999.99"
    assert format_decimal(amount + 1, "KWD") == "1000000000.000"
