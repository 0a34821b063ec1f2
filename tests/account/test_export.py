"""Downloading the account's data: one JSON attachment, everything about the person, no secret."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.accounts.export import is_secret
from app.db.models import SecurityEvent
from app.extensions import db
from tests.account.life import post_form
from tests.helpers import PASSWORD, AuthActions
from tests.mailbox import mail_config, smtpd  # noqa: F401

EMAIL = "person@example.com"


@pytest.fixture
def config_overrides(smtpd):
    return {**mail_config(smtpd.port), "RATELIMIT_ENABLED": True, "EXPORT_LIMIT": "3 per hour"}


def every_secret_value(app) -> set[str]:
    """The raw values of every secret column of every table (hashes, keys, tokens, codes)."""
    found = set()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            secret = [c for c in table.columns if is_secret(c)]
            if table.name == "mfa_challenges":  # keyed by a hash of the step's handle
                secret += [table.c.id]
            for row in db.session.execute(select(*secret)).all() if secret else ():
                found.update(str(v) for v in row if v is not None and len(str(v)) >= 8)
    return found


@pytest.fixture
def person(app, client, auth, smtpd):
    auth.register(EMAIL)
    AuthActions(app.test_client()).login(EMAIL)
    post_form(client, "/account/email", {"email": "later@example.org"})
    post_form(app.test_client(), "/auth/forgot", {"email": EMAIL})
    return EMAIL


def download(client):
    return post_form(client, "/account/export")


def test_the_export_is_an_attachment_with_everything_and_no_secret(app, client, person):
    answer = download(client)
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="gatehouse-')
    assert answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    document = json.loads(answer.data)
    assert document["account"]["email"] == EMAIL
    assert len(document["sessions"]) == 2
    assert {"register", "login", "email_change_requested"} <= {
        e["kind"] for e in document["activity"]
    }
    assert {"email_change", "reset", "confirm"} <= {
        link["purpose"] for link in document["mail_links"]
    }
    assert "later@example.org" in answer.text
    secrets = every_secret_value(app)
    assert len(secrets) >= 5  # password hash, refresh-token hashes, mail-link hashes
    leaked = [value for value in secrets if value in answer.text]
    assert leaked == []
    assert PASSWORD not in answer.text


def test_the_export_is_recorded_and_throttled_per_account(app, client, person):
    for _ in range(3):
        assert download(client).status_code == 200
    assert download(client).status_code == 429
    with app.app_context():
        kinds = list(db.session.scalars(select(SecurityEvent.kind)))
    assert kinds.count("data_exported") == 3
    other = app.test_client()
    AuthActions(other).register("other@example.com")
    assert download(other).status_code == 200


def test_the_api_export_needs_a_token_and_shares_the_budget(app, client, person):
    token = (
        app.test_client()
        .post("/api/auth/token", json={"email": EMAIL, "password": PASSWORD})
        .json["access_token"]
    )
    assert app.test_client().get("/api/me/export").status_code == 401
    headers = {"Authorization": f"Bearer {token}"}
    answer = app.test_client().get("/api/me/export", headers=headers)
    assert answer.status_code == 200 and answer.headers["Content-Disposition"].startswith(
        "attachment;"
    )
    assert answer.json["account"]["email"] == EMAIL
    assert not [value for value in every_secret_value(app) if value in answer.text]
    download(client)
    download(client)
    assert app.test_client().get("/api/me/export", headers=headers).status_code == 429


def test_the_export_page_offers_the_download(client, person):
    page = client.get("/account/export")
    assert page.status_code == 200 and 'action="/account/export"' in page.text
    assert client.post("/account/export").status_code == 400  # no CSRF token


def test_second_factors_are_exported_without_their_secrets(app, client, auth, clock):
    from tests.mfa.helpers import set_up_app

    auth.register(EMAIL)
    key, codes = set_up_app(client, clock)
    answer = download(client)
    assert answer.status_code == 200
    document = json.loads(answer.data)
    [app_row] = document["authenticator_apps"]
    assert app_row["confirmed_at"] is not None
    assert len(document["recovery_codes"]) == 10
    for shown in (key, *codes):  # what the person was shown once
        assert shown not in answer.text
    leaked = [value for value in every_secret_value(app) if value in answer.text]
    assert leaked == []
