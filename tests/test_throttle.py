"""Failed logins are throttled per address and per email; a 429 page says when to retry."""
from __future__ import annotations

import pytest

from .conftest import AuthActions


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT_PER_EMAIL": "3 per 15 minutes",
            "LOGIN_LIMIT_PER_ADDRESS": "6 per 15 minutes"}


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
    from .conftest import base_config
    app = create_app(base_config(tmp_path, clock, RATELIMIT_ENABLED=False,
                                 LOGIN_LIMIT_PER_EMAIL="1 per 15 minutes"))
    actions = AuthActions(app.test_client())
    for _ in range(4):
        assert actions.login(password="wrong-password-x").status_code == 200
