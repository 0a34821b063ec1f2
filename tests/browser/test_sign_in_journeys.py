"""Signing up, logging out, logging in and failing to, as a person does it in Chromium."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.browser.helpers import (
    ACCESS_COOKIE,
    ACCOUNT_URL,
    LOGIN_URL,
    REFRESH_COOKIE,
    create_account,
    expect,
    log_in,
    log_out,
    sign_up,
    token_cookies,
    unique_email,
)


def test_sign_up_lands_on_the_account_page(page, context):
    email = unique_email("signup")
    sign_up(page, email)

    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.locator(".email")).to_have_text(email)
    expect(page.get_by_text("Welcome! Your account is ready.")).to_be_visible()
    jar = token_cookies(context)
    assert set(jar) == {ACCESS_COOKIE, REFRESH_COOKIE}
    # Without "remember me" both tokens live only as long as the browser does.
    assert all(cookie["expires"] == -1 for cookie in jar.values())


def test_log_out_lands_on_the_login_page_and_forgets_the_tokens(page, context):
    sign_up(page, unique_email("logout"))

    log_out(page)

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    assert token_cookies(context) == {}
    page.goto("/account")
    expect(page).to_have_url(LOGIN_URL)
    assert parse_qs(urlsplit(page.url).query) == {"next": ["/account"]}


def test_remember_me_keeps_persistent_cookies(page, context, live_server):
    email = create_account(live_server.url, "remember")

    log_in(page, email, remember=True)

    expect(page).to_have_url(ACCOUNT_URL)
    expect(page.locator(".email")).to_have_text(email)
    jar = token_cookies(context)
    assert set(jar) == {ACCESS_COOKIE, REFRESH_COOKIE}
    assert all(cookie["expires"] > 0 for cookie in jar.values()), jar


def test_wrong_password_shows_the_error_and_signs_nobody_in(page, context, live_server):
    email = create_account(live_server.url, "wrongpw")

    log_in(page, email, "not-the-password-at-all")

    expect(page).to_have_url(LOGIN_URL)
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Invalid email or password.")
    expect(summary).to_be_focused()  # a screen reader reads it out at once
    expect(page).to_have_title("Error: Log in · Gatehouse")
    expect(page.get_by_label("Email")).to_have_value(email)
    expect(page.get_by_label("Password")).to_have_value("")
    assert token_cookies(context) == {}

    log_in(page, unique_email("nobody"))  # an unknown address reads exactly the same
    expect(page.locator("[data-error-summary] li")).to_have_text("Invalid email or password.")
    assert token_cookies(context) == {}


def test_tokens_are_invisible_to_page_scripts(page, context):
    sign_up(page, unique_email("httponly"))

    jar = token_cookies(context)
    assert set(jar) == {ACCESS_COOKIE, REFRESH_COOKIE}
    assert all(cookie["httpOnly"] for cookie in jar.values())
    visible = page.evaluate("document.cookie")
    assert ACCESS_COOKIE not in visible and REFRESH_COOKIE not in visible
    for cookie in jar.values():
        assert cookie["value"] not in visible
        assert cookie["value"] not in page.content()
