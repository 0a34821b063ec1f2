"""The second step is throttled like the password: wrong codes per account, whichever
pending step or address they come from."""

from __future__ import annotations

import pytest

from tests.helpers import AuthActions
from tests.mfa.helpers import post_code, set_up_app, totp_code


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": True, "MFA_LIMIT_PER_ACCOUNT": "3 per 15 minutes"}


def test_wrong_codes_are_throttled_per_account(app, client, auth, clock):
    auth.register()
    secret, _ = set_up_app(client, clock)
    auth.logout()
    clock.advance(30)
    auth.login()
    for _attempt in range(3):
        assert post_code(client, "000000").status_code == 200
    assert post_code(client, totp_code(secret, clock.now)).status_code == 429
    # Another browser with the password gets a new pending step, but the same account budget.
    other = app.test_client()
    AuthActions(other).login()
    assert post_code(other, totp_code(secret, clock.now)).status_code == 429


def test_failures_are_in_the_activity_list(app, client, auth, clock):
    auth.register()
    secret, _ = set_up_app(client, clock)
    auth.logout()
    clock.advance(30)
    auth.login()
    post_code(client, "000000")
    assert post_code(client, totp_code(secret, clock.now)).status_code == 302
    assert "Wrong code at the second sign-in step" in client.get("/account").text
