"""JWT access-token verification, end to end, with no network.

Keys are generated locally, tokens are signed locally, and the JWK Set is served by a
real httpx transport fake (`httpx.MockTransport`) that counts fetches, so caching, key
rotation and the refetch rate limit are observable. Time is a fake clock: no sleeps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jws, jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, Key, KeySet, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

from localshelf.server.oauth import JwtVerifier, OAuthSettings, TokenRejected, VerifiedToken

ISSUER = "https://auth.example.test/realms/shelf"
AUDIENCE = "https://shelf.example.test/mcp"
JWKS_URL = "https://auth.example.test/realms/shelf/jwks"
NOW = 1_800_000_000.0
SETTINGS = OAuthSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url=JWKS_URL)
DROP = object()  # a claim value meaning "leave this claim out"


class FakeClock:
    """Injectable wall clock that only moves when a test says so."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class JwksEndpoint:
    """An httpx MockTransport handler standing in for the authorization server's jwks_uri."""

    def __init__(self, keys: list[Key]) -> None:
        self.keys = keys
        self.status = 200
        self.fetches = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URL
        self.fetches += 1
        if self.status != 200:
            return httpx.Response(self.status, text="upstream trouble")
        return httpx.Response(200, json=public_jwks(self.keys))


def public_jwks(keys: list[Key]) -> dict[str, Any]:
    return dict(KeySet(keys).as_dict(private=False))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode())


def make_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-42",
        "exp": int(NOW) + 600,
        "iat": int(NOW) - 5,
        "scope": "inventory:read offers:write",
        "client_id": "agent-app",
        "jti": "token-1",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not DROP}


def sign(key: Key, claims: dict[str, Any] | None = None, **header: Any) -> str:
    """Sign like an authorization server: alg fits the key, typ at+jwt, kid of the key."""
    alg = {"RSA": "RS256", "EC": "ES256", "OKP": "EdDSA"}[key.key_type]
    full_header = {"alg": alg, "typ": "at+jwt", "kid": key.kid, **header}
    full_header = {name: value for name, value in full_header.items() if value is not DROP}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # joserfc warns when *signing* with "EdDSA"
        return jwt.encode(
            full_header, make_claims() if claims is None else claims, key, [full_header["alg"]], default_type=None
        )


def sign_raw(key: Key, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """Sign any header verbatim (joserfc's own checks would refuse some we need to test)."""
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    signature = JWSRegistry.algorithms[header["alg"]].sign(signing_input.encode(), key)
    return f"{signing_input}.{b64(signature)}"


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    return f"{b64json(header)}.{b64json(claims)}.{signature}"


def rejection(verifier: JwtVerifier, token: str) -> TokenRejected:
    with pytest.raises(TokenRejected) as caught:
        verifier.verify(token)
    return caught.value


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})


@pytest.fixture(scope="module")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "ec-1"})


@pytest.fixture(scope="module")
def ed_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519", parameters={"kid": "ed-1"})


@pytest.fixture(scope="module")
def rotated_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-2"})


@pytest.fixture(scope="module")
def impostor_key() -> RSAKey:
    """Not published by the authorization server, but claims the published kid."""
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def endpoint(rsa_key: RSAKey, ec_key: ECKey, ed_key: OKPKey) -> JwksEndpoint:
    return JwksEndpoint([rsa_key, ec_key, ed_key])


@pytest.fixture
def make_verifier(endpoint: JwksEndpoint, clock: FakeClock) -> Iterator[Callable[[OAuthSettings], JwtVerifier]]:
    with httpx.Client(transport=httpx.MockTransport(endpoint)) as http:
        yield lambda settings: JwtVerifier(settings, http=http, clock=clock)


@pytest.fixture
def verifier(make_verifier: Callable[[OAuthSettings], JwtVerifier]) -> JwtVerifier:
    return make_verifier(SETTINGS)


# --- accepted tokens -------------------------------------------------------------------


