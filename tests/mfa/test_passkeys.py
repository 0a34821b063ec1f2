"""Passkeys on the server: registration and sign-in with py_webauthn, against a software
authenticator (tests/mfa/softkey.py); the browser side is in tests/browser/test_passkeys.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mfa.models import Passkey
from tests.helpers import PASSWORD, csrf_token
from tests.mfa.softkey import BE, BS, UP, UV, SoftKey, b64url


def token_of(client, path="/account/security") -> str:
    return csrf_token(client.get(path).text)


def post_json(client, path, body, token):
    return client.post(path, json=body, headers={"X-CSRFToken": token})


def add_passkey(client, key: SoftKey, name="Laptop", **create):
    token = token_of(client)
    options = post_json(client, "/account/security/passkeys/options", {}, token)
    assert options.status_code == 200, options.text
    pub = options.json["publicKey"]
    assert pub["authenticatorSelection"]["residentKey"] == "required"
    assert pub["authenticatorSelection"]["userVerification"] == "preferred"
    assert pub["rp"]["id"] == "localhost"
    credential = key.create(pub, **create)
    return post_json(
        client,
        "/account/security/passkeys",
        {"handle": options.json["handle"], "name": name, "credential": credential},
        token,
    )


def passkey_sign_in(app, key: SoftKey, **get):
    """A new browser signs in with the passkey alone (the login page's button)."""
    browser = app.test_client()
    token = token_of(browser, "/auth/login")
    options = post_json(browser, "/auth/passkey/options", {}, token)
    assert options.status_code == 200
    assert options.json["publicKey"].get("allowCredentials", []) == []  # discoverable
    answer = post_json(
        browser,
        "/auth/passkey",
        {
            "handle": options.json["handle"],
            "credential": key.get(options.json["publicKey"], **get),
        },
        token,
    )
    return browser, answer, options.json["handle"]


@pytest.fixture
def key():
    return SoftKey()


def test_add_rename_remove(app, client, auth, key):
    auth.register()
    added = add_passkey(client, key)
    assert added.status_code == 200 and added.json["redirect"] == "/account/security"
    page = client.get("/account/security").text
    assert 'value="Laptop"' in page and "Never" in page
    with app.app_context():
        row = db.session.scalar(select(Passkey))
        assert row.transports == "internal" and row.sign_count == 0
        passkey_id = row.id
    token = csrf_token(page)
    client.post(
        f"/account/security/passkeys/{passkey_id}/rename",
        data={"csrf_token": token, "name": "Desk"},
    )
    assert 'value="Desk"' in client.get("/account/security").text
    assert (
        client.post(
            f"/account/security/passkeys/{passkey_id + 9}/remove", data={"csrf_token": token}
        ).status_code
        == 404
    )
    client.post(f"/account/security/passkeys/{passkey_id}/remove", data={"csrf_token": token})
    assert "You have no passkeys yet." in client.get("/account/security").text
    activity = client.get("/account").text
    for label in ("Passkey added", "Passkey renamed", "Passkey removed"):
        assert label in activity


def test_sign_in_with_a_passkey_alone(app, client, auth, key):
    auth.register()
    add_passkey(client, key)
    browser, answer, _ = passkey_sign_in(app, key)
    assert answer.status_code == 200 and answer.json["redirect"] == "/account"
    assert browser.get_cookie("access_token") and browser.get_cookie("refresh_token")
    assert browser.get("/account").status_code == 200
    with app.app_context():
        row = db.session.scalar(select(Passkey))
        assert row.sign_count == 1 and row.last_used_at is not None
    assert '<dd class="method">Passkey</dd>' in browser.get("/account/sessions").text


def test_a_challenge_is_single_use(app, client, auth, key):
    auth.register()
    add_passkey(client, key)
    browser, answer, body = passkey_sign_in(app, key)
    assert answer.status_code == 200
    other = app.test_client()  # the very same signed answer, sent again
    replay = post_json(other, "/auth/passkey", body, token_of(other, "/auth/login"))
    assert replay.status_code == 400
    assert "expired" in replay.json["message"]
    assert other.get_cookie("access_token") is None


def test_a_challenge_expires_after_five_minutes(app, client, auth, key, clock):
    auth.register()
    add_passkey(client, key)
    browser = app.test_client()
    token = token_of(browser, "/auth/login")
    options = post_json(browser, "/auth/passkey/options", {}, token).json
    clock.advance(301)
    late = post_json(
        browser,
        "/auth/passkey",
        {"handle": options["handle"], "credential": key.get(options["publicKey"])},
        token,
    )
    assert late.status_code == 400 and browser.get_cookie("access_token") is None


def test_a_cloned_key_whose_counter_does_not_grow_is_refused(app, client, auth, key):
    auth.register()
    add_passkey(client, key)
    assert passkey_sign_in(app, key)[1].status_code == 200
    _, cloned, _ = passkey_sign_in(app, key, count_up=False)
    assert cloned.status_code == 400


def test_sign_in_without_user_verification_is_refused(app, client, auth, key):
    auth.register()
    add_passkey(client, key)
    _, answer, _ = passkey_sign_in(app, key, flags=UP)
    assert answer.status_code == 400


def test_another_origin_is_refused(app, client, auth, key):
    auth.register()
    add_passkey(client, key)
    _, answer, _ = passkey_sign_in(app, key, origin="http://evil.example")
    assert answer.status_code == 400


def test_an_unknown_passkey_is_refused(app, client, auth, key):
    auth.register()
    add_passkey(client, key)
    _, answer, _ = passkey_sign_in(app, SoftKey())
    assert answer.status_code == 400
    assert "not registered" in answer.json["message"]


def test_backup_flags_are_stored(app, client, auth, key):
    auth.register()
    add_passkey(client, key, flags=UP | UV | BE | BS)
    with app.app_context():
        row = db.session.scalar(select(Passkey))
        assert row.backup_eligible and row.backed_up


def test_a_registration_step_belongs_to_its_account(app, client, auth, key):
    auth.register()
    token = token_of(client)
    options = post_json(client, "/account/security/passkeys/options", {}, token).json
    other = app.test_client()
    from tests.helpers import AuthActions

    AuthActions(other).register("other@example.com")
    stolen = post_json(
        other,
        "/account/security/passkeys",
        {"handle": options["handle"], "credential": key.create(options["publicKey"])},
        token_of(other),
    )
    assert stolen.status_code == 400
    assert "You have no passkeys yet." in other.get("/account/security").text


def test_a_password_sign_in_then_needs_the_passkey(app, client, auth, key):
    auth.register()
    add_passkey(client, key)
    auth.logout()
    response = auth.login()
    assert response.headers["Location"].endswith("/auth/login/verify")
    assert auth.tokens() == (None, None)
    page = client.get("/auth/login/verify")
    assert "Use a passkey" in page.text
    token = csrf_token(page.text)
    options = post_json(client, "/auth/login/verify/passkey/options", {}, token).json
    allowed = [c["id"] for c in options["publicKey"]["allowCredentials"]]
    assert allowed == [b64url(key.credential_id)]
    # Without user verification a passkey still serves as the second factor.
    done = post_json(
        client,
        "/auth/login/verify/passkey",
        {"handle": options["handle"], "credential": key.get(options["publicKey"], flags=UP)},
        token,
    )
    assert done.status_code == 200 and done.json["redirect"] == "/account"
    assert auth.tokens()[0]
    assert "Password + passkey" in client.get("/account/sessions").text


def test_malformed_answers_are_400_not_500(app, client, auth, key):
    auth.register()
    token = token_of(client)
    for body in (
        {},
        {"handle": 5},
        {"handle": "x" * 500, "credential": "nope"},
        {"credential": []},
    ):
        assert post_json(client, "/account/security/passkeys", body, token).status_code == 400
        assert post_json(app.test_client(), "/auth/passkey", body, token).status_code in (400, 302)
    login = app.test_client()
    login_token = token_of(login, "/auth/login")
    options = post_json(login, "/auth/passkey/options", {}, login_token).json
    broken = {
        "id": "abc",
        "rawId": "abc",
        "type": "public-key",
        "response": {"clientDataJSON": "!!"},
    }
    answer = post_json(
        login, "/auth/passkey", {"handle": options["handle"], "credential": broken}, login_token
    )
    assert answer.status_code == 400


def test_password_is_never_needed_for_a_passkey_sign_in(app, client, auth, key):
    auth.register(password=PASSWORD)
    add_passkey(client, key)
    _, answer, _ = passkey_sign_in(app, key)
    assert answer.status_code == 200
