"""A reset link proves the mailbox, not the second factor: after it, an account with an
authenticator app still passes the second step before anything is issued."""

from __future__ import annotations

import pytest

from tests.auth.test_password_reset import NEW_PASSWORD, ask_for_link, set_password
from tests.helpers import parse_set_cookies
from tests.mailbox import free_port, mail_config, smtpd  # noqa: F401
from tests.mfa.helpers import post_code, set_up_app, totp_code


@pytest.fixture
def config_overrides(smtpd):
    return mail_config(smtpd.port)


def test_a_reset_link_leads_to_the_second_step(app, client, auth, clock, smtpd):
    auth.register("person@example.com")
    secret, _ = set_up_app(client, clock)
    auth.logout()
    smtpd.inbox.messages.clear()
    ask_for_link(client)
    done = set_password(client, smtpd.inbox.last_link("person@example.com"))
    assert done.status_code == 302 and done.headers["Location"].endswith("/auth/login/verify")
    cookies = parse_set_cookies(done)
    assert "access_token" not in cookies or cookies["access_token"].expired
    assert auth.tokens() == (None, None)
    clock.advance(30)
    assert post_code(client, totp_code(secret, clock.now)).status_code == 302
    assert client.get("/account").status_code == 200
    auth.logout()
    assert auth.login(password=NEW_PASSWORD).headers["Location"].endswith("/auth/login/verify")
