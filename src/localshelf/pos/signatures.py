"""Authenticity checks for what POS providers send us; every comparison is constant-time.

All functions return a plain bool and never raise on malformed input (missing header, bad
base64, non-ASCII, wrong length...): anything unexpected is simply "not valid". They take the
**raw** request body bytes, exactly as received, before any JSON parsing or re-serialisation.

Sources (see /work/shared/POS-REFERENCE.md §0, §1.2, §1.5, Square and Clover sections):

* Shopify webhooks: ``X-Shopify-Hmac-Sha256`` (``shopify-hmac-sha256`` for events-style
  deliveries) = base64(HMAC-SHA256(app client secret, raw body)).
* Shopify OAuth callback: ``hmac`` query parameter, see `shopify_callback_valid`.
* Square: ``x-square-hmacsha256-signature`` = base64(HMAC-SHA256(subscription signature key,
  notification URL + raw body)).
* Clover: no signature; a static ``X-Clover-Auth`` code per app, compared in constant time.
* Lightspeed X-Series: unconfirmed. The best evidence is ``X-Signature: signature=<hex>,
  algorithm=HMAC-SHA256``, hex HMAC-SHA256 of the raw body with the app's client secret; checked only when the
  operator turns it on (the secret delivery URL is the authentication otherwise).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping

__all__ = [
    "SHOPIFY_CALLBACK_MAX_AGE_SECONDS",
    "clover_auth_valid",
    "lightspeed_webhook_valid",
    "shopify_callback_hmac",
    "shopify_callback_message",
    "shopify_callback_valid",
    "shopify_webhook_valid",
    "square_webhook_valid",
    "valid_shop_domain",
]

SHOPIFY_CALLBACK_MAX_AGE_SECONDS = 300
"""Default tolerance for the callback ``timestamp`` (either direction). Shopify's JS SDK uses 90 s."""

_SHA256_LEN = 32
_SHOP_DOMAIN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com")
_EXCLUDED_CALLBACK_KEYS = frozenset({"hmac", "signature"})

QueryParams = Mapping[str, str] | Iterable[tuple[str, str]]


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _b64_hmac_matches(key: str | bytes, message: bytes, header_value: str | None) -> bool:
    """Constant-time check of a base64 HMAC-SHA256 header against `message`."""
    if not isinstance(header_value, str):
        return False
    key_bytes = _as_bytes(key)
    if not key_bytes:
        return False  # an unconfigured (empty) secret must never validate anything
    try:
        provided = base64.b64decode(header_value.strip().encode("ascii"), validate=True)
    except (UnicodeError, binascii.Error, ValueError):
        return False
    if len(provided) != _SHA256_LEN:
        return False
    expected = hmac.new(key_bytes, message, hashlib.sha256).digest()
    return hmac.compare_digest(expected, provided)


# --- Shopify ---------------------------------------------------------------------------------


def shopify_webhook_valid(secret: str | bytes, raw_body: bytes, header_value: str | None) -> bool:
    """True if `header_value` (``X-Shopify-Hmac-Sha256``) signs `raw_body` with the app secret.

    The header is base64(HMAC-SHA256(client secret, raw body bytes)). Like Shopify's SDK, an empty
    body or a missing header fails. Webhooks sent from the admin's Notifications page are signed
    with a different key and fail here by design.
    """
    if not raw_body:
        return False
    return _b64_hmac_matches(secret, raw_body, header_value)


def _escape_key(key: str) -> str:
    return key.replace("%", "%25").replace("&", "%26").replace("=", "%3D")


def _escape_value(value: str) -> str:
    return value.replace("%", "%25").replace("&", "%26")


def _pairs(query: QueryParams) -> list[tuple[str, str]]:
    multi_items = getattr(query, "multi_items", None)  # Starlette's QueryParams keep duplicates here
    if callable(multi_items):
        return [(str(k), str(v)) for k, v in multi_items()]
    if isinstance(query, Mapping):
        return [(str(k), str(v)) for k, v in query.items()]
    return [(str(k), str(v)) for k, v in query]


def shopify_callback_message(query: QueryParams) -> str:
    """The string Shopify signs for an OAuth callback (see `shopify_callback_valid`).

    `hmac` and `signature` are left out; the other (decoded) parameters are escaped, sorted by
    key and joined as ``k=v&k=v``. Duplicate keys are not handled here (the validator rejects them).
    """
    pairs = [(k, v) for k, v in _pairs(query) if k not in _EXCLUDED_CALLBACK_KEYS]
    pairs.sort(key=lambda kv: kv[0])
    return "&".join(f"{_escape_key(k)}={_escape_value(v)}" for k, v in pairs)


def shopify_callback_hmac(secret: str | bytes, query: QueryParams) -> str:
    """Lower-case hex HMAC-SHA256 of `shopify_callback_message` (what Shopify puts in ``hmac``).

    Useful to sign callbacks in fakes and tests.
    """
    message = shopify_callback_message(query).encode("utf-8")
    return hmac.new(_as_bytes(secret), message, hashlib.sha256).hexdigest()


