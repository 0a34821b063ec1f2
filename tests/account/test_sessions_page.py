"""The sessions page: every open sign-in, revoke one, or sign out all the others."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.db.models import LoginSession, SecurityEvent
from app.extensions import db
from tests.helpers import AuthActions, csrf_token, parse_set_cookies

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.71 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
CONFIRM_RE = re.compile(r'href="/account/sessions/(?!revoke-others/)([^/"]+)/confirm"')
REVOKE_RE = re.compile(r'action="/account/sessions/([^/"]+)/revoke"')


@pytest.fixture
def config_overrides():
    return {"ACCESS_TOKEN_TTL": 60, "REFRESH_TOKEN_TTL": 3600}


def browser(app, user_agent, ip, email="person@example.com"):
    """Another device of the same person, signed in with its own User-Agent and address."""
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    AuthActions(client).login(email)
    return client


@pytest.fixture
def devices(app, client, auth):
    client.environ_base.update(HTTP_USER_AGENT=CHROME, REMOTE_ADDR="203.0.113.7")
    auth.register()
    phone = browser(app, IPHONE, "198.51.100.23")
    return client, phone


def sessions_in_db(app, **where):
    with app.app_context():
        return list(db.session.scalars(select(LoginSession).filter_by(**where)))


def test_page_lists_every_session_with_browser_os_ip_and_this_device(devices, clock):
    laptop, phone = devices
    page = laptop.get("/account/sessions")
    assert page.status_code == 200
    text = page.text
    assert "Chrome 120" in text and "Windows 10" in text and "203.0.113.7" in text
    assert "Mobile Safari 17" in text and "iOS 17.1" in text and "198.51.100.23" in text
    assert text.count("This device") == 1
    assert text.index("This device") < text.index("Mobile Safari")  # this device comes first
    assert len(CONFIRM_RE.findall(text)) == 1  # a "Sign out" button for the other device only
    assert "Sign out all other devices" in text
    assert "Last active" in text and "Signed in" in text
    assert page.headers["Cache-Control"] == "no-store"


def test_last_active_comes_from_the_newest_refresh(app, devices, clock):
    laptop, phone = devices
    clock.advance(30)
    phone.delete_cookie("access_token")
    assert phone.get("/account").status_code == 200  # a silent refresh on the phone
    page = laptop.get("/account/sessions")  # the laptop's access token is still valid
    times = re.findall(r'<time datetime="([^"]+)"', page.text)
    # Rows: this device (last active, signed in), then the phone (last active, signed in).
    assert times[0] == times[1]  # the laptop has not refreshed since it signed in
    assert times[2] == "2027-01-15T08:00:30+00:00" and times[3] == "2027-01-15T08:00:00+00:00"


def test_ended_sessions_are_not_listed(app, client, auth, clock):
    auth.register()
    gone = browser(app, IPHONE, "198.51.100.23")
    AuthActions(gone).logout()
    page = client.get("/account/sessions")
    assert "Mobile Safari" not in page.text and not CONFIRM_RE.findall(page.text)
    assert "Sign out all other devices" not in page.text


def test_revoke_signs_that_device_out_at_once(app, devices, count_sql):
    laptop, phone = devices
    sid = CONFIRM_RE.search(laptop.get("/account/sessions").text).group(1)
    page = laptop.get(f"/account/sessions/{sid}/confirm")
    assert REVOKE_RE.findall(page.text) == [sid]
    response = laptop.post(
        f"/account/sessions/{sid}/revoke", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302 and response.location == "/account/sessions"
    assert (
        "Mobile Safari 17 on iPhone has been signed out." in laptop.get("/account/sessions").text
    )
    # The phone's access token is still unexpired, yet it is signed out now, without SQL.
    count_sql.statements.clear()
    answer = phone.get("/")
    assert "person@example.com" not in answer.text
    assert parse_set_cookies(answer)["access_token"].expired and count_sql.statements == []
    assert phone.get("/account").status_code == 302
    (row,) = sessions_in_db(app, id=sid)
    assert row.revoked_at is not None and row.revoke_reason == "revoked"
    with app.app_context():
        assert db.session.get(LoginSession, sid).current_hash is None
        kinds = list(db.session.scalars(select(SecurityEvent.kind)))
    assert kinds[-1] == "session_revoked"
    assert laptop.get("/account").status_code == 200  # the laptop is untouched


def test_revoking_this_device_is_a_logout(app, client, auth):
    auth.register()
    page = client.get("/account/sessions")
    (current,) = sessions_in_db(app)
    response = client.post(
        f"/account/sessions/{current.id}/revoke", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302 and response.location == "/auth/login"
    assert parse_set_cookies(response)["access_token"].expired
    assert client.get("/account").status_code == 302


def test_another_users_session_is_404_and_changes_nothing(app, client, auth):
    auth.register()
    stranger = app.test_client()
    AuthActions(stranger).register("stranger@example.com")
    (theirs,) = sessions_in_db(app, user_id=2)
    page = client.get("/account/sessions")
    for sid in (theirs.id, "no-such-session"):
        response = client.post(
            f"/account/sessions/{sid}/revoke", data={"csrf_token": csrf_token(page.text)}
        )
        assert response.status_code == 404
    (theirs,) = sessions_in_db(app, user_id=2)
    assert theirs.revoked_at is None
    assert stranger.get("/account").status_code == 200
    assert "stranger@example.com" not in page.text


def test_sign_out_all_other_sessions(app, devices, count_sql):
    laptop, phone = devices
    tablet = browser(app, IPHONE, "192.0.2.44")
    page = laptop.get("/account/sessions")
    response = laptop.post(
        "/account/sessions/revoke-others", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302
    assert "Signed out of 2 other devices." in laptop.get("/account/sessions").text
    for other in (phone, tablet):
        assert other.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 200
    assert len(sessions_in_db(app, revoked_at=None)) == 1
    with app.app_context():
        kinds = list(db.session.scalars(select(SecurityEvent.kind)))
    assert kinds[-1] == "sessions_signed_out"


@pytest.mark.parametrize("path", ["/account/sessions/revoke-others", "/account/sessions/x/revoke"])
@pytest.mark.parametrize("token", [None, "forged"])
def test_revoke_forms_need_a_csrf_token(app, devices, path, token):
    laptop, phone = devices
    (other,) = [s for s in sessions_in_db(app) if s.ip == "198.51.100.23"]
    path = path.replace("/x/", f"/{other.id}/")
    response = laptop.post(path, data={"csrf_token": token} if token else {})
    assert response.status_code == 400
    assert len(sessions_in_db(app, revoked_at=None)) == 2
    assert phone.get("/account").status_code == 200


def test_sessions_page_and_revoke_need_a_sign_in(client):
    assert client.get("/account/sessions").location == "/auth/login?next=/account/sessions"
    response = client.get("/account/sessions", headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_revoke_is_post_only(app, devices):
    laptop, _ = devices
    (other,) = [s for s in sessions_in_db(app) if s.ip == "198.51.100.23"]
    assert laptop.get(f"/account/sessions/{other.id}/revoke").status_code == 405
    assert len(sessions_in_db(app, revoked_at=None)) == 2


def test_a_session_idle_past_the_refresh_lifetime_is_not_listed(app, devices, clock):
    laptop, phone = devices
    clock.advance(app.config["REFRESH_TOKEN_TTL"] - 10)
    assert laptop.get("/account").status_code == 200  # the laptop refreshes, the phone idles
    clock.advance(20)
    page = laptop.get("/account/sessions")
    assert "This device" in page.text and "Mobile Safari" not in page.text
    assert phone.get("/account").status_code == 302


def test_revoking_this_device_with_an_expired_access_token_leaves_no_tokens(
    app, client, auth, clock
):
    auth.register()
    page = client.get("/account/sessions")
    (current,) = sessions_in_db(app)
    clock.advance(61)  # the request is refreshed on its way in
    response = client.post(
        f"/account/sessions/{current.id}/revoke", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302 and response.location == "/auth/login"
    cookies = parse_set_cookies(response)
    assert cookies["access_token"].expired and cookies["refresh_token"].expired
    assert client.get_cookie("access_token") is None and client.get_cookie("refresh_token") is None
