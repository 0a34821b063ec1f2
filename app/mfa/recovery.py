"""Recovery codes: ten single-use codes, shown once, stored only as SHA-256 hashes.

Each code carries 80 random bits (16 characters of a 32-letter alphabet without look-alike
letters), so its hash cannot be reversed by trying codes, and no slow hash is needed.
"""

from __future__ import annotations

import hashlib
import secrets

COUNT = 10
LENGTH = 16
ALPHABET = "abcdefghjkmnpqrstuvwxyz023456789"  # 32 symbols: no i, l, o or 1


def new_codes() -> list[str]:
    return [
        "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(LENGTH // 4))
        for _ in range(COUNT)
    ]


def normalize(code: str) -> str:
    """What the person typed, without spaces, dashes or capitals."""
    return "".join(ch for ch in code.lower() if ch not in " -\t")


def looks_like_recovery_code(code: str) -> bool:
    value = normalize(code)
    return len(value) == LENGTH and all(ch in ALPHABET for ch in value)


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()
