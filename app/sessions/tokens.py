"""Issue and verify the access and refresh JWTs.

Pure functions: every input (key ring, issuer, clock reading) is an argument, so nothing
here needs a Flask app or a request. The algorithm comes from the key ring, never from the
token's header, and a key is found only by ``kid`` in the configured ring.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

REQUIRED_CLAIMS = ("sub", "sid", "jti", "iat", "exp", "iss", "typ")
ALLOWED_HEADERS = frozenset({"alg", "typ", "kid"})
ASYMMETRIC_PREFIXES = ("RS", "PS", "ES", "Ed")
MAX_USER_ID_DIGITS = 19  # a signed 64-bit integer
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class TokenType(str, Enum):
    ACCESS = "access"
    REFRESH = "refresh"


class TokenStatus(Enum):
    VALID = "valid"
    EXPIRED = "expired"  # signature and claims check out; only the clock says no
    INVALID = "invalid"  # anything else: treated as if no token had been sent


@dataclass(frozen=True)
class Verified:
    status: TokenStatus
    claims: Mapping[str, Any] | None = None

    @property
    def valid(self) -> bool:
        return self.status is TokenStatus.VALID

    @property
    def authentic(self) -> bool:
        """We signed it (valid or merely expired)."""
        return self.status is not TokenStatus.INVALID


INVALID = Verified(TokenStatus.INVALID)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    signing: Any
    verifying: Any


@dataclass(frozen=True)
class KeyRing:
    """The active signing key plus older keys that still verify."""

    algorithm: str
    active_kid: str
    keys: Mapping[str, SigningKey]

    @property
    def active(self) -> SigningKey:
        return self.keys[self.active_kid]

    @classmethod
    def from_config(cls, keys: Mapping[str, str], active_kid: str, algorithm: str) -> KeyRing:
        return cls(
            algorithm=algorithm,
            active_kid=active_kid,
            keys={kid: _load_key(kid, material, algorithm) for kid, material in keys.items()},
        )


def _load_key(kid: str, material: str, algorithm: str) -> SigningKey:
    if not algorithm.startswith(ASYMMETRIC_PREFIXES):
        return SigningKey(kid, material, material)
    pem = material.encode()
    if b"PRIVATE KEY" in pem:
        private = serialization.load_pem_private_key(pem, password=None)
        return SigningKey(kid, private, private.public_key())
    # A public key alone verifies tokens signed elsewhere but cannot sign.
    return SigningKey(kid, None, serialization.load_pem_public_key(pem))


def hash_token(token: str) -> str:
    """SHA-256 hex digest: what the database keeps instead of a refresh token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    *,
    keyring: KeyRing,
    typ: TokenType,
    sub: str,
    sid: str,
    issuer: str,
    now: int,
    ttl: int,
    not_after: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Sign a token of type ``typ``; its ``exp`` never passes ``not_after``."""
    exp = now + ttl if not_after is None else min(now + ttl, not_after)
    claims: dict[str, Any] = dict(extra or {})
    claims.update(
        sub=sub,
        sid=sid,
        jti=secrets.token_urlsafe(16),
        iat=now,
        exp=exp,
        iss=issuer,
        typ=typ.value,
    )
    key = keyring.active
    token = jwt.encode(claims, key.signing, algorithm=keyring.algorithm, headers={"kid": key.kid})
    return token, claims


def verify_token(
    token: str, *, keyring: KeyRing, typ: TokenType, issuer: str, now: float, leeway: int = 0
) -> Verified:
    """Check signature, header, claims and type; say whether the token is valid or expired."""
    header = _unverified_header(token)
    if header is None or not header.keys() <= ALLOWED_HEADERS:
        return INVALID
    if header.get("alg") != keyring.algorithm:
        return INVALID
    kid = header.get("kid")
    key = keyring.keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        return INVALID
    try:
        claims = jwt.decode(
            token,
            key.verifying,
            algorithms=[keyring.algorithm],
            issuer=issuer,
            options={
                "require": list(REQUIRED_CLAIMS),
                "verify_exp": False,  # judged below against the caller's clock
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
            },
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return INVALID
    if not _claims_well_formed(claims) or claims["typ"] != typ.value:
        return INVALID
    if claims["iat"] > now + leeway or claims.get("nbf", claims["iat"]) > now + leeway:
        return INVALID
    if claims["exp"] + leeway <= now:
        return Verified(TokenStatus.EXPIRED, claims)
    return Verified(TokenStatus.VALID, claims)


def _unverified_header(token: Any) -> dict[str, Any] | None:
    """The header, read only to pick the key; ``jwt.decode`` then checks the whole token.

    Strict like PyJWT (URL-safe alphabet only, no padding, a JSON object) but without its
    per-character Python loop, which made every verification decode the header twice.
    """
    if not isinstance(token, str):
        return None
    head, dot, _ = token.partition(".")
    if not dot or len(head) % 4 == 1 or not _BASE64URL.fullmatch(head):
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, RecursionError):  # bad base64, UTF-8 or JSON; absurdly nested JSON
        return None
    return header if isinstance(header, dict) else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_user_id(value: str) -> bool:
    """``sub`` is a user id: ASCII digits that ``int()`` turns into a database key."""
    return value.isascii() and value.isdigit() and len(value) <= MAX_USER_ID_DIGITS


def _claims_well_formed(claims: Mapping[str, Any]) -> bool:
    return (
        all(
            isinstance(claims[name], str) and claims[name] for name in ("sub", "sid", "jti", "typ")
        )
        and _is_user_id(claims["sub"])
        and _is_int(claims["iat"])
        and _is_int(claims["exp"])
        and ("nbf" not in claims or _is_int(claims["nbf"]))
    )


class VerifiedTokenCache:
    """Remembers the claims of tokens that passed full verification, keyed by the whole token.

    A hit skips the signature check, never the expiry check. It is safe because the key is
    the exact signed string: changing one byte of header, payload or signature misses the
    cache and goes through ``verify_token``. Only VALID results are stored, the entries are
    bounded in number, and the cache lives and dies with the key ring of one process.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._entries: dict[str, Verified] = {}
        self._lock = threading.Lock()

    def verify(
        self,
        token: str,
        *,
        keyring: KeyRing,
        typ: TokenType,
        issuer: str,
        now: float,
        leeway: int = 0,
    ) -> Verified:
        known = self._entries.get(token)
        claims = known.claims if known is not None else None
        if known is not None and claims is not None and claims["typ"] == typ.value:
            if claims["exp"] + leeway > now:
                return known  # the stored VALID result (Verified is immutable)
            return Verified(TokenStatus.EXPIRED, claims)
        result = verify_token(
            token, keyring=keyring, typ=typ, issuer=issuer, now=now, leeway=leeway
        )
        if result.valid and self._maxsize > 0:
            self._remember(token, result)
        return result

    def remember_issued(self, token: str, claims: Mapping[str, Any]) -> None:
        """Store a token this process has just signed, with the claims it signed.

        Verifying it would only re-derive what we already know: the signature is ours and
        the claims are these (well-formed by construction). The expiry is still checked at
        every hit, so the stored VALID result never outlives the token.
        """
        if self._maxsize > 0:
            self._remember(token, Verified(TokenStatus.VALID, dict(claims)))

    def _remember(self, token: str, result: Verified) -> None:
        with self._lock:
            if len(self._entries) >= self._maxsize:
                self._entries.pop(next(iter(self._entries)))  # oldest first
            self._entries[token] = result

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
