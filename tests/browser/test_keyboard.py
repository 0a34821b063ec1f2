"""The login form with the keyboard alone: Tab to each field, type, Enter submits."""

from __future__ import annotations

from tests.browser.helpers import ACCOUNT_URL, PASSWORD, create_account, expect, focused

MAX_TABS = 12


def tab_until(page, name: str) -> dict:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        current = focused(page)
        if current["name"] == name:
            return current
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached the {name!r} field")


def test_the_login_form_works_with_the_keyboard_alone(page, live_server):
    email = create_account(live_server.url, "keyboard")
    page.goto("/auth/login")

    page.keyboard.press("Tab")
    first = focused(page)
    assert first["cls"] == "skip", "the first Tab stop should be the skip link"
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()

    field = tab_until(page, "email")
    assert field["ring"], "the focused field shows no focus ring"
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(ACCOUNT_URL)
    expect(page.locator(".email")).to_have_text(email)
