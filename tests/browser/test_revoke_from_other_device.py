"""A session revoked from another device's sessions page is signed out at its next request."""

from __future__ import annotations

import re

from tests.browser.helpers import (
    ACCOUNT_URL,
    LOGIN_URL,
    expect,
    log_in,
    sign_up,
    token_cookies,
    unique_email,
)

THIS_DEVICE = re.compile(r"this device", re.IGNORECASE)
SIGN_OUT_LINK = "a[href*='/account/sessions/'][href$='/confirm']"


def test_a_session_revoked_from_another_device_is_signed_out(new_context):
    laptop, phone = new_context(), new_context()
    email = unique_email("revoke")
    on_laptop = laptop.new_page()
    sign_up(on_laptop, email)
    on_phone = phone.new_page()
    log_in(on_phone, email)
    expect(on_phone).to_have_url(ACCOUNT_URL)

    response = on_phone.goto("/account/sessions")
    assert response is not None and response.status == 200, "no sessions page at /account/sessions"
    expect(on_phone.get_by_text(THIS_DEVICE).first).to_be_visible()
    sessions = on_phone.locator("li").filter(has=on_phone.locator(SIGN_OUT_LINK))
    others = sessions.filter(has_not_text=THIS_DEVICE)
    expect(others).to_have_count(1)
    # The button names the device it signs out, for a screen reader too.
    button = others.get_by_role("link", name=re.compile(r"^Sign out .+ on .+ \(last active .+\)$"))
    expect(button).to_have_count(1)
    button.click()

    # A confirmation first: nothing has happened yet.
    expect(on_phone.get_by_role("heading", name=re.compile(r"^Sign out .+\?$"))).to_be_visible()
    on_laptop.goto("/account")
    expect(on_laptop).to_have_url(ACCOUNT_URL)
    on_phone.get_by_role("button", name="Sign out that device").click()

    # The phone itself stays signed in, names the device it signed out, and its list no
    # longer shows the laptop.
    expect(on_phone.locator(".flash-success")).to_have_text(re.compile(r" has been signed out\.$"))
    response = on_phone.goto("/account/sessions")
    assert response is not None and response.request.redirected_from is None
    expect(on_phone.get_by_text(THIS_DEVICE).first).to_be_visible()
    expect(others).to_have_count(0)

    # The laptop's very next request, long before its access token would expire, is anonymous.
    on_laptop.goto("/account")
    expect(on_laptop).to_have_url(LOGIN_URL)
    assert token_cookies(laptop) == {}
