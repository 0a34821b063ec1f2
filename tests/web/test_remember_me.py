"""Remember me: unchecked, a browser-session login that ends after SESSION_MAX_AGE_SHORT;
checked, persistent cookies and a session that lasts up to SESSION_MAX_AGE."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db.models import LoginSession
from app.extensions import db
from tests.helpers import parse_set_cookies

DAY = 86_400


@pytest.fixture
def config_overrides():
    return {
        "ACCESS_TOKEN_TTL": 600,
        "REFRESH_TOKEN_TTL": 14 * DAY,
        "SESSION_MAX_AGE": 30 * DAY,
        "SESSION_MAX_AGE_SHORT": DAY,
    }


def session_length(app) -> float:
    with app.app_context():
        row = db.session.scalars(
            select(LoginSession).order_by(LoginSession.created_at.desc(), LoginSession.id)
        ).first()
        return (row.expires_at - row.created_at).total_seconds()


def keep_using(client, clock, seconds, step=3000):
    """Browse every ``step`` seconds for ``seconds``; True when still signed in at the end."""
    for _ in range(int(seconds // step)):
        clock.advance(step)
        if client.get("/account").status_code != 200:
            return False
    return True


def test_unchecked_session_ends_after_a_day_however_active(app, client, auth, clock):
    auth.register()
    auth.logout()
    clock.advance(1)
    start = clock.now
    response = auth.login(remember=False)
    cookies = parse_set_cookies(response)
    assert "max-age" not in cookies["access_token"].attrs
    assert "max-age" not in cookies["refresh_token"].attrs
    assert session_length(app) == DAY
    assert keep_using(client, clock, DAY - 1000)  # active all day, refreshing as it goes
    clock.now = start + DAY
    assert client.get("/account").status_code == 302


def test_checked_session_outlives_a_day_with_persistent_cookies(app, client, auth, clock):
    auth.register()
    auth.logout()
    clock.advance(1)
    response = auth.login(remember=True)
    cookies = parse_set_cookies(response)
    assert int(cookies["refresh_token"].attrs["max-age"]) == 30 * DAY
    assert session_length(app) == 30 * DAY
    clock.advance(2 * DAY)  # idle for two days: the refresh token (14 days) still works
    refreshed = client.get("/account")
    assert refreshed.status_code == 200
    max_age = int(parse_set_cookies(refreshed)["refresh_token"].attrs["max-age"])
    assert max_age == 28 * DAY  # never past the session's absolute end


def test_registration_is_a_browser_session_login(app, auth):
    response = auth.register()
    assert "max-age" not in parse_set_cookies(response)["refresh_token"].attrs
    assert session_length(app) == DAY