def shopify_callback_valid(
    secret: str | bytes,
    query: QueryParams,
    now: float,
    max_age_seconds: int = SHOPIFY_CALLBACK_MAX_AGE_SECONDS,
) -> bool:
    """True if an OAuth callback's query string was signed by Shopify with our client secret.

    `query` holds the **decoded** query parameters: a mapping, a list of ``(key, value)`` pairs,
    or an object with Starlette's ``multi_items()``. Pass a list (or Starlette's QueryParams) so
    duplicated parameters can be seen: a plain dict has already lost them.

    Rules, as Shopify documents them (shopify.dev "Authenticate with OAuth" → "Verification", the
    historical docs.shopify.com/api/authentication/oauth#verification text, implemented the same
    way in Shopify's own Python library ``shopify_python_api`` ``Session.calculate_hmac``):

    1. Remove the ``hmac`` parameter, and ``signature`` too.
    2. In keys and values, replace ``%`` with ``%25`` and ``&`` with ``%26``; in keys also replace
       ``=`` with ``%3D``. (``%`` first, so escapes are not themselves re-escaped.) Nothing else
       is encoded.
    3. Sort by key, join as ``k=v`` pairs separated by ``&``.
    4. hex(HMAC-SHA256(client secret, that string)); compare in constant time with ``hmac``.

    Known divergence: Shopify's current JS SDK (``shopify-app-js`` ``hmac-validator.ts``)
    re-encodes the pairs with URLSearchParams (space → ``%20``, ``:`` ``/`` ``=`` in values
    percent-encoded). The two rules agree on everything Shopify sends in an install callback
    (hex ``code``, ``*.myshopify.com`` ``shop``, numeric ``timestamp``, and a URL-safe ``state``
    nonce of our own making); keep ``state`` URL-safe. The ``key[]`` array convention of
    ``shopify_python_api`` is not supported (callbacks do not use it).

    Also rejected here: no ``hmac``, more than one ``hmac`` (or any other repeated key), a
    non-hex or wrong-length ``hmac``, a missing/non-integer ``timestamp``, and a timestamp more
    than `max_age_seconds` away from `now` in either direction (replay / clock games). Checking
    ``state`` against the stored nonce, and the ``shop`` with `valid_shop_domain`, stays with the
    caller.
    """
    secret_bytes = _as_bytes(secret)
    if not secret_bytes:
        return False
    try:
        pairs = _pairs(query)
    except (TypeError, ValueError):
        return False
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        return False  # duplicated hmac (or any duplicated parameter): ambiguous, refuse
    params = dict(pairs)
    provided = params.get("hmac")
    if not provided or len(provided) != 2 * _SHA256_LEN:
        return False
    try:
        provided_bytes = provided.lower().encode("ascii")
    except UnicodeError:
        return False
    timestamp = params.get("timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs(now - int(timestamp)) > max_age_seconds:
        return False
    expected = shopify_callback_hmac(secret_bytes, pairs).encode("ascii")
    return hmac.compare_digest(expected, provided_bytes)


def valid_shop_domain(shop: str) -> bool:
    """True for a bare ``{name}.myshopify.com`` host: ``^[a-zA-Z0-9][a-zA-Z0-9-]*\\.myshopify\\.com$``.

    Check this before building any URL from a ``shop`` parameter. ASCII only; no scheme, port,
    path, trailing dot or newline. (Shopify's SDK regex is looser, also allowing ``_``,
    ``shopify.com``, ``myshopify.io`` and trailing slashes; we deliberately accept less.)
    """
    return isinstance(shop, str) and _SHOP_DOMAIN.fullmatch(shop) is not None


# --- Square ----------------------------------------------------------------------------------


def square_webhook_valid(
    signature_key: str | bytes, notification_url: str, raw_body: bytes, header_value: str | None
) -> bool:
    """True if ``x-square-hmacsha256-signature`` signs the notification URL + raw body.

    `notification_url` must be exactly the URL configured on the Square subscription (scheme,
    host, path and query as registered), not one rebuilt from the request, which a proxy may alter.
    """
    if not notification_url:
        return False
    return _b64_hmac_matches(signature_key, notification_url.encode("utf-8") + raw_body, header_value)


# --- Clover ----------------------------------------------------------------------------------


def clover_auth_valid(expected_code: str | bytes, header_value: str | None) -> bool:
    """True if the ``X-Clover-Auth`` header equals the app's static code (constant-time).

    Clover does not sign webhook bodies; this code only proves the sender knows the shared value.
    An empty configured code never validates.
    """
    expected = _as_bytes(expected_code)
    if not expected or not isinstance(header_value, str):
        return False
    return hmac.compare_digest(expected, header_value.strip().encode("utf-8"))


def lightspeed_webhook_valid(client_secret: str | bytes, raw_body: bytes, header_value: str | None) -> bool:
    """True if ``X-Signature`` (``signature=<hex>, algorithm=HMAC-SHA256``) signs `raw_body` with the secret."""
    key = _as_bytes(client_secret)
    if not key or not isinstance(header_value, str):
        return False
    parts = dict(part.strip().partition("=")[::2] for part in header_value.split(","))
    if parts.get("algorithm", "").upper() != "HMAC-SHA256":
        return False
    try:
        provided = bytes.fromhex(parts.get("signature", ""))
    except ValueError:
        return False
    expected = hmac.new(key, raw_body, hashlib.sha256).digest()
    return len(provided) == _SHA256_LEN and hmac.compare_digest(expected, provided)
