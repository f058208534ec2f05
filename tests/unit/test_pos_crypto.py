"""Secrets at rest: TokenCipher (MultiFernet with key rotation) and DecryptionFailed."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from localshelf.domain.errors import ErrorCode, LocalshelfError
from localshelf.pos.crypto import DecryptionFailed, TokenCipher

SECRET = "shpat_0123456789abcdef-very-secret-token"


def test_round_trip() -> None:
    cipher = TokenCipher([TokenCipher.generate_key()])
    for plaintext in [SECRET, "", "ünïcødé ✓", "x" * 5000]:
        assert cipher.decrypt(cipher.encrypt(plaintext)) == plaintext


def test_ciphertext_does_not_contain_plaintext_and_is_randomised() -> None:
    key = TokenCipher.generate_key()
    cipher = TokenCipher([key])
    a, b = cipher.encrypt(SECRET), cipher.encrypt(SECRET)
    assert a != b
    for token in (a, b):
        assert SECRET not in token
        assert "very-secret" not in token
        assert key not in token


def test_generate_key_is_a_valid_fernet_key_and_fresh() -> None:
    k1, k2 = TokenCipher.generate_key(), TokenCipher.generate_key()
    assert isinstance(k1, str) and k1 != k2
    Fernet(k1)  # does not raise


def test_rotation_lifecycle() -> None:
    old, new = TokenCipher.generate_key(), TokenCipher.generate_key()
    old_only = TokenCipher([old])
    stored = old_only.encrypt(SECRET)

    both = TokenCipher([new, old])  # new key first = current; old still accepted
    assert both.decrypt(stored) == SECRET  # old key still decrypts

    rotated = both.rotate(stored)
    assert rotated != stored
    with pytest.raises(DecryptionFailed):
        old_only.decrypt(rotated)  # really re-encrypted under the new key
    assert Fernet(new).decrypt(rotated.encode()).decode() == SECRET

    new_only = TokenCipher([new])  # old key dropped from configuration
    assert new_only.decrypt(rotated) == SECRET
    with pytest.raises(DecryptionFailed):
        new_only.decrypt(stored)  # un-rotated values are now unreadable


def test_encrypt_uses_the_first_key() -> None:
    old, new = TokenCipher.generate_key(), TokenCipher.generate_key()
    token = TokenCipher([new, old]).encrypt(SECRET)
    assert TokenCipher([new]).decrypt(token) == SECRET
    with pytest.raises(DecryptionFailed):
        TokenCipher([old]).decrypt(token)


def test_from_setting_parses_comma_separated_keys() -> None:
    old, new = TokenCipher.generate_key(), TokenCipher.generate_key()
    stored = TokenCipher([old]).encrypt(SECRET)
    cipher = TokenCipher.from_setting(f" {new} ,{old},")
    assert cipher.decrypt(stored) == SECRET
    assert TokenCipher([new]).decrypt(cipher.encrypt(SECRET)) == SECRET


@pytest.mark.parametrize("setting", ["", " , ,", "not-a-key", "short,also-bad"])
def test_from_setting_rejects_empty_or_malformed(setting: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        TokenCipher.from_setting(setting)
    assert "LOCALSHELF_ENCRYPTION_KEYS" in str(excinfo.value)
    for part in setting.split(","):
        if part.strip():
            assert part.strip() not in str(excinfo.value)


def test_single_key_string_is_not_mistaken_for_a_list() -> None:
    with pytest.raises(TypeError):
        TokenCipher(TokenCipher.generate_key())


@pytest.mark.parametrize("bad", ["", "garbage", "gAAAAAB" + "A" * 100, "ünïcødé", "%%%"])
def test_decrypt_garbage_raises_decryption_failed(bad: str) -> None:
    cipher = TokenCipher([TokenCipher.generate_key()])
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(bad)
    with pytest.raises(DecryptionFailed):
        cipher.rotate(bad)


def test_tampered_token_is_rejected() -> None:
    cipher = TokenCipher([TokenCipher.generate_key()])
    token = cipher.encrypt(SECRET)
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(tampered)


def test_decryption_failed_reveals_neither_plaintext_nor_key() -> None:
    right, wrong = TokenCipher.generate_key(), TokenCipher.generate_key()
    token = TokenCipher([right]).encrypt(SECRET)
    with pytest.raises(DecryptionFailed) as excinfo:
        TokenCipher([wrong]).decrypt(token)
    err = excinfo.value
    rendered = f"{err} {err!r} {err.message} {err.args}"
    for forbidden in (SECRET, right, wrong, token):
        assert forbidden not in rendered
    assert isinstance(err, LocalshelfError)
    assert err.code == ErrorCode.INTERNAL_ERROR
    assert err.__cause__ is None and err.__suppress_context__


def test_repr_redacts_keys() -> None:
    key = TokenCipher.generate_key()
    assert key not in repr(TokenCipher([key]))
