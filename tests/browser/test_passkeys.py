"""Passkeys in real Chromium with its virtual authenticator (CDP ``WebAuthn``): add one on the
security page, sign out, and sign in with it by the button and by autofill."""

from __future__ import annotations

import re

import pytest

from tests.browser import live
from tests.browser.helpers import (
    ACCOUNT_URL,
    DESKTOP,
    LOGIN_URL,
    expect,
    log_out,
    sign_up,
    unique_email,
)

SECURITY_URL = re.compile(r"/account/security$")


@pytest.fixture(scope="module")
def passkey_server(browser_available, tmp_path_factory):
    """A server the browser reaches as ``localhost`` (a secure context), the relying party."""
    with live.live_server(tmp_path_factory.mktemp("passkeys"), host="localhost") as server:
        yield server


@pytest.fixture
def page(browser, passkey_server):
    context = browser.new_context(base_url=passkey_server.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def virtual_authenticator(page) -> tuple[object, str]:
    """A platform authenticator that keeps discoverable credentials and verifies the user."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def without_autofill(page) -> None:
    """A browser that has passkeys but no autofill for them: only the button asks."""
    page.add_init_script(
        "if (window.PublicKeyCredential) "
        "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"
    )


def add_passkey(page, name: str) -> None:
    page.goto("/account/security")
    page.get_by_label("Name for the new passkey").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page).to_have_url(SECURITY_URL)
    expect(page.locator("table.passkeys input[name=name]")).to_have_value(name)


def test_add_a_passkey_then_sign_in_with_the_button(page):
    without_autofill(page)
    cdp, authenticator = virtual_authenticator(page)
    sign_up(page, unique_email("passkey-button"))
    add_passkey(page, "Test laptop")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"] is True
    log_out(page)

    page.goto("/auth/login")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(ACCOUNT_URL)
    page.goto("/account/sessions")
    expect(page.locator("li.current dd.method")).to_have_text("Passkey")
    page.goto("/account/security")
    expect(page.locator("table.passkeys tbody tr td").nth(2)).not_to_have_text("Never")


def test_sign_in_with_autofill(page):
    """Conditional mediation: the page asks for a passkey as soon as it loads, and the
    browser's autofill on the email field (autocomplete="username webauthn") answers it.

    Headless there is no autofill list to pick from; the virtual authenticator, with presence
    simulated, stands for the person choosing the passkey there: no button is pressed."""
    cdp, authenticator = virtual_authenticator(page)
    sign_up(page, unique_email("passkey-autofill"))
    add_passkey(page, "Autofill key")
    presence = {"authenticatorId": authenticator, "enabled": False}
    cdp.send("WebAuthn.setAutomaticPresenceSimulation", presence)
    log_out(page)  # ends on the login page, whose autofill request now waits
    email = page.get_by_label("Email")
    expect(email).to_have_attribute("autocomplete", "username webauthn")
    assert page.evaluate("PublicKeyCredential.isConditionalMediationAvailable()") is True
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    cdp.send("WebAuthn.setAutomaticPresenceSimulation", {**presence, "enabled": True})
    page.reload()  # the page's own autofill request, answered by the authenticator
    expect(page).to_have_url(ACCOUNT_URL, timeout=15_000)
    page.goto("/account/sessions")
    expect(page.locator("li.current dd.method")).to_have_text("Passkey")


def test_a_password_sign_in_then_needs_the_passkey(page):
    without_autofill(page)
    cdp, authenticator = virtual_authenticator(page)
    email = unique_email("passkey-second")
    sign_up(page, email)
    add_passkey(page, "Second step key")
    log_out(page)
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(live_password())
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/auth/login/verify$"))
    assert not [c for c in page.context.cookies() if c["name"] == "access_token"]
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(ACCOUNT_URL)
    page.goto("/account/sessions")
    expect(page.locator("li.current dd.method")).to_have_text("Password + passkey")


def live_password() -> str:
    from tests.browser.helpers import PASSWORD

    return PASSWORD


def test_without_passkey_support_the_login_page_shows_no_button(page):
    page.add_init_script("delete window.PublicKeyCredential")
    page.goto("/auth/login")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert LOGIN_URL.search(page.url)
