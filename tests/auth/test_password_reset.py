"""Forgotten password, over a real SMTP server on loopback: the tests follow the mailed links."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import delete, select

from app.db.models import EmailToken, OutgoingMail, SecurityEvent
from app.extensions import db
from app.mail import outbox
from app.sessions.tokens import hash_token
from tests.helpers import PASSWORD, AuthActions, csrf_token, parse_set_cookies, without_csrf
from tests.mailbox import free_port, mail_config, smtpd  # noqa: F401

NEW_PASSWORD = "a-brand-new-passphrase-42"
SENT = "If an account exists for that address, we sent a link"


@pytest.fixture
def config_overrides(smtpd):
    return mail_config(smtpd.port)


@pytest.fixture
def person(auth, smtpd):
    """A signed-up person, signed out, with an empty inbox."""
    auth.register("person@example.com")
    auth.logout()
    smtpd.inbox.messages.clear()
    return "person@example.com"


def ask_for_link(client, email="person@example.com"):
    page = client.get("/auth/forgot")
    return client.post("/auth/forgot", data={"csrf_token": csrf_token(page.text), "email": email})


def set_password(client, link, password=NEW_PASSWORD, confirm=None):
    page = client.get(link)
    assert page.status_code == 200, page.text
    return client.post(
        link,
        data={
            "csrf_token": csrf_token(page.text),
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def test_login_page_links_to_forgot_password(client):
    page = client.get("/auth/login")
    assert 'href="/auth/forgot"' in page.text and "Forgot password?" in page.text
    assert client.get("/auth/forgot").status_code == 200


def test_known_address_gets_a_text_and_html_mail_with_a_hashed_single_token(
    app, client, person, smtpd
):
    response = ask_for_link(client)
    assert response.status_code == 200 and SENT in response.text
    [mail] = smtpd.inbox.to(person)
    assert mail["Subject"] == "Reset your password"
    assert mail["From"] == app.config["MAIL_DEFAULT_SENDER"]
    html = mail.get_body(preferencelist=("html",)).get_content()
    link = smtpd.inbox.last_link(person)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43 and f"http://localhost{link}" in html
    with app.app_context():
        rows = db.session.scalars(select(EmailToken)).all()
    assert [(r.purpose, r.token_hash) for r in rows if r.purpose == "reset"] == [
        ("reset", hash_token(token))
    ]
    assert all(token not in (r.token_hash,) for r in rows)


def test_unknown_address_gets_the_same_answer_and_nothing_is_queued(app, client, person, smtpd):
    """No probing: the same page; only the real account's mail is queued and sent.

    Neither answer waits for the mail server (tests/mail/test_outbox.py shows no SMTP
    conversation happens on the request path), so its timing cannot tell them apart.
    """
    greetings = smtpd.inbox.greetings
    known = ask_for_link(client, person)
    unknown = ask_for_link(client, "nobody@example.com")
    assert unknown.status_code == known.status_code == 200
    assert without_csrf(unknown.text).replace("nobody@example.com", "") == without_csrf(
        known.text
    ).replace(person, "")
    assert [m["To"] for m in smtpd.inbox.messages] == [person]
    assert smtpd.inbox.greetings == greetings + 1  # one conversation: the real account's mail
    with app.app_context():
        assert outbox.pending_count() == 0  # delivered, so no longer kept


def test_reset_link_works_once_and_signs_this_browser_in(app, client, person, smtpd):
    ask_for_link(client)
    link = smtpd.inbox.last_link(person)
    page = client.get(link)
    assert page.status_code == 200 and "Choose a new password" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]

    done = set_password(client, link)
    assert done.status_code == 302 and done.headers["Location"] == "/account"
    cookies = parse_set_cookies(done)
    assert cookies["access_token"].value and cookies["refresh_token"].value
    account = client.get("/account")
    assert account.status_code == 200 and "Your password has been changed" in account.text

    again = client.get(link)
    assert again.status_code == 410 and "This link no longer works" in again.text
    other = AuthActions(app.test_client())
    assert other.login(password=PASSWORD).status_code == 200  # the old password is gone
    assert other.login(password=NEW_PASSWORD).status_code == 302
    with app.app_context():
        kinds = db.session.scalars(select(SecurityEvent.kind)).all()
    assert "password_reset_requested" in kinds and "password_changed" in kinds


def test_a_used_link_is_refused_even_for_a_second_submission(client, person, smtpd):
    ask_for_link(client)
    link = smtpd.inbox.last_link(person)
    page = client.get(link)
    token = csrf_token(page.text)
    form = {"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(link, data=form).status_code == 302
    second = client.post(link, data={**form, "password": "x" * 12, "confirm": "x" * 12})
    assert second.status_code == 410


def test_reset_link_expires(client, clock, person, smtpd):
    ask_for_link(client)
    link = smtpd.inbox.last_link(person)
    clock.advance(1799)
    assert client.get(link).status_code == 200
    clock.advance(2)
    expired = client.get(link)
    assert expired.status_code == 410 and "expires after 30 minutes" in expired.text


def test_a_newer_link_kills_the_older(client, person, smtpd):
    ask_for_link(client)
    older = smtpd.inbox.last_link(person)
    ask_for_link(client)
    newer = smtpd.inbox.last_link(person)
    assert older != newer
    assert client.get(older).status_code == 410
    assert set_password(client, newer).status_code == 302


def test_reset_signs_out_every_other_session(app, client, clock, person, smtpd):
    laptop = AuthActions(app.test_client())
    assert laptop.login(remember=True).status_code == 302
    ask_for_link(client)
    assert set_password(client, smtpd.inbox.last_link(person)).status_code == 302
    clock.advance(901)  # the laptop's access token runs out; its refresh token must not work
    laptop_page = laptop._client.get("/account")
    assert laptop_page.status_code == 302 and laptop_page.headers["Location"].startswith(
        "/auth/login"
    )
    assert client.get("/account").status_code == 200  # this browser refreshes fine


def test_a_signed_in_browser_is_moved_to_the_new_session(app, client, auth, clock, smtpd):
    auth.register("person@example.com")
    old_refresh = auth.tokens()[1]
    ask_for_link(client)
    response = set_password(client, smtpd.inbox.last_link("person@example.com"))
    assert parse_set_cookies(response)["refresh_token"].value != old_refresh
    clock.advance(901)
    assert client.get("/account").status_code == 200


def test_new_password_follows_the_sign_up_policy(client, person, smtpd):
    ask_for_link(client)
    link = smtpd.inbox.last_link(person)
    short = set_password(client, link, password="short")
    assert short.status_code == 200 and "Use at least 8 characters." in short.text
    mismatch = set_password(client, link, confirm="something-else-entirely")
    assert mismatch.status_code == 200 and "The two passwords do not match." in mismatch.text
    assert set_password(client, link).status_code == 302  # the link survived the mistakes


@pytest.mark.parametrize("token", ["x", "A" * 43, "A" * 500, "%00%FF~!*"])
def test_unknown_or_odd_tokens_get_a_clear_page(client, token):
    response = client.get(f"/auth/reset/{token}")
    assert response.status_code == 410 and "Send a new link" in response.text


def test_forgot_without_csrf_sends_nothing(client, person, smtpd):
    greetings = smtpd.inbox.greetings
    response = client.post("/auth/forgot", data={"email": person})
    assert response.status_code == 400
    assert smtpd.inbox.messages == [] and smtpd.inbox.greetings == greetings


def test_invalid_email_is_a_form_error(client):
    page = client.get("/auth/forgot")
    response = client.post(
        "/auth/forgot", data={"csrf_token": csrf_token(page.text), "email": "not-an-address"}
    )
    assert response.status_code == 200 and "Enter a valid email address" in response.text


def test_no_log_line_carries_the_token(client, person, smtpd, caplog):
    caplog.set_level(logging.DEBUG)
    ask_for_link(client)
    link = smtpd.inbox.last_link(person)
    set_password(client, link)
    token = link.rsplit("/", 1)[1]
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # not the test server
    assert any(r.name == "gatehouse.events" for r in ours)
    assert not any(token in r.getMessage() for r in ours)


class TestMailServerDown:
    @pytest.fixture
    def config_overrides(self):
        return mail_config(free_port())  # nothing listens there

    @pytest.mark.parametrize("email", ["person@example.com", "nobody@example.com"])
    def test_same_answer_and_the_mail_is_kept(self, app, client, auth, caplog, email):
        auth.register("person@example.com")
        auth.logout()
        with app.app_context():
            db.session.execute(delete(OutgoingMail))  # the confirmation mail of the sign-up
            db.session.commit()
        caplog.clear()
        response = ask_for_link(client, email)
        assert response.status_code == 200 and SENT in response.text
        with app.app_context():
            kept = db.session.scalars(select(OutgoingMail)).all()
        if email == "nobody@example.com":
            assert kept == [] and not caplog.records
            return
        [row] = kept
        assert (row.kind, row.recipient, row.attempts) == ("reset", email, 1)
        failed = [r for r in caplog.records if r.name == "gatehouse.mail"]
        assert len(failed) == 1
        line = failed[0].getMessage()
        assert "mail_retry kind=reset" in line and "error=ConnectionRefusedError" in line
        assert email not in line and "/auth/reset/" not in line


class TestThrottling:
    @pytest.fixture
    def config_overrides(self, smtpd):
        return mail_config(
            smtpd.port,
            RATELIMIT_ENABLED=True,
            FORGOT_LIMIT_PER_EMAIL="2 per hour",
            FORGOT_LIMIT_PER_ADDRESS="4 per hour",
        )

    def test_per_email_limit(self, client, clock):
        assert ask_for_link(client).status_code == 200
        assert ask_for_link(client).status_code == 200
        blocked = ask_for_link(client)
        assert blocked.status_code == 429 and "Too many attempts" in blocked.text
        assert ask_for_link(client, "someone-else@example.com").status_code == 200

    def test_per_address_limit(self, client):
        for i in range(4):
            assert ask_for_link(client, f"user{i}@example.com").status_code == 200
        assert ask_for_link(client, "user9@example.com").status_code == 429
