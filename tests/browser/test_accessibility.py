"""Every page and state, in English and Korean, on a phone and a desktop, light and dark:
axe-core finds no violation, and nothing on a 390 px screen is wider than the screen.

One walk per screen visits each state once (anonymous pages, forms with errors, the 404,
405 and 429 pages, the account, devices, confirmation and password pages…); axe-core (npm,
pinned in ``tests/browser/package.json``, installed by ``make test``) is injected into each
document through Playwright, so the site's own CSP needs no exception. Both tests of a screen
read the same walk.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.browser import live
from tests.browser.helpers import (
    DESKTOP,
    LOGIN_FAILURES_ALLOWED,
    PASSWORD,
    PHONE,
    create_account,
    expect,
    mailed_link,
    sign_in_elsewhere,
    unique_email,
)

# ``BROWSER_SHOTS=/some/dir`` also saves a full-page screenshot of every state walked.
SHOTS = os.environ.get("BROWSER_SHOTS")
AXE = live.ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Every rule axe-core runs by default (WCAG 2.0-2.2 A and AA, and its best practices).
RUN_AXE = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary),
    }));
}"""


@dataclass(frozen=True)
class Screen:
    lang: str
    viewport: dict
    scheme: str = "light"

    @property
    def phone(self) -> bool:
        return self.viewport["width"] < 600

    @property
    def id(self) -> str:
        return f"{self.lang}-{'phone' if self.phone else 'desktop'}-{self.scheme}"


SCREENS = [
    Screen("en", PHONE),
    Screen("ko", PHONE),
    Screen("en", DESKTOP),
    Screen("ko", DESKTOP),
    Screen("en", PHONE, "dark"),
    Screen("ko", DESKTOP, "dark"),
]


@dataclass
class Walk:
    visited: list[str] = field(default_factory=list)
    violations: dict[str, list] = field(default_factory=dict)
    too_wide: dict[str, int] = field(default_factory=dict)


def axe_source() -> str:
    if not AXE.exists():
        reason = (
            f"axe-core is not installed ({AXE.relative_to(live.ROOT)}): run make browser-tools"
        )
        live.fail_or_skip(reason)
    return AXE.read_text()


