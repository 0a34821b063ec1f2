"""Recovery codes through the pages: shown once, single-use, "N left", a new set replaces
the old, and they go with the last second factor."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.mfa.models import RecoveryCode
from tests.helpers import csrf_token
from tests.mfa.helpers import CODE_RE, post_code, set_up_app


def test_a_recovery_code_signs_in_once(app, client, auth, clock):
    auth.register()
    _, codes = set_up_app(client, clock)
    auth.logout()
    auth.login()
    assert post_code(client, codes[0].upper()).status_code == 302  # any case, dashes or not
    assert "9 recovery codes left." in client.get("/account/security").text
    assert "Recovery code used to sign in" in client.get("/account").text
    auth.logout()
    auth.login()
    again = post_code(client, codes[0])
    assert again.status_code == 200 and auth.tokens() == (None, None)
    assert post_code(client, codes[1].replace("-", "")).status_code == 302


def test_codes_are_stored_hashed_and_shown_only_once(app, client, auth, clock):
    auth.register()
    _, codes = set_up_app(client, clock)
    with app.app_context():
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert not set(codes) & set(stored)
    page = client.get("/account/security").text
    assert not CODE_RE.findall(page)
    assert "10 recovery codes left." in page


def test_a_new_set_replaces_the_old(app, client, auth, clock):
    auth.register()
    _, old = set_up_app(client, clock)
    page = client.get("/account/security")
    fresh = client.post(
        "/account/security/recovery-codes", data={"csrf_token": csrf_token(page.text)}
    )
    assert fresh.headers["Cache-Control"] == "no-store"
    new = CODE_RE.findall(fresh.text)
    assert len(new) == 10 and not set(new) & set(old)
    auth.logout()
    auth.login()
    assert post_code(client, old[0]).status_code == 200
    assert post_code(client, new[0]).status_code == 302


def test_no_codes_without_a_second_factor(app, client, auth, clock):
    auth.register()
    page = client.get("/account/security")
    assert "Turn one of them on first" in page.text
    refused = client.post(
        "/account/security/recovery-codes", data={"csrf_token": csrf_token(page.text)}
    )
    assert refused.status_code == 302
    set_up_app(client, clock)
    page = client.get("/account/security")
    client.post("/account/security/app/off", data={"csrf_token": csrf_token(page.text)})
    with app.app_context():
        assert db.session.scalars(select(RecoveryCode)).all() == []
