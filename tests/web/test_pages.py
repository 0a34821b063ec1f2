"""What people meet at the edges: error pages that help, the signed-out explanation, password
manager conventions, form errors that keep what was typed, and times in the reader's zone."""

from __future__ import annotations

import re

import pytest

from app import create_app
from app.extensions import db
from tests.helpers import AuthActions, FakeClock, base_config, csrf_token

TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
FIELD = re.compile(r"<input[^>]*>")


def title(page) -> str:
    return TITLE.search(page.text).group(1).strip()


def inputs(page) -> list[str]:
    return [tag for tag in FIELD.findall(page.text) if 'type="hidden"' not in tag]


# --- 405 and 429 ---


def test_get_on_logout_is_a_page_a_person_understands(client, auth):
    page = client.get("/auth/logout")
    assert page.status_code == 405 and "Allow" in page.headers
    assert title(page) == "This page cannot be opened directly · Gatehouse"
    assert "Method not allowed" not in page.text
    assert "nothing to log out of" in page.text
    auth.register()
    page = client.get("/auth/logout")
    assert page.status_code == 405
    assert 'action="/auth/logout"' in page.text.split("<main", 1)[1]  # a real button to use


@pytest.fixture
def throttled(tmp_path):
    app = create_app(
        base_config(
            tmp_path, FakeClock(), RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_EMAIL="2 per 15 minutes"
        )
    )
    yield app.test_client()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(
    ("lang", "wait", "reset"),
    [("en", "15 minutes", "Reset your password"), ("ko", "15분", "비밀번호 재설정")],
)
def test_the_429_page_says_how_long_and_offers_a_password_reset(throttled, lang, wait, reset):
    client = throttled
    for attempt in range(3):
        page = client.get(f"/auth/login?lang={lang}")
        response = client.post(
            "/auth/login",
            data={
                "csrf_token": csrf_token(page.text),
                "email": "someone@example.com",
                "password": f"wrong-{attempt}",
            },
        )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 14 * 60
    assert wait in response.text and "wait a moment" not in response.text
    assert f'href="/auth/forgot">{reset}</a>' in response.text


# --- Signed out elsewhere ---


def test_a_browser_signed_out_elsewhere_is_told_why_and_keeps_next(app, client, auth):
    auth.register()
    other = app.test_client()
    AuthActions(other).login()
    access, refresh = AuthActions(other).tokens()
    AuthActions(other).logout()  # that session ends; the browser still holds its old cookies
    other.set_cookie("access_token", access)
    other.set_cookie("refresh_token", refresh)
    response = other.get("/account/password")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/account/password"
    login = other.get(response.location)
    assert "You were signed out" in login.text
    assert 'name="next" type="hidden" value="/account/password"' in login.text
    assert "You were signed out" not in other.get("/auth/login").text  # said once


def test_a_first_visit_to_a_protected_page_says_nothing_about_signing_out(client):
    response = client.get("/account")
    assert response.location == "/auth/login?next=/account"
    assert "You were signed out" not in client.get(response.location).text


def test_logging_out_says_only_that(client, auth):
    auth.register()
    auth.logout()
    page = client.get("/auth/login")
    assert "You have been signed out." in page.text and "You were signed out" not in page.text


# --- Password managers ---


def test_well_known_change_password_leads_to_the_change_password_page(client, auth):
    response = client.get("/.well-known/change-password")
    assert response.status_code == 302 and response.location == "/account/password"
    auth.register()
    assert client.get("/.well-known/change-password", follow_redirects=True).request.path == (
        "/account/password"
    )


def test_change_password_form_names_the_account_for_password_managers(client, auth):
    auth.register("ann@example.com")
    page = client.get("/account/password")
    (username,) = [tag for tag in inputs(page) if 'autocomplete="username"' in tag]
    assert 'value="ann@example.com"' in username and "name=" not in username  # never sent


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/forgot"])
def test_every_text_field_of_a_form_is_marked_required(client, path):
    fields = [t for t in inputs(client.get(path)) if 'type="checkbox"' not in t]
    assert fields and all(" required" in tag for tag in fields), fields


def test_password_fields_are_required_and_have_a_show_button(client, auth):
    auth.register()
    page = client.get("/account/password")
    passwords = [t for t in inputs(page) if 'type="password"' in t]
    assert len(passwords) == 3 and all(" required" in t for t in passwords)
    assert page.text.count("data-reveal=") == 3


# --- Forms after a failed submit ---


def test_a_failed_sign_up_keeps_the_email_never_the_password(client, auth):
    auth.register("taken@example.com")
    auth.logout()
    page = auth.register("taken@example.com", password="a-different-long-phrase-here")
    assert page.status_code == 200
    assert title(page) == "Error: Sign up · Gatehouse"
    assert "data-error-summary" in page.text and 'href="#email"' in page.text
    assert 'value="taken@example.com"' in page.text
    assert "a-different-long-phrase-here" not in page.text  # passwords are never sent back
    email = next(t for t in inputs(page) if 'name="email"' in t)
    assert 'aria-invalid="true"' in email and "email-error" in email


def test_the_password_rules_are_shown_before_any_failure(client):
    page = client.get("/auth/register")
    assert "At least 8 characters" in page.text and "data-error-summary" not in page.text
    assert title(page) == "Sign up · Gatehouse"


def test_error_title_prefix_in_korean(client):
    page = client.get("/auth/login?lang=ko")
    response = client.post(
        "/auth/login",
        data={"csrf_token": csrf_token(page.text), "email": "x@example.com", "password": "nope"},
    )
    assert title(response) == "오류: 로그인 · Gatehouse"


# --- Times in the reader's zone ---


@pytest.mark.parametrize(
    ("zone", "shown", "label"),
    [
        ("Asia/Seoul", "5:00:00\u202fPM", "Korean Time"),
        ("Europe/Berlin", "9:00:00\u202fAM", "Central European"),
        ("../../etc/passwd", "8:00:00\u202fAM", "UTC"),
        ("Not/AZone", "8:00:00\u202fAM", "UTC"),
        ("A" * 300, "8:00:00\u202fAM", "UTC"),
    ],
)
def test_times_follow_the_tz_cookie_when_it_names_a_real_zone(client, auth, zone, shown, label):
    auth.register()  # at 08:00 UTC on the test clock
    client.set_cookie("tz", zone)
    page = client.get("/account/sessions")
    assert page.status_code == 200
    assert shown in page.text and f"Times are shown in {label}" in page.text
    assert "just now" in page.text


def test_times_say_how_long_ago(client, auth, clock):
    auth.register()
    clock.advance(3 * 60)
    page = client.get("/account")
    assert "3 minutes ago" in page.text
    assert "3분 전" in client.get("/account?lang=ko").text
