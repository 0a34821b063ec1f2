"""Configuration order, generated secrets and refusal of weak keys."""

from __future__ import annotations

import json
import os
import stat

import pytest

from app import create_app
from app.config import load_or_create_secrets, normalize_database_uri
from tests.helpers import base_config


def test_config_order_env_beats_defaults_and_test_config_beats_env(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("FLASK_ACCESS_TOKEN_TTL", "20")
    monkeypatch.setenv("FLASK_REFRESH_REUSE_GRACE", "3")
    app = create_app(base_config(tmp_path, clock, REFRESH_REUSE_GRACE=4))
    assert app.config["ACCESS_TOKEN_TTL"] == 20
    assert app.config["REFRESH_REUSE_GRACE"] == 4
    assert app.config["REFRESH_TOKEN_TTL"] == 1_209_600


def test_database_url_selects_the_database(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite3'}")
    config = base_config(tmp_path, clock)
    del config["SQLALCHEMY_DATABASE_URI"]
    app = create_app(config)
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.sqlite3")


def test_postgres_urls_use_psycopg3():
    assert normalize_database_uri("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_uri("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_secrets_are_generated_once_with_mode_0600(tmp_path):
    path = tmp_path / "secrets.json"
    first = load_or_create_secrets(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_secrets(path) == first
    key = first["JWT_KEYS"][first["JWT_ACTIVE_KID"]]
    assert len(key) >= 43 and key != first["SECRET_KEY"]


def test_missing_secrets_come_from_the_instance_folder(tmp_path, clock, monkeypatch):
    config = base_config(tmp_path, clock)
    del config["SECRET_KEY"], config["JWT_KEYS"], config["JWT_ACTIVE_KID"]
    monkeypatch.setattr("app.config.SECRETS_FILE", str(tmp_path / "secrets.json"))
    one = create_app(config)
    two = create_app(config)
    assert one.config["JWT_KEYS"] == two.config["JWT_KEYS"]
    assert one.config["SECRET_KEY"] == two.config["SECRET_KEY"]
    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert stored["JWT_KEYS"] == one.config["JWT_KEYS"]


@pytest.mark.parametrize("keys", [{"k": "short"}, {"k": "test-secret-key-not-for-production"}])
def test_weak_or_reused_signing_keys_refuse_to_start(tmp_path, clock, keys):
    with pytest.raises(RuntimeError):
        create_app(base_config(tmp_path, clock, JWT_KEYS=keys, JWT_ACTIVE_KID="k"))


def test_secure_cookies_get_the_host_prefix(tmp_path, clock):
    app = create_app(base_config(tmp_path, clock, COOKIE_SECURE=True))
    assert app.config["ACCESS_COOKIE_NAME"] == "__Host-access_token"
    assert app.config["REFRESH_COOKIE_NAME"] == "__Host-refresh_token"


def test_secure_cookie_attributes(tmp_path, clock):
    app = create_app(base_config(tmp_path, clock, COOKIE_SECURE=True))
    from tests.helpers import AuthActions, parse_set_cookies

    client = app.test_client()
    response = AuthActions(client).register()
    for name in ("__Host-access_token", "__Host-refresh_token", "__Host-session"):
        attrs = parse_set_cookies(response)[name].attrs
        assert attrs.get("secure") is True and attrs["path"] == "/" and "domain" not in attrs


def test_init_db_is_idempotent(runner, app):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0 and "ready" in result.output
