"""Security events: a row per event a person may care about, one log line each, no secrets."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.db.models import SecurityEvent
from app.extensions import db
from tests.helpers import PASSWORD, parse_set_cookies, request_with


@pytest.fixture
def config_overrides():
    return {"ACCESS_TOKEN_TTL": 60, "REFRESH_REUSE_GRACE": 1}


def kinds(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)))


def test_register_login_failure_logout_are_recorded(app, auth):
    auth.register()
    auth.logout()
    auth.login(password="wrong-password-x")
    auth.login()
    assert kinds(app) == ["register", "logout", "login_failed", "login"]


def test_refresh_is_logged_but_not_stored_and_reuse_is_both(app, client, clock, auth, caplog):
    auth.register()
    access, refresh = auth.tokens()
    caplog.set_level(logging.DEBUG, logger="gatehouse.events")
    second = parse_set_cookies(request_with(client, refresh=refresh))["refresh_token"].value
    clock.advance(5)
    request_with(client, refresh=second)  # the owner moves on: the first is two back now
    request_with(client, refresh=refresh)
    assert kinds(app) == ["register", "refresh_token_reuse"]
    lines = [r.getMessage() for r in caplog.records]
    levels = {r.getMessage().split()[1]: r.levelno for r in caplog.records}
    assert levels["event=refresh"] == logging.DEBUG  # the bulk of the log stays out of INFO
    assert levels["event=refresh_token_reuse"] == logging.WARNING
    for line in lines:
        assert refresh not in line and access not in line and PASSWORD not in line


def test_unknown_email_failure_is_logged_without_a_row(app, auth, caplog):
    caplog.set_level(logging.INFO, logger="gatehouse.events")
    auth.login("nobody@example.com", "wrong-password-x")
    assert kinds(app) == []
    assert "event=login_failed user=-" in caplog.text
