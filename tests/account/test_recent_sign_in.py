"""The account's life asks for a recent sign-in: a stale one is sent to /auth/reauth (pages)
or gets the RFC 9470 challenge (API), and nothing is changed, downloaded or deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.db.models import User
from app.extensions import db
from tests.helpers import PASSWORD, csrf_token

EMAIL = "person@example.com"
STALE = 601  # RECENT_AUTH_MAX_AGE is 600
PAGES = ("/account/email", "/account/delete", "/account/export")


def users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _bearer(app) -> dict:
    answer = app.test_client().post("/api/auth/token", json={"email": EMAIL, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def _assert_challenge(response):
    assert response.status_code == 401
    assert response.json["error"] == "insufficient_user_authentication"
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_user_authentication"' in challenge
    assert 'max_age="600"' in challenge


@pytest.mark.parametrize("path", PAGES)
def test_a_fresh_sign_in_opens_the_page(client, auth, path):
    auth.register(EMAIL)
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_a_stale_sign_in_is_sent_to_reauth_from_the_page(client, auth, clock, path):
    auth.register(EMAIL)
    clock.advance(STALE)
    response = client.get(path)
    assert response.status_code == 302
    assert f"/auth/reauth?next={path}" in response.headers["Location"]


def test_stale_posts_change_nothing_and_go_to_reauth(app, client, auth, clock):
    auth.register(EMAIL)
    token = csrf_token(client.get("/account").text)
    clock.advance(STALE)
    posts = {
        "/account/email": {"email": "new@example.org"},
        "/account/delete": {"confirm": EMAIL},
        "/account/export": {},
    }
    for path, data in posts.items():
        response = client.post(
            path,
            data={"csrf_token": token, **data},
            headers={"Referer": f"http://localhost{path}"},
        )
        assert response.status_code == 302, path
        assert f"/auth/reauth?next={path}" in response.headers["Location"], path
        assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert users(app) == 1
    with app.app_context():
        assert db.session.scalar(select(User.email)) == EMAIL


def test_after_reauth_the_account_can_be_deleted(app, client, auth, clock):
    auth.register(EMAIL)
    clock.advance(STALE)
    page = client.get(client.get("/account/delete").headers["Location"])
    done = client.post(
        "/auth/reauth",
        data={
            "csrf_token": csrf_token(page.text),
            "password": PASSWORD,
            "next": "/account/delete",
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/account/delete")
    form = client.get("/account/delete")
    assert form.status_code == 200
    deleted = client.post(
        "/account/delete", data={"csrf_token": csrf_token(form.text), "confirm": EMAIL}
    )
    assert deleted.status_code == 302
    assert users(app) == 0


def test_the_api_challenges_a_stale_token_and_keeps_the_account(app, auth, clock):
    auth.register(EMAIL)
    headers = _bearer(app)
    clock.advance(STALE)  # the access token is still valid (15 minutes), the sign-in is not
    assert app.test_client().get("/api/me", headers=headers).status_code == 200
    _assert_challenge(app.test_client().get("/api/me/export", headers=headers))
    _assert_challenge(app.test_client().delete("/api/me", headers=headers))
    assert users(app) == 1


def test_the_api_serves_a_fresh_token(app, auth):
    auth.register(EMAIL)
    headers = _bearer(app)
    exported = app.test_client().get("/api/me/export", headers=headers)
    assert exported.status_code == 200 and exported.json["account"]["email"] == EMAIL
    assert app.test_client().delete("/api/me", headers=headers).status_code == 204
    assert users(app) == 0
