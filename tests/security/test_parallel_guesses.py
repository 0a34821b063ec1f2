"""Item: simultaneous guesses must not get past the limit. An attempt is counted, atomically,
before its password is checked, so of 20 parallel guesses at most the limit are checked."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher

from tests.helpers import AuthActions, csrf_token

LIMIT = 5
GUESSES = 20
EMAIL = "person@example.com"


@pytest.fixture
def config_overrides():
    return {
        "RATELIMIT_ENABLED": True,
        "LOGIN_LIMIT_PER_EMAIL": f"{LIMIT} per 15 minutes",
        "LOGIN_LIMIT_PER_ADDRESS": "100 per 15 minutes",
        "PASSWORD_CHANGE_LIMIT": f"{LIMIT} per 15 minutes",
    }


@pytest.fixture
def checked(monkeypatch):
    """Counts password checks; each takes a while, so all the guesses are in flight at once."""
    calls: list[str] = []
    lock = threading.Lock()
    original = PasswordHasher.verify  # argon2-cffi: every password check ends here

    def slow_verify(self, password_hash, password):
        with lock:
            calls.append(password)
        time.sleep(0.3)
        return original(self, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", slow_verify)
    return calls


def _in_parallel(action) -> list[int]:
    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        return list(pool.map(lambda i: action(i), range(GUESSES)))


def _guess_on_the_form(app):
    """A fresh client per guess, its login page already loaded (CSRF token in hand)."""
    clients = []
    for _ in range(GUESSES):
        client = app.test_client()
        clients.append((client, csrf_token(client.get("/auth/login").text)))

    def guess(i: int) -> int:
        client, token = clients[i]
        data = {"csrf_token": token, "email": EMAIL, "password": f"wrong-guess-{i}"}
        return client.post("/auth/login", data=data).status_code

    return guess


def test_parallel_form_guesses_are_checked_at_most_limit_times(app, checked):
    assert AuthActions(app.test_client()).register(EMAIL).status_code == 302
    guess = _guess_on_the_form(app)
    checked.clear()
    statuses = _in_parallel(guess)
    assert 1 <= len([p for p in checked if p.startswith("wrong-guess-")]) <= LIMIT
    assert statuses.count(200) <= LIMIT and statuses.count(429) >= GUESSES - LIMIT


def test_parallel_api_guesses_are_checked_at_most_limit_times(app, checked):
    assert AuthActions(app.test_client()).register(EMAIL).status_code == 302
    checked.clear()

    def guess(i: int) -> int:
        body = {"email": EMAIL, "password": f"wrong-guess-{i}"}
        return app.test_client().post("/api/auth/token", json=body).status_code

    statuses = _in_parallel(guess)
    assert 1 <= len(checked) <= LIMIT
    assert statuses.count(401) <= LIMIT and statuses.count(429) >= GUESSES - LIMIT


def test_parallel_current_password_guesses_are_checked_at_most_limit_times(app, checked):
    owner = AuthActions(app.test_client())
    assert owner.register(EMAIL).status_code == 302
    page = owner._client.get("/account/password")
    token = csrf_token(page.text)
    checked.clear()

    def guess(i: int) -> int:
        data = {
            "csrf_token": token,
            "current_password": f"wrong-guess-{i}",
            "new_password": "a-brand-new-passphrase-42",
            "confirm": "a-brand-new-passphrase-42",
        }
        return owner._client.post("/account/password", data=data).status_code

    statuses = _in_parallel(guess)
    assert 1 <= len(checked) <= LIMIT
    assert statuses.count(429) >= GUESSES - LIMIT
