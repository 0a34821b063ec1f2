"""What a phone shows: every page fits the screen's width, and the keyboard focus is visible."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.helpers import PHONE, expect, focused, sign_up

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def phone(new_context):
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    page.close()


def test_no_page_scrolls_sideways_on_a_phone(phone):
    for path in ("/", "/auth/login", "/auth/register", "/nowhere"):
        phone.goto(path)
        assert phone.evaluate(OVERFLOW) <= 0, f"{path} is wider than a 390 px screen"
    # An address longer than the screen must wrap on the account page, not widen it.
    sign_up(phone, f"averylongaddresswithnohyphen{uuid.uuid4().hex}@subdomain.example.com")
    for path in ("/account", "/"):
        phone.goto(path)
        assert phone.evaluate(OVERFLOW) <= 0, f"{path} is wider than a 390 px screen"


def test_keyboard_focus_is_visible_on_links_and_buttons(page):
    page.goto("/")
    for _ in range(4):  # skip link, brand, "Log in", "Sign up" in the header
        page.keyboard.press("Tab")
        assert focused(page)["ring"], "a focused control shows no focus ring"
    expect(page.get_by_role("link", name="Sign up").first).to_be_focused()
