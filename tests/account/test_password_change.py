"""Changing the password: asks for the current one, ends every other session, keeps this one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db.models import LoginSession, SecurityEvent, User
from app.extensions import db
from tests.helpers import (
    PASSWORD,
    AuthActions,
    csrf_token,
    live_refresh_tokens,
    parse_set_cookies,
    request_with,
)

NEW = "gravel-orchid-lantern-quietly"


@pytest.fixture
def config_overrides():
    return {"ACCESS_TOKEN_TTL": 60}


def change(client, current=PASSWORD, new=NEW, confirm=None):
    page = client.get("/account/password")
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.text),
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


def password_hash(app) -> str:
    with app.app_context():
        return db.session.scalar(select(User.password_hash))


def test_the_form_has_the_three_fields(client, auth):
    auth.register()
    page = client.get("/account/password")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for name in ("current_password", "new_password", "confirm", "csrf_token"):
        assert f'name="{name}"' in page.text
    assert 'autocomplete="current-password"' in page.text


def test_success_ends_other_sessions_and_keeps_this_one_with_fresh_tokens(app, client, auth):
    auth.register()
    old_access, old_refresh = auth.tokens()
    phone = app.test_client()
    AuthActions(phone).login()
    phone_access, phone_refresh = AuthActions(phone).tokens()

    response = change(client)
    assert response.status_code == 302 and response.location == "/account"
    cookies = parse_set_cookies(response)
    assert cookies["access_token"].value and cookies["refresh_token"].value
    assert cookies["refresh_token"].value != old_refresh
    assert response.headers["Cache-Control"] == "no-store"
    page = client.get("/account")
    assert page.status_code == 200 and "Your password has been changed" in page.text

    # The phone is signed out at once: its unexpired access token no longer counts.
    assert request_with(client, "/account", access=phone_access).status_code == 302
    assert request_with(client, "/account", refresh=phone_refresh).status_code == 302
    # This session's old refresh token was replaced; its old access token still works.
    assert request_with(client, "/account", refresh=old_refresh).status_code == 302
    assert request_with(client, "/account", access=old_access).status_code == 200
    with app.app_context():
        open_sessions = list(
            db.session.scalars(select(LoginSession).where(LoginSession.revoked_at.is_(None)))
        )
        assert len(open_sessions) == 1
    assert live_refresh_tokens(app) == 1
    with app.app_context():
        assert db.session.scalars(select(SecurityEvent.kind)).all()[-1] == "password_changed"


def test_the_new_password_is_the_one_that_logs_in(app, client, auth):
    auth.register()
    before = password_hash(app)
    change(client)
    after = password_hash(app)
    assert after != before and after.startswith("$argon2id$") and NEW not in after
    auth.logout()
    assert auth.login(password=PASSWORD).status_code == 200
    assert auth.login(password=NEW).status_code == 302


def test_a_wrong_current_password_changes_nothing(app, client, auth):
    auth.register()
    before = password_hash(app)
    response = change(client, current="not-my-password")
    assert response.status_code == 200
    assert "Your current password is not correct." in response.text
    assert "not-my-password" not in response.text
    assert password_hash(app) == before
    assert "access_token" not in parse_set_cookies(response)


@pytest.mark.parametrize(
    "new,confirm,reason",
    [
        ("short", "short", "at least 8"),
        ("password1234", "password1234", "too easy to guess"),
        ("person-lantern-orchid", "person-lantern-orchid", "email address"),
        (NEW, NEW + "x", "do not match"),
    ],
)
def test_the_policy_applies_and_says_why(app, client, auth, new, confirm, reason):
    auth.register("person@example.com")
    before = password_hash(app)
    response = change(client, new=new, confirm=confirm)
    assert response.status_code == 200 and reason in response.text
    assert password_hash(app) == before


def test_the_form_needs_a_sign_in_and_a_csrf_token(app, client, auth):
    assert client.get("/account/password").location == "/auth/login?next=/account/password"
    auth.register()
    before = password_hash(app)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW, "confirm": NEW},
    )
    assert response.status_code == 400 and password_hash(app) == before


class TestThrottled:
    @pytest.fixture
    def config_overrides(self):
        return {"RATELIMIT_ENABLED": True, "PASSWORD_CHANGE_LIMIT": "3 per 15 minutes"}

    def test_guessing_the_current_password_is_throttled_per_account(self, app, client, auth):
        auth.register()
        for _ in range(3):
            assert change(client, current="guess-number-x").status_code == 200
        blocked = change(client, current="guess-number-x")
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
        # Another account is not affected.
        other = app.test_client()
        AuthActions(other).register("other@example.com")
        assert change(other, current="guess-number-x").status_code == 200

    def test_a_refused_new_password_does_not_count(self, client, auth):
        auth.register()
        for _ in range(5):
            assert "too easy to guess" in change(client, new="password1234").text
        assert change(client).status_code == 302


def test_a_change_sent_with_an_expired_access_token_leaves_working_cookies(
    app, client, auth, clock
):
    """The request is refreshed on its way in; the browser must end up with the new tokens."""
    auth.register()
    page = client.get("/account/password")
    clock.advance(61)  # the access token has expired; the refresh cookie carries the request
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.text),
            "current_password": PASSWORD,
            "new_password": NEW,
            "confirm": NEW,
        },
    )
    assert response.status_code == 302 and response.location == "/account"
    names = [v.split("=", 1)[0] for v in response.headers.getlist("Set-Cookie")]
    assert names.count("access_token") == 1 and names.count("refresh_token") == 1
    assert live_refresh_tokens(app) == 1  # one chain: the token rotated on the way in is gone
    clock.advance(61)  # the new access token has expired too: the new refresh token must work
    assert client.get("/account").status_code == 200
