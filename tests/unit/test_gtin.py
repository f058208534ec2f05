import pytest

from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.gtin import gtin_check_digit, is_valid_gtin, normalize_gtin, with_check_digit

# Real codes: Cheerios UPC-A, Faber-Castell EAN-13, GS1's EAN-8 example, and a
# GTIN-14 case code (indicator 1) wrapping the same UPC-A.
REAL_GTINS = {
    "036000291452": "00036000291452",
    "4006381333931": "04006381333931",
    "96385074": "00000096385074",
    "10036000291459": "10036000291459",
}


@pytest.mark.parametrize(("raw", "normalized"), REAL_GTINS.items())
def test_real_gtins_normalize_to_their_14_digit_form(raw: str, normalized: str) -> None:
    assert normalize_gtin(raw) == normalized


@pytest.mark.parametrize("normalized", REAL_GTINS.values())
def test_normalizing_a_14_digit_form_returns_it_unchanged(normalized: str) -> None:
    assert normalize_gtin(normalized) == normalized


@pytest.mark.parametrize(
    ("body", "digit"),
    [("03600029145", 2), ("400638133393", 1), ("9638507", 4), ("1003600029145", 9), ("0000000", 0)],
)
def test_check_digit_follows_gs1_mod_10(body: str, digit: int) -> None:
    assert gtin_check_digit(body) == digit


def test_with_check_digit_appends_the_check_digit() -> None:
    assert with_check_digit("400638133393") == "4006381333931"


def test_every_code_built_with_with_check_digit_is_valid() -> None:
    bodies = [f"{n:011d}" for n in range(1, 10_000, 37)]
    assert all(is_valid_gtin(with_check_digit(body)) for body in bodies)


@pytest.mark.parametrize(
    "raw",
    ["  036000291452\n", "0 36000 29145 2", "0-36000-29145-2", "4006381-333931", "\t9638 5074 "],
)
def test_whitespace_and_dashes_are_ignored(raw: str) -> None:
    assert is_valid_gtin(raw)
    assert len(normalize_gtin(raw)) == 14


@pytest.mark.parametrize("raw", ["03600029145A", "0360002914.2", "036000/291452", "٠٣٦٠٠٠٢٩١٤٥٢", "03600029145²"])
def test_non_digit_content_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidInput, match="only digits") as caught:
        normalize_gtin(raw)
    assert caught.value.code is ErrorCode.INVALID_GTIN


@pytest.mark.parametrize("raw", ["", "   ", "1234567", "123456789", "03600029145", "100360002914590"])
def test_wrong_length_is_rejected_with_accepted_lengths_and_length_found(raw: str) -> None:
    digits = raw.strip()
    with pytest.raises(InvalidInput) as caught:
        normalize_gtin(raw)
    assert caught.value.code is ErrorCode.INVALID_GTIN
    assert "8, 12, 13 or 14" in caught.value.message
    assert f"found {len(digits)}" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "expected", "found"),
    [("036000291453", 2, 3), ("4006381333930", 1, 0), ("96385070", 4, 0), ("10036000291458", 9, 8)],
)
def test_bad_check_digit_is_rejected_with_expected_and_found_digit(raw: str, expected: int, found: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_gtin(raw)
    assert caught.value.code is ErrorCode.INVALID_GTIN
    assert f"expected {expected}, found {found}" in caught.value.message


@pytest.mark.parametrize("raw", ["00000000", "000000000000", "0000000000000", "00000000000000"])
def test_all_zero_code_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidInput, match="all zeros") as caught:
        normalize_gtin(raw)
    assert caught.value.code is ErrorCode.INVALID_GTIN


def test_long_offending_value_is_truncated_in_the_message() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_gtin("x" * 500)
    assert "x" * 41 not in caught.value.message
    assert "x" * 40 in caught.value.message


def test_check_digit_of_non_digit_body_is_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        gtin_check_digit("12a4")
    assert caught.value.code is ErrorCode.INVALID_GTIN


@pytest.mark.parametrize(("raw", "valid"), [("036000291452", True), ("036000291453", False), ("abc", False)])
def test_is_valid_gtin_answers_without_raising(raw: str, valid: bool) -> None:
    assert is_valid_gtin(raw) is valid
