"""Provider signature checks (localshelf.pos.signatures).

Known-answer vectors come from /work/shared/POS-REFERENCE.md §0:
- Shopify OAuth callback HMAC: secret ``hush``, the ``code/shop/state/timestamp`` message → ``700e2d…``
  (the example used in Shopify's OAuth docs and several client libraries).
- Shopify webhook HMAC: secret ``hush``, body ``{"id":788032119674292922,...}`` → ``PChQV/…``
  (generated locally by the reference's author, not published by Shopify).
- Square: both vectors from square-python-sdk ``legacy/tests/utilities/test_webhooks_helper.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from localshelf.pos.signatures import (
    clover_auth_valid,
    lightspeed_webhook_valid,
    shopify_callback_hmac,
    shopify_callback_message,
    shopify_callback_valid,
    shopify_webhook_valid,
    square_webhook_valid,
    valid_shop_domain,
)

# --- Shopify webhook -------------------------------------------------------------------------

SHOPIFY_SECRET = "hush"
SHOPIFY_BODY = b'{"id":788032119674292922,"title":"Example T-Shirt"}'
SHOPIFY_WEBHOOK_HMAC = "PChQV/s9qVvLuYZx4s3CvtPkNn5M2k1OrvTkc0qHHSM="  # POS-REFERENCE.md §0 (generated locally)


def test_shopify_webhook_reference_vector() -> None:
    assert shopify_webhook_valid(SHOPIFY_SECRET, SHOPIFY_BODY, SHOPIFY_WEBHOOK_HMAC)
    assert shopify_webhook_valid(SHOPIFY_SECRET.encode(), SHOPIFY_BODY, SHOPIFY_WEBHOOK_HMAC)


def test_shopify_webhook_tampered_body() -> None:
    tampered = SHOPIFY_BODY.replace(b"T-Shirt", b"T-Shirt!")
    assert not shopify_webhook_valid(SHOPIFY_SECRET, tampered, SHOPIFY_WEBHOOK_HMAC)
    # Same JSON, different bytes (re-serialised): must fail, we sign raw bytes.
    assert not shopify_webhook_valid(SHOPIFY_SECRET, SHOPIFY_BODY.replace(b",", b", "), SHOPIFY_WEBHOOK_HMAC)


def test_shopify_webhook_valid_signature_of_modified_body_does_not_transfer() -> None:
    modified = b'{"id":788032119674292922,"title":"Free T-Shirt"}'
    sig_for_modified = base64.b64encode(hmac.new(b"hush", modified, hashlib.sha256).digest()).decode()
    assert shopify_webhook_valid(SHOPIFY_SECRET, modified, sig_for_modified)
    assert not shopify_webhook_valid(SHOPIFY_SECRET, SHOPIFY_BODY, sig_for_modified)


def test_shopify_webhook_wrong_secret() -> None:
    assert not shopify_webhook_valid("hush2", SHOPIFY_BODY, SHOPIFY_WEBHOOK_HMAC)
    assert not shopify_webhook_valid("", SHOPIFY_BODY, SHOPIFY_WEBHOOK_HMAC)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "not base64!!",
        "PChQV/s9qVvLuYZx4s3CvtPkNn5M2k1OrvTkc0qHHSM",  # padding stripped
        "PChQV_s9qVvLuYZx4s3CvtPkNn5M2k1OrvTkc0qHHSM=",  # url-safe alphabet
        base64.b64encode(b"short").decode(),
        "3c285057fb3da95bcbb98671e2cdc2bed3e4367e4cda4d4eaef4e4734a871d23",  # right digest, hex instead of base64
        "PChQV/s9qVvLuYZx4s3CvtPkNn5M2k1OrvTkc0qHHSM=\u00e9",
    ],
)
def test_shopify_webhook_missing_or_malformed_header(header: str | None) -> None:
    assert not shopify_webhook_valid(SHOPIFY_SECRET, SHOPIFY_BODY, header)


def test_shopify_webhook_hex_variant_is_really_the_same_digest() -> None:
    # Guards the parametrised case above: the hex string is the same MAC, only wrongly encoded.
    digest = hmac.new(b"hush", SHOPIFY_BODY, hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == SHOPIFY_WEBHOOK_HMAC
    assert (
        digest.hex()
        == base64.b64decode(SHOPIFY_WEBHOOK_HMAC).hex()
        == "3c285057fb3da95bcbb98671e2cdc2bed3e4367e4cda4d4eaef4e4734a871d23"
    )


def test_shopify_webhook_empty_body_fails() -> None:
    sig = base64.b64encode(hmac.new(b"hush", b"", hashlib.sha256).digest()).decode()
    assert not shopify_webhook_valid(SHOPIFY_SECRET, b"", sig)


# --- Shopify OAuth callback ------------------------------------------------------------------

CALLBACK_TS = 1337178173
CALLBACK_PARAMS = {
    "code": "0907a61c0c8d55e99db179b68161bc00",
    "shop": "some-shop.myshopify.com",
    "state": "0.6784241404160823",
    "timestamp": str(CALLBACK_TS),
}
CALLBACK_HMAC = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"  # POS-REFERENCE.md §0


def _signed(params: dict[str, str], secret: str = SHOPIFY_SECRET) -> dict[str, str]:
    return {**params, "hmac": shopify_callback_hmac(secret, params)}


def test_shopify_callback_reference_vector() -> None:
    assert shopify_callback_message(CALLBACK_PARAMS) == (
        "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com"
        "&state=0.6784241404160823&timestamp=1337178173"
    )
    assert shopify_callback_hmac(SHOPIFY_SECRET, CALLBACK_PARAMS) == CALLBACK_HMAC
    query = {"hmac": CALLBACK_HMAC, **CALLBACK_PARAMS}
    assert shopify_callback_valid(SHOPIFY_SECRET, query, now=CALLBACK_TS + 10)
    # Same thing as a list of pairs, in arbitrary order, with upper-case hex.
    pairs = [("timestamp", str(CALLBACK_TS)), ("hmac", CALLBACK_HMAC.upper())]
    pairs += [(k, v) for k, v in CALLBACK_PARAMS.items() if k != "timestamp"]
    assert shopify_callback_valid(SHOPIFY_SECRET, pairs, now=CALLBACK_TS)


def test_shopify_callback_signature_parameter_is_ignored_in_the_message() -> None:
    query = {"hmac": CALLBACK_HMAC, "signature": "whatever", **CALLBACK_PARAMS}
    assert shopify_callback_valid(SHOPIFY_SECRET, query, now=CALLBACK_TS)


def test_shopify_callback_tampered_value() -> None:
    query = {"hmac": CALLBACK_HMAC, **CALLBACK_PARAMS, "shop": "evil-shop.myshopify.com"}
    assert not shopify_callback_valid(SHOPIFY_SECRET, query, now=CALLBACK_TS)
    extra = {"hmac": CALLBACK_HMAC, **CALLBACK_PARAMS, "host": "YWRtaW4"}
    assert not shopify_callback_valid(SHOPIFY_SECRET, extra, now=CALLBACK_TS)
    missing = {"hmac": CALLBACK_HMAC, **CALLBACK_PARAMS}
    del missing["state"]
    assert not shopify_callback_valid(SHOPIFY_SECRET, missing, now=CALLBACK_TS)


def test_shopify_callback_wrong_secret() -> None:
    query = {"hmac": CALLBACK_HMAC, **CALLBACK_PARAMS}
    assert not shopify_callback_valid("hush2", query, now=CALLBACK_TS)
    assert not shopify_callback_valid("", query, now=CALLBACK_TS)


@pytest.mark.parametrize("hmac_value", [None, "", "zz" * 32, CALLBACK_HMAC[:-2], CALLBACK_HMAC + "00", "é" * 64])
def test_shopify_callback_missing_or_malformed_hmac(hmac_value: str | None) -> None:
    query = dict(CALLBACK_PARAMS)
    if hmac_value is not None:
        query["hmac"] = hmac_value
    assert not shopify_callback_valid(SHOPIFY_SECRET, query, now=CALLBACK_TS)


def test_shopify_callback_duplicate_hmac_rejected() -> None:
    pairs = [("hmac", CALLBACK_HMAC), *CALLBACK_PARAMS.items(), ("hmac", CALLBACK_HMAC)]
    assert not shopify_callback_valid(SHOPIFY_SECRET, pairs, now=CALLBACK_TS)
    pairs = [("hmac", "0" * 64), *CALLBACK_PARAMS.items(), ("hmac", CALLBACK_HMAC)]
    assert not shopify_callback_valid(SHOPIFY_SECRET, pairs, now=CALLBACK_TS)


def test_shopify_callback_any_duplicate_parameter_rejected() -> None:
    pairs = [("hmac", CALLBACK_HMAC), *CALLBACK_PARAMS.items(), ("shop", "evil.myshopify.com")]
    assert not shopify_callback_valid(SHOPIFY_SECRET, pairs, now=CALLBACK_TS)


def test_shopify_callback_multi_items_objects_keep_duplicates() -> None:
    class FakeQueryParams(dict[str, str]):  # like Starlette's QueryParams: dict view hides duplicates
        def multi_items(self) -> list[tuple[str, str]]:
            return [("hmac", CALLBACK_HMAC), *CALLBACK_PARAMS.items(), ("hmac", CALLBACK_HMAC)]

    query = FakeQueryParams({"hmac": CALLBACK_HMAC, **CALLBACK_PARAMS})
    assert not shopify_callback_valid(SHOPIFY_SECRET, query, now=CALLBACK_TS)


@pytest.mark.parametrize(("offset", "ok"), [(0, True), (300, True), (-300, True), (301, False), (-301, False)])
def test_shopify_callback_timestamp_window(offset: int, ok: bool) -> None:
    query = {"hmac": CALLBACK_HMAC, **CALLBACK_PARAMS}
    # now = ts + offset: positive offset = stale callback, negative = timestamp in the future.
    assert shopify_callback_valid(SHOPIFY_SECRET, query, now=CALLBACK_TS + offset) is ok


def test_shopify_callback_stale_timestamp_with_custom_window() -> None:
    query = {"hmac": CALLBACK_HMAC, **CALLBACK_PARAMS}
    assert not shopify_callback_valid(SHOPIFY_SECRET, query, now=CALLBACK_TS + 91, max_age_seconds=90)
    assert not shopify_callback_valid(SHOPIFY_SECRET, query, now=CALLBACK_TS + 86400)


@pytest.mark.parametrize("ts", [None, "", "abc", "1337178173.5", "9" * 5000, "-1337178173", " 1337178173", "１３３７"])
def test_shopify_callback_missing_or_malformed_timestamp(ts: str | None) -> None:
    params = {k: v for k, v in CALLBACK_PARAMS.items() if k != "timestamp"}
    if ts is not None:
        params["timestamp"] = ts
    assert not shopify_callback_valid(SHOPIFY_SECRET, _signed(params), now=CALLBACK_TS)


def test_shopify_callback_escaping_rules() -> None:
    # Shopify docs: in keys and values '%' -> %25 and '&' -> %26; in keys '=' -> %3D; nothing else.
    params = {"a&b": "x=1&y%2", "k=v": "plain value", "timestamp": str(CALLBACK_TS)}
    assert shopify_callback_message(params) == "a%26b=x=1%26y%252&k%3Dv=plain value&timestamp=1337178173"
    expected = hmac.new(
        b"hush", b"a%26b=x=1%26y%252&k%3Dv=plain value&timestamp=1337178173", hashlib.sha256
    ).hexdigest()
    assert shopify_callback_hmac(SHOPIFY_SECRET, params) == expected
    assert shopify_callback_valid(SHOPIFY_SECRET, {**params, "hmac": expected}, now=CALLBACK_TS)


def test_shopify_callback_escaping_prevents_parameter_smuggling() -> None:
    # Without escaping, {"a": "1&b=2"} and {"a": "1", "b": "2"} would sign the same string.
    smuggled = {"a": "1&b=2", "timestamp": str(CALLBACK_TS)}
    split = {"a": "1", "b": "2", "timestamp": str(CALLBACK_TS)}
    assert shopify_callback_message(smuggled) != shopify_callback_message(split)
    query = {**split, "hmac": shopify_callback_hmac(SHOPIFY_SECRET, smuggled)}
    assert not shopify_callback_valid(SHOPIFY_SECRET, query, now=CALLBACK_TS)


# --- Shop domains ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shop", ["some-shop.myshopify.com", "a.myshopify.com", "Shop123.myshopify.com", "9lives.myshopify.com"]
)
def test_valid_shop_domains(shop: str) -> None:
    assert valid_shop_domain(shop)


@pytest.mark.parametrize(
    "shop",
    [
        "",
        ".myshopify.com",
        "-shop.myshopify.com",
        "some_shop.myshopify.com",
        "some-shop.myshopify.com/admin",
        "some-shop.myshopify.com/",
        "some-shop.myshopify.com:443",
        "https://some-shop.myshopify.com",
        "some-shop.myshopify.com.",
        "some-shop.myshopify.com\n",
        "some-shop.myshopify.com.evil.com",
        "evil.com/some-shop.myshopify.com",
        "evil.com?x=.myshopify.com",
        "evil.com#.myshopify.com",
        "user@some-shop.myshopify.com",
        "some.shop.myshopify.com",
        "some-shop.shopify.com",
        "some-shop.myshopify.io",
        "admin.shopify.com/store/some-shop",
        "some-shop.myshopifyXcom",
        "myshopify.com",
        "shöp.myshopify.com",
        "ѕhop.myshopify.com",  # Cyrillic 's'
        "some-shop.myshopify.сom",  # Cyrillic 'с'
        "xn--shp-sna.myshopify.com.evil",
    ],
)
def test_invalid_shop_domains(shop: str) -> None:
    assert not valid_shop_domain(shop)


# --- Square ----------------------------------------------------------------------------------

# POS-REFERENCE.md §0, from square-python-sdk legacy/tests/utilities/test_webhooks_helper.py
SQUARE_KEY = "Ibxx_5AKakO-3qeNVR61Dw"
SQUARE_URL = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"
SQUARE_BODY = (
    b'{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification",'
    b'"event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z",'
    b'"data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}'
)
SQUARE_SIG = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="


def test_square_reference_vectors() -> None:
    assert square_webhook_valid(SQUARE_KEY, SQUARE_URL, SQUARE_BODY, SQUARE_SIG)
    assert square_webhook_valid(
        "signature-key",
        "https://webhook.site/webhooks",
        b'{"data":{"type":"webhooks","id":">id<"}}',
        "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=",
    )


def test_square_tampered_body_url_key_or_header() -> None:
    assert not square_webhook_valid(SQUARE_KEY, SQUARE_URL, SQUARE_BODY + b" ", SQUARE_SIG)
    assert not square_webhook_valid(SQUARE_KEY, SQUARE_URL + "/", SQUARE_BODY, SQUARE_SIG)
    assert not square_webhook_valid(SQUARE_KEY, SQUARE_URL.replace("https", "http"), SQUARE_BODY, SQUARE_SIG)
    assert not square_webhook_valid(SQUARE_KEY, "", SQUARE_BODY, SQUARE_SIG)
    assert not square_webhook_valid("wrong-key", SQUARE_URL, SQUARE_BODY, SQUARE_SIG)
    assert not square_webhook_valid("", SQUARE_URL, SQUARE_BODY, SQUARE_SIG)
    assert not square_webhook_valid(SQUARE_KEY, SQUARE_URL, SQUARE_BODY, None)
    assert not square_webhook_valid(SQUARE_KEY, SQUARE_URL, SQUARE_BODY, "")
    assert not square_webhook_valid(SQUARE_KEY, SQUARE_URL, SQUARE_BODY, "@@not-base64@@")


def test_square_url_and_body_boundary_is_not_ambiguous_for_a_fixed_url() -> None:
    # Signature over URL + body: moving bytes between URL and body must not verify against the configured URL.
    sig = base64.b64encode(
        hmac.new(SQUARE_KEY.encode(), (SQUARE_URL + "x").encode() + b"{}", hashlib.sha256).digest()
    ).decode()
    assert square_webhook_valid(SQUARE_KEY, SQUARE_URL + "x", b"{}", sig)
    assert not square_webhook_valid(SQUARE_KEY, SQUARE_URL, b"{}", sig)


# --- Clover ----------------------------------------------------------------------------------


def test_clover_auth() -> None:
    code = "f1b2c3d4-static-auth-code"
    assert clover_auth_valid(code, code)
    assert clover_auth_valid(code.encode(), code)
    assert not clover_auth_valid(code, code[:-1])
    assert not clover_auth_valid(code, code + "x")
    assert not clover_auth_valid(code, code.upper())
    assert not clover_auth_valid(code, None)
    assert not clover_auth_valid(code, "")
    assert not clover_auth_valid("", "")  # unconfigured code never matches
    assert not clover_auth_valid(code, "ünïcødé")  # non-ASCII does not raise


# --- Lightspeed X-Series (unconfirmed scheme, checked only when the operator asks) -------------


def test_lightspeed_signature() -> None:
    body = b"type=inventory.update&payload=%7B%7D"
    digest = hmac.new(b"ls-secret", body, hashlib.sha256).hexdigest()
    header = f"signature={digest}, algorithm=HMAC-SHA256"
    assert lightspeed_webhook_valid("ls-secret", body, header)
    assert lightspeed_webhook_valid("ls-secret", body, f"algorithm=hmac-sha256,signature={digest.upper()}")
    assert not lightspeed_webhook_valid("ls-secret", body + b"x", header)  # a modified body
    assert not lightspeed_webhook_valid("other", body, header)
    assert not lightspeed_webhook_valid("", body, header)  # unconfigured secret never validates
    assert not lightspeed_webhook_valid("ls-secret", body, f"signature={digest}, algorithm=MD5")
    assert not lightspeed_webhook_valid("ls-secret", body, f"signature={digest[:-2]}, algorithm=HMAC-SHA256")
    assert not lightspeed_webhook_valid("ls-secret", body, "signature=zz, algorithm=HMAC-SHA256")
    assert not lightspeed_webhook_valid("ls-secret", body, "garbage")
    assert not lightspeed_webhook_valid("ls-secret", body, None)
