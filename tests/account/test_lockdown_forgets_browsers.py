""" "This wasn't me" forgets the known browsers for the sign-in throttle too: the throttle's
per-browser budget and the new-browser mail read one cookie, which carries the account's
known-browser epoch, so a browser that signed in before the lockdown (an intruder's) is one
more unknown client afterwards, locked out with the strangers."""

from __future__ import annotations

import pytest

from tests.account.life import link, links, post_form
from tests.helpers import AuthActions
from tests.mailbox import mail_config, smtpd  # noqa: F401

EMAIL = "person@example.com"
LIMIT = 3


@pytest.fixture
def config_overrides(smtpd):
    return {
        **mail_config(smtpd.port),
        "RATELIMIT_ENABLED": True,
        "LOGIN_LIMIT_PER_EMAIL": f"{LIMIT} per 15 minutes",
        "LOGIN_LIMIT_PER_KNOWN_BROWSER": f"{LIMIT} per 15 minutes",
    }


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _lock_out(app) -> None:
    for n in range(LIMIT):
        assert AuthActions(_client(app, f"192.0.2.{n}")).login(EMAIL, "wrong-x").status_code == 200


def _signed_in_elsewhere(app, smtpd):
    home = _client(app, "198.51.100.7")
    AuthActions(home).register(EMAIL)
    intruder = _client(app, "203.0.113.9")
    assert AuthActions(intruder).login(EMAIL).status_code == 302
    AuthActions(intruder).logout()
    notice = [m for m in smtpd.inbox.to(EMAIL) if links(m, "lockdown")][-1]
    return home, intruder, link(notice, "lockdown")


def test_before_the_lockdown_the_browser_has_its_own_budget(app, smtpd):
    _home, intruder, _lockdown = _signed_in_elsewhere(app, smtpd)
    _lock_out(app)
    assert AuthActions(intruder).login(EMAIL, "wrong-x").status_code == 200  # its own budget


def test_after_the_lockdown_the_browser_shares_the_strangers_budget(app, smtpd):
    home, intruder, lockdown = _signed_in_elsewhere(app, smtpd)
    assert post_form(home, lockdown).status_code == 200
    _lock_out(app)
    assert AuthActions(intruder).login(EMAIL, "wrong-x").status_code == 429
