"""Email confirmation after sign-up, over a real SMTP server on loopback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db.models import OutgoingMail, User
from app.extensions import db
from tests.helpers import PASSWORD, csrf_token, parse_set_cookies, request_with
from tests.mailbox import free_port, mail_config, smtpd  # noqa: F401

EMAIL = "person@example.com"
BANNER = "Please confirm your email address"


@pytest.fixture
def config_overrides(smtpd):
    return mail_config(smtpd.port)


def resend(client, page_path="/account"):
    page = client.get(page_path)
    return client.post("/auth/confirm/resend", data={"csrf_token": csrf_token(page.text)})


def confirmed_at(app):
    with app.app_context():
        return db.session.scalar(select(User.email_confirmed_at).where(User.email == EMAIL))


def test_sign_up_mails_a_link_and_the_banner_goes_once_it_is_followed(app, client, auth, smtpd):
    response = auth.register(EMAIL)
    assert response.status_code == 302
    [mail] = smtpd.inbox.to(EMAIL)
    assert mail["Subject"] == "Confirm your email address"
    assert mail.get_body(preferencelist=("html",)) is not None
    account = client.get("/account")
    assert BANNER in account.text and "Send again" in account.text
    # One message after sign-up (not three that say nearly the same), beside the banner.
    assert account.text.count('<p class="flash ') == 1
    assert f"open the link we sent to {EMAIL}" in account.text

    confirmed = client.get(smtpd.inbox.last_link(EMAIL))
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/account"
    assert "access_token" in parse_set_cookies(confirmed)  # the new token says "confirmed"
    account = client.get("/account")
    assert "your email address is confirmed" in account.text
    assert BANNER not in account.text
    assert confirmed_at(app) is not None


def test_the_banner_costs_no_sql(app, client, auth, smtpd, count_sql):
    """Whether to show the banner comes from the access token: the only query on /account
    is its recent-activity list, never the users table."""
    auth.register(EMAIL)
    client.get(smtpd.inbox.last_link(EMAIL))
    access, refresh = auth.tokens()
    count_sql.statements.clear()
    page = request_with(client, "/account", access=access, refresh=refresh)
    assert page.status_code == 200 and BANNER not in page.text
    assert len(count_sql.statements) == 1
    assert "FROM security_events" in count_sql.statements[0]


def test_confirmation_link_works_once_and_expires(client, auth, clock, smtpd):
    auth.register(EMAIL)
    link = smtpd.inbox.last_link(EMAIL)
    assert client.get(link).status_code == 302
    again = client.get(link)
    assert again.status_code == 410 and "This link no longer works" in again.text

    auth.logout()
    auth.register("second@example.com")
    late = smtpd.inbox.last_link("second@example.com")
    clock.advance(2 * 86400 + 1)
    assert client.get(late).status_code == 410


def test_confirming_from_another_browser_asks_to_log_in(app, client, auth, smtpd):
    auth.register(EMAIL)
    other = app.test_client()
    response = other.get(smtpd.inbox.last_link(EMAIL))
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert "You can log in now" in other.get("/auth/login").text
    assert confirmed_at(app) is not None


def test_confirming_with_only_a_refresh_cookie_renews_the_tokens(app, client, auth, clock, smtpd):
    auth.register(EMAIL)
    clock.advance(901)  # the access token has run out, the refresh token has not
    response = client.get(smtpd.inbox.last_link(EMAIL))
    assert response.headers["Location"] == "/account"
    assert BANNER not in client.get("/account").text


def test_send_again_mails_a_new_link_and_kills_the_old(client, auth, smtpd):
    auth.register(EMAIL)
    first = smtpd.inbox.last_link(EMAIL)
    response = resend(client)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    second = smtpd.inbox.last_link(EMAIL)
    assert len(smtpd.inbox.to(EMAIL)) == 2 and first != second
    assert "We sent a new confirmation link" in client.get("/account").text
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 302


def test_send_again_when_already_confirmed_sends_nothing(client, auth, smtpd):
    auth.register(EMAIL)
    client.get(smtpd.inbox.last_link(EMAIL))
    resend(client)
    assert len(smtpd.inbox.to(EMAIL)) == 1
    assert "already confirmed" in client.get("/account").text


def test_send_again_needs_csrf_and_a_person(app, client, auth, smtpd):
    auth.register(EMAIL)
    assert client.post("/auth/confirm/resend").status_code == 400
    anonymous = app.test_client()
    page = anonymous.get("/auth/login")
    response = anonymous.post(
        "/auth/confirm/resend",
        data={"csrf_token": csrf_token(page.text), "ticket": "forged.ticket"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert len(smtpd.inbox.to(EMAIL)) == 1


class TestThrottledResend:
    @pytest.fixture
    def config_overrides(self, smtpd):
        return mail_config(smtpd.port, RATELIMIT_ENABLED=True, CONFIRM_RESEND_LIMIT="2 per hour")

    def test_third_request_in_an_hour_gets_429(self, client, auth, clock, smtpd):
        auth.register(EMAIL)
        assert resend(client).status_code == 302
        assert resend(client).status_code == 302
        blocked = resend(client)
        assert blocked.status_code == 429 and "Too many attempts" in blocked.text
        assert int(blocked.headers["Retry-After"]) > 0
        assert len(smtpd.inbox.to(EMAIL)) == 3  # the sign-up mail and two resends


class TestConfirmationRequired:
    @pytest.fixture
    def config_overrides(self, smtpd):
        return mail_config(smtpd.port, REQUIRE_CONFIRMED_EMAIL=True)

    def test_sign_in_waits_for_confirmation(self, app, client, auth, smtpd):
        signed_up = auth.register(EMAIL)
        assert signed_up.status_code == 302 and signed_up.headers["Location"] == "/auth/login"
        assert "access_token" not in parse_set_cookies(signed_up)

        wrong = auth.login(password="not-the-password")
        assert wrong.status_code == 200 and "Invalid email or password." in wrong.text
        assert "confirm your email" not in wrong.text

        right = auth.login()
        assert right.status_code == 200 and "access_token" not in parse_set_cookies(right)
        assert "Please confirm your email address before you log in" in right.text
        assert "Send the link again" in right.text

        # "Send again" from the login page (the ticket proves the password was just given).
        response = client.post(
            "/auth/confirm/resend",
            data={
                "csrf_token": csrf_token(right.text),
                "ticket": right.text.split('name="ticket" type="hidden" value="')[1].split('"')[0],
            },
        )
        assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
        assert len(smtpd.inbox.to(EMAIL)) == 2

        assert client.get(smtpd.inbox.last_link(EMAIL)).status_code == 302
        assert auth.login().status_code == 302
        assert BANNER not in client.get("/account").text

    def test_the_api_also_waits_for_confirmation(self, app, client, auth, smtpd):
        auth.register(EMAIL)
        api = app.test_client(use_cookies=False)
        wrong = api.post("/api/auth/token", json={"email": EMAIL, "password": "not-it-at-all"})
        assert wrong.status_code == 401 and wrong.json["error"] == "invalid_grant"
        right = api.post("/api/auth/token", json={"email": EMAIL, "password": PASSWORD})
        assert right.status_code == 403 and right.json["error"] == "email_not_confirmed"
        assert "access_token" not in right.json
        client.get(smtpd.inbox.last_link(EMAIL))
        assert (
            api.post("/api/auth/token", json={"email": EMAIL, "password": PASSWORD}).status_code
            == 200
        )

    def test_login_ticket_expires(self, client, auth, clock, smtpd):
        auth.register(EMAIL)
        right = auth.login()
        ticket = right.text.split('name="ticket" type="hidden" value="')[1].split('"')[0]
        clock.advance(901)
        client.post(
            "/auth/confirm/resend", data={"csrf_token": csrf_token(right.text), "ticket": ticket}
        )
        assert len(smtpd.inbox.to(EMAIL)) == 1

    def test_a_password_reset_also_confirms(self, client, auth, smtpd):
        auth.register(EMAIL)
        page = client.get("/auth/forgot")
        client.post("/auth/forgot", data={"csrf_token": csrf_token(page.text), "email": EMAIL})
        link = smtpd.inbox.last_link(EMAIL)
        form = client.get(link)
        done = client.post(
            link,
            data={"csrf_token": csrf_token(form.text), "password": PASSWORD, "confirm": PASSWORD},
        )
        assert done.status_code == 302 and done.headers["Location"] == "/account"
        assert BANNER not in client.get("/account").text


class TestMailServerDown:
    @pytest.fixture
    def config_overrides(self):
        return mail_config(free_port())

    def test_sign_up_still_works_and_the_mail_waits_in_the_outbox(self, app, client, auth):
        response = auth.register(EMAIL)
        assert response.status_code == 302
        account = client.get("/account")
        assert "Welcome! Your account is ready." in account.text
        assert "could not send" not in account.text and BANNER in account.text
        with app.app_context():
            [row] = db.session.scalars(select(OutgoingMail)).all()
        assert (row.kind, row.recipient, row.attempts) == ("confirm", EMAIL, 1)

    def test_send_again_replaces_the_link_and_queues_it(self, app, client, auth):
        auth.register(EMAIL)
        response = resend(client)
        assert response.status_code == 302
        assert f"We sent a new confirmation link to {EMAIL}" in client.get("/account").text
        with app.app_context():
            rows = db.session.scalars(select(OutgoingMail)).all()
        assert [r.kind for r in rows] == ["confirm", "confirm"]
