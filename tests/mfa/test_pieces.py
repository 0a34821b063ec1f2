"""Unit tests of the pieces: TOTP steps, recovery codes, the key box and its rotation,
single-use steps, and the key file."""

from __future__ import annotations

import json

import pyotp
import pytest
from cryptography.fernet import Fernet

from app import create_app
from app.extensions import db
from app.mfa import recovery, totp
from app.mfa.challenges import Purpose, open_step, peek_step, take_step
from app.mfa.crypto import SecretBox
from app.mfa.keys import ensure_encryption_keys
from tests.helpers import base_config

NOW = 1_800_000_000.0


def test_a_code_matches_its_own_step_and_the_neighbours_only():
    secret = totp.new_secret()
    step = int(NOW // 30)
    code = pyotp.TOTP(secret).at(NOW)
    assert totp.matching_step(secret, code, NOW, 0) == step
    assert totp.matching_step(secret, code, NOW + 30, 0) == step  # the next step still takes it
    assert totp.matching_step(secret, code, NOW + 90, 0) is None
    assert totp.matching_step(secret, code, NOW, step) is None  # used: never again
    assert totp.matching_step(secret, " ".join(code), NOW, 0) == step
    for junk in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        assert totp.matching_step(secret, junk, NOW, 0) is None


def test_the_key_is_shown_in_groups_and_the_qr_code_is_inline_svg():
    secret = totp.new_secret()
    assert len(secret) == 32
    assert totp.grouped(secret).replace(" ", "") == secret
    svg = str(totp.qr_svg(totp.provisioning_uri(secret, "a@example.com", "Gatehouse"), "QR"))
    assert svg.startswith("<svg") and "<title>QR</title>" in svg
    assert "style=" not in svg and "<script" not in svg  # the CSP allows neither inline


def test_recovery_codes_are_ten_distinct_80_bit_codes():
    codes = recovery.new_codes()
    assert len(set(codes)) == 10
    for code in codes:
        assert recovery.looks_like_recovery_code(code)
        assert recovery.looks_like_recovery_code(code.upper().replace("-", " "))
        assert recovery.hash_code(code) == recovery.hash_code(code.upper())
    assert len(recovery.ALPHABET) == 32 and recovery.LENGTH * 5 == 80


def test_the_box_decrypts_with_every_key_and_rotates_to_the_first():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = SecretBox([old]).encrypt("JBSWY3DPEHPK3PXP")
    both = SecretBox([new, old])
    assert both.decrypt(stored) == "JBSWY3DPEHPK3PXP"
    rotated = both.rotate(stored)
    assert SecretBox([new]).decrypt(rotated) == "JBSWY3DPEHPK3PXP"
    assert SecretBox([new]).decrypt(stored) is None
    with pytest.raises(RuntimeError):
        SecretBox(["not a key"])


def test_a_key_file_from_before_gets_an_encryption_key_once(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"SECRET_KEY": "s", "JWT_KEYS": {"a": "b"}, "JWT_ACTIVE_KID": "a"}))
    first = ensure_encryption_keys(path)
    assert len(first) == 1 and ensure_encryption_keys(path) == first
    data = json.loads(path.read_text())
    assert data["JWT_KEYS"] == {"a": "b"} and data["MFA_ENCRYPTION_KEYS"] == first
    assert (path.stat().st_mode & 0o777) == 0o600


def test_steps_are_single_use_and_expire(app, clock):
    with app.test_request_context():
        handle = open_step(Purpose.SECOND_STEP, user_id=None, context="/account")
        assert peek_step(handle, Purpose.PASSKEY_SIGN_IN) is None  # another purpose
        assert peek_step(handle, Purpose.SECOND_STEP).context == "/account"
        assert take_step(handle, Purpose.SECOND_STEP) is not None
        assert take_step(handle, Purpose.SECOND_STEP) is None
        late = open_step(Purpose.SECOND_STEP)
        clock.advance(301)
        assert take_step(late, Purpose.SECOND_STEP) is None
        for junk in (None, "", "x" * 200):
            assert peek_step(junk, Purpose.SECOND_STEP) is None


def test_rotate_and_retire_through_the_cli(tmp_path, clock, client, auth, monkeypatch):
    """The CLI re-encrypts the stored keys and leaves only the new key in the file."""
    from tests.mfa.helpers import set_up_app

    auth.register()
    secret, _ = set_up_app(client, clock)
    app = client.application
    path = tmp_path / "instance-secrets.json"
    path.write_text(json.dumps({"MFA_ENCRYPTION_KEYS": app.config["MFA_ENCRYPTION_KEYS"]}))
    monkeypatch.setattr("app.mfa.cli.secrets_path", lambda _app: path)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["mfa-key", "rotate"]).exit_code == 0
    keys = json.loads(path.read_text())["MFA_ENCRYPTION_KEYS"]
    assert len(keys) == 2
    restarted = create_app(
        base_config(
            tmp_path,
            clock,
            MFA_ENCRYPTION_KEYS=keys,
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        )
    )
    result = restarted.test_cli_runner().invoke(args=["mfa-key", "retire"])
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["MFA_ENCRYPTION_KEYS"] == [keys[0]]
    with restarted.app_context():
        from app.mfa.flows import _confirmed_totp

        row = _confirmed_totp(1)
        assert SecretBox([keys[0]]).decrypt(row.secret_encrypted) == secret
        db.session.remove()
        db.engine.dispose()
