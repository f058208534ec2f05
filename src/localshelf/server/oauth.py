"""OAuth 2.0 access-token verification: localshelf as a resource server.

The MCP authorization spec makes a remote MCP server an OAuth 2.0 resource server:
an external authorization server mints the access tokens, and localshelf must check
every bearer token itself before serving a request. This module verifies JWT access
tokens (RFC 9068) against the authorization server's published keys (a JWK Set).

Why each rule exists:

- Only asymmetric algorithms from an explicit allow-list are accepted ("none" and
  HS* can never be configured). A token naming HS256 would otherwise be checked with
  the *public* key as an HMAC secret, which anyone can do (algorithm confusion).
- The key comes only from the configured JWK Set, chosen by `kid`; `jku`, `jwk`, `x5u`
  and `x5c` headers are never trusted, or a token could bring its own key.
- `typ` must be `at+jwt` (RFC 9068 §4) or the widespread generic `JWT`. Tokens of other
  types (logout tokens, ...) are refused; an ID token typed `JWT` still fails the audience
  check, because its `aud` is a client id rather than this server's resource URL.
- `aud` must contain this server's resource URL: RFC 8707 audience binding, so a token
  minted for another resource server cannot be replayed here (no token passthrough).
- `iss` must match exactly, `exp` is required, `nbf`/`iat` may not lie in the future;
  all time checks allow a small leeway for clock skew.
- Unknown `kid`s trigger one JWK Set refetch (key rotation), at most once per 30 s, so
  a flood of forged tokens cannot turn localshelf into a DoS amplifier against the
  authorization server.

Messages on `TokenRejected` are fixed sentences: they never echo the token or any
attacker-chosen value, so they are safe to log and to return in WWW-Authenticate.

JOSE comes from `joserfc`, the successor of `authlib.jose` by the same maintainers
(Authlib 1.9 deprecates `authlib.jose` in its favour and depends on it).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from joserfc.errors import JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import Key, KeySet, KeySetSerialization
from joserfc.jws import CompactSignature, JWSRegistry, extract_compact, validate_compact

logger = logging.getLogger("localshelf.oauth")

_HTTP_TIMEOUT_SECONDS = 5.0
# An unknown kid may refetch the JWK Set at most this often (key rotation vs. DoS).
_UNKNOWN_KID_REFETCH_INTERVAL_SECONDS = 30.0
# After a failed fetch, wait this long before trying again (fail fast meanwhile).
_FAILED_FETCH_BACKOFF_SECONDS = 10.0
_ACCEPTED_TYPES = frozenset({"at+jwt", "application/at+jwt", "jwt", "application/jwt"})
# Headers whose semantics we do not implement; RFC 7515 says to reject what is critical.
_UNSUPPORTED_HEADERS = ("crit", "b64")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class RejectReason(StrEnum):
    """Stable, machine-readable cause of a rejection (for logs, metrics and tests)."""

    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    MISSING_CLAIM = "missing_claim"
    UNKNOWN_KEY = "unknown_key"
    JWKS_UNAVAILABLE = "jwks_unavailable"


class TokenRejected(Exception):
    """The bearer token must not be honoured; `reason` says why, `message` is for people."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason: RejectReason = reason
        self.message = message


@dataclass(frozen=True)
class OAuthSettings:
    """Where tokens come from (issuer, JWK Set) and whom they must be for (audience)."""

    issuer: str
    audience: str
    jwks_url: str | None = None
    jwks_file: str | None = None
    algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
    leeway_seconds: int = 30
    jwks_cache_seconds: int = 300

    def __post_init__(self) -> None:
        """Fail at startup on a configuration that would make verification unsafe."""
        if (self.jwks_url is None) == (self.jwks_file is None):
            raise ValueError("Set exactly one of jwks_url and jwks_file.")
        if not self.issuer or not self.audience:
            raise ValueError("issuer and audience must not be empty.")
        if self.leeway_seconds < 0 or self.jwks_cache_seconds < 0:
            raise ValueError("leeway_seconds and jwks_cache_seconds must not be negative.")
        _check_algorithms(self.algorithms)
        if self.jwks_url is not None:
            _check_jwks_url(self.jwks_url)


