"""Forms that help, in a real browser: the error summary takes the focus, invalid fields look
invalid, borders can be seen, the script shows passwords and checks them before sending, and
the site remembers the browser's time zone."""

from __future__ import annotations

import re

from tests.browser.helpers import (
    ACCOUNT_URL,
    PASSWORD,
    create_account,
    expect,
    log_in,
    unique_email,
)

CONTRAST = """([a, b]) => {
    const lum = c => {
        const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(v => {
            v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
}"""
BORDER_AND_CARD = """el => [getComputedStyle(el).borderTopColor,
                           getComputedStyle(el.closest('.card')).backgroundColor]"""


def test_a_failed_sign_up_focuses_the_summary_and_marks_the_field(page, live_server):
    email = create_account(live_server.url, "taken")
    page.goto("/auth/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("An account with this email already exists.")
    expect(page).to_have_title("Error: Sign up · Gatehouse")
    field = page.get_by_label("Email")
    expect(field).to_have_value(email)  # what was typed is kept
    expect(field).to_have_css("border-top-color", "rgb(179, 38, 30)")  # red, as it says
    summary.get_by_role("link").click()
    expect(field).to_be_focused()


def test_input_borders_stand_out_from_the_card_in_light_and_dark(new_context):
    for scheme in ("light", "dark"):
        page = new_context(color_scheme=scheme).new_page()
        page.goto("/auth/login")
        colours = page.get_by_label("Email").evaluate(BORDER_AND_CARD)
        assert page.evaluate(CONTRAST, colours) >= 3, (scheme, colours)


def test_the_script_checks_length_and_match_before_sending_and_keeps_the_typing(page):
    page.goto("/auth/register")
    email = unique_email("short")
    page.get_by_label("Email").fill(email)
    password = page.get_by_label("Password", exact=True)
    password.fill("short")
    hint = page.locator("#password-strength")
    expect(hint).to_have_text("Too short: use at least 8 characters.")
    password.fill("one two three four")
    expect(hint).to_contain_text("Looks good.")
    page.get_by_label("Confirm password").fill("one two three fours")
    expect(page.locator("#confirm-match")).to_have_text("The two passwords do not match yet.")

    page.get_by_role("button", name="Sign up").click()  # stopped in the browser
    expect(page).to_have_url(re.compile(r"/auth/register$"))
    expect(page.get_by_label("Confirm password")).to_be_focused()
    expect(page.get_by_label("Email")).to_have_value(email)
    expect(password).to_have_value("one two three four")


def test_the_show_button_reveals_the_password_and_hides_it_again_on_submit(page, live_server):
    email = create_account(live_server.url, "reveal")
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    field = page.get_by_label("Password")
    field.fill(PASSWORD)
    show = page.get_by_role("button", name="Show Password")
    expect(show).to_have_attribute("aria-pressed", "false")
    show.click()
    expect(field).to_have_attribute("type", "text")
    expect(show).to_have_attribute("aria-pressed", "true")
    show.click()
    expect(field).to_have_attribute("type", "password")
    show.click()
    with page.expect_request("**/auth/login"):
        page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(ACCOUNT_URL)


def test_times_are_shown_in_the_browsers_zone_once_it_is_known(new_context, live_server):
    email = create_account(live_server.url, "seoul")
    page = new_context(timezone_id="Asia/Seoul").new_page()
    log_in(page, email)
    expect(page).to_have_url(ACCOUNT_URL)
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get("tz") == "Asia/Seoul"
    page.reload()
    expect(page.get_by_text("Times are shown in Korean Time.")).to_be_visible()
    stamp = page.locator(".events time").first.get_attribute("datetime")
    local = page.evaluate(
        """iso => new Date(iso).toLocaleTimeString('en-US',
             {timeZone: 'Asia/Seoul', hour: 'numeric', minute: '2-digit'})""",
        stamp,
    )
    expect(page.locator(".events .local-time").first).to_contain_text(local.split(" ")[0])


def test_password_managers_find_the_change_password_page(page, live_server):
    email = create_account(live_server.url, "wellknown")
    page.goto("/.well-known/change-password")
    expect(page).to_have_url(
        re.compile(r"/auth/login\?next=%2Faccount%2Fpassword$|next=/account/password$")
    )
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account/password$"))
    expect(page.locator("input[autocomplete=username]")).to_have_value(email)


def test_the_header_marks_the_current_page_and_names_the_person(page, live_server):
    email = create_account(live_server.url, "header")
    log_in(page, email)
    page.goto("/account/sessions")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Devices")).to_have_attribute("aria-current", "page")
    expect(nav.locator("[aria-current]")).to_have_count(1)
    expect(page.locator(".who")).to_contain_text(email)
    logout = nav.get_by_role("button", name="Log out")
    expect(logout).to_have_css("border-top-style", "solid")  # it looks like a button


def test_korean_keeps_words_whole(page):
    page.goto("/?lang=ko")
    assert page.locator("main").evaluate("el => getComputedStyle(el).wordBreak") == "keep-all"
    page.goto("/?lang=en")
    assert page.locator("main").evaluate("el => getComputedStyle(el).wordBreak") == "normal"
