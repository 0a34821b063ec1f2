"""Security mails and "This wasn't me", through the real SMTP server, following the links."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db.models import LoginSession, SecurityEvent, User
from app.extensions import db
from tests.account.life import html_of, link, links, post_form, text_of
from tests.helpers import PASSWORD, AuthActions, csrf_token, request_with
from tests.mailbox import mail_config, smtpd  # noqa: F401

EMAIL = "person@example.com"
NEW_PASSWORD = "a-brand-new-passphrase-42"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def config_overrides(smtpd):
    return mail_config(smtpd.port)


def browser(app, agent=FIREFOX, address="198.51.100.7"):
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    return client


@pytest.fixture
def home(app, smtpd):
    """The browser the account was created in."""
    client = browser(app)
    AuthActions(client).register(EMAIL)
    smtpd.inbox.messages.clear()
    return client


def security_mails(smtpd, to=EMAIL):
    return [m for m in smtpd.inbox.to(to) if links(m, "lockdown")]


def test_a_new_browser_is_mailed_with_browser_system_address_and_time(app, home, smtpd):
    AuthActions(home).logout()
    AuthActions(home).login(EMAIL)  # the browser the account knows: no mail
    assert security_mails(smtpd) == []
    phone = browser(app, SAFARI, "203.0.113.9")
    assert AuthActions(phone).login(EMAIL).status_code == 302
    [mail] = security_mails(smtpd)
    assert mail["Subject"] == "New sign-in to your Gatehouse account"
    text = text_of(mail)
    for detail in ("Mobile Safari 17", "iOS 17.5", "203.0.113.9", "2027"):
        assert detail in text and detail in html_of(mail)
    AuthActions(phone).logout()
    AuthActions(phone).login(EMAIL)  # known now
    assert len(security_mails(smtpd)) == 1


def test_a_forged_known_browser_cookie_counts_as_new(app, home, smtpd):
    stranger = browser(app)
    stranger.set_cookie("known_browser", "eyIxIjowfQ.forged")
    AuthActions(stranger).login(EMAIL)
    assert len(security_mails(smtpd)) == 1


def test_a_password_change_is_mailed(app, home, smtpd):
    post_form(
        home,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    [mail] = security_mails(smtpd)
    assert mail["Subject"] == "Your Gatehouse password was changed"


def test_a_reused_refresh_token_is_mailed(app, home, clock, smtpd):
    _, refresh = AuthActions(home).tokens()
    for _ in range(2):  # the owner moves on twice: the first token is two generations back
        clock.advance(901)
        assert home.get("/account").status_code == 200  # rotated
    clock.advance(60)
    assert request_with(home, "/account", refresh=refresh).status_code == 302  # reuse
    [mail] = security_mails(smtpd)  # queued by the refresh's own transaction, then sent
    assert mail["Subject"] == "A Gatehouse session was ended for your safety"


def test_mails_come_in_the_language_the_person_last_used(app, smtpd):
    korean = browser(app)
    korean.get("/?lang=ko")
    AuthActions(korean).register(EMAIL)
    with app.app_context():
        assert db.session.scalar(select(User.locale)) == "ko"
    smtpd.inbox.messages.clear()
    AuthActions(browser(app, SAFARI)).login(EMAIL)  # an English browser signs in: "en" now
    AuthActions(korean).logout()
    AuthActions(korean).login(EMAIL)
    with app.app_context():
        assert db.session.scalar(select(User.locale)) == "ko"
    [mail] = security_mails(smtpd)
    assert mail["Subject"] == "New sign-in to your Gatehouse account"  # the English browser's
    post_form(
        korean,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    korean_mail = security_mails(smtpd)[-1]
    assert korean_mail["Subject"] != "Your Gatehouse password was changed"
    assert "비밀번호" in korean_mail["Subject"] and "비밀번호" in text_of(korean_mail)


def test_this_wasnt_me_secures_the_account_and_mails_a_reset_link(app, home, smtpd):
    phone = browser(app, SAFARI, "203.0.113.9")
    AuthActions(phone).login(EMAIL)
    lockdown = link(security_mails(smtpd)[-1], "lockdown")
    page = home.get(lockdown)
    assert page.status_code == 200 and "Secure my account" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert phone.get("/account").status_code == 200  # the page alone changed nothing

    done = post_form(home, lockdown)
    assert done.status_code == 200 and "sent a link to choose a new password" in done.text
    # Every session ended at once, the phone's still valid access token included.
    assert phone.get("/account").status_code == 302
    assert home.get("/account").status_code == 302
    with app.app_context():
        assert not db.session.scalars(
            select(LoginSession).where(LoginSession.revoked_at.is_(None))
        ).all()
        assert "lockdown" in db.session.scalars(select(SecurityEvent.kind)).all()
    # The password no longer works, anywhere.
    assert AuthActions(browser(app)).login(EMAIL, PASSWORD).status_code == 200
    # The browsers were forgotten: the next sign-in from home is a new browser again.
    reset = smtpd.inbox.to(EMAIL)[-1]
    assert reset["Subject"] == "Reset your password"
    reset_link = link(reset, "reset")
    page = home.get(reset_link)
    home.post(
        reset_link,
        data={
            "csrf_token": csrf_token(page.text),
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert security_mails(smtpd)[-1]["Subject"] == "Your Gatehouse password was changed"
    count = len(security_mails(smtpd))
    # The phone had signed in before; its known-browser cookie no longer counts.
    assert AuthActions(phone).login(EMAIL, NEW_PASSWORD).status_code == 302
    assert security_mails(smtpd)[-1]["Subject"] == "New sign-in to your Gatehouse account"
    assert len(security_mails(smtpd)) == count + 1
    # The activity list shows it.
    assert "Account secured" in home.get("/account").text
    # The link worked once.
    assert app.test_client().get(lockdown).status_code == 410


def test_this_wasnt_me_from_the_old_address_takes_the_account_back(app, home, smtpd):
    post_form(home, "/account/email", {"email": "intruder@example.org"})
    home.get(link(smtpd.inbox.to("intruder@example.org")[-1], "email/confirm"))
    notice = security_mails(smtpd, EMAIL)[-1]
    post_form(app.test_client(), link(notice, "lockdown"))
    with app.app_context():
        assert db.session.scalar(select(User.email)) == EMAIL
    assert smtpd.inbox.to(EMAIL)[-1]["Subject"] == "Reset your password"
    assert smtpd.inbox.to("intruder@example.org")[-1]["Subject"] != "Reset your password"


def test_a_dead_lockdown_link_is_410(client):
    assert client.get("/auth/lockdown/nothing-here").status_code == 410
    assert client.get("/auth/lockdown/" + "x" * 300).status_code == 410


def test_strong_sign_in_changes_are_mailed(app, home, clock, smtpd):
    from tests.mfa.helpers import set_up_app

    set_up_app(home, clock)
    subjects = [m["Subject"] for m in security_mails(smtpd)]
    assert "An authenticator app was turned on for your Gatehouse account" in subjects
    token = csrf_token(home.get("/account/security").text)
    assert home.post("/account/security/recovery-codes", data={"csrf_token": token}).status_code
    assert security_mails(smtpd)[-1]["Subject"] == "New recovery codes for your Gatehouse account"
    assert home.post("/account/security/app/off", data={"csrf_token": token}).status_code == 302
    mail = security_mails(smtpd)[-1]
    assert mail["Subject"] == "The authenticator app of your Gatehouse account was turned off"
    assert "no longer asks for its code" in text_of(mail)
    assert link(mail, "lockdown")


def test_strong_sign_in_mails_come_in_korean(app, clock, smtpd):
    from tests.mfa.helpers import set_up_app

    korean = browser(app)
    korean.get("/?lang=ko")
    AuthActions(korean).register(EMAIL)
    set_up_app(korean, clock)
    [mail] = security_mails(smtpd)
    assert mail["Subject"] == "Gatehouse 계정에 인증 앱을 켰습니다"
    assert "인증 앱" in text_of(mail) and "This wasn't me" not in text_of(mail)


def test_the_undo_link_survives_a_password_change_made_after_the_email_change(app, home, smtpd):
    """Whoever changed the address would change the password next: the old address's undo
    (and "This wasn't me") links must keep working after that."""
    post_form(home, "/account/email", {"email": "intruder@example.org"})
    home.get(link(smtpd.inbox.to("intruder@example.org")[-1], "email/confirm"))
    notice = security_mails(smtpd, EMAIL)[-1]
    post_form(
        home,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    undone = post_form(app.test_client(), link(notice, "email/undo"))
    assert undone.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.email)) == EMAIL


def test_this_wasnt_me_removes_second_factors_someone_else_may_have_added(app, home, clock, smtpd):
    from tests.mfa.helpers import set_up_app

    set_up_app(home, clock)  # as if the intruder turned on an app of their own
    notice = security_mails(smtpd)[-1]
    assert notice["Subject"] == "An authenticator app was turned on for your Gatehouse account"
    post_form(app.test_client(), link(notice, "lockdown"))
    reset_link = link(smtpd.inbox.to(EMAIL)[-1], "reset")
    owner = browser(app)
    page = owner.get(reset_link)
    done = owner.post(
        reset_link,
        data={
            "csrf_token": csrf_token(page.text),
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/account")  # no step
    with app.app_context():
        from app.mfa.models import RecoveryCode, TotpAuthenticator

        assert db.session.scalars(select(TotpAuthenticator)).all() == []
        assert db.session.scalars(select(RecoveryCode)).all() == []
