"""Password hashing with argon2id, including equal work for accounts that do not exist."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app


class Passwords:
    def __init__(self, *, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        # Checked against when the email is unknown, so both paths cost one argon2 run.
        self._dummy_hash = self._hasher.hash("not a real password, only here to take time")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


EXTENSION_KEY = "gatehouse.passwords"


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Passwords(
        time_cost=int(app.config["ARGON2_TIME_COST"]),
        memory_cost=int(app.config["ARGON2_MEMORY_COST"]),
        parallelism=int(app.config["ARGON2_PARALLELISM"]),
    )


def get_passwords() -> Passwords:
    return current_app.extensions[EXTENSION_KEY]
