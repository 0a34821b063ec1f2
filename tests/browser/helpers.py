"""What a person does on the site, written once for every browser journey."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
import uuid
from typing import TYPE_CHECKING

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures then skip, or fail under REQUIRE_BROWSER=1, saying why
    expect = None

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

ACCESS_TOKEN_TTL = 2  # seconds; the server under test runs with this access lifetime
PAST_ACCESS_EXPIRY = ACCESS_TOKEN_TTL + 0.5
ACCESS_COOKIE = "access_token"  # plain-HTTP names (COOKIE_SECURE off, so no __Host- prefix)
REFRESH_COOKIE = "refresh_token"
PASSWORD = "umber-Quill-7-lantern-fjord"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LOGIN_FAILURES_ALLOWED = 3  # per address, on the server under test: the next one is a 429
# The server under test throttles like production, with room for a suite that signs many
# people up from one address; only failed logins per email stay strict, to reach the 429 page.
THROTTLES = {
    "FLASK_RATELIMIT_ENABLED": "true",
    "FLASK_LOGIN_LIMIT_PER_EMAIL": f"{LOGIN_FAILURES_ALLOWED} per 15 minutes",
    "FLASK_LOGIN_LIMIT_PER_ADDRESS": "10000 per 15 minutes",
    "FLASK_REGISTER_LIMIT_PER_ADDRESS": "10000 per hour",
    "FLASK_FORGOT_LIMIT_PER_ADDRESS": "10000 per hour",
    "FLASK_FORGOT_LIMIT_PER_EMAIL": "100 per hour",
    "FLASK_PASSWORD_CHANGE_LIMIT": "100 per 15 minutes",
    "FLASK_CONFIRM_RESEND_LIMIT": "100 per hour",
}
ACCOUNT_URL = re.compile(r"/account$")
LOGIN_URL = re.compile(r"/auth/login(\?.*)?$")
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


def sign_up(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/auth/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(ACCOUNT_URL)


def log_in(page: Page, email: str, password: str = PASSWORD, *, remember: bool = False) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    if remember:
        page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Log in").click()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").first.click()
    expect(page).to_have_url(LOGIN_URL)


def token_cookies(context: BrowserContext) -> dict[str, dict]:
    """The token cookies in this context's jar, by name (HttpOnly ones included)."""
    return {
        c["name"]: c for c in context.cookies() if c["name"] in (ACCESS_COOKIE, REFRESH_COOKIE)
    }


def _post_form(base_url: str, path: str, fields: dict[str, str]) -> str:
    """Open ``path``, then post its form with ``fields`` and the page's CSRF token, over plain
    HTTP with a cookie jar of its own; returns the URL the answer ended at."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(base_url + path, timeout=10) as response:
        token = CSRF_FIELD.search(response.read().decode()).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
    with opener.open(base_url + path, data=form, timeout=10) as response:
        return response.url


def create_account(base_url: str, label: str, password: str = PASSWORD) -> str:
    """Sign a new person up over plain HTTP (the form, its CSRF token and all) and forget the
    cookies; returns the email. Quicker than a browser for journeys that start at the login page."""
    email = unique_email(label)
    ended = _post_form(
        base_url, "/auth/register", {"email": email, "password": password, "confirm": password}
    )
    assert ended.endswith("/account"), f"sign-up ended at {ended}"
    return email


def sign_in_elsewhere(base_url: str, email: str, password: str = PASSWORD) -> None:
    """Open one more session of ``email`` from a program (another "device" on its list)."""
    ended = _post_form(base_url, "/auth/login", {"email": email, "password": password})
    assert ended.endswith("/account"), f"log-in ended at {ended}"


def mailed_link(log_path, email: str, kind: str) -> str:
    """The newest ``/auth/<kind>/<token>`` link mailed to ``email``, read from the server's
    console mail backend (its log)."""
    text = log_path.read_text(errors="replace")
    start = text.rfind(f"To: {email}")
    assert start >= 0, f"no mail to {email} in the server log"
    found = re.search(rf"https?://[^/\s]+(/auth/{kind}/[\w-]+)", text[start:])
    assert found, f"no {kind} link in the mail to {email}"
    return found.group(1)


def focused(page: Page) -> dict:
    """The element that has the keyboard focus, and whether it shows a focus ring."""
    return page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el);
            const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                && style.outlineColor !== 'rgba(0, 0, 0, 0)';
            return {name: el.getAttribute('name') || '', cls: el.className || '',
                    ring: style.boxShadow !== 'none' || outline};
        }"""
    )