def test_a_valid_token_yields_subject_scopes_client_and_expiry(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    verified = verifier.verify(sign(rsa_key))

    assert isinstance(verified, VerifiedToken)
    assert verified.subject == "user-42"
    assert verified.scopes == frozenset({"inventory:read", "offers:write"})
    assert verified.client_id == "agent-app"
    assert verified.expires_at == int(NOW) + 600
    assert verified.audience == (AUDIENCE,)
    assert verified.claims["jti"] == "token-1"


@pytest.mark.parametrize("key_name", ["rsa_key", "ec_key", "ed_key"])
def test_tokens_signed_with_each_default_algorithm_are_accepted(
    verifier: JwtVerifier, key_name: str, request: pytest.FixtureRequest
) -> None:
    key: Key = request.getfixturevalue(key_name)
    assert verifier.verify(sign(key)).subject == "user-42"


def test_scopes_come_from_the_scp_list_when_scope_is_absent(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    token = sign(rsa_key, make_claims(scope=DROP, scp=["inventory:read", "profile"]))
    assert verifier.verify(token).scopes == frozenset({"inventory:read", "profile"})


def test_a_space_separated_scp_string_is_split_like_scope(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    token = sign(rsa_key, make_claims(scope=DROP, scp="inventory:read profile"))
    assert verifier.verify(token).scopes == frozenset({"inventory:read", "profile"})


def test_a_token_without_scope_claims_has_no_scopes(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    assert verifier.verify(sign(rsa_key, make_claims(scope=DROP))).scopes == frozenset()


def test_client_id_falls_back_to_azp(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    token = sign(rsa_key, make_claims(client_id=DROP, azp="other-app"))
    assert verifier.verify(token).client_id == "other-app"


def test_a_token_without_client_id_or_azp_has_no_client(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    assert verifier.verify(sign(rsa_key, make_claims(client_id=DROP))).client_id is None


def test_an_audience_list_containing_this_server_is_accepted(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    audience = ["https://other.example.test", AUDIENCE]
    assert verifier.verify(sign(rsa_key, make_claims(aud=audience))).audience == tuple(audience)


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt", "JWT", "jwt", DROP])
def test_access_token_and_generic_jwt_types_are_accepted(verifier: JwtVerifier, rsa_key: RSAKey, typ: Any) -> None:
    assert verifier.verify(sign(rsa_key, typ=typ)).subject == "user-42"


def test_a_token_expired_within_the_leeway_is_still_accepted(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    assert verifier.verify(sign(rsa_key, make_claims(exp=int(NOW) - 20))).subject == "user-42"


def test_a_token_without_kid_is_rejected_when_the_key_set_is_ambiguous(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    assert rejection(verifier, sign(rsa_key, kid=DROP)).reason == "unknown_key"


def test_a_token_without_kid_is_accepted_when_the_key_set_has_one_key(
    make_verifier: Callable[[OAuthSettings], JwtVerifier], endpoint: JwksEndpoint, rsa_key: RSAKey
) -> None:
    endpoint.keys = [rsa_key]
    assert make_verifier(SETTINGS).verify(sign(rsa_key, kid=DROP)).subject == "user-42"


# --- time -----------------------------------------------------------------------------


def test_an_expired_token_is_rejected_as_expired(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    assert rejection(verifier, sign(rsa_key, make_claims(exp=int(NOW) - 31))).reason == "expired"


def test_a_token_becomes_expired_as_the_clock_passes_exp(
    verifier: JwtVerifier, rsa_key: RSAKey, clock: FakeClock
) -> None:
    token = sign(rsa_key)
    verifier.verify(token)
    clock.advance(600 + 30)
    assert rejection(verifier, token).reason == "expired"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_token_valid_only_in_the_future_is_rejected_as_not_yet_valid(
    verifier: JwtVerifier, rsa_key: RSAKey, claim: str
) -> None:
    token = sign(rsa_key, make_claims(**{claim: int(NOW) + 31}))
    assert rejection(verifier, token).reason == "not_yet_valid"


def test_a_slightly_future_nbf_within_the_leeway_is_accepted(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    assert verifier.verify(sign(rsa_key, make_claims(nbf=int(NOW) + 20))).subject == "user-42"


@pytest.mark.parametrize("exp", ["tomorrow", True, None])
def test_a_non_numeric_exp_is_rejected(verifier: JwtVerifier, rsa_key: RSAKey, exp: Any) -> None:
    expected = "missing_claim" if exp is None else "malformed"
    assert rejection(verifier, sign(rsa_key, make_claims(exp=exp))).reason == expected


# --- issuer, audience, required claims --------------------------------------------------


@pytest.mark.parametrize("issuer", ["https://evil.example.test", ISSUER + "/", ISSUER.upper()])
def test_a_token_from_another_issuer_is_rejected_as_wrong_issuer(
    verifier: JwtVerifier, rsa_key: RSAKey, issuer: str
) -> None:
    assert rejection(verifier, sign(rsa_key, make_claims(iss=issuer))).reason == "wrong_issuer"


@pytest.mark.parametrize("audience", ["https://other.example.test/mcp", ["https://a.test", "https://b.test"], []])
def test_a_token_for_another_resource_is_rejected_as_wrong_audience(
    verifier: JwtVerifier, rsa_key: RSAKey, audience: Any
) -> None:
    assert rejection(verifier, sign(rsa_key, make_claims(aud=audience))).reason == "wrong_audience"


@pytest.mark.parametrize("claim", ["sub", "exp", "iss", "aud"])
def test_a_token_missing_a_required_claim_is_rejected_as_missing_claim(
    verifier: JwtVerifier, rsa_key: RSAKey, claim: str
) -> None:
    assert rejection(verifier, sign(rsa_key, make_claims(**{claim: DROP}))).reason == "missing_claim"


def test_an_empty_subject_counts_as_missing(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    assert rejection(verifier, sign(rsa_key, make_claims(sub=""))).reason == "missing_claim"


@pytest.mark.parametrize(
    "overrides",
    [{"aud": 42}, {"aud": [AUDIENCE, 7]}, {"sub": 42}, {"scope": ["a", "b"]}, {"scope": DROP, "scp": 3}],
    ids=["aud-number", "aud-list-with-number", "sub-number", "scope-list", "scp-number"],
)
def test_claims_of_the_wrong_type_are_rejected_as_malformed(
    verifier: JwtVerifier, rsa_key: RSAKey, overrides: dict[str, Any]
) -> None:
    assert rejection(verifier, sign(rsa_key, make_claims(**overrides))).reason == "malformed"


# --- signatures and algorithms -----------------------------------------------------------


def test_a_token_signed_by_an_unpublished_key_with_a_known_kid_has_a_bad_signature(
    verifier: JwtVerifier, impostor_key: RSAKey
) -> None:
    assert rejection(verifier, sign(impostor_key)).reason == "bad_signature"


def test_a_token_with_altered_claims_has_a_bad_signature(verifier: JwtVerifier, rsa_key: RSAKey) -> None:
    header, _, signature = sign(rsa_key).split(".")
    forged = f"{header}.{b64json(make_claims(sub='admin'))}.{signature}"
    assert rejection(verifier, forged).reason == "bad_signature"


def test_a_token_whose_alg_does_not_fit_the_key_has_a_bad_signature(verifier: JwtVerifier, ec_key: ECKey) -> None:
    assert rejection(verifier, sign(ec_key, kid="rsa-1")).reason == "bad_signature"


@pytest.mark.parametrize("signature", ["", "c2lnbmF0dXJl"])
def test_an_unsigned_alg_none_token_is_rejected(verifier: JwtVerifier, signature: str) -> None:
    token = unsigned_token({"alg": "none", "typ": "at+jwt", "kid": "rsa-1"}, make_claims(), signature)
    assert rejection(verifier, token).reason == "bad_signature"


@pytest.mark.parametrize("secret_form", ["pem", "jwk-json"])
def test_an_hs256_token_keyed_with_the_public_key_is_rejected(
    verifier: JwtVerifier, rsa_key: RSAKey, secret_form: str
) -> None:
    """Algorithm confusion: the public key is public, so an HMAC over it proves nothing."""
    public = rsa_key.as_pem(private=False) if secret_form == "pem" else json.dumps(rsa_key.as_dict()).encode()
    signing_input = f"{b64json({'alg': 'HS256', 'typ': 'at+jwt', 'kid': 'rsa-1'})}.{b64json(make_claims())}"
    signature = b64(hmac.new(public, signing_input.encode(), hashlib.sha256).digest())
    assert rejection(verifier, f"{signing_input}.{signature}").reason == "bad_signature"


def test_an_algorithm_outside_the_configured_list_is_rejected(
    make_verifier: Callable[[OAuthSettings], JwtVerifier], ec_key: ECKey
) -> None:
    rs_only = OAuthSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url=JWKS_URL, algorithms=("RS256",))
    assert rejection(make_verifier(rs_only), sign(ec_key)).reason == "bad_signature"


# --- malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.@@@.###",
        "eyJhbGciOiJSUzI1NiJ9..c2ln",
        f"{b64(b'not json')}.{b64json({'sub': 'x'})}.c2ln",
        f"{b64json(['alg', 'RS256'])}.{b64json({'sub': 'x'})}.c2ln",
        f"{b64json({'typ': 'at+jwt'})}.{b64json({'sub': 'x'})}.c2ln",
        f"{b64json({'alg': 'RS256'})}.{b64json({'sub': 'x'})}.c2ln\u00e9",
        "Bearer " + "x" * 20,
    ],
    ids=[
        "empty",
        "one-part",
        "two-parts",
        "four-parts",
        "not-base64",
        "empty-payload",
        "header-not-json",
        "header-not-object",
        "no-alg",
        "non-ascii",
        "bearer-prefix",
    ],
)
def test_strings_that_are_not_compact_jws_are_rejected_as_malformed(verifier: JwtVerifier, token: str) -> None:
    assert rejection(verifier, token).reason == "malformed"


@pytest.mark.parametrize("typ", ["id_token+jwt", "logout+jwt", "JWE"])
def test_tokens_of_another_type_are_rejected_as_malformed(verifier: JwtVerifier, rsa_key: RSAKey, typ: str) -> None:
    assert rejection(verifier, sign(rsa_key, typ=typ)).reason == "malformed"


def test_a_token_with_critical_header_extensions_is_rejected_as_malformed(
    verifier: JwtVerifier, rsa_key: RSAKey
) -> None:
    header = {"alg": "RS256", "typ": "at+jwt", "kid": "rsa-1", "crit": ["exp"], "exp": 1}
    assert rejection(verifier, sign_raw(rsa_key, header, make_claims())).reason == "malformed"


def test_a_signed_payload_that_is_not_a_json_object_is_rejected_as_malformed(
    verifier: JwtVerifier, rsa_key: RSAKey
) -> None:
    token = jws.serialize_compact({"alg": "RS256", "kid": "rsa-1"}, b"[1, 2, 3]", rsa_key, ["RS256"])
    assert rejection(verifier, token).reason == "malformed"


# --- JWK Set: caching, rotation, rate limit, outages -----------------------------------------


def test_the_key_set_is_fetched_once_and_cached(verifier: JwtVerifier, endpoint: JwksEndpoint, rsa_key: RSAKey) -> None:
    for _ in range(5):
        verifier.verify(sign(rsa_key))
    assert endpoint.fetches == 1


def test_the_key_set_is_refetched_after_the_cache_lifetime(
    verifier: JwtVerifier, endpoint: JwksEndpoint, rsa_key: RSAKey, clock: FakeClock
) -> None:
    verifier.verify(sign(rsa_key))
    clock.advance(299)
    verifier.verify(sign(rsa_key, make_claims(exp=int(clock.now) + 600)))
    assert endpoint.fetches == 1
    clock.advance(1)
    verifier.verify(sign(rsa_key, make_claims(exp=int(clock.now) + 600)))
    assert endpoint.fetches == 2


def test_a_new_key_published_by_the_server_is_accepted_after_one_refetch(
    verifier: JwtVerifier, endpoint: JwksEndpoint, rsa_key: RSAKey, rotated_key: RSAKey
) -> None:
    verifier.verify(sign(rsa_key))
    endpoint.keys = [rotated_key]
    assert verifier.verify(sign(rotated_key)).subject == "user-42"
    assert endpoint.fetches == 2


def test_an_unknown_kid_is_rejected_after_exactly_one_refetch(
    verifier: JwtVerifier, endpoint: JwksEndpoint, rsa_key: RSAKey, rotated_key: RSAKey
) -> None:
    verifier.verify(sign(rsa_key))
    assert rejection(verifier, sign(rotated_key)).reason == "unknown_key"
    assert endpoint.fetches == 2


def test_an_unknown_kid_on_a_cold_cache_costs_a_single_fetch(
    verifier: JwtVerifier, endpoint: JwksEndpoint, rotated_key: RSAKey
) -> None:
    assert rejection(verifier, sign(rotated_key)).reason == "unknown_key"
    assert endpoint.fetches == 1


def test_a_flood_of_unknown_kids_refetches_at_most_once_per_30_seconds(
    verifier: JwtVerifier, endpoint: JwksEndpoint, rsa_key: RSAKey, clock: FakeClock
) -> None:
    verifier.verify(sign(rsa_key))
    for second in range(90):
        for attempt in range(10):
            forged = unsigned_token({"alg": "RS256", "kid": f"forged-{second}-{attempt}"}, make_claims(), "c2ln")
            assert rejection(verifier, forged).reason == "unknown_key"
        clock.advance(1)
    # t=0 initial load, then one refetch each at t=0, t=30 and t=60.
    assert endpoint.fetches == 4


def test_a_failing_key_endpoint_makes_tokens_unverifiable(
    verifier: JwtVerifier, endpoint: JwksEndpoint, rsa_key: RSAKey
) -> None:
    endpoint.status = 500
    assert rejection(verifier, sign(rsa_key)).reason == "jwks_unavailable"


def test_after_a_failed_fetch_the_endpoint_is_left_alone_for_a_while(
    verifier: JwtVerifier, endpoint: JwksEndpoint, rsa_key: RSAKey, clock: FakeClock
) -> None:
    endpoint.status = 500
    for _ in range(5):
        assert rejection(verifier, sign(rsa_key)).reason == "jwks_unavailable"
    assert endpoint.fetches == 1
    endpoint.status = 200
    clock.advance(10)
    assert verifier.verify(sign(rsa_key)).subject == "user-42"
    assert endpoint.fetches == 2


def test_cached_keys_keep_working_when_a_refresh_fails(
    verifier: JwtVerifier, endpoint: JwksEndpoint, rsa_key: RSAKey, clock: FakeClock
) -> None:
    verifier.verify(sign(rsa_key))
    endpoint.status = 503
    clock.advance(301)
    assert verifier.verify(sign(rsa_key, make_claims(exp=int(clock.now) + 600))).subject == "user-42"
    assert endpoint.fetches == 2


def test_a_key_endpoint_answering_something_other_than_a_jwk_set_is_unavailable(
    clock: FakeClock, rsa_key: RSAKey
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"issuer": ISSUER})

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        verifier = JwtVerifier(SETTINGS, http=http, clock=clock)
        assert rejection(verifier, sign(rsa_key)).reason == "jwks_unavailable"


def test_symmetric_keys_in_the_key_set_are_never_used(clock: FakeClock, rsa_key: RSAKey) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        secret = {"kty": "oct", "kid": "hmac-1", "k": b64(b"s" * 32)}
        return httpx.Response(200, json={"keys": [secret, rsa_key.as_dict(private=False)]})

    signing_input = f"{b64json({'alg': 'HS256', 'kid': 'hmac-1'})}.{b64json(make_claims())}"
    signature = b64(hmac.new(b"s" * 32, signing_input.encode(), hashlib.sha256).digest())
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        verifier = JwtVerifier(SETTINGS, http=http, clock=clock)
        assert rejection(verifier, f"{signing_input}.{signature}").reason == "bad_signature"


# --- JWK Set from a file ----------------------------------------------------------------------


def file_verifier(path: Path, clock: FakeClock) -> JwtVerifier:
    return JwtVerifier(OAuthSettings(issuer=ISSUER, audience=AUDIENCE, jwks_file=str(path)), clock=clock)


def test_a_key_set_file_verifies_tokens(tmp_path: Path, clock: FakeClock, ec_key: ECKey) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(public_jwks([ec_key])))
    assert file_verifier(path, clock).verify(sign(ec_key)).subject == "user-42"


def test_a_key_set_file_is_reread_when_an_unknown_kid_arrives(
    tmp_path: Path, clock: FakeClock, ec_key: ECKey, rotated_key: RSAKey
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(public_jwks([ec_key])))
    verifier = file_verifier(path, clock)
    verifier.verify(sign(ec_key))
    path.write_text(json.dumps(public_jwks([ec_key, rotated_key])))
    assert verifier.verify(sign(rotated_key)).subject == "user-42"


def test_a_missing_key_set_file_makes_tokens_unverifiable(tmp_path: Path, clock: FakeClock, ec_key: ECKey) -> None:
    verifier = file_verifier(tmp_path / "absent.json", clock)
    assert rejection(verifier, sign(ec_key)).reason == "jwks_unavailable"


# --- messages ------------------------------------------------------------------------------------


def test_no_rejection_message_contains_the_token_or_its_parts(
    verifier: JwtVerifier, rsa_key: RSAKey, impostor_key: RSAKey, rotated_key: RSAKey
) -> None:
    tokens = [
        sign(rsa_key, make_claims(exp=int(NOW) - 100)),
        sign(rsa_key, make_claims(iss="https://evil.example.test")),
        sign(rsa_key, make_claims(aud="https://evil.example.test")),
        sign(rsa_key, make_claims(sub=DROP)),
        sign(rsa_key, typ="id_token+jwt"),
        sign(impostor_key),
        sign(rotated_key),
        "a.b.c.d",
        "abc",
    ]
    for token in tokens:
        error = rejection(verifier, token)
        for text in (str(error), error.message, repr(error)):
            assert token not in text
            assert not any(len(part) > 3 and part in text for part in token.split("."))


# --- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"jwks_url": None},
        {"jwks_file": "/etc/jwks.json"},
        {"algorithms": ()},
        {"algorithms": ("RS256", "HS256")},
        {"algorithms": ("none",)},
        {"algorithms": ("RS999",)},
        {"jwks_url": "http://auth.example.test/jwks"},
        {"jwks_url": "ftp://auth.example.test/jwks"},
        {"issuer": ""},
        {"leeway_seconds": -1},
    ],
    ids=[
        "no-jwks",
        "both-jwks",
        "no-algorithms",
        "hmac",
        "none",
        "unknown-alg",
        "plain-http",
        "ftp",
        "empty-issuer",
        "negative-leeway",
    ],
)
def test_unsafe_or_incomplete_settings_are_refused(overrides: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": JWKS_URL, **overrides}
    with pytest.raises(ValueError):
        OAuthSettings(**arguments)


def test_plain_http_is_allowed_for_a_key_set_on_localhost() -> None:
    settings = OAuthSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url="http://127.0.0.1:8080/jwks")
    assert settings.jwks_url == "http://127.0.0.1:8080/jwks"