class Walker:
    """Checks the page it is on, under a name, and remembers what it found."""

    def __init__(self, page, screen: Screen, source: str) -> None:
        self.page, self.screen, self.source, self.walk = page, screen, source, Walk()

    def check(self, state: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.walk.visited.append(state)
        if self.screen.phone:
            wider = page.evaluate(OVERFLOW)
            if wider > 0:
                self.walk.too_wide[state] = wider
        if SHOTS:
            name = re.sub(r"[^a-z0-9]+", "-", state.lower()).strip("-")
            page.screenshot(path=f"{SHOTS}/{self.screen.id}-{name}.png", full_page=True)
        page.evaluate(self.source)
        found = page.evaluate(RUN_AXE)
        if found:
            self.walk.violations[state] = found

    def visit(self, state: str, path: str, status: int = 200) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status == status, (
            f"{state}: {path} answered {response.status if response else None}, not {status}"
        )
        self.check(state)

    def submit(self, state: str, fill: dict[str, str], button: str | None = None) -> None:
        """Fill the page's main form by field name and send it."""
        form = self.page.locator("main form[method=post]").last
        for name, value in fill.items():
            form.locator(f"[name={name}]").fill(value)
        with self.page.expect_navigation():
            (form.locator(button) if button else form.locator("button[type=submit]")).click()
        self.check(state)


def walk_every_state(browser, server, screen: Screen, source: str) -> Walk:
    context = browser.new_context(
        base_url=server.url,
        viewport=screen.viewport,
        is_mobile=screen.phone,
        has_touch=screen.phone,
        color_scheme=screen.scheme,
        locale="ko-KR" if screen.lang == "ko" else "en-US",
        timezone_id="Asia/Seoul" if screen.lang == "ko" else "Europe/London",
    )
    context.set_default_timeout(15_000)
    host = server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies([{"name": "lang", "value": screen.lang, "domain": host, "path": "/"}])
    try:
        page = context.new_page()
        walker = Walker(page, screen, source)
        for step in (anonymous_states, signed_in_states):
            step(walker, server)
        return walker.walk
    finally:
        context.close()


def anonymous_states(w: Walker, server) -> None:
    w.visit("landing", "/")
    w.visit("login", "/auth/login")
    w.submit("login, no password typed", {"email": unique_email("forgetful")})
    w.submit("login, wrong password", {"email": unique_email("nobody"), "password": "wrong-one"})
    w.visit("sign-up", "/auth/register")
    w.submit(
        "sign-up with errors",
        {"email": "not-an-address", "password": "password1234", "confirm": "password1234"},
    )
    w.visit("forgot password", "/auth/forgot")
    w.submit("forgot password with an error", {"email": "nope"})
    w.submit("forgot password, sent", {"email": unique_email("forgot")})
    w.visit("dead reset link", "/auth/reset/no-such-token", status=410)
    w.visit("dead confirmation link", "/auth/confirm/no-such-token", status=410)
    w.visit("404", "/no-such-page", status=404)
    w.visit("405, signed out", "/auth/logout", status=405)

    email = create_account(server.url, "axe-reset")
    w.visit("forgot password, known address", "/auth/forgot")
    w.submit("forgot password, known address, sent", {"email": email})
    w.visit("reset form", mailed_link(server.log_path, email, "reset"))
    w.submit("reset form with errors", {"password": "password1234", "confirm": "password1234"})

    throttled = unique_email("throttled")
    w.visit("login before throttling", "/auth/login")
    for attempt in range(LOGIN_FAILURES_ALLOWED):
        w.page.locator("[name=email]").fill(throttled)
        w.page.locator("[name=password]").fill(f"wrong-{attempt}")
        with w.page.expect_navigation():
            w.page.locator("main form button[type=submit]").click()
    w.submit("429", {"email": throttled, "password": "wrong-again"})


def signed_in_states(w: Walker, server) -> None:
    email = create_account(server.url, "axe")  # its sign-up session is one more "device"
    sign_in_elsewhere(server.url, email)
    w.visit("login before signing in", "/auth/login")
    w.submit("account after log-in", {"email": email, "password": PASSWORD})
    w.visit("account", "/account")
    w.visit("landing, signed in", "/")
    w.visit("devices", "/account/sessions")
    w.page.locator(".device:not(.current) a[href$='/confirm']").first.click()
    w.check("sign out one device: confirmation")
    with w.page.expect_navigation():
        w.page.locator("main form button[type=submit]").click()
    w.check("devices, after signing one out")
    w.visit("sign out the others: confirmation", "/account/sessions/revoke-others/confirm")
    w.visit("password", "/account/password")
    w.submit(
        "password with errors",
        {"current_password": "not-it", "new_password": "password1234", "confirm": "password1234"},
    )
    w.visit("405, signed in", "/auth/logout", status=405)
    w.visit("404, signed in", "/account/sessions/no-such-session/confirm", status=404)

    cookies = w.page.context.cookies()
    w.page.locator("header button[type=submit]").click()
    w.page.wait_for_url("**/auth/login")
    w.check("logged out")
    w.page.context.add_cookies(cookies)  # this browser's tokens, of a session that has ended
    w.visit("login after being signed out elsewhere", "/account")
    expect(w.page.locator(".flash-info")).to_have_count(1)


_WALKS: dict[str, Walk] = {}


@pytest.fixture(scope="module")
def walk(browser, live_server) -> Callable[[Screen], Walk]:
    source = axe_source()

    def walk_of(screen: Screen) -> Walk:
        if screen.id not in _WALKS:
            _WALKS[screen.id] = walk_every_state(browser, live_server, screen, source)
        return _WALKS[screen.id]

    return walk_of


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.id)
def test_axe_finds_no_violation_on_any_page_or_state(walk, screen):
    found = walk(screen)
    assert len(found.visited) >= 30, found.visited
    assert not found.violations, json.dumps(found.violations, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("screen", [s for s in SCREENS if s.phone], ids=lambda s: s.id)
def test_no_page_or_state_is_wider_than_a_390_px_screen(walk, screen):
    found = walk(screen)
    assert found.visited and not found.too_wide, found.too_wide
