"""RFC 8628 (OAuth 2.0 device authorization grant) codes and the polling rule; pure.

* The **user code** is what a person reads off one screen and types on another: 8 characters
  from a 20-letter alphabet without vowels (so no words are spelled) and without look-alikes
  such as ``0/O`` or ``1/I`` (RFC 8628 §6.1), shown as two groups of 4 (``WDJB-MJHT``):
  20**8 ≈ 2**34.6 possibilities. That is only safe together with a cap on wrong entries per code
  (`MAX_WRONG_ATTEMPTS`, RFC 8628 §5.1) and a short lifetime (`DEFAULT_EXPIRES_IN_SECONDS`);
  enforcing both is the caller's job. A wrong entry names no code, so it is counted against the live
  codes that share its first group (`user_code_selector`): a guesser who hits a live group has
  `MAX_WRONG_ATTEMPTS` tries at its other 20**4 = 160,000 possibilities, however many clients they use.
* The **device code** is a bearer secret held by the polling client: 256 random bits.
* Both are stored only as `code_hash` (SHA-256 hex); they are high-entropy random strings, so a
  fast unsalted hash is enough (no password hashing needed) and a lookup stays a simple equality.
* `poll_decision` implements the ``slow_down`` rule of RFC 8628 §3.5.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = [
    "DEFAULT_EXPIRES_IN_SECONDS",
    "DEFAULT_INTERVAL_SECONDS",
    "MAX_WRONG_ATTEMPTS",
    "SLOW_DOWN_INCREMENT_SECONDS",
    "USER_CODE_ALPHABET",
    "USER_CODE_GROUP",
    "USER_CODE_LENGTH",
    "code_hash",
    "new_device_code",
    "new_user_code",
    "normalize_user_code",
    "poll_decision",
    "user_code_selector",
]

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
"""Upper-case consonants without the easily confused ones; 20 symbols, ~4.32 bits each."""
USER_CODE_LENGTH = 8
USER_CODE_GROUP = 4

DEFAULT_INTERVAL_SECONDS = 5
"""Minimum seconds between two token polls (RFC 8628 §3.2 default)."""
SLOW_DOWN_INCREMENT_SECONDS = 5
"""Added to the interval, for the rest of the grant, after each ``slow_down`` (RFC 8628 §3.5)."""
DEFAULT_EXPIRES_IN_SECONDS = 900
"""Lifetime of a device/user code pair."""
MAX_WRONG_ATTEMPTS = 5
"""Wrong user-code entries tolerated before the code is invalidated (RFC 8628 §5.1)."""

_DEVICE_CODE_BYTES = 32  # 256 bits
_ALPHABET_SET = frozenset(USER_CODE_ALPHABET)
# Separators a person may type or a UI may insert; anything else outside the alphabet is rejected.
_SEPARATORS = frozenset(" -_.\t\u00a0\u2010\u2011\u2012\u2013\u2014\u2212")


def new_user_code() -> str:
    """A fresh user code such as ``"WDJB-MJHT"`` (8 letters from `USER_CODE_ALPHABET`, via `secrets`)."""
    chars = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return f"{chars[:USER_CODE_GROUP]}-{chars[USER_CODE_GROUP:]}"


def normalize_user_code(typed: str) -> str | None:
    """The canonical form of what a person typed (``"wdjb mjht"`` → ``"WDJBMJHT"``), or None.

    Case is ignored and separators (spaces, dashes, underscores, dots) are dropped. Any other
    character outside the alphabet, or the wrong length, gives None: no guessing of what was
    meant, so a rejected entry can be counted against `MAX_WRONG_ATTEMPTS` by the caller.
    Store and look up the `code_hash` of this canonical form (no dash).
    """
    out: list[str] = []
    for ch in typed:
        if ch in _SEPARATORS:
            continue
        up = ch.upper()
        if up not in _ALPHABET_SET:
            return None
        out.append(up)
    if len(out) != USER_CODE_LENGTH:
        return None
    return "".join(out)


def user_code_selector(normalized: str) -> str:
    """The first group of a normalized user code: wrong entries count against the live codes sharing it."""
    return normalized[:USER_CODE_GROUP]


def new_device_code() -> str:
    """A fresh device code: 256 random bits, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(_DEVICE_CODE_BYTES)


def code_hash(code: str) -> str:
    """SHA-256 hex of a code, the only form in which codes are stored.

    For user codes, pass the `normalize_user_code` result so that every accepted spelling
    hashes the same.
    """
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def poll_decision(last_poll_at: float | None, interval: int, now: float) -> tuple[bool, int]:
    """Whether a token poll at `now` is too fast, and the interval to keep for the grant.

    RFC 8628 §3.5: a client polling sooner than `interval` seconds after its previous poll gets
    ``slow_down``, and the interval then grows by `SLOW_DOWN_INCREMENT_SECONDS` for all later
    polls of that grant. The first poll (`last_poll_at` None) is never too fast. A clock that went
    backwards (`now` < `last_poll_at`) counts as too fast. The caller stores the returned interval
    and records `now` as the new last poll either way.

    Returns ``(too_fast, new_interval)``.
    """
    if last_poll_at is None:
        return False, interval
    if now - last_poll_at < interval:
        return True, interval + SLOW_DOWN_INCREMENT_SECONDS
    return False, interval
