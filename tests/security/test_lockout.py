"""Item: strangers must not lock the owner out. Five wrong passwords from anywhere used to
keep the owner's right password answering 429; a browser that signed in to the account
before now has a budget of its own (a signed known-browser cookie), and only unknown
clients share the per-account lockout."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, AuthActions

EMAIL = "owner@example.com"
LIMIT = 5


@pytest.fixture
def config_overrides():
    return {
        "RATELIMIT_ENABLED": True,
        "LOGIN_LIMIT_PER_EMAIL": f"{LIMIT} per 15 minutes",
        "LOGIN_LIMIT_PER_KNOWN_BROWSER": f"{LIMIT} per 15 minutes",
    }


def _stranger(app, n: int) -> AuthActions:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n}"  # each guess from another address
    return AuthActions(client)


@pytest.fixture
def owner(app) -> AuthActions:
    """The owner, signed up (so this browser is known to the account), then signed out."""
    actions = AuthActions(app.test_client())
    assert actions.register(EMAIL).status_code == 302
    assert actions.logout().status_code == 302
    return actions


def _lock_out(app) -> None:
    for n in range(LIMIT + 2):
        response = _stranger(app, n).login(EMAIL, "wrong-password-x")
        assert response.status_code in (200, 429)


def test_the_owners_known_browser_signs_in_while_strangers_are_locked_out(app, owner):
    _lock_out(app)
    assert _stranger(app, 99).login(EMAIL, PASSWORD).status_code == 429  # unknown: shared
    assert owner.login(EMAIL, PASSWORD).status_code == 302  # known: its own budget


def test_the_api_shares_the_lockout_of_unknown_clients(app, owner):
    _lock_out(app)
    body = {"email": EMAIL, "password": PASSWORD}
    assert app.test_client().post("/api/auth/token", json=body).status_code == 429
    assert owner.login(EMAIL, PASSWORD).status_code == 302


def test_a_known_browser_guessing_wrong_exhausts_only_its_own_budget(app, owner):
    for _ in range(LIMIT):
        assert owner.login(EMAIL, "wrong-password-x").status_code == 200
    assert owner.login(EMAIL, PASSWORD).status_code == 429
    assert _stranger(app, 7).login(EMAIL, PASSWORD).status_code == 302


def test_a_forged_or_foreign_known_browser_cookie_counts_as_unknown(app, owner):
    name = "known_browser"  # COOKIE_SECURE is off in tests: no __Host- prefix
    real = owner._client.get_cookie(name)
    assert real is not None and real.http_only
    _lock_out(app)
    forged = _stranger(app, 50)
    forged._client.set_cookie(name, real.value[:-2] + "xx")  # signature broken
    assert forged.login(EMAIL, PASSWORD).status_code == 429
    other = AuthActions(app.test_client())
    assert other.register("other@example.com").status_code == 302
    other.logout()
    other._client.environ_base["REMOTE_ADDR"] = "203.0.113.51"
    assert other.login(EMAIL, PASSWORD).status_code == 429  # known, but to another account
