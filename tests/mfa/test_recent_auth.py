"""Recent sign-in: auth_time and amr claims, /auth/reauth, and the RFC 9470 challenge."""

from __future__ import annotations

import re

import jwt

from tests.helpers import PASSWORD, csrf_token
from tests.mfa.helpers import post_code, set_up_app, totp_code

STALE = 601  # RECENT_AUTH_MAX_AGE is 600


def claims(auth) -> dict:
    access, _ = auth.tokens()
    return jwt.decode(access, options={"verify_signature": False})


def test_access_tokens_carry_auth_time_and_amr_and_a_refresh_keeps_them(client, auth, clock):
    auth.register()
    first = claims(auth)
    assert first["auth_time"] == int(clock.now)
    assert first["amr"] == ["pwd"]
    clock.advance(901)  # the access token has expired: the next page refreshes
    assert client.get("/account").status_code == 200
    renewed = claims(auth)
    assert renewed["iat"] > first["iat"]
    assert renewed["auth_time"] == first["auth_time"]


def test_a_stale_sign_in_is_sent_to_reauth_and_back_in_the_same_session(client, auth, clock):
    auth.register()
    before = claims(auth)
    clock.advance(STALE)
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "/auth/reauth?next=/account/password" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    wrong = client.post(
        "/auth/reauth",
        data={
            "csrf_token": csrf_token(page.text),
            "password": "nope",
            "next": "/account/password",
        },
    )
    assert wrong.status_code == 200 and "not correct" in wrong.text
    done = client.post(
        "/auth/reauth",
        data={
            "csrf_token": csrf_token(page.text),
            "password": PASSWORD,
            "next": "/account/password",
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/account/password")
    after = claims(auth)
    assert after["sid"] == before["sid"]  # the same session, renewed
    assert after["auth_time"] == int(clock.now)
    assert client.get("/account/password").status_code == 200
    assert "Sign-in confirmed for a security change" in client.get("/account").text


def test_security_changes_need_a_recent_sign_in(client, auth, clock):
    auth.register()
    set_up_app(client, clock)
    clock.advance(STALE)
    page = client.get("/account/security")
    assert page.status_code == 200  # looking is fine
    token = csrf_token(page.text)
    for path in (
        "/account/security/recovery-codes",
        "/account/security/app/off",
        "/account/security/app/new",
        "/account/security/passkeys/1/remove",
    ):
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 302, path
        assert "/auth/reauth" in response.headers["Location"], path
    options = client.post(
        "/account/security/passkeys/options", json={}, headers={"X-CSRFToken": token}
    )
    assert options.status_code == 401
    assert options.json["error"] == "insufficient_user_authentication"
    assert options.json["redirect"].startswith("/auth/reauth")
    assert "10 recovery codes left." in client.get("/account/security").text


def test_reauth_with_a_code_from_the_app(client, auth, clock):
    auth.register()
    secret, _ = set_up_app(client, clock)
    clock.advance(STALE)
    page = client.get("/auth/reauth?next=/account/security")
    done = client.post(
        "/auth/reauth",
        data={
            "csrf_token": csrf_token(page.text),
            "code": totp_code(secret, clock.now),
            "next": "/account/security",
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/account/security")
    assert claims(auth)["amr"] == ["otp"]


def other_session(app):
    other = app.test_client()
    page = other.get("/auth/login")
    other.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token(page.text),
            "email": "person@example.com",
            "password": PASSWORD,
        },
    )
    return other


def test_signing_out_other_sessions_needs_a_recent_sign_in(app, client, auth, clock):
    auth.register()
    other_session(app)
    clock.advance(STALE)
    page = client.get("/account/sessions")
    token = csrf_token(page.text)
    everyone = client.post("/account/sessions/revoke-others", data={"csrf_token": token})
    assert "/auth/reauth" in everyone.headers["Location"]
    (other_sid,) = re.findall(r"/account/sessions/(?!revoke-others)([\w-]+)/confirm", page.text)
    single = client.post(f"/account/sessions/{other_sid}/revoke", data={"csrf_token": token})
    assert "/auth/reauth" in single.headers["Location"]
    assert other_sid in client.get("/account/sessions").text  # still signed in


def test_the_api_answers_with_the_rfc_9470_challenge(app, auth, clock):
    auth.register()
    api = app.test_client(use_cookies=False)
    mine = api.post("/api/auth/token", json={"email": "person@example.com", "password": PASSWORD})
    theirs = api.post(
        "/api/auth/token", json={"email": "person@example.com", "password": PASSWORD}
    )
    their_sid = jwt.decode(theirs.json["access_token"], options={"verify_signature": False})["sid"]
    clock.advance(STALE)
    bearer = {"Authorization": f"Bearer {mine.json['access_token']}"}
    refused = api.delete(f"/api/sessions/{their_sid}", headers=bearer)
    assert refused.status_code == 401
    assert refused.json["error"] == "insufficient_user_authentication"
    challenge = refused.headers["WWW-Authenticate"]
    assert 'error="insufficient_user_authentication"' in challenge
    assert 'max_age="600"' in challenge
    fresh = api.post("/api/auth/token", json={"email": "person@example.com", "password": PASSWORD})
    ok = api.delete(
        f"/api/sessions/{their_sid}",
        headers={"Authorization": f"Bearer {fresh.json['access_token']}"},
    )
    assert ok.status_code == 204


def test_the_sessions_page_says_how_each_session_signed_in(app, client, auth, clock):
    auth.register()
    secret, _ = set_up_app(client, clock)
    clock.advance(30)
    other = app.test_client()
    page = other.get("/auth/login")
    other.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token(page.text),
            "email": "person@example.com",
            "password": PASSWORD,
        },
    )
    post_code(other, totp_code(secret, clock.now))
    listing = client.get("/account/sessions").text
    assert '<dd class="method">Password</dd>' in listing
    assert '<dd class="method">Password + app</dd>' in listing
