"""The keys that encrypt authenticator-app secrets at rest, kept in the instance key file.

``MFA_ENCRYPTION_KEYS`` is a list of Fernet keys, the first one active: it encrypts new
secrets, and every key in the list still decrypts. Rotation prepends a new key; retiring
re-encrypts the stored secrets with the active key and drops the rest (see docs).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet

from ..sessions.keys import KeyFileError, read_key_file, write_key_file

FILE_FIELD = "MFA_ENCRYPTION_KEYS"


def new_encryption_key() -> str:
    return Fernet.generate_key().decode()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time (several workers may start together on an older key file)."""
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_encryption_keys(path: Path) -> list[str]:
    """The file's encryption keys, adding a first one to a key file made before they existed."""
    from ..config import load_or_create_secrets  # the file is created with every secret in it

    stored = load_or_create_secrets(path).get(FILE_FIELD)
    if stored:
        return list(stored)
    with _locked(path):
        data = read_key_file(path)
        if not data.get(FILE_FIELD):
            data[FILE_FIELD] = [new_encryption_key()]
            write_key_file(path, data)
        return list(data[FILE_FIELD])


def rotate_encryption_key(path: Path) -> None:
    """Put a new active key in front; the older ones keep decrypting."""
    with _locked(path):
        data = read_key_file(path)
        data[FILE_FIELD] = [new_encryption_key(), *data.get(FILE_FIELD, [])]
        write_key_file(path, data)


def retire_old_encryption_keys(path: Path, active: str) -> int:
    """Keep only ``active`` (the secrets have been re-encrypted with it); returns how many went."""
    with _locked(path):
        data = read_key_file(path)
        stored = data.get(FILE_FIELD, [])
        if not stored or stored[0] != active:
            raise KeyFileError(f"the active encryption key in {path} is not the running one")
        data[FILE_FIELD] = [active]
        write_key_file(path, data)
        return len(stored) - 1
