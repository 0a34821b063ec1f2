"""The authenticator app from set-up to sign-in, with pyotp computing the codes."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.mfa.models import TotpAuthenticator
from tests.helpers import csrf_token
from tests.mfa.helpers import KEY_RE, post_code, set_up_app, start_set_up, totp_code


def test_set_up_then_sign_in_with_a_code(app, client, auth, clock):
    auth.register()
    secret, codes = set_up_app(client, clock)
    security = client.get("/account/security")
    assert "10 recovery codes left." in security.text
    auth.logout()

    clock.advance(30)
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login/verify")
    assert auth.tokens() == (None, None)  # nothing issued before the second step

    page = client.get("/auth/login/verify")
    assert "6-digit code" in page.text
    response = post_code(client, totp_code(secret, clock.now))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    access, refresh = auth.tokens()
    assert access and refresh
    assert client.get("/account").status_code == 200


def test_a_code_is_accepted_once_within_its_window(app, client, auth, clock):
    auth.register()
    secret, _codes = set_up_app(client, clock)
    auth.logout()
    clock.advance(30)
    code = totp_code(secret, clock.now)
    auth.login()
    assert post_code(client, code).status_code == 302
    auth.logout()

    clock.advance(5)  # the same 30-second step: the same code
    assert totp_code(secret, clock.now) == code
    auth.login()
    again = post_code(client, code)
    assert again.status_code == 200
    assert "not right, or it was used already" in again.text
    assert auth.tokens() == (None, None)
    # The one before it is refused too; the next step's code works.
    assert post_code(client, totp_code(secret, clock.now - 30)).status_code == 200
    clock.advance(30)
    assert post_code(client, totp_code(secret, clock.now)).status_code == 302


def test_the_set_up_code_cannot_sign_in_again(app, client, auth, clock):
    auth.register()
    page = start_set_up(client)
    secret = KEY_RE.search(page.text).group(1).replace(" ", "")
    code = totp_code(secret, clock.now)
    client.post("/account/security/app", data={"csrf_token": csrf_token(page.text), "code": code})
    auth.logout()
    auth.login()
    assert post_code(client, code).status_code == 200


def test_a_wrong_first_code_leaves_the_app_off(app, client, auth, clock):
    auth.register()
    page = start_set_up(client)
    response = client.post(
        "/account/security/app", data={"csrf_token": csrf_token(page.text), "code": "000000"}
    )
    assert response.status_code == 200
    assert "That code is not right" in response.text
    assert client.get("/account/security").text.count("Set up the authenticator app") >= 1
    auth.logout()
    assert auth.login().headers["Location"].endswith("/account")  # no second step


def test_the_key_is_stored_encrypted(app, client, auth, clock):
    auth.register()
    secret, _ = set_up_app(client, clock)
    with app.app_context():
        stored = db.session.scalar(select(TotpAuthenticator.secret_encrypted))
    assert secret not in stored
    assert stored.startswith("gAAAA")  # a Fernet token


def test_the_pending_step_expires_after_five_minutes(app, client, auth, clock):
    auth.register()
    secret, _ = set_up_app(client, clock)
    auth.logout()
    auth.login()
    token = csrf_token(client.get("/auth/login/verify").text)
    clock.advance(301)
    response = client.post(
        "/auth/login/verify", data={"csrf_token": token, "code": totp_code(secret, clock.now)}
    )
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert "verify" not in response.headers["Location"]
    assert auth.tokens() == (None, None)


def test_turning_the_app_off_removes_the_second_step(app, client, auth, clock):
    auth.register()
    set_up_app(client, clock)
    page = client.get("/account/security")
    response = client.post("/account/security/app/off", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    security = client.get("/account/security").text
    assert "Set up the authenticator app" in security
    activity = client.get("/account").text
    assert "Authenticator app turned on" in activity
    assert "Authenticator app turned off" in activity
    assert "New recovery codes generated" in activity
    auth.logout()
    assert auth.login().headers["Location"].endswith("/account")


def test_a_reload_shows_the_same_key_and_a_new_set_up_replaces_it(app, client, auth, clock):
    auth.register()
    first = KEY_RE.search(start_set_up(client).text).group(1)
    assert KEY_RE.search(client.get("/account/security/app").text).group(1) == first
    assert KEY_RE.search(start_set_up(client).text).group(1) != first


def test_the_set_up_page_without_a_waiting_key_goes_back(client, auth):
    auth.register()
    response = client.get("/account/security/app")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/account/security"
    )