def _check_algorithms(algorithms: tuple[str, ...]) -> None:
    """Only known asymmetric algorithms: "none" and HMAC enable forged tokens."""
    if not algorithms:
        raise ValueError("algorithms must not be empty.")
    for name in algorithms:
        if name == "none" or name.startswith("HS"):
            raise ValueError(f"Algorithm {name!r} is not allowed for access tokens.")
        if name not in JWSRegistry.algorithms:
            raise ValueError(f"Unknown JWS algorithm {name!r}.")


def _check_jwks_url(url: str) -> None:
    """The JWK Set decides who can mint tokens, so it must come over TLS (loopback excepted)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return
    raise ValueError("jwks_url must be an https URL (plain http only for localhost).")


@dataclass(frozen=True)
class VerifiedToken:
    """What a verified access token grants: who, which scopes, until when, for whom."""

    subject: str
    scopes: frozenset[str]
    expires_at: int
    audience: tuple[str, ...]
    client_id: str | None
    claims: dict[str, Any] = field(hash=False)


class _AllowListRegistry(JWSRegistry):
    """A JWS registry that accepts exactly the configured algorithms, silently.

    joserfc's `get_alg` warns (SecurityWarning) on every use of "EdDSA", which RFC 9864
    renamed; here the allow-list is the operator's explicit choice, and a warning turned
    into an error (python -W error, our test suite) must not break verification.
    Headers we do not know are ignored, as RFC 7515 requires unless listed in `crit`.
    """

    max_header_length = 4096  # room for x5t/x5c-style headers some servers add

    def __init__(self, algorithms: tuple[str, ...]) -> None:
        super().__init__(algorithms=algorithms, strict_check_header=False)
        self._allowed = frozenset(algorithms)

    def get_alg(self, name: str) -> JWSAlgModel:
        if name not in self._allowed or name not in self.algorithms:
            raise UnsupportedAlgorithmError("Algorithm is not allowed")
        return self.algorithms[name]


class _KeyCache:
    """The JWK Set, loaded lazily, refreshed after `ttl`, refetched on unknown kids.

    One lock serialises loads, so concurrent verifications in worker threads trigger a
    single fetch. When a refresh fails, the previous keys stay in use (a blip at the
    authorization server should not log everyone out) and new attempts back off.
    """

    def __init__(self, load: Callable[[], KeySet], ttl: float, clock: Callable[[], float]) -> None:
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._expires_at = -math.inf
        self._retry_at = -math.inf
        self._refetched_at = -math.inf

    def key_for(self, kid: str | None) -> Key:
        with self._lock:
            now = self._clock()
            keys, just_loaded = self._current(now)
            key = _find_key(keys, kid)
            if key is None and kid is not None and not just_loaded and self._may_refetch(now):
                self._refetched_at = now
                refetched = self._refresh(now)
                if refetched is None:
                    raise _unavailable()
                key = _find_key(refetched, kid)
        if key is None:
            raise TokenRejected(RejectReason.UNKNOWN_KEY, "Token is signed by a key this server does not know.")
        return key

    def _current(self, now: float) -> tuple[KeySet, bool]:
        """The keys to use now, and whether they were loaded during this call."""
        just_loaded = False
        if (self._keys is None or now >= self._expires_at) and now >= self._retry_at:
            just_loaded = self._refresh(now) is not None
        if self._keys is None:
            raise _unavailable()
        return self._keys, just_loaded

    def _may_refetch(self, now: float) -> bool:
        """Rate limit for unknown kids, which anyone can mint; also honour a failure backoff."""
        return now - self._refetched_at >= _UNKNOWN_KID_REFETCH_INTERVAL_SECONDS and now >= self._retry_at

    def _refresh(self, now: float) -> KeySet | None:
        """Load the keys; on failure keep the old ones and back off."""
        try:
            keys = self._load()
        except (httpx.HTTPError, OSError, ValueError, TypeError, KeyError, JoseError) as error:
            logger.warning("Could not load the OAuth JWK Set: %s", error)
            self._retry_at = now + _FAILED_FETCH_BACKOFF_SECONDS
            return None
        self._keys = keys
        self._expires_at = now + self._ttl
        return keys


def _unavailable() -> TokenRejected:
    return TokenRejected(RejectReason.JWKS_UNAVAILABLE, "The authorization server's signing keys are unavailable.")


def _find_key(keys: KeySet, kid: str | None) -> Key | None:
    """By kid; a token without kid is only acceptable when the set holds a single key."""
    if kid is None:
        return keys.keys[0] if len(keys.keys) == 1 else None
    return next((key for key in keys if key.kid == kid), None)


def _parse_jwks(raw: bytes) -> KeySet:
    """Asymmetric keys only: a symmetric key in a public JWK Set can never sign our tokens."""
    data = json.loads(raw)
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError("not a JWK Set")
    imported = KeySet.import_key_set(cast(KeySetSerialization, data))
    return KeySet([key for key in imported if key.key_type != "oct"])


def _url_loader(url: str, http: httpx.Client | None) -> Callable[[], KeySet]:
    def load() -> KeySet:
        if http is None:
            with httpx.Client(timeout=_HTTP_TIMEOUT_SECONDS) as client:
                response = client.get(url)
        else:
            response = http.get(url, timeout=_HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        return _parse_jwks(response.content)

    return load


def _file_loader(path: str) -> Callable[[], KeySet]:
    return lambda: _parse_jwks(Path(path).read_bytes())


def _malformed(message: str = "Token is not a well-formed signed JWT.") -> TokenRejected:
    return TokenRejected(RejectReason.MALFORMED, message)


def _parse(token: str, registry: JWSRegistry) -> CompactSignature:
    """Split and decode a compact JWS; signature not yet checked."""
    if not isinstance(token, str) or not token.isascii():
        raise _malformed()
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise _malformed()
    try:
        signed = extract_compact(token.encode("ascii"), registry=registry)
    except (JoseError, ValueError, TypeError):
        raise _malformed() from None
    if not isinstance(signed.protected, dict):
        raise _malformed()
    return signed


def _check_header(header: dict[str, Any], registry: _AllowListRegistry) -> str | None:
    """Validate the protected header and return the kid."""
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise _malformed()
    try:
        registry.get_alg(alg)
    except JoseError:
        raise TokenRejected(
            RejectReason.BAD_SIGNATURE, "Token is signed with an algorithm this server does not accept."
        ) from None
    if any(name in header for name in _UNSUPPORTED_HEADERS):
        raise _malformed("Token uses JWS header extensions this server does not support.")
    try:
        registry.check_header(header)
    except JoseError:
        raise _malformed() from None
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYPES):
        raise _malformed("Token is not an access token (typ must be at+jwt or JWT).")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise _malformed()
    return kid


def _check_signature(signed: CompactSignature, key: Key, registry: JWSRegistry) -> None:
    try:
        valid = validate_compact(signed, key, registry=registry)
    except JoseError:
        valid = False  # e.g. the kid names a key of another type than alg needs
    if not valid:
        raise TokenRejected(RejectReason.BAD_SIGNATURE, "Token signature is not valid.")


def _claims(signed: CompactSignature) -> dict[str, Any]:
    try:
        claims = json.loads(signed.payload)
    except ValueError:
        raise _malformed() from None
    if not isinstance(claims, dict):
        raise _malformed()
    return claims


def _is_numeric_date(value: object) -> bool:
    """A JSON number that is not a bool, NaN or infinite (NaN would never expire)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _missing(name: str) -> TokenRejected:
    return TokenRejected(RejectReason.MISSING_CLAIM, f"Token has no {name!r} claim.")


