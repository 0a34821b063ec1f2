"""The leak check itself: it sees what a careless change would show, wherever it shows it.

Every test in the suite runs under the ``no_leaks`` fixture of ``tests/conftest.py``. These
tests plant a leak on purpose and read the verdict themselves (``LEAK_GUARD.take()`` hands
the capture over, so the fixture has nothing left to complain about).
"""

from __future__ import annotations

import logging

import pytest
from flask import Response, request

from tests.helpers import PASSWORD, csrf_token
from tests.leak_guard import LEAK_GUARD


@pytest.fixture
def leaky_app(app):
    """The real app plus routes that make each mistake once."""

    @app.get("/_echo_cookie")
    def echo_cookie():
        return Response(request.cookies.get("access_token", ""))

    @app.get("/_header_echo")
    def header_echo():
        response = Response("ok")
        response.headers["X-Debug"] = request.cookies.get("refresh_token", "")
        return response

    @app.get("/_log_token")
    def log_token():
        logging.getLogger("some.library").debug("sending %s", request.cookies.get("access_token"))
        return "ok"

    @app.get("/_hash")
    def show_hash():
        from sqlalchemy import select

        from app.db.models import User
        from app.extensions import db

        return db.session.scalar(select(User.password_hash)) or ""

    return app


def _verdict() -> list[str]:
    return LEAK_GUARD.leaks(LEAK_GUARD.take())


@pytest.mark.parametrize(
    "path,expected",
    [
        ("/_echo_cookie", "a token in /_echo_cookie body"),
        ("/_header_echo", "a token in /_header_echo header X-Debug"),
        ("/_log_token", "a token in log some.library DEBUG"),
        ("/_hash", "a password hash in /_hash body"),
    ],
)
def test_the_check_catches_a_planted_leak(leaky_app, path, expected):
    client = leaky_app.test_client()  # a client made by the test itself is watched too
    page = client.get("/auth/register")
    client.post(
        "/auth/register",
        data={
            "csrf_token": csrf_token(page.text),
            "email": "p@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert _verdict() == []  # signing up leaks nothing: the tokens went out in Set-Cookie
    client.get(path)
    assert expected in _verdict()


def test_the_check_catches_a_password_in_a_log_line(app, client):
    page = client.get("/auth/login")
    client.post(
        "/auth/login",
        data={"csrf_token": csrf_token(page.text), "email": "p@example.com", "password": PASSWORD},
    )
    logging.getLogger("gatehouse.anything").info("login attempt with %s", PASSWORD)
    assert "a password in log gatehouse.anything INFO" in _verdict()


def test_the_check_catches_a_password_from_a_json_body(app):
    @app.post("/_json_echo")
    def json_echo():
        return {"you_sent": request.get_json()["password"]}

    app.extensions["csrf"]._exempt_views.add(f"{__name__}.json_echo")
    try:
        app.test_client().post("/_json_echo", json={"password": PASSWORD})
    finally:
        app.extensions["csrf"]._exempt_views.discard(f"{__name__}.json_echo")
    assert "a password in /_json_echo body" in _verdict()


def test_a_partial_token_counts_as_a_leak(app, client, auth):
    auth.register()
    access, _refresh = auth.tokens()
    LEAK_GUARD.take()
    logging.getLogger("gatehouse.x").warning(
        "bad token %s", "eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ." + access.rsplit(".", 1)[1]
    )
    assert _verdict() == ["a token in log gatehouse.x WARNING"]


def test_tokens_in_set_cookie_and_the_pages_of_a_whole_session_are_clean(client, auth, clock):
    """Sign up, refresh, fail a login, log out: the ordinary life of a person leaks nothing."""
    auth.register()
    clock.advance(3600)
    assert client.get("/account").status_code == 200  # refreshed
    auth.logout()
    auth.login(password="wrong-password-123")
    auth.login()
    assert LEAK_GUARD.issued  # tokens were collected from Set-Cookie
    assert _verdict() == []


@pytest.mark.no_leak_check(reason="shows that the marker switches the check off")
def test_the_marker_switches_the_check_off(leaky_app):
    """Leaks a hash on purpose; without the marker the fixture fails this test at teardown."""
    client = leaky_app.test_client()
    page = client.get("/auth/register")
    client.post(
        "/auth/register",
        data={
            "csrf_token": csrf_token(page.text),
            "email": "p@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    client.get("/_hash")
