"""The JSON API's second step: mfa_required with an mfa_token, then the code for the tokens."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD
from tests.mfa.helpers import set_up_app, totp_code

EMAIL = "person@example.com"


@pytest.fixture
def with_app(app, client, auth, clock):
    auth.register(EMAIL)
    secret, codes = set_up_app(client, clock)
    clock.advance(30)
    return secret, codes


def start(app):
    api = app.test_client(use_cookies=False)
    response = api.post("/api/auth/token", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 401
    assert response.json["error"] == "mfa_required"
    assert 'error="mfa_required"' in response.headers["WWW-Authenticate"]
    assert "access_token" not in response.json
    assert not response.headers.getlist("Set-Cookie")
    return api, response.json["mfa_token"]


def test_a_code_buys_the_token_pair(app, with_app, clock):
    secret, _ = with_app
    api, mfa_token = start(app)
    answer = api.post(
        "/api/auth/token/mfa", json={"mfa_token": mfa_token, "code": totp_code(secret, clock.now)}
    )
    assert answer.status_code == 200
    assert answer.json["token_type"] == "Bearer"
    me = api.get("/api/me", headers={"Authorization": f"Bearer {answer.json['access_token']}"})
    assert me.json["email"] == EMAIL


def test_the_mfa_token_works_once(app, with_app, clock):
    _, codes = with_app
    api, mfa_token = start(app)
    assert (
        api.post(
            "/api/auth/token/mfa", json={"mfa_token": mfa_token, "code": codes[0]}
        ).status_code
        == 200
    )
    again = api.post("/api/auth/token/mfa", json={"mfa_token": mfa_token, "code": codes[1]})
    assert again.status_code == 401
    assert again.json["error"] == "invalid_grant"


def test_a_recovery_code_is_spent(app, with_app):
    _, codes = with_app
    api, first = start(app)
    assert (
        api.post("/api/auth/token/mfa", json={"mfa_token": first, "code": codes[3]}).status_code
        == 200
    )
    _, second = start(app)
    reused = api.post("/api/auth/token/mfa", json={"mfa_token": second, "code": codes[3]})
    assert reused.status_code == 401


def test_the_mfa_token_expires_after_five_minutes(app, with_app, clock):
    secret, _ = with_app
    api, mfa_token = start(app)
    clock.advance(301)
    late = api.post(
        "/api/auth/token/mfa", json={"mfa_token": mfa_token, "code": totp_code(secret, clock.now)}
    )
    assert late.status_code == 401
    assert "expired" in late.json["message"]


def test_bad_bodies_are_400(app, with_app):
    api = app.test_client(use_cookies=False)
    assert api.post("/api/auth/token/mfa", json={"mfa_token": "x"}).status_code == 400
    assert api.post("/api/auth/token/mfa", json={"mfa_token": 1, "code": "1"}).status_code == 400
    assert (
        api.post(
            "/api/auth/token/mfa", json={"mfa_token": "x" * 5000, "code": "123456"}
        ).status_code
        == 401
    )


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": True, "MFA_LIMIT_PER_ACCOUNT": "3 per 15 minutes"}


def test_wrong_codes_are_throttled_per_account_but_the_password_is_not_counted(
    app, with_app, clock
):
    secret, _ = with_app
    api, mfa_token = start(app)
    for _attempt in range(3):
        wrong = api.post("/api/auth/token/mfa", json={"mfa_token": mfa_token, "code": "000000"})
        assert wrong.status_code == 401
    blocked = api.post(
        "/api/auth/token/mfa", json={"mfa_token": mfa_token, "code": totp_code(secret, clock.now)}
    )
    assert blocked.status_code == 429
    # A fresh mfa_token from another address is the same account: still throttled.
    other = app.test_client(use_cookies=False)
    fresh = other.post(
        "/api/auth/token",
        json={"email": EMAIL, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert fresh.status_code == 401 and fresh.json["error"] == "mfa_required"
    still = other.post(
        "/api/auth/token/mfa",
        json={"mfa_token": fresh.json["mfa_token"], "code": totp_code(secret, clock.now)},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert still.status_code == 429
    # Five right passwords in a row (LOGIN_LIMIT_PER_EMAIL) still answer mfa_required.
    for _attempt in range(6):
        assert start(app)[1]
