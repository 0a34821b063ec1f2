"""Changing the email address through the real SMTP server, following the mailed links."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db.models import EmailToken, LoginSession, SecurityEvent, User
from app.extensions import db
from tests.account.life import link, post_form, text_of
from tests.helpers import PASSWORD, AuthActions, without_csrf
from tests.mailbox import mail_config, smtpd  # noqa: F401

OLD, NEW = "person@example.com", "new.person@example.org"


@pytest.fixture
def config_overrides(smtpd):
    return mail_config(smtpd.port)


@pytest.fixture
def person(auth, smtpd):
    auth.register(OLD)
    smtpd.inbox.messages.clear()
    return OLD


def ask(client, email=NEW):
    return post_form(client, "/account/email", {"email": email})


def test_the_new_address_gets_a_link_and_the_old_one_works_until_it_is_followed(
    app, client, person, smtpd
):
    answer = ask(client)
    assert answer.status_code == 200 and NEW in answer.text
    [mail] = smtpd.inbox.to(NEW)
    assert mail["Subject"] == "Confirm your new email address" and OLD in text_of(mail)
    assert smtpd.inbox.to(OLD) == []
    confirm = link(mail, "email/confirm")
    # Not followed yet: the old address still signs in, the new one does not.
    other = app.test_client()
    assert AuthActions(other).login(OLD).status_code == 302
    assert AuthActions(app.test_client()).login(NEW).status_code == 200

    followed = client.get(confirm)
    assert followed.status_code == 302 and followed.headers["Location"] == "/account"
    assert NEW in client.get("/account").text  # this session's token carries the new address
    assert AuthActions(app.test_client()).login(OLD).status_code == 200
    assert AuthActions(app.test_client()).login(NEW).status_code == 302
    assert client.get(confirm).status_code == 410  # single use
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == NEW and user.email_confirmed_at is not None
        kinds = list(db.session.scalars(select(SecurityEvent.kind)))
    assert "email_change_requested" in kinds and "email_changed" in kinds


def test_the_old_address_is_told_and_can_undo_within_seven_days(app, client, clock, person, smtpd):
    ask(client)
    client.get(link(smtpd.inbox.to(NEW)[-1], "email/confirm"))
    [notice] = smtpd.inbox.to(OLD)
    assert NEW in text_of(notice)
    undo = link(notice, "email/undo")
    link(notice, "lockdown")  # a security mail: "This wasn't me" too
    second = app.test_client()
    AuthActions(second).login(NEW)
    clock.advance(6 * 86_400)
    page = client.get(undo)
    assert page.status_code == 200 and "Undo the change" in page.text
    with app.app_context():  # opening the page changed nothing (a mail scanner may fetch it)
        assert db.session.scalar(select(User.email)) == NEW
    done = post_form(client, undo)
    assert done.status_code == 200 and OLD in done.text
    with app.app_context():
        assert db.session.scalar(select(User.email)) == OLD
        open_sessions = db.session.scalars(
            select(LoginSession).where(LoginSession.revoked_at.is_(None))
        ).all()
    assert open_sessions == []
    # Every session ended at once, the other device's still valid access token included.
    assert second.get("/account").status_code == 302
    assert client.get("/account").status_code == 302
    assert AuthActions(app.test_client()).login(OLD).status_code == 302


def test_the_undo_link_dies_after_seven_days(app, client, clock, person, smtpd):
    ask(client)
    client.get(link(smtpd.inbox.to(NEW)[-1], "email/confirm"))
    undo = link(smtpd.inbox.to(OLD)[-1], "email/undo")
    clock.advance(7 * 86_400 + 1)
    page = client.get(undo)
    assert page.status_code == 200  # the page itself; the POST finds the link dead
    assert post_form(client, undo).status_code == 410
    with app.app_context():
        assert db.session.scalar(select(User.email)) == NEW


def test_a_taken_address_gets_the_same_answer_and_no_mail(app, client, auth, person, smtpd):
    other = AuthActions(app.test_client())
    other.register("taken@example.com")
    smtpd.inbox.messages.clear()
    free = ask(client, "free@example.com")
    taken = ask(client, "taken@example.com")
    assert taken.status_code == free.status_code == 200
    assert without_csrf(taken.text).replace("taken@", "X@") == without_csrf(free.text).replace(
        "free@", "X@"
    )
    assert [
        m
        for m in smtpd.inbox.to("taken@example.com")
        if m["Subject"] == "Confirm your new email address"
    ] == []
    with app.app_context():
        rows = db.session.scalars(
            select(EmailToken.email).where(EmailToken.purpose == "email_change")
        )
        assert list(rows) == ["free@example.com"]
        kinds = db.session.scalars(
            select(SecurityEvent.kind).where(SecurityEvent.kind == "email_change_requested")
        )
        assert len(list(kinds)) == 2  # the activity list tells nothing either


def test_the_same_address_and_an_invalid_one_are_refused_with_a_reason(client, person, smtpd):
    same = ask(client, OLD)
    assert same.status_code == 200 and "This is already your email address." in same.text
    bad = ask(client, "not-an-address")
    assert bad.status_code == 200 and "Enter a valid email address" in bad.text
    assert smtpd.inbox.messages == []


def test_following_the_link_signed_out_says_to_log_in_with_the_new_address(
    app, client, person, smtpd
):
    ask(client)
    confirm = link(smtpd.inbox.to(NEW)[-1], "email/confirm")
    anonymous = app.test_client()
    followed = anonymous.get(confirm)
    assert followed.status_code == 302 and followed.headers["Location"] == "/auth/login"
    assert AuthActions(anonymous).login(NEW, PASSWORD).status_code == 302


def test_an_address_taken_before_the_link_is_followed_is_not_given_away(
    app, client, person, smtpd
):
    ask(client)
    confirm = link(smtpd.inbox.to(NEW)[-1], "email/confirm")
    AuthActions(app.test_client()).register(NEW)
    answer = client.get(confirm)
    assert answer.status_code == 409
    with app.app_context():
        assert sorted(db.session.scalars(select(User.email))) == sorted([OLD, NEW])
        assert db.session.scalar(select(User.email).where(User.id == 1)) == OLD


def test_garbage_links_are_410(client):
    for path in ("/auth/email/confirm/nope", "/auth/email/confirm/" + "x" * 500):
        assert client.get(path).status_code == 410
