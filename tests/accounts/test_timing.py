"""No account probing by timing: a login for an unknown email does the same argon2 work."""

from __future__ import annotations

import statistics
import time

import pytest

from app.accounts.passwords import Passwords

TRIES = 20


@pytest.fixture
def config_overrides():
    # Real, non-trivial argon2id cost (OWASP's minimum: 19 MiB, 2 passes), so hashing dominates
    # the request time and a missing dummy hash would show; cheaper than the 64 MiB default.
    return {"ARGON2_TIME_COST": 2, "ARGON2_MEMORY_COST": 19_456, "ARGON2_PARALLELISM": 1}


def test_unknown_and_known_email_take_about_as_long(client, auth):
    auth.register("person@example.com")
    auth.logout()
    known, unknown = [], []
    for i in range(TRIES):  # interleaved, so a busy machine slows both alike
        for email, times in (("person@example.com", known), (f"nobody{i}@example.com", unknown)):
            start = time.perf_counter()
            response = auth.login(email, "wrong-password-x")
            times.append(time.perf_counter() - start)
            assert response.status_code == 200
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2, f"median unknown/known = {ratio:.2f}"


def test_an_unknown_email_is_checked_against_a_real_hash(monkeypatch):
    passwords = Passwords(time_cost=1, memory_cost=8, parallelism=1)
    checked = []

    class Spy:
        def __init__(self, inner):
            self.inner = inner

        def verify(self, password_hash, password):
            checked.append(password_hash)
            return self.inner.verify(password_hash, password)

    monkeypatch.setattr(passwords, "_hasher", Spy(passwords._hasher))
    assert passwords.verify(None, "anything") is False
    assert len(checked) == 1 and checked[0].startswith("$argon2id$")
