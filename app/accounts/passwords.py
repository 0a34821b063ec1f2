"""Password hashing with argon2id, including equal work for accounts that do not exist.

Passwords are Unicode NFKC-normalised before hashing and before checking (NIST SP 800-63B),
so ``é`` typed as one code point or as ``e`` plus a combining accent is the same password.
Hashes made before that, from the raw characters, keep working: a password that differs
from its NFKC form is also tried raw, and a match that way asks for a re-hash (upgraded at
the next sign-in, like a hash made with older argon2 parameters).
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app

from .policy import normalize_password


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rehash: bool  # the hash should be replaced by one of the normalised password


class Passwords:
    def __init__(self, *, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        # Checked against when the email is unknown, so both paths cost the same argon2 runs.
        self._dummy_hash = self._hasher.hash("not a real password, only here to take time")

    def hash(self, password: str) -> str:
        return self._hasher.hash(normalize_password(password))

    def check(self, password_hash: str | None, password: str) -> Verdict:
        """Whether ``password`` matches, in its NFKC form or (for older hashes) as typed."""
        target = password_hash or self._dummy_hash
        normalized = normalize_password(password)
        if self._matches(target, normalized):
            return Verdict(ok=bool(password_hash), rehash=self.needs_rehash(target))
        if normalized != password and self._matches(target, password):
            return Verdict(ok=bool(password_hash), rehash=True)
        return Verdict(ok=False, rehash=False)

    def verify(self, password_hash: str | None, password: str) -> bool:
        return self.check(password_hash, password).ok

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def _matches(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


EXTENSION_KEY = "gatehouse.passwords"


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Passwords(
        time_cost=int(app.config["ARGON2_TIME_COST"]),
        memory_cost=int(app.config["ARGON2_MEMORY_COST"]),
        parallelism=int(app.config["ARGON2_PARALLELISM"]),
    )


def get_passwords() -> Passwords:
    return current_app.extensions[EXTENSION_KEY]
