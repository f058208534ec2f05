"""Encryption at rest for POS secrets (access and refresh tokens, webhook signature keys).

`TokenCipher` wraps `cryptography.fernet.MultiFernet` (AES-128-CBC + HMAC-SHA256, authenticated,
with a timestamp). Keys:

* come from configuration only: the ``LOCALSHELF_ENCRYPTION_KEYS`` environment variable, a
  comma-separated list of Fernet keys (`TokenCipher.from_setting`). They are **never** stored in
  the database next to the ciphertexts they protect, and never logged;
* the first key is the current one (all new ciphertexts use it); the others are older keys, still
  accepted for decryption. Rotation: put a new key (`TokenCipher.generate_key`) first, re-encrypt
  the stored values with `TokenCipher.rotate`, then drop the old key from the setting.

Errors never carry plaintext, ciphertext or key material.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from localshelf.domain.errors import ErrorCode, LocalshelfError

__all__ = ["ENCRYPTION_KEYS_SETTING", "DecryptionFailed", "TokenCipher"]

ENCRYPTION_KEYS_SETTING = "LOCALSHELF_ENCRYPTION_KEYS"


class DecryptionFailed(LocalshelfError):
    """A stored secret could not be decrypted: wrong/missing key, or corrupted or forged data.

    The message is fixed and never contains the token, the plaintext or any key.
    """

    default_code = ErrorCode.INTERNAL_ERROR

    def __init__(self) -> None:
        super().__init__(
            f"A stored secret could not be decrypted (unknown key or corrupted data); check {ENCRYPTION_KEYS_SETTING}."
        )


class TokenCipher:
    """Encrypts and decrypts short secrets (str) with a rotating list of Fernet keys."""

    __slots__ = ("_fernet", "_key_count")

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        """`keys`: Fernet keys (32 url-safe base64-encoded bytes each), current key first.

        Raises ValueError if the list is empty or a key is malformed; the message names the
        position of the bad key, never its value.
        """
        if isinstance(keys, str | bytes):
            raise TypeError("keys must be a list of keys, not a single key")
        if not keys:
            raise ValueError(f"{ENCRYPTION_KEYS_SETTING}: at least one encryption key is required")
        fernets: list[Fernet] = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise ValueError(
                    f"{ENCRYPTION_KEYS_SETTING}: key #{position} is not a valid Fernet key "
                    "(32 url-safe base64-encoded bytes)"
                ) from None
        self._fernet = MultiFernet(fernets)
        self._key_count = len(fernets)

    @classmethod
    def from_setting(cls, value: str) -> TokenCipher:
        """Build from a comma-separated key list, as ``LOCALSHELF_ENCRYPTION_KEYS`` carries it.

        Whitespace around keys and empty items are ignored: ``"new, old"`` → ``["new", "old"]``.
        """
        return cls([part.strip() for part in value.split(",") if part.strip()])

    @staticmethod
    def generate_key() -> str:
        """A new random Fernet key (url-safe base64 text), for configuration."""
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext (url-safe base64 text) of `plaintext` under the current key."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Plaintext of a `token` made by `encrypt` under any configured key; else DecryptionFailed."""
        try:
            return self._fernet.decrypt(token.encode("utf-8")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError, TypeError):
            raise DecryptionFailed() from None

    def rotate(self, token: str) -> str:
        """The same secret re-encrypted under the current key (DecryptionFailed if unreadable)."""
        try:
            return self._fernet.rotate(token.encode("utf-8")).decode("ascii")
        except (InvalidToken, UnicodeError, ValueError, TypeError):
            raise DecryptionFailed() from None

    def __repr__(self) -> str:
        return f"TokenCipher(<{self._key_count} key(s) redacted>)"
