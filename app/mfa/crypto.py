"""Encryption of authenticator-app keys at rest (Fernet: AES-128-CBC with HMAC-SHA256).

A MultiFernet over ``MFA_ENCRYPTION_KEYS``: the first key encrypts, all of them decrypt, so
a key can be rotated without losing any stored secret.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

EXTENSION_KEY = "gatehouse.mfa_crypto"


class SecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if isinstance(keys, str):
            keys = [keys]
        if not keys:
            raise RuntimeError("MFA_ENCRYPTION_KEYS must hold at least one key")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError):
            raise RuntimeError(
                "MFA_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes)"
            ) from None
        self.active_key = keys[0]

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, stored: str) -> str | None:
        """The secret, or None when no configured key opens it (a retired key)."""
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            return None

    def rotate(self, stored: str) -> str:
        """The same secret encrypted with the active key."""
        return self._fernet.rotate(stored.encode()).decode()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = SecretBox(app.config["MFA_ENCRYPTION_KEYS"])


def secret_box() -> SecretBox:
    return current_app.extensions[EXTENSION_KEY]
