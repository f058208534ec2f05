"""RFC 8628 user/device codes and the slow_down polling rule (localshelf.domain.device_codes)."""

from __future__ import annotations

import math
import re

import pytest

from localshelf.domain import device_codes as dc


def test_constants_match_rfc8628_defaults() -> None:
    assert dc.USER_CODE_ALPHABET == "BCDFGHJKLMNPQRSTVWXZ"
    assert dc.DEFAULT_INTERVAL_SECONDS == 5
    assert dc.SLOW_DOWN_INCREMENT_SECONDS == 5
    assert dc.DEFAULT_EXPIRES_IN_SECONDS == 900
    assert dc.MAX_WRONG_ATTEMPTS == 5


def test_alphabet_has_no_vowels_digits_or_duplicates() -> None:
    alphabet = dc.USER_CODE_ALPHABET
    assert len(set(alphabet)) == len(alphabet) == 20
    assert not set(alphabet) & set("AEIOUY0123456789")
    assert alphabet == alphabet.upper()


def test_user_code_shape_and_entropy() -> None:
    for _ in range(200):
        code = dc.new_user_code()
        assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", code), code
    bits = dc.USER_CODE_LENGTH * math.log2(len(dc.USER_CODE_ALPHABET))
    assert 34 < bits < 35  # ~34.5 bits, as RFC 8628 §6.1 suggests for 8 chars of 20


def test_user_codes_use_the_whole_alphabet_and_do_not_repeat() -> None:
    codes = [dc.new_user_code() for _ in range(500)]
    assert len(set(codes)) == len(codes)
    assert set("".join(codes).replace("-", "")) == set(dc.USER_CODE_ALPHABET)


def test_generated_code_normalises_to_itself_without_dash() -> None:
    code = dc.new_user_code()
    assert dc.normalize_user_code(code) == code.replace("-", "")


@pytest.mark.parametrize(
    "typed",
    ["WDJB-MJHT", "wdjb-mjht", "WdJb MjHt", " wdjbmjht ", "WDJB_MJHT", "W-D-J-B-M-J-H-T", "wdjb.mjht", "WDJB–MJHT"],
)
def test_normalize_accepts_case_and_separators(typed: str) -> None:
    assert dc.normalize_user_code(typed) == "WDJBMJHT"


@pytest.mark.parametrize(
    "typed",
    [
        "WDJA-MJHT",  # vowel A
        "WEJB-MJHT",  # vowel E
        "wdjb-mjho",  # vowel O (lower-case)
        "WDJB-MJH0",  # digit zero
        "WDJB-MJH1",  # digit one
        "WDJB-MJH",  # too short
        "WDJB-MJHTX",  # too long
        "",
        "----",
        "WDJB/MJHT",  # not a separator we accept
        "WDJB-MJHŢ",  # look-alike non-ASCII letter
        "ＷＤＪＢ-ＭＪＨＴ",  # full-width letters
    ],
)
def test_normalize_rejects_anything_outside_the_alphabet(typed: str) -> None:
    assert dc.normalize_user_code(typed) is None


def test_device_codes_are_long_urlsafe_and_unique() -> None:
    codes = {dc.new_device_code() for _ in range(1000)}
    assert len(codes) == 1000
    for code in list(codes)[:50]:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", code)
        assert len(code) >= 43  # 32 random bytes in url-safe base64 = 256 bits


def test_code_hash_is_sha256_hex_and_stable() -> None:
    h = dc.code_hash("WDJBMJHT")
    assert re.fullmatch(r"[0-9a-f]{64}", h)
    assert h == dc.code_hash("WDJBMJHT")
    assert h != dc.code_hash("WDJBMJHB")
    assert "WDJBMJHT" not in h
    # Known SHA-256 of "abc" (FIPS 180-2 example).
    assert dc.code_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_every_accepted_spelling_hashes_the_same() -> None:
    a = dc.normalize_user_code("wdjb-mjht")
    b = dc.normalize_user_code("WDJB MJHT")
    assert a is not None and b is not None
    assert dc.code_hash(a) == dc.code_hash(b)


def test_first_poll_is_never_too_fast() -> None:
    assert dc.poll_decision(None, dc.DEFAULT_INTERVAL_SECONDS, now=1000.0) == (False, 5)


def test_poll_after_interval_is_fine() -> None:
    assert dc.poll_decision(1000.0, 5, now=1005.0) == (False, 5)
    assert dc.poll_decision(1000.0, 5, now=1060.0) == (False, 5)


def test_too_fast_poll_slows_down_and_new_interval_applies() -> None:
    interval = dc.DEFAULT_INTERVAL_SECONDS
    too_fast, interval = dc.poll_decision(1000.0, interval, now=1002.0)
    assert (too_fast, interval) == (True, 10)
    # The grown interval now applies: 6 s later would have been fine before, not any more.
    too_fast, interval = dc.poll_decision(1002.0, interval, now=1008.0)
    assert (too_fast, interval) == (True, 15)
    # Waiting the full (grown) interval is accepted and the interval stays grown.
    too_fast, interval = dc.poll_decision(1008.0, interval, now=1023.0)
    assert (too_fast, interval) == (False, 15)
    too_fast, interval = dc.poll_decision(1023.0, interval, now=1038.0)
    assert (too_fast, interval) == (False, 15)


def test_clock_going_backwards_counts_as_too_fast() -> None:
    assert dc.poll_decision(1000.0, 5, now=990.0) == (True, 10)
