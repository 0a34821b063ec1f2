"""Signing keys: make a new key for the configured algorithm, and keep the instance key file.

The key file (``instance/secrets.json``) maps key ids to keys, names the active one, and is
only ever replaced whole: a new version is written to a temporary file (mode 0600) beside it
and renamed over it, so a reader never sees half a file and the mode never widens.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

HMAC_KEY_BYTES = 32  # 256 random bits
RSA_KEY_BITS = 3072
EC_CURVES: dict[str, Any] = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}


class KeyFileError(Exception):
    """The key file cannot be changed as asked; the message says why."""


def new_kid() -> str:
    return secrets.token_hex(4)


def new_signing_key(algorithm: str) -> str:
    """A fresh key for ``algorithm``: an HMAC secret, or an unencrypted PKCS#8 PEM private key."""
    if algorithm.startswith("HS"):
        return secrets.token_urlsafe(HMAC_KEY_BYTES)
    if algorithm in EC_CURVES:
        private: Any = ec.generate_private_key(EC_CURVES[algorithm]())
    elif algorithm == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    elif algorithm.startswith(("RS", "PS")):
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    else:
        raise KeyFileError(f"no key can be generated for JWT_ALGORITHM {algorithm!r}")
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def read_key_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise KeyFileError(f"{path} does not exist") from None
    except ValueError:
        raise KeyFileError(f"{path} is not valid JSON") from None
    if not isinstance(data, dict):
        raise KeyFileError(f"{path} does not hold a JSON object")
    return data


def write_key_file(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` atomically with ``data``; the file is readable by its owner only."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secrets-", suffix=".tmp")  # 0600
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def add_key(path: Path, algorithm: str, *, activate: bool = True) -> str:
    """Add a new key to the file (the others keep verifying); returns its id."""
    data = read_key_file(path)
    keys = data.setdefault("JWT_KEYS", {})
    kid = new_kid()
    while kid in keys:
        kid = new_kid()
    keys[kid] = new_signing_key(algorithm)
    if activate:
        data["JWT_ACTIVE_KID"] = kid
    write_key_file(path, data)
    return kid


def activate_key(path: Path, kid: str) -> None:
    data = read_key_file(path)
    if kid not in data.get("JWT_KEYS", {}):
        raise KeyFileError(f"there is no key {kid!r}")
    data["JWT_ACTIVE_KID"] = kid
    write_key_file(path, data)


def remove_key(path: Path, kid: str) -> None:
    """Drop a key: tokens signed with it stop verifying once the app restarts."""
    data = read_key_file(path)
    keys = data.get("JWT_KEYS", {})
    if kid not in keys:
        raise KeyFileError(f"there is no key {kid!r}")
    if kid == data.get("JWT_ACTIVE_KID"):
        raise KeyFileError(f"{kid!r} is the active key; rotate to a new key first")
    del keys[kid]
    write_key_file(path, data)
