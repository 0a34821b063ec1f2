"""Security headers on every response; no-store wherever account data or tokens travel."""

from __future__ import annotations

import re

import pytest

from app.web.headers import CONTENT_SECURITY_POLICY
from tests.helpers import csrf_token, request_with

PATHS = ["/", "/auth/login", "/auth/register", "/healthz", "/no-such-page", "/static/style.css"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_headers(client, path):
    response = client.get(path)
    response.close()
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    for directive in (
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # COOKIE_SECURE is off here


def test_hsts_when_cookies_are_secure(tmp_path, clock):
    from app import create_app
    from tests.helpers import base_config

    app = create_app(base_config(tmp_path, clock, COOKIE_SECURE=True))
    response = app.test_client().get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


SCRIPT_TAG = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL)


def test_pages_have_no_inline_script_or_style(client, auth):
    auth.register()
    for path in ("/", "/account", "/account/sessions", "/account/password"):
        html = client.get(path).text
        scripts = SCRIPT_TAG.findall(html)
        assert scripts == [""], "one external script, nothing inline"
        assert '<script src="/static/app.js" defer></script>' in html
        assert "style=" not in html and "onclick" not in html and " on" + "load=" not in html


def test_anonymous_public_pages_may_be_cached_static_files_too(client):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    with client.get("/static/style.css") as response:
        assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    "path", ["/", "/account", "/account/sessions", "/account/password", "/no-such-page"]
)
def test_signed_in_pages_are_no_store(client, auth, path):
    auth.register()
    access, refresh = auth.tokens()
    response = request_with(client, path, access=access, refresh=refresh)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path,status", [("/no-such-page", 404), ("/auth/logout", 405)])
def test_error_pages_are_no_store(client, path, status):
    response = client.get(path)
    assert response.status_code == status and response.headers["Cache-Control"] == "no-store"


def test_csrf_failure_and_server_error_are_no_store(app, client):
    assert client.post("/auth/login").headers["Cache-Control"] == "no-store"

    def explode():
        raise ValueError("boom")

    app.view_functions["main.index"] = explode
    response = client.get("/")
    assert response.status_code == 500 and response.headers["Cache-Control"] == "no-store"


def test_every_response_that_sets_a_token_cookie_is_no_store(client, auth):
    assert auth.register().headers["Cache-Control"] == "no-store"  # sign-in
    _, refresh = auth.tokens()
    refreshed = request_with(client, "/", refresh=refresh)  # silent refresh
    assert "access_token=" in refreshed.headers["Set-Cookie"]
    assert refreshed.headers["Cache-Control"] == "no-store"
    expired = request_with(client, "/", refresh="garbage")  # cookies expired
    assert expired.headers["Cache-Control"] == "no-store"
    page = client.get("/")
    logout = client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})
    assert logout.headers["Cache-Control"] == "no-store"