def _check_issuer(claims: dict[str, Any], issuer: str) -> None:
    if claims.get("iss") is None:
        raise _missing("iss")
    if claims["iss"] != issuer:
        raise TokenRejected(RejectReason.WRONG_ISSUER, f"Token was not issued by {issuer}.")


def _audience(claims: dict[str, Any], expected: str) -> tuple[str, ...]:
    """RFC 8707: the token must name this server's resource URL among its audiences."""
    aud = claims.get("aud")
    if aud is None:
        raise _missing("aud")
    audience = [aud] if isinstance(aud, str) else aud
    if not isinstance(audience, list) or not all(isinstance(item, str) for item in audience):
        raise _malformed("Token 'aud' claim is neither a string nor a list of strings.")
    if expected not in audience:
        raise TokenRejected(RejectReason.WRONG_AUDIENCE, f"Token is not meant for {expected}.")
    return tuple(audience)


def _expiry(claims: dict[str, Any], now: float, leeway: int) -> int:
    """Check exp, nbf and iat against the clock (with leeway) and return exp."""
    exp = claims.get("exp")
    if exp is None:
        raise _missing("exp")
    if not _is_numeric_date(exp):
        raise _malformed("Token 'exp' claim is not a number.")
    if exp <= now - leeway:
        raise TokenRejected(RejectReason.EXPIRED, "Token has expired.")
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if not _is_numeric_date(value):
            raise _malformed(f"Token {name!r} claim is not a number.")
        if value > now + leeway:
            raise TokenRejected(RejectReason.NOT_YET_VALID, "Token is not valid yet.")
    return int(exp)


