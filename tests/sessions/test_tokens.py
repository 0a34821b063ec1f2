"""Token issue and verification, as pure functions (no app, no request)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.sessions.tokens import (
    REQUIRED_CLAIMS,
    KeyRing,
    TokenStatus,
    TokenType,
    VerifiedTokenCache,
    hash_token,
    issue_token,
    verify_token,
)

NOW = 1_800_000_000
KEY = "a" * 43
OTHER_KEY = "b" * 43
RING = KeyRing.from_config({"k1": KEY}, "k1", "HS256")


def issue(typ=TokenType.ACCESS, ring=RING, now=NOW, ttl=60, **kw):
    token, _ = issue_token(
        keyring=ring, typ=typ, sub="7", sid="s1", issuer="test", now=now, ttl=ttl, **kw
    )
    return token


def verify(token, typ=TokenType.ACCESS, ring=RING, now=NOW + 1, leeway=0):
    return verify_token(token, keyring=ring, typ=typ, issuer="test", now=now, leeway=leeway)


def forge(claims: dict, *, key=KEY, alg="HS256", headers=None) -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": "k1", **(headers or {})})


def full_claims(**changes) -> dict:
    claims = {
        "sub": "7",
        "sid": "s1",
        "jti": "j",
        "iat": NOW,
        "exp": NOW + 60,
        "iss": "test",
        "typ": "access",
    }
    claims.update(changes)
    return claims


def test_issued_token_carries_every_required_claim_and_kid():
    token = issue()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(REQUIRED_CLAIMS) <= claims.keys()
    assert claims["sub"] == "7" and claims["typ"] == "access" and claims["iss"] == "test"
    assert jwt.get_unverified_header(token)["kid"] == "k1"


def test_valid_token_verifies():
    result = verify(issue())
    assert result.status is TokenStatus.VALID and result.claims["sid"] == "s1"


def test_jti_is_unique():
    assert issue() != issue()


def test_exp_never_passes_not_after():
    token = issue(ttl=1000, not_after=NOW + 10)
    assert jwt.decode(token, options={"verify_signature": False})["exp"] == NOW + 10


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_each_required_claim_missing_is_invalid(claim):
    claims = full_claims()
    del claims[claim]
    assert verify(forge(claims)).status is TokenStatus.INVALID


def test_refresh_token_is_not_an_access_token_and_back():
    assert verify(issue(TokenType.REFRESH), TokenType.ACCESS).status is TokenStatus.INVALID
    assert verify(issue(TokenType.ACCESS), TokenType.REFRESH).status is TokenStatus.INVALID


def test_wrong_key_is_invalid():
    assert verify(forge(full_claims(), key=OTHER_KEY)).status is TokenStatus.INVALID


def test_wrong_issuer_is_invalid():
    assert verify(forge(full_claims(iss="someone-else"))).status is TokenStatus.INVALID


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_invalid(alg):
    def seg(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    token = f"{seg({'alg': alg, 'kid': 'k1', 'typ': 'JWT'})}.{seg(full_claims())}."
    assert verify(token).status is TokenStatus.INVALID


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_other_hmac_algorithm_is_invalid(alg):
    assert verify(forge(full_claims(), alg=alg)).status is TokenStatus.INVALID


def test_expired_token_is_expired_not_invalid():
    token = issue(ttl=60)
    result = verify(token, now=NOW + 60)
    assert result.status is TokenStatus.EXPIRED and result.authentic
    assert verify(token, now=NOW + 59).status is TokenStatus.VALID


def test_leeway_is_zero_by_default_and_configurable():
    token = issue(ttl=60)
    assert verify(token, now=NOW + 61).status is TokenStatus.EXPIRED
    assert verify(token, now=NOW + 61, leeway=5).status is TokenStatus.VALID


def test_token_issued_in_the_future_is_invalid():
    assert verify(issue(now=NOW + 100), now=NOW).status is TokenStatus.INVALID


def test_unknown_kid_is_invalid():
    token = forge(full_claims(), headers={"kid": "nope"})
    assert verify(token).status is TokenStatus.INVALID


@pytest.mark.parametrize("header", ["jku", "x5u", "jwk", "x5c", "crit"])
def test_key_location_headers_are_refused(header):
    token = forge(full_claims(), headers={header: "https://evil.example/keys"})
    assert verify(token).status is TokenStatus.INVALID


def test_retired_key_still_verifies_until_removed():
    old = issue(ring=KeyRing.from_config({"old": OTHER_KEY}, "old", "HS256"))
    rotated = KeyRing.from_config({"new": KEY, "old": OTHER_KEY}, "new", "HS256")
    assert verify(old, ring=rotated).valid
    assert jwt.get_unverified_header(issue(ring=rotated))["kid"] == "new"
    removed = KeyRing.from_config({"new": KEY}, "new", "HS256")
    assert verify(old, ring=removed).status is TokenStatus.INVALID


@pytest.mark.parametrize(
    "claim,value", [("exp", "1900000000"), ("exp", 1.9e9), ("iat", "x"), ("sub", 7), ("exp", True)]
)
def test_claims_of_the_wrong_type_are_invalid(claim, value):
    assert verify(forge(full_claims(**{claim: value}))).status is TokenStatus.INVALID


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "a.b", "....", "eyJ.eyJ.sig"])
def test_garbage_is_invalid(garbage):
    assert verify(garbage).status is TokenStatus.INVALID


def test_es256_keys_sign_and_verify_and_hmac_with_public_key_fails():
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ring = KeyRing.from_config({"ec": pem}, "ec", "ES256")
    assert verify(issue(ring=ring), ring=ring).valid
    # The classic confusion attack: HMAC-sign with the public key as the secret.
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"ec"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(full_claims()).encode()).rstrip(b"=")
    sig = base64.urlsafe_b64encode(
        hmac.new(public_pem, header + b"." + payload, hashlib.sha256).digest()
    ).rstrip(b"=")
    forged = b".".join([header, payload, sig]).decode()
    assert verify(forged, ring=ring).status is TokenStatus.INVALID


def test_hash_token_is_sha256_hex():
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_cache_rechecks_expiry_and_type_on_every_hit():
    cache = VerifiedTokenCache(8)
    token = issue(ttl=60)
    kw = dict(keyring=RING, issuer="test")
    assert cache.verify(token, typ=TokenType.ACCESS, now=NOW + 1, **kw).valid
    assert len(cache) == 1
    assert (
        cache.verify(token, typ=TokenType.ACCESS, now=NOW + 60, **kw).status is TokenStatus.EXPIRED
    )
    assert (
        cache.verify(token, typ=TokenType.REFRESH, now=NOW + 1, **kw).status is TokenStatus.INVALID
    )


def test_cache_never_stores_rejected_tokens_and_a_changed_byte_misses():
    cache = VerifiedTokenCache(8)
    token = issue()
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    kw = dict(keyring=RING, issuer="test", typ=TokenType.ACCESS, now=NOW + 1)
    assert cache.verify(tampered, **kw).status is TokenStatus.INVALID
    assert len(cache) == 0
    assert cache.verify(token, **kw).valid
    assert cache.verify(tampered, **kw).status is TokenStatus.INVALID


def test_cache_is_bounded():
    cache = VerifiedTokenCache(3)
    for _i in range(10):
        cache.verify(issue(), keyring=RING, issuer="test", typ=TokenType.ACCESS, now=NOW + 1)
    assert len(cache) == 3
