"""Helpers of the hostile-input tests: an app with one real signed-in person, and how to send
a token the way each target (access cookie, refresh cookie, Bearer header) carries it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import jwt
from hypothesis.configuration import set_hypothesis_home_dir

from tests.helpers import AuthActions, FakeClock, base_config, parse_set_cookies

# Hypothesis keeps caches on disk; they belong in the temp folder, not in the working tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "gatehouse-hypothesis")

VICTIM_EMAIL = "victim@example.com"
TARGETS = ("access_cookie", "refresh_cookie", "bearer")


def build_app(tmp_path_factory, **overrides):
    from app import create_app

    clock = FakeClock()
    return create_app(base_config(tmp_path_factory.mktemp("app"), clock, **overrides))


def sign_up(app, email: str = VICTIM_EMAIL) -> tuple[AuthActions, dict]:
    """Register ``email`` with a fresh client; return it and the access token's claims."""
    actions = AuthActions(app.test_client())
    assert actions.register(email=email).status_code == 302
    access, _refresh = actions.tokens()
    return actions, jwt.decode(access, options={"verify_signature": False})


def typ_for(target: str) -> str:
    return "refresh" if target == "refresh_cookie" else "access"


def send(app, target: str, token: str, path: str = "/account", accept: str = "text/html"):
    """One request carrying ``token`` in exactly one place, as a raw header.

    The client keeps no cookie jar: a test client with a jar replaces the Cookie header.
    """
    config = app.config
    headers = {"Accept": accept}
    if target == "bearer":
        headers["Authorization"] = "Bearer " + token
    else:
        name = config["ACCESS_COOKIE_NAME" if target == "access_cookie" else "REFRESH_COOKIE_NAME"]
        headers["Cookie"] = f"{name}={token}"
    return app.test_client(use_cookies=False).get(path, headers=headers)


def issued_token_cookies(app, response) -> list[str]:
    names = (app.config["ACCESS_COOKIE_NAME"], app.config["REFRESH_COOKIE_NAME"])
    return [
        c.name for c in parse_set_cookies(response).values() if c.name in names and not c.expired
    ]


def assert_not_signed_in(app, response, email: str, *, json: bool = False) -> None:
    """The anonymous answer: no 5xx, no email, no fresh token cookie."""
    assert response.status_code < 500, response.status_code
    assert email not in response.get_data(as_text=True)
    assert not issued_token_cookies(app, response)
    if json:
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    else:
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/auth/login"


def assert_signed_in(response, email: str) -> None:
    assert response.status_code == 200 and email in response.get_data(as_text=True)
