"""Recent activity on /account: the last 20 security events, newest first, with IP and browser."""

from __future__ import annotations

import re

from tests.helpers import AuthActions, csrf_token, request_with

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
ROW_RE = re.compile(r'<li class="event-([a-z_]+)">')


def test_events_are_listed_newest_first_with_time_ip_and_browser(app, client, auth, clock):
    client.environ_base.update(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.9")
    auth.register()
    auth.logout()
    clock.advance(60)
    auth.login(password="wrong-password-x")
    auth.login()
    page = client.get("/account")
    assert "Recent activity" in page.text
    assert ROW_RE.findall(page.text) == ["login", "login_failed", "logout", "register"]
    for label in ("Signed in", "Sign-in failed: wrong password", "Logged out", "Account created"):
        assert label in page.text
    assert (
        "203.0.113.9" in page.text
        and "Firefox 121 on Linux" in page.text
        and "Ubuntu" not in page.text
    )
    assert 'datetime="2027-01-15T08:01:00+00:00"' in page.text
    assert page.text.index("2027-01-15T08:01:00") < page.text.index("2027-01-15T08:00:00")


def test_a_refresh_is_not_listed_but_account_changes_are(app, client, auth):
    auth.register()
    _, refresh = auth.tokens()
    request_with(client, "/", refresh=refresh)
    page = client.get("/account/password")
    client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.text),
            "current_password": "correct-horse-battery-staple",
            "new_password": "gravel-orchid-lantern-quietly",
            "confirm": "gravel-orchid-lantern-quietly",
        },
    )
    page = client.get("/account/sessions")
    client.post("/account/sessions/revoke-others", data={"csrf_token": csrf_token(page.text)})
    kinds = ROW_RE.findall(client.get("/account").text)
    assert kinds == ["sessions_signed_out", "password_changed", "register"]
    assert "Password changed" in client.get("/account").text


def test_only_the_last_twenty_are_shown(client, auth, clock):
    auth.register()
    for _ in range(12):
        clock.advance(1)
        auth.logout()
        clock.advance(1)
        auth.login()
    kinds = ROW_RE.findall(client.get("/account").text)
    assert len(kinds) == 20 and kinds[0] == "login" and "register" not in kinds


def test_another_persons_events_are_not_shown(app, client, auth):
    auth.register("person@example.com")
    stranger = AuthActions(app.test_client())
    stranger.register("stranger@example.com")
    stranger.logout()
    stranger.login("stranger@example.com", "wrong-password-x")
    assert ROW_RE.findall(client.get("/account").text) == ["register"]
