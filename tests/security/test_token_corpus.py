"""Malformed and malicious tokens in the access cookie, the refresh cookie and the Bearer header.

Each case claims the identity of a real signed-in person (their user id and session id), so
the only thing between the attacker and that person's account is the defect the case carries.
The control tests prove it: the same forgery done right, with the real key, does sign in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.security.forge import Victim, b64, forge, raw_json, segment, without
from tests.security.helpers import TARGETS, assert_not_signed_in, assert_signed_in, send, typ_for

ATTACKER_KEY = "a" * 32 + "-attacker-controlled-hmac-key"

Case = Callable[[Victim, str], str]


def other(typ: str) -> str:
    return "refresh" if typ == "access" else "access"


def _tampered(v: Victim, typ: str, **changes) -> str:
    """A real token whose payload was edited afterwards; the old signature is kept."""
    real = v.signed(typ)
    header, _payload, signature = real.split(".")
    return f"{header}.{segment(v.claims(typ, **changes))}.{signature}"


def _with_real_signature_of(v: Victim, typ: str, header: dict) -> str:
    real = v.signed(typ)
    _header, payload, signature = real.split(".")
    return f"{segment(header)}.{payload}.{signature}"


def _attacker_jwk_header(v: Victim) -> dict:
    return v.header(jwk={"kty": "oct", "k": b64(ATTACKER_KEY.encode())})


CASES: dict[str, Case] = {
    # alg: none in all spellings, with and without a signature
    "alg_none": lambda v, t: forge(v.header(alg="none"), v.claims(t)),
    "alg_None": lambda v, t: forge(v.header(alg="None"), v.claims(t)),
    "alg_NONE": lambda v, t: forge(v.header(alg="NONE"), v.claims(t)),
    "alg_none_keeping_real_signature": lambda v, t: _with_real_signature_of(
        v, t, v.header(alg="none")
    ),
    "alg_missing": lambda v, t: forge({"typ": "JWT", "kid": "k1"}, v.claims(t), v.key),
    "alg_hs512_real_key": lambda v, t: forge(
        v.header(alg="HS512"), v.claims(t), v.key, digest=hashlib.sha512
    ),
    "alg_lowercase_hs256_real_key": lambda v, t: forge(v.header(alg="hs256"), v.claims(t), v.key),
    # signatures that are not ours
    "signed_with_attacker_key": lambda v, t: forge(v.header(), v.claims(t), ATTACKER_KEY),
    "signature_stripped": lambda v, t: v.signed(t).rsplit(".", 1)[0] + ".",
    "payload_tampered_to_huge_exp": lambda v, t: _tampered(v, t, exp=10**12),
    "payload_tampered_other_user": lambda v, t: _tampered(v, t, sub=str(int(v.sub) + 1)),
    # kid tricks
    "kid_path_traversal": lambda v, t: forge(
        v.header(kid="../../../../../../dev/null"), v.claims(t), b""
    ),
    "kid_path_traversal_to_secrets": lambda v, t: forge(
        v.header(kid="../instance/secrets.json"), v.claims(t), ATTACKER_KEY
    ),
    "kid_sql_injection": lambda v, t: forge(
        v.header(kid="k1' OR '1'='1"), v.claims(t), ATTACKER_KEY
    ),
    "kid_unknown": lambda v, t: forge(v.header(kid="k2"), v.claims(t), v.key),
    "kid_missing": lambda v, t: forge({"alg": "HS256", "typ": "JWT"}, v.claims(t), v.key),
    "kid_not_a_string": lambda v, t: forge(v.header(kid=["k1"]), v.claims(t), v.key),
    "kid_with_nul": lambda v, t: forge(v.header(kid="k1\x00"), v.claims(t), v.key),
    # headers that point at keys elsewhere
    "jku_header": lambda v, t: forge(
        v.header(jku="https://evil.example/jwks.json"), v.claims(t), v.key
    ),
    "x5u_header": lambda v, t: forge(
        v.header(x5u="https://evil.example/cert.pem"), v.claims(t), v.key
    ),
    "jwk_header_with_attacker_key": lambda v, t: forge(
        _attacker_jwk_header(v), v.claims(t), ATTACKER_KEY
    ),
    "x5c_header": lambda v, t: forge(v.header(x5c=["MIIBszCCAVmgAwIBAgIU"]), v.claims(t), v.key),
    "crit_header": lambda v, t: forge(v.header(crit=["exp"]), v.claims(t), v.key),
    # signed with the real key, but the claims are wrong
    "wrong_iss": lambda v, t: v.signed(t, iss="https://evil.example"),
    "typ_swapped": lambda v, t: v.signed(other(t)),
    "typ_unknown": lambda v, t: v.signed(t, typ="id"),
    **{
        f"missing_{name}": (
            lambda name: lambda v, t: forge(v.header(), without(v.claims(t), name), v.key)  # noqa: B023
        )(name)
        for name in ("sub", "sid", "jti", "iat", "exp", "iss", "typ")
    },
    "sub_as_number": lambda v, t: v.signed(t, sub=int(v.sub)),
    "sub_not_a_number": lambda v, t: v.signed(t, sub="admin"),
    "sub_unicode_digit": lambda v, t: v.signed(t, sub="\u00b2"),
    "sub_5000_digits": lambda v, t: v.signed(t, sub="1" * 5000),
    "sid_not_a_string": lambda v, t: v.signed(t, sid={"$ne": ""}),
    "sid_empty": lambda v, t: v.signed(t, sid=""),
    "exp_as_string": lambda v, t: v.signed(t, exp=str(v.now + 600)),
    "exp_as_float": lambda v, t: v.signed(t, exp=v.now + 600.5),
    "exp_as_bool": lambda v, t: v.signed(t, exp=True),
    "exp_negative": lambda v, t: v.signed(t, exp=-1),
    "exp_infinity": lambda v, t: forge(
        v.header(), raw_json(without(v.claims(t), "exp"))[:-1] + ',"exp":Infinity}', v.key
    ),
    "exp_nan": lambda v, t: forge(
        v.header(), raw_json(without(v.claims(t), "exp"))[:-1] + ',"exp":NaN}', v.key
    ),
    "iat_as_string": lambda v, t: v.signed(t, iat=str(v.now)),
    "iat_as_float": lambda v, t: v.signed(t, iat=v.now + 0.5),
    "iat_huge_future": lambda v, t: v.signed(t, iat=10**30),
    "nbf_as_string": lambda v, t: v.signed(t, nbf=str(v.now)),
    "nbf_as_float": lambda v, t: v.signed(t, nbf=v.now - 0.5),
    "nbf_huge_future": lambda v, t: v.signed(t, nbf=10**30),
    # parser differentials
    "duplicate_typ_last_wrong": lambda v, t: forge(
        v.header(), raw_json(v.claims(t), duplicate=("typ", other(t))), v.key
    ),
    "duplicate_alg_last_none": lambda v, t: forge(
        raw_json(v.header(), duplicate=("alg", "none")), v.claims(t)
    ),
    "duplicate_iss_last_wrong": lambda v, t: forge(
        v.header(), raw_json(v.claims(t), duplicate=("iss", "evil")), v.key
    ),
    "payload_not_json": lambda v, t: forge(v.header(), "sub=1;typ=access", v.key),
    "payload_json_array": lambda v, t: forge(v.header(), json.dumps([v.claims(t)]), v.key),
    "payload_json_null": lambda v, t: forge(v.header(), "null", v.key),
    "header_not_json": lambda v, t: forge("alg=HS256", v.claims(t), v.key),
    "header_json_array": lambda v, t: forge('["HS256"]', v.claims(t), v.key),
    "payload_invalid_utf8": lambda v, t: forge(v.header(), b'{"sub":"\xff\xfe"}', v.key),
    # encoding and framing
    "bad_base64_padding": lambda v, t: v.signed(t).replace(".", "=.", 1),
    "bad_base64_alphabet": lambda v, t: v.signed(t).replace(".", "!.", 1),
    "base64_standard_alphabet": lambda v, t: (
        v.signed(t).replace("-", "+").replace("_", "/") + "+/"
    ),
    "extra_segment": lambda v, t: v.signed(t) + ".eyJleHRyYSI6MX0",
    "five_segments_jwe_shape": lambda v, t: v.signed(t) + ".AAAA.BBBB",
    "two_segments": lambda v, t: v.signed(t).rsplit(".", 1)[0],
    "one_segment": lambda v, t: v.signed(t).split(".")[1],
    "empty_segments": lambda v, t: "..",
    "token_64kb": lambda v, t: forge(v.header(), v.claims(t, pad="A" * 65_536), ATTACKER_KEY),
    "garbage_64kb": lambda v, t: "eyJ" + "A" * 65_536 + "." + "B" * 100 + "." + "C" * 43,
    "control_characters": lambda v, t: v.signed(t).replace(".", "\x00.", 1) + "\x01\x7f",
    "tab_inside": lambda v, t: v.signed(t).replace(".", "\t.", 1),
    "invalid_utf8_bytes": lambda v, t: v.signed(t)[:20] + "\xff\xfe\xc3\x28" + v.signed(t)[20:],
    "json_in_place_of_token": lambda v, t: json.dumps(v.claims(t)),
    "unicode_lookalike_dots": lambda v, t: v.signed(t).replace(".", "\u2024"),
}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_attack_token_never_signs_anyone_in(victim_app, target, name):
    app, victim = victim_app
    token = CASES[name](victim, typ_for(target))
    assert_not_signed_in(app, send(app, target, token), victim.email)
    assert_not_signed_in(
        app, send(app, target, token, accept="application/json"), victim.email, json=True
    )
    landing = send(app, target, token, path="/")
    assert landing.status_code == 200 and victim.email not in landing.text


@pytest.mark.parametrize("target", ["access_cookie", "bearer"])
def test_control_the_same_forgery_with_the_real_key_signs_in(victim_app, target):
    """Without this, every case above could pass because the builders were broken."""
    app, victim = victim_app
    assert_signed_in(send(app, target, victim.signed("access")), victim.email)
    wrong_place = send(app, target, victim.signed("access", typ="refresh"))
    assert_not_signed_in(app, wrong_place, victim.email)


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


BEARER_SHAPES = [
    "Bearer",
    "Bearer ",
    "Basic dmljdGltOnB3",
    "Token abc",
    "Bearer a b c",
    "Bearer\x00",
    "bearer" + " " * 2000,
    "Bearer " + "." * 5000,
    "Digest x=1",
]


@pytest.mark.parametrize("header", BEARER_SHAPES)
def test_malformed_authorization_headers_are_anonymous(victim_app, header):
    app, victim = victim_app
    response = app.test_client().get(
        "/account", headers={"Authorization": header, "Accept": "application/json"}
    )
    assert_not_signed_in(app, response, victim.email, json=True)


def test_a_header_token_is_never_combined_with_cookies(victim_app):
    """A broken Bearer token next to a good access cookie is still refused: no fallback."""
    app, victim = victim_app
    name = app.config["ACCESS_COOKIE_NAME"]
    response = app.test_client(use_cookies=False).get(
        "/account",
        headers={
            "Authorization": "Bearer " + CASES["alg_none"](victim, "access"),
            "Cookie": f"{name}={victim.signed('access')}",
        },
    )
    assert_not_signed_in(app, response, victim.email)


# --- an asymmetric key: the HS256-with-the-public-key confusion --------------------------


def _pem_pair():
    from cryptography.hazmat.primitives import serialization

    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, private_pem.decode(), public_pem


@pytest.fixture(scope="module")
def es256_app(tmp_path_factory):
    from tests.security.helpers import build_app, sign_up

    private, private_pem, public_pem = _pem_pair()
    app = build_app(tmp_path_factory, JWT_ALGORITHM="ES256", JWT_KEYS={"k1": private_pem})
    _actions, claims = sign_up(app)
    victim = Victim(
        email="victim@example.com",
        sub=claims["sub"],
        sid=claims["sid"],
        now=int(claims["iat"]),
        key=public_pem.decode(),
    )
    yield app, victim, private, public_pem
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


ES_CASES: dict[str, Callable] = {
    "hs256_signed_with_public_pem": lambda v, t, pub: forge(
        v.header(alg="HS256"), v.claims(t), pub
    ),
    "hs256_signed_with_public_pem_stripped": lambda v, t, pub: forge(
        v.header(alg="HS256"), v.claims(t), pub.strip()
    ),
    "es256_header_hmac_signature_with_public_pem": lambda v, t, pub: forge(
        v.header(alg="ES256"), v.claims(t), pub
    ),
    "alg_none": lambda v, t, pub: forge(v.header(alg="none"), v.claims(t)),
    "es256_signed_by_another_key": lambda v, t, pub: jwt.encode(
        v.claims(t),
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": "k1"},
    ),
    "jwk_header_with_attacker_public_key": lambda v, t, pub: _es_jwk_forgery(v, t),
}


def _es_jwk_forgery(v: Victim, typ: str) -> str:
    attacker = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(attacker.public_key()))
    return jwt.encode(
        v.claims(typ), attacker, algorithm="ES256", headers={"kid": "k1", "jwk": jwk}
    )


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(ES_CASES))
def test_asymmetric_key_attacks_never_sign_anyone_in(es256_app, target, name):
    app, victim, _private, public_pem = es256_app
    token = ES_CASES[name](victim, typ_for(target), public_pem)
    assert_not_signed_in(app, send(app, target, token), victim.email)


def test_control_es256_forgery_with_the_real_private_key_signs_in(es256_app):
    app, victim, private, _public = es256_app
    token = jwt.encode(victim.claims("access"), private, algorithm="ES256", headers={"kid": "k1"})
    assert_signed_in(send(app, "access_cookie", token), victim.email)
    assert_signed_in(send(app, "bearer", token), victim.email)


def test_control_a_real_refresh_cookie_signs_in(victim_app):
    """The refresh-cookie column above is meaningful: a real one in the same header works."""
    from tests.security.helpers import sign_up

    app, _victim = victim_app
    actions, _claims = sign_up(app, "control@example.com")
    _access, refresh = actions.tokens()
    assert_signed_in(send(app, "refresh_cookie", refresh), "control@example.com")
