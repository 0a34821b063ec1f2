"""Signing keys: rotation through the CLI, removal, asymmetric algorithms, keys from the env."""

from __future__ import annotations

import json
import os
import stat

import jwt
import pytest

from app import create_app
from app.sessions.keys import new_signing_key
from tests.helpers import AuthActions, base_config, request_with

EMAIL = "keys@example.com"


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    """Keys live in a key file of this test's own (as in a fresh instance folder)."""
    path = tmp_path / "secrets.json"
    monkeypatch.setattr("app.config.SECRETS_FILE", str(path))
    return path


def file_config(tmp_path, clock, **overrides) -> dict:
    config = base_config(tmp_path, clock, **overrides)
    del config["JWT_KEYS"], config["JWT_ACTIVE_KID"]
    return config


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def signed_in(app, path="/account", **tokens) -> bool:
    response = request_with(app.test_client(), path, **tokens)
    return response.status_code == 200 and EMAIL in response.text


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def test_rotation_keeps_old_tokens_valid_and_removal_ends_them(tmp_path, clock, key_file):
    config = file_config(tmp_path, clock)
    first = create_app(config)
    auth = AuthActions(first.test_client())
    auth.register(EMAIL)
    old_access, old_refresh = auth.tokens()
    old_kid = kid_of(old_access)

    result = run(first, "rotate-key")
    assert result.exit_code == 0, result.output
    stored = json.loads(key_file.read_text())
    new_kid = stored["JWT_ACTIVE_KID"]
    assert new_kid != old_kid and set(stored["JWT_KEYS"]) == {old_kid, new_kid}
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secrets-")] == []

    second = create_app(config)  # the restarted app
    assert signed_in(second, access=old_access)
    fresh = AuthActions(second.test_client())
    fresh.login(EMAIL)
    new_access, new_refresh = fresh.tokens()
    assert kid_of(new_access) == new_kid and kid_of(new_refresh) == new_kid
    # An old refresh token still buys an access token, now signed with the new key.
    response = request_with(second.test_client(), refresh=old_refresh)
    assert response.status_code == 200 and EMAIL in response.text

    result = run(second, "remove-key", old_kid)
    assert result.exit_code == 0, result.output
    third = create_app(config)
    assert not signed_in(third, access=old_access)
    assert signed_in(third, access=new_access)
    assert list(json.loads(key_file.read_text())["JWT_KEYS"]) == [new_kid]


def test_a_staged_key_verifies_before_it_signs(tmp_path, clock, key_file):
    config = file_config(tmp_path, clock)
    app = create_app(config)
    result = run(app, "rotate-key", "--no-activate")
    assert result.exit_code == 0 and "verification only" in result.output
    stored = json.loads(key_file.read_text())
    staged = next(kid for kid in stored["JWT_KEYS"] if kid != stored["JWT_ACTIVE_KID"])
    result = run(create_app(config), "activate-key", staged)
    assert result.exit_code == 0, result.output
    auth = AuthActions(create_app(config).test_client())
    auth.register(EMAIL)
    assert kid_of(auth.tokens()[0]) == staged


def test_the_active_key_cannot_be_removed(tmp_path, clock, key_file):
    app = create_app(file_config(tmp_path, clock))
    active = app.config["JWT_ACTIVE_KID"]
    result = run(app, "remove-key", active)
    assert result.exit_code == 1 and "active key" in result.output
    assert run(app, "remove-key", "nope").exit_code == 1
    assert active in json.loads(key_file.read_text())["JWT_KEYS"]


def test_keys_from_the_configuration_are_not_rotated_in_the_file(app):
    result = run(app, "rotate-key")
    assert result.exit_code == 1 and "JWT_KEYS" in result.output


def test_keys_from_the_environment_as_json(tmp_path, clock, monkeypatch, key_file):
    secret = new_signing_key("HS256")
    monkeypatch.setenv("FLASK_JWT_KEYS", json.dumps({"env1": secret}))
    monkeypatch.setenv("FLASK_JWT_ACTIVE_KID", "env1")
    app = create_app(file_config(tmp_path, clock))
    assert app.config["JWT_KEYS"] == {"env1": secret}
    auth = AuthActions(app.test_client())
    auth.register(EMAIL)
    assert kid_of(auth.tokens()[0]) == "env1"
    assert not key_file.exists() or "env1" not in key_file.read_text()


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA"])
def test_asymmetric_keys_end_to_end(tmp_path, clock, key_file, algorithm):
    config = file_config(tmp_path, clock, JWT_ALGORITHM=algorithm)
    app = create_app(config)
    pem = next(iter(json.loads(key_file.read_text())["JWT_KEYS"].values()))
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    auth = AuthActions(app.test_client())
    assert auth.register(EMAIL).status_code == 302
    access, refresh = auth.tokens()
    assert jwt.get_unverified_header(access)["alg"] == algorithm
    assert signed_in(app, access=access)
    assert request_with(app.test_client(), refresh=refresh).status_code == 200
    assert run(app, "rotate-key").exit_code == 0
    rotated = create_app(config)
    assert signed_in(rotated, access=access)
    again = AuthActions(rotated.test_client())
    again.login(EMAIL)
    assert kid_of(again.tokens()[0]) == rotated.config["JWT_ACTIVE_KID"] != kid_of(access)
    assert signed_in(rotated, access=again.tokens()[0])


def test_a_key_of_the_wrong_kind_refuses_to_start(tmp_path, clock):
    config = base_config(
        tmp_path,
        clock,
        JWT_ALGORITHM="ES256",
        JWT_KEYS={"ed": new_signing_key("EdDSA")},
        JWT_ACTIVE_KID="ed",
    )
    with pytest.raises(RuntimeError, match="not a PEM key for ES256"):
        create_app(config)
