"""Failed logins are throttled per address and per email; a 429 page says when to retry."""

from __future__ import annotations

import pytest

from tests.helpers import AuthActions


@pytest.fixture
def config_overrides():
    return {
        "RATELIMIT_ENABLED": True,
        "LOGIN_LIMIT_PER_EMAIL": "3 per 15 minutes",
        "LOGIN_LIMIT_PER_KNOWN_BROWSER": "3 per 15 minutes",
        "LOGIN_LIMIT_PER_ADDRESS": "6 per 15 minutes",
    }


def test_failed_logins_per_email_end_in_429_with_retry_after(client, auth):
    auth.register("person@example.com")
    auth.logout()
    for _ in range(3):
        assert auth.login(password="wrong-password-x").status_code == 200
    blocked = auth.login(password="wrong-password-x")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many attempts" in blocked.text
    # Another account from the same address is still allowed (per-email key).
    assert auth.login("other@example.com", "wrong-password-x").status_code == 200


def test_successful_logins_do_not_count(client, auth):
    auth.register("person@example.com")
    for _ in range(5):
        auth.logout()
        assert auth.login().status_code == 302


def test_per_address_limit_covers_many_emails(client, auth):
    for i in range(6):
        assert auth.login(f"user{i}@example.com", "wrong-password-x").status_code == 200
    assert auth.login("user9@example.com", "wrong-password-x").status_code == 429


def test_throttling_can_be_switched_off(tmp_path, clock):
    from app import create_app
    from tests.helpers import base_config

    app = create_app(
        base_config(
            tmp_path, clock, RATELIMIT_ENABLED=False, LOGIN_LIMIT_PER_EMAIL="1 per 15 minutes"
        )
    )
    actions = AuthActions(app.test_client())
    for _ in range(4):
        assert actions.login(password="wrong-password-x").status_code == 200


class LimiterClock:
    """Stands in for the ``time`` module inside the limits memory storage and Flask-Limiter."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def limiter_clock(monkeypatch):
    fake = LimiterClock()
    monkeypatch.setattr("limits.storage.memory.time", fake)
    monkeypatch.setattr("flask_limiter._extension.time", fake)
    return fake


def test_the_limit_expires_so_the_owner_is_never_locked_out(client, auth, limiter_clock):
    auth.register("person@example.com")
    auth.logout()
    for _ in range(3):
        auth.login(password="wrong-password-x")
    blocked = auth.login()
    assert blocked.status_code == 429  # even the right password waits
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    limiter_clock.now += 14 * 60
    assert auth.login().status_code == 429
    limiter_clock.now += 61  # the 15-minute window is over
    assert auth.login().status_code == 302


class TestRegisterPerAddress:
    @pytest.fixture
    def config_overrides(self):
        return {"RATELIMIT_ENABLED": True, "REGISTER_LIMIT_PER_ADDRESS": "2 per hour"}

    def test_sign_ups_from_one_address_are_limited(self, app, limiter_clock):
        for i in range(2):
            assert AuthActions(app.test_client()).register(f"u{i}@example.com").status_code == 302
        blocked = AuthActions(app.test_client()).register("u9@example.com")
        assert blocked.status_code == 429 and "Retry-After" in blocked.headers
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "198.51.100.5"
        assert AuthActions(other).register("u9@example.com").status_code == 302
        limiter_clock.now += 3601
        assert AuthActions(app.test_client()).register("u10@example.com").status_code == 302
