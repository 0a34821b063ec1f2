"""Item: one mailbox, one account. ``bücher``, ``xn--bcher-kva`` and full-width spellings of a
domain (and of the local part) used to make separate accounts; every entry point now goes
through ``app.accounts.emails``, and a migration rewrites or reports existing rows."""

from __future__ import annotations

import logging

import pytest
from alembic import command
from sqlalchemy import select, text

from app import create_app
from app.db.models import User
from app.db.schema import alembic_config, upgrade_to_head
from app.extensions import db
from tests.helpers import PASSWORD, AuthActions, base_config, csrf_token
from tests.mailbox import mail_config, smtpd  # noqa: F401

SPELLINGS = (
    "ann@bücher.de",
    "Ann@XN--BCHER-KVA.DE",
    "ａｎｎ＠ｂüｃｈｅｒ．ｄｅ",
    "ANN@BU\u0308CHER.de",
)
STORED = "ann@xn--bcher-kva.de"


def test_sign_up_with_any_spelling_of_a_taken_mailbox_is_refused(app, client, auth):
    assert auth.register(SPELLINGS[0]).status_code == 302
    for spelling in SPELLINGS[1:]:
        response = AuthActions(app.test_client()).register(spelling)
        assert response.status_code == 200, spelling
        assert "already exists" in response.text
    with app.app_context():
        assert db.session.scalars(select(User.email)).all() == [STORED]


def test_login_and_the_api_accept_every_spelling(app, auth):
    assert auth.register(SPELLINGS[0]).status_code == 302
    for spelling in SPELLINGS:
        assert AuthActions(app.test_client()).login(spelling, PASSWORD).status_code == 302
        body = {"email": spelling, "password": PASSWORD}
        assert app.test_client().post("/api/auth/token", json=body).status_code == 200


class TestReset:
    @pytest.fixture
    def config_overrides(self, smtpd):
        return mail_config(smtpd.port)

    def test_a_reset_for_any_spelling_reaches_the_one_account(self, app, auth, smtpd):
        assert auth.register(SPELLINGS[0]).status_code == 302
        smtpd.inbox.messages.clear()
        client = app.test_client()
        page = client.get("/auth/forgot")
        client.post(
            "/auth/forgot", data={"csrf_token": csrf_token(page.text), "email": SPELLINGS[2]}
        )
        assert [mail["To"] for mail in smtpd.inbox.messages] == [STORED]


def test_the_cli_refuses_another_spelling_of_an_existing_account(app, auth, runner):
    assert auth.register(SPELLINGS[0]).status_code == 302
    result = runner.invoke(args=["create-user", SPELLINGS[1]], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(args=["revoke-sessions", SPELLINGS[2]])
    assert result.exit_code == 0 and STORED in result.output


def test_the_migration_rewrites_old_rows_and_reports_duplicates(
    tmp_path, clock, empty_database_uri, caplog
):
    app = create_app(
        base_config(
            tmp_path, clock, SQLALCHEMY_DATABASE_URI=empty_database_uri, AUTO_CREATE_SCHEMA=False
        )
    )
    rows = [
        (1, "ann@bücher.de"),  # the old rules stored it like this
        (2, "ann@xn--bcher-kva.de"),  # the same mailbox: a duplicate
        (3, "ｂｏｂ@example.com"),  # full-width, alone: rewritten
        (4, "carol@example.com"),  # already in the new form
    ]
    with app.app_context():
        with db.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0003_mail_outbox")
            for user_id, email in rows:
                connection.execute(
                    text(
                        "INSERT INTO users (id, email, password_hash, created_at) "
                        "VALUES (:id, :email, 'x', '2026-01-01 00:00:00')"
                    ),
                    {"id": user_id, "email": email},
                )
        with caplog.at_level(logging.WARNING, logger="gatehouse.migrations"):
            upgrade_to_head(db.engine)
        with db.engine.connect() as connection:
            stored = dict(connection.execute(text("SELECT id, email FROM users")).all())
        db.engine.dispose()
    assert stored == {
        1: "ann@bücher.de",
        2: "ann@xn--bcher-kva.de",
        3: "bob@example.com",
        4: "carol@example.com",
    }
    assert "duplicate mailbox=ann@xn--bcher-kva.de users=1,2" in caplog.text
