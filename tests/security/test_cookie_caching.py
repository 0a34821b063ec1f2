"""Item: no response that sets a cookie may be cached (a shared cache would replay the
session cookie holding one visitor's CSRF secret, or their tokens, to the next visitor)."""

from __future__ import annotations

from tests.helpers import AuthActions, csrf_token
from tests.security.routes import get_routes


def _assert_no_store_when_cookie(response, what: str) -> None:
    if response.headers.getlist("Set-Cookie"):
        assert "no-store" in response.headers.get("Cache-Control", ""), what


def test_anonymous_login_and_sign_up_pages_set_the_csrf_cookie_uncached(client):
    for path in ("/auth/login", "/auth/register", "/auth/forgot"):
        response = client.application.test_client().get(path)
        assert response.headers.getlist("Set-Cookie"), f"{path} sets its CSRF session cookie"
        assert response.headers["Cache-Control"] == "no-store", path


def test_every_page_that_sets_a_cookie_is_no_store(app):
    anonymous = app.test_client()
    signed_in = AuthActions(app.test_client())
    assert signed_in.register().status_code == 302
    for path in get_routes(app):
        _assert_no_store_when_cookie(anonymous.get(path), f"anonymous GET {path}")
        _assert_no_store_when_cookie(signed_in._client.get(path), f"signed-in GET {path}")


def test_a_failed_form_post_that_sets_a_cookie_is_no_store(client):
    page = client.get("/auth/login")
    response = client.post(
        "/auth/login",
        data={"csrf_token": csrf_token(page.text), "email": "a@example.com", "password": "x"},
    )
    _assert_no_store_when_cookie(response, "login POST")
