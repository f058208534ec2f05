import re

import pytest

from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.ids import ID_PREFIXES, new_public_id, validate_public_id

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
KINDS = list(ID_PREFIXES)


def test_prefixes_are_the_documented_ones() -> None:
    assert ID_PREFIXES == {
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


@pytest.mark.parametrize("kind", KINDS)
def test_new_id_is_prefix_underscore_and_twelve_crockford_characters(kind: str) -> None:
    public_id = new_public_id(kind)
    assert re.fullmatch(rf"{ID_PREFIXES[kind]}_[{CROCKFORD}]{{12}}", public_id)


@pytest.mark.parametrize("kind", KINDS)
def test_new_id_validates_as_its_own_kind(kind: str) -> None:
    public_id = new_public_id(kind)
    assert validate_public_id(public_id, kind) == public_id


def test_new_ids_are_distinct_and_use_the_whole_alphabet_but_never_i_l_o_u() -> None:
    ids = [new_public_id("product") for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    used = {ch for public_id in ids for ch in public_id.removeprefix("prd_")}
    assert used == set(CROCKFORD)
    assert not used & set("ilou")


def test_validation_trims_and_lower_cases() -> None:
    assert validate_public_id("  LOC_7K2M9X4P0C1D \n", "location") == "loc_7k2m9x4p0c1d"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "loc_",
        "loc_7k2m9x4p0c1",
        "loc_7k2m9x4p0c1dd",
        "loc7k2m9x4p0c1d",
        "loc-7k2m9x4p0c1d",
        "loc_7k2m9x4p0c1i",
        "loc_7k2m9x4p0c1l",
        "loc_7k2m9x4p0c1o",
        "loc_7k2m9x4p0c1u",
        "loc_7k2m9x4p0c1_",
        "loc_7k2m 9x4p0c1",
        "prd_7k2m9x4p0c1d",
        "xloc_7k2m9x4p0c1d",
        "loc_7k2m9x4p0c1d\nx",
    ],
)
def test_malformed_or_wrong_kind_ids_are_rejected(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_public_id(value, "location")
    assert caught.value.code is ErrorCode.INVALID_ID


def test_rejection_message_names_the_value_kind_and_expected_shape() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_public_id("xyz", "location")
    assert caught.value.message == "'xyz' is not a location id (expected loc_ followed by 12 characters)."


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        ("organization", "an organization id"),
        ("offer", "an offer id"),
        ("retailer_item", "a retailer item id"),
    ],
)
def test_rejection_message_reads_naturally_for_every_kind(kind: str, phrase: str) -> None:
    with pytest.raises(InvalidInput, match=phrase):
        validate_public_id("nope", kind)


def test_long_rejected_value_is_truncated_in_the_message() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_public_id("a" * 300, "offer")
    assert "a" * 41 not in caught.value.message


@pytest.mark.parametrize("kind", ["store", "", "Location"])
def test_unknown_kind_is_a_programming_error(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown id kind"):
        new_public_id(kind)
    with pytest.raises(ValueError, match="unknown id kind"):
        validate_public_id("loc_7k2m9x4p0c1d", kind)
