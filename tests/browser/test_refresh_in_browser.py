"""Past the access token's 2-second life, the refresh cookie keeps the person signed in."""

from __future__ import annotations

import time

from tests.browser.helpers import (
    ACCESS_COOKIE,
    ACCOUNT_URL,
    PAST_ACCESS_EXPIRY,
    REFRESH_COOKIE,
    create_account,
    expect,
    log_in,
    token_cookies,
)


def documents(page) -> list:
    """Every top-level document response the page receives from now on."""
    seen: list = []
    page.on(
        "response", lambda r: seen.append(r) if r.request.resource_type == "document" else None
    )
    return seen


def test_expired_access_is_renewed_silently_while_clicking_around(page, context, live_server):
    email = create_account(live_server.url, "expiry")
    log_in(page, email, remember=True)
    expect(page).to_have_url(ACCOUNT_URL)
    before = token_cookies(context)

    time.sleep(PAST_ACCESS_EXPIRY)
    seen = documents(page)
    response = page.reload()

    assert response is not None and response.status == 200
    assert response.request.redirected_from is None
    expect(page).to_have_url(ACCOUNT_URL)
    expect(page.locator(".email")).to_have_text(email)
    after = token_cookies(context)
    assert after[ACCESS_COOKIE]["value"] != before[ACCESS_COOKIE]["value"]
    assert after[REFRESH_COOKIE]["value"] != before[REFRESH_COOKIE]["value"]  # rotated

    page.get_by_role("link", name="Gatehouse").click()
    expect(page.get_by_text(f"You are signed in as {email}.")).to_be_visible()
    page.get_by_role("link", name="Go to your account").click()
    expect(page).to_have_url(ACCOUNT_URL)
    expect(page.locator(".email")).to_have_text(email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    expect(page.locator(".email")).to_have_text(email)

    assert [r.status for r in seen] == [200, 200, 200, 200], [(r.status, r.url) for r in seen]


def test_two_tabs_reloading_at_the_same_moment_both_stay_signed_in(
    context, new_context, live_server
):
    email = create_account(live_server.url, "twotabs")
    first, second = context.new_page(), context.new_page()
    log_in(first, email)
    expect(first).to_have_url(ACCOUNT_URL)
    second.goto("/account")
    expect(second.locator(".email")).to_have_text(email)
    presented = token_cookies(context)[REFRESH_COOKIE]["value"]

    time.sleep(PAST_ACCESS_EXPIRY)
    # Hold each tab's request until both are on their way, then let them go together: both carry
    # the same expired access token and the same refresh token.
    held, jar_at_release = [], []

    def barrier(route):
        held.append(route)
        if len(held) == 2:
            jar_at_release.append(token_cookies(context)[REFRESH_COOKIE]["value"])
            for waiting in held:
                waiting.continue_()

    context.route("**/account", barrier)
    with first.expect_navigation() as one, second.expect_navigation() as two:
        first.evaluate("setTimeout(() => location.reload(), 0)")
        second.evaluate("setTimeout(() => location.reload(), 0)")
    context.unroute("**/account", barrier)

    assert len(held) == 2 and jar_at_release == [presented]
    for tab, navigation in ((first, one), (second, two)):
        assert navigation.value.status == 200
        assert navigation.value.request.redirected_from is None
        expect(tab).to_have_url(ACCOUNT_URL)
        expect(tab.locator(".email")).to_have_text(email)

    # The refresh token the tabs are left with is still the session's current one: a browser
    # holding only that cookie is let in (a stolen-token alarm would have revoked it).
    left = token_cookies(context)[REFRESH_COOKIE]
    assert left["value"] != presented
    probe = new_context()
    probe.add_cookies([{key: left[key] for key in ("name", "value", "domain", "path")}])
    check = probe.new_page()
    response = check.goto("/account")
    assert response is not None and response.request.redirected_from is None
    expect(check.locator(".email")).to_have_text(email)