def _subject(claims: dict[str, Any]) -> str:
    sub = claims.get("sub")
    if sub is None or sub == "":
        raise _missing("sub")
    if not isinstance(sub, str):
        raise _malformed("Token 'sub' claim is not a string.")
    return sub


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    """`scope` is a space-separated string (RFC 9068/8693); some servers send `scp`.

    `scp` is accepted as a list (Okta and others) or a space-separated string (Entra ID).
    """
    if "scope" in claims:
        value = claims["scope"]
        if not isinstance(value, str):
            raise _malformed("Token 'scope' claim is not a string.")
        return frozenset(value.split())
    value = claims.get("scp")
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise _malformed("Token 'scp' claim is neither a string nor a list of strings.")


def _client_id(claims: dict[str, Any]) -> str | None:
    for name in ("client_id", "azp"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


class JwtVerifier:
    """Verifies JWT access tokens issued for this server; thread-safe, blocking.

    `verify` may fetch the JWK Set over HTTP, so async callers run it in a worker
    thread. `clock` is injectable so tests can move time without sleeping.
    """

    def __init__(
        self,
        settings: OAuthSettings,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._registry = _AllowListRegistry(settings.algorithms)
        if settings.jwks_url is not None:
            self._keys = _KeyCache(_url_loader(settings.jwks_url, http), settings.jwks_cache_seconds, clock)
        else:
            # A file is read once; unknown kids re-read it (same rate limit as the URL).
            self._keys = _KeyCache(_file_loader(cast(str, settings.jwks_file)), math.inf, clock)

    def verify(self, token: str) -> VerifiedToken:
        """Return what the token grants, or raise `TokenRejected`."""
        signed = _parse(token, self._registry)
        kid = _check_header(signed.protected, self._registry)
        _check_signature(signed, self._keys.key_for(kid), self._registry)
        claims = _claims(signed)
        _check_issuer(claims, self._settings.issuer)
        audience = _audience(claims, self._settings.audience)
        expires_at = _expiry(claims, self._clock(), self._settings.leeway_seconds)
        return VerifiedToken(
            subject=_subject(claims),
            scopes=_scopes(claims),
            expires_at=expires_at,
            audience=audience,
            client_id=_client_id(claims),
            claims=claims,
        )
