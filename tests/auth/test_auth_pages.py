"""Sign-up, login and logout through the forms, as a browser uses them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db.models import LoginSession, User
from app.extensions import db
from tests.helpers import (
    PASSWORD,
    csrf_token,
    live_refresh_tokens,
    parse_set_cookies,
    request_with,
)

INVALID = "Invalid email or password."


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(model))


def test_register_signs_in_and_redirects_to_account(client, auth):
    response = auth.register("New@Example.COM")
    assert response.status_code == 302 and response.location == "/account"
    cookies = parse_set_cookies(response)
    assert cookies["access_token"].value and cookies["refresh_token"].value
    page = client.get("/account")
    assert page.status_code == 200 and "new@example.com" in page.text


def test_register_stores_email_lower_cased_and_password_hashed(app, auth):
    auth.register("Mixed.Case@Example.COM")
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "mixed.case@example.com"
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    "email,password,confirm,reason",
    [
        ("not-an-email", PASSWORD, PASSWORD, "valid email"),
        ("a@example.com", "short", "short", "at least 8"),
        ("a@example.com", PASSWORD, PASSWORD + "x", "do not match"),
        ("", PASSWORD, PASSWORD, "Enter your email"),
    ],
)
def test_register_rejects_bad_input_with_a_reason_and_creates_nothing(
    app, auth, email, password, confirm, reason
):
    response = auth.register(email, password, confirm)
    assert response.status_code == 200 and reason in response.text
    assert "access_token" not in parse_set_cookies(response)
    assert count(app, User) == 0


def test_duplicate_email_in_any_case_is_refused(app, client, auth):
    auth.register("dup@example.com")
    other = client.application.test_client()
    from tests.helpers import AuthActions

    response = AuthActions(other).register("DUP@example.com")
    assert response.status_code == 200 and "already exists" in response.text
    assert count(app, User) == 1


def test_login_success_and_case_insensitive_email(client, auth):
    auth.register("person@example.com")
    auth.logout()
    response = auth.login("PERSON@example.com")
    assert response.status_code == 302 and response.location == "/account"
    assert parse_set_cookies(response)["access_token"].value


def test_unknown_email_and_wrong_password_look_the_same(client, auth):
    auth.register("person@example.com")
    auth.logout()
    wrong = auth.login("person@example.com", "wrong-password-1")
    unknown = auth.login("nobody@example.com", "wrong-password-1")
    assert wrong.status_code == unknown.status_code == 200
    assert INVALID in wrong.text and INVALID in unknown.text
    strip = lambda r, e: r.text.replace(e, "EMAIL").replace(csrf_token(r.text), "CSRF")  # noqa: E731
    assert strip(wrong, "person@example.com") == strip(unknown, "nobody@example.com")
    assert "wrong-password-1" not in wrong.text


@pytest.mark.parametrize("target", ["/account", "/", "/account?tab=1"])
def test_login_follows_a_safe_next(auth, target):
    auth.register("person@example.com")
    auth.logout()
    response = auth.login(next=target)
    assert response.location == target


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "///evil.example",
        "http:/evil.example",
        "/\tevil",
        "data:text/html,x",
    ],
)
def test_login_ignores_an_unsafe_next(auth, evil):
    auth.register("person@example.com")
    auth.logout()
    response = auth.login(next=evil)
    assert response.status_code == 302 and response.location == "/account"


def test_next_travels_from_the_query_string_into_the_form(client):
    page = client.get("/auth/login?next=/account")
    assert 'name="next" type="hidden" value="/account"' in page.text


def test_anonymous_protected_page_redirects_with_next(client):
    response = client.get("/account")
    assert response.status_code == 302 and response.location == "/auth/login?next=/account"


def test_signed_in_person_is_sent_away_from_login_and_register(client, auth):
    auth.register()
    assert client.get("/auth/login").location == "/account"
    assert client.get("/auth/register").location == "/account"


def test_remember_me_makes_persistent_cookies_bounded_by_session_max_age(app, auth):
    auth.register()
    auth.logout()
    response = auth.login(remember=True)
    for name in ("access_token", "refresh_token"):
        max_age = int(parse_set_cookies(response)[name].attrs["max-age"])
        assert 0 < max_age <= app.config["SESSION_MAX_AGE"]


def test_without_remember_me_cookies_end_with_the_browser(auth):
    response = auth.register()
    for name in ("access_token", "refresh_token"):
        cookie = parse_set_cookies(response)[name]
        assert "max-age" not in cookie.attrs and "expires" not in cookie.attrs


def test_cookie_flags_from_raw_headers(auth):
    response = auth.register()
    for name in ("access_token", "refresh_token"):
        attrs = parse_set_cookies(response)[name].attrs
        assert attrs.get("httponly") is True and attrs["path"] == "/"
        assert attrs["samesite"] == "Lax" and "secure" not in attrs and "domain" not in attrs


def test_logout_deletes_rows_and_expires_both_cookies(app, client, auth):
    auth.register()
    _, refresh = auth.tokens()
    response = auth.logout()
    assert response.status_code == 302 and response.location == "/auth/login"
    cookies = parse_set_cookies(response)
    assert cookies["access_token"].expired and cookies["refresh_token"].expired
    assert live_refresh_tokens(app) == 0
    with app.app_context():
        assert db.session.scalar(select(LoginSession)).revoked_at is not None
    assert request_with(client, refresh=refresh).status_code == 302


def test_logout_with_only_the_refresh_cookie_ends_the_session_and_reissues_nothing(
    app, client, auth
):
    auth.register()
    access, refresh = auth.tokens()
    page = client.get("/")
    client.delete_cookie("access_token")
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})
    cookies = parse_set_cookies(response)
    assert cookies["refresh_token"].expired and cookies["access_token"].expired
    assert live_refresh_tokens(app) == 0


def test_logout_ends_only_this_session(app, client, auth):
    auth.register()
    other = client.application.test_client()
    from tests.helpers import AuthActions

    AuthActions(other).login()
    other_refresh = other.get_cookie("refresh_token").value
    auth.logout()
    assert request_with(client, refresh=other_refresh).status_code == 200


def test_get_logout_is_not_allowed_and_changes_nothing(app, client, auth):
    auth.register()
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert live_refresh_tokens(app) == 1


@pytest.mark.parametrize(
    "path,data",
    [
        ("/auth/register", {"email": "x@example.com", "password": PASSWORD, "confirm": PASSWORD}),
        ("/auth/login", {"email": "person@example.com", "password": PASSWORD}),
        ("/auth/logout", {}),
    ],
)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_every_post_without_a_valid_csrf_token_is_400_and_changes_nothing(
    app, client, auth, path, data, token
):
    auth.register("person@example.com")
    before = (count(app, User), live_refresh_tokens(app), count(app, LoginSession))
    payload = dict(data, **({"csrf_token": token} if token else {}))
    response = client.post(path, data=payload)
    assert response.status_code == 400
    assert "access_token" not in parse_set_cookies(response)
    assert (count(app, User), live_refresh_tokens(app), count(app, LoginSession)) == before


def test_landing_page_for_anonymous_and_signed_in(client, auth):
    page = client.get("/")
    assert "Log in" in page.text and "Sign up" in page.text
    auth.register("person@example.com")
    page = client.get("/")
    assert "person@example.com" in page.text and 'action="/auth/logout"' in page.text


def test_passwords_are_rehashed_when_parameters_change(app, auth):
    auth.register()
    auth.logout()
    from app.accounts.passwords import EXTENSION_KEY, Passwords

    app.extensions[EXTENSION_KEY] = Passwords(time_cost=2, memory_cost=8, parallelism=1)
    auth.login()
    with app.app_context():
        assert "t=2" in db.session.scalar(select(User)).password_hash
