"""Production guards: insecure cookies need an explicit opt-in, proxies are trusted only by config."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.db.models import LoginSession
from app.extensions import db
from tests.helpers import AuthActions, base_config

CLIENT_ADDRESS = "203.0.113.7"


def test_insecure_cookies_without_debug_refuse_to_start(tmp_path, clock):
    config = base_config(tmp_path, clock, COOKIE_SECURE=False, ALLOW_INSECURE_COOKIES=False)
    with pytest.raises(RuntimeError, match="ALLOW_INSECURE_COOKIES=true"):
        create_app(config)


def test_insecure_cookies_are_refused_when_set_from_the_environment(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("FLASK_COOKIE_SECURE", "false")
    config = base_config(tmp_path, clock)
    del config["COOKIE_SECURE"], config["ALLOW_INSECURE_COOKIES"]
    with pytest.raises(RuntimeError, match="COOKIE_SECURE is false"):
        create_app(config)
    monkeypatch.setenv("FLASK_ALLOW_INSECURE_COOKIES", "true")
    assert create_app(config).config["COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    "overrides", [{"DEBUG": True}, {"ALLOW_INSECURE_COOKIES": True}, {"COOKIE_SECURE": True}]
)
def test_debug_or_the_opt_in_or_secure_cookies_start(tmp_path, clock, overrides):
    config = base_config(tmp_path, clock, ALLOW_INSECURE_COOKIES=False, COOKIE_SECURE=False)
    config.update(overrides)
    assert create_app(config).name == "app"


def session_address(app) -> str:
    with app.app_context():
        return db.session.scalar(select(LoginSession.ip))


def sign_up_through_proxy(app) -> None:
    client = app.test_client()
    client.environ_base.update(
        REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{CLIENT_ADDRESS}, 10.0.0.9"
    )
    assert AuthActions(client).register().status_code == 302


def test_forwarded_for_is_ignored_by_default(tmp_path, clock):
    app = create_app(base_config(tmp_path, clock))
    sign_up_through_proxy(app)
    assert session_address(app) == "10.0.0.2"


def test_forwarded_for_is_honoured_for_the_configured_number_of_proxies(tmp_path, clock):
    app = create_app(base_config(tmp_path, clock, PROXY_FIX_X_FOR=1))
    sign_up_through_proxy(app)
    assert session_address(app) == "10.0.0.9"  # one proxy trusted: the last hop it saw


def test_two_trusted_proxies_reach_the_client(tmp_path, clock):
    app = create_app(base_config(tmp_path, clock, PROXY_FIX_X_FOR=2))
    sign_up_through_proxy(app)
    assert session_address(app) == CLIENT_ADDRESS
