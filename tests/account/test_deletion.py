"""Deleting the account: every session ends at once, nothing is kept, the address is free."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from tests.account.life import post_form, text_of
from tests.helpers import PASSWORD, AuthActions, base_config
from tests.mailbox import mail_config, smtpd  # noqa: F401
from tests.sessions.test_revocation import REDIS_URL, redis_prefix  # noqa: F401

EMAIL = "person@example.com"


@pytest.fixture
def config_overrides(smtpd):
    return mail_config(smtpd.port)


def rows_left(app) -> dict[str, int]:
    """Rows in every table of the schema (whoever added it), except Alembic's own."""
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def api_token(client, email=EMAIL) -> str:
    answer = client.post("/api/auth/token", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json["access_token"]


def build_account(app, auth, client):
    """An account with something in every table: sessions on three devices, activity,
    mail links (confirmation, reset, email change)."""
    auth.register(EMAIL)
    AuthActions(app.test_client()).login(EMAIL)
    post_form(client, "/account/email", {"email": "elsewhere@example.org"})
    post_form(app.test_client(), "/auth/forgot", {"email": EMAIL})


def test_deleting_removes_every_row_and_ends_every_session_at_once(app, client, auth, smtpd):
    bystander = app.test_client()
    AuthActions(bystander).register("bystander@example.com")
    before_person = rows_left(app)
    build_account(app, auth, client)
    phone = app.test_client()
    AuthActions(phone).login(EMAIL)
    bearer = api_token(app.test_client())
    assert phone.get("/account").status_code == 200
    assert rows_left(app)["email_tokens"] > before_person["email_tokens"]
    smtpd.inbox.messages.clear()

    page = client.get("/account/delete")
    assert page.status_code == 200 and EMAIL in page.text
    done = post_form(client, "/account/delete", {"confirm": EMAIL.upper()})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "have been deleted" in client.get("/").text

    # The other devices' access tokens are still valid JWTs, and refused at once.
    assert phone.get("/account").status_code == 302
    assert phone.get("/account").headers["Location"].startswith("/auth/login")
    refused = app.test_client().get("/api/me", headers={"Authorization": f"Bearer {bearer}"})
    assert refused.status_code == 401
    # Nothing about the person is left, in any table; the bystander keeps all of theirs.
    assert rows_left(app) == before_person
    [goodbye] = smtpd.inbox.to(EMAIL)
    assert goodbye["Subject"] == "Your Gatehouse account has been deleted"
    assert "sign up with it" in text_of(goodbye)
    # The address can sign up again.
    again = AuthActions(app.test_client()).register(EMAIL)
    assert again.status_code == 302 and again.headers["Location"] == "/account"
    assert bystander.get("/account").status_code == 200


def test_the_typed_address_must_be_the_accounts_own(app, client, auth, smtpd):
    auth.register(EMAIL)
    for typed in ("", "someone@example.com"):
        answer = post_form(client, "/account/delete", {"confirm": typed})
        assert answer.status_code == 200 and 'class="error"' in answer.text
    assert rows_left(app)["users"] == 1
    assert client.get("/account").status_code == 200


def test_deleting_without_a_csrf_token_changes_nothing(app, client, auth):
    auth.register(EMAIL)
    assert client.post("/account/delete", data={"confirm": EMAIL}).status_code == 400
    assert rows_left(app)["users"] == 1


def test_api_delete_me_ends_every_session_and_the_second_device_is_refused(
    app, client, auth, smtpd
):
    build_account(app, auth, client)
    before = api_token(app.test_client())
    other = api_token(app.test_client())
    answer = app.test_client().delete("/api/me", headers={"Authorization": f"Bearer {before}"})
    assert answer.status_code == 204
    for token in (before, other):
        again = app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert again.status_code == 401
    assert client.get("/account").status_code == 302
    assert all(count == 0 for count in rows_left(app).values())
    assert smtpd.inbox.to(EMAIL)[-1]["Subject"] == "Your Gatehouse account has been deleted"
    assert app.test_client().delete("/api/me").status_code == 401


def test_deletion_reaches_every_worker_through_the_shared_revocation_list(
    tmp_path, clock, smtpd, redis_prefix
):
    """Two apps (two workers) on one database and one Redis: the second refuses at once."""
    config = base_config(
        tmp_path,
        clock,
        REVOCATION_STORE_URI=REDIS_URL,
        REVOCATION_KEY_PREFIX=redis_prefix,
        **mail_config(smtpd.port),
    )
    first, second = create_app(config), create_app(config)
    browser = first.test_client()
    AuthActions(browser).register(EMAIL)
    access = browser.get_cookie("access_token").value
    elsewhere = second.test_client()
    elsewhere.set_cookie("access_token", access)
    assert elsewhere.get("/account").status_code == 200
    post_form(browser, "/account/delete", {"confirm": EMAIL})
    assert elsewhere.get("/account").status_code == 302
    for app in (first, second):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_deleting_removes_the_second_factors_too(app, client, auth, clock, smtpd):
    from tests.mfa.helpers import set_up_app

    auth.register(EMAIL)
    set_up_app(client, clock)
    assert rows_left(app)["totp_authenticators"] == 1
    assert rows_left(app)["recovery_codes"] == 10
    assert post_form(client, "/account/delete", {"confirm": EMAIL}).status_code == 302
    assert all(count == 0 for count in rows_left(app).values())
