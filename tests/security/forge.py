"""Hand-made JWTs: every byte of header, payload and signature under the test's control.

PyJWT refuses to build most of these (``alg: none`` with a signature, an HMAC keyed with a
PEM public key, duplicate JSON keys), so the pieces are encoded here directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(part: Any) -> str:
    """A dict is JSON-encoded; str and bytes are taken as the raw segment content."""
    if isinstance(part, bytes):
        return b64(part)
    if isinstance(part, str):
        return b64(part.encode())
    return b64(json.dumps(part, separators=(",", ":")).encode())


def hmac_signature(key: str | bytes, signing_input: str, digest=hashlib.sha256) -> str:
    key = key.encode() if isinstance(key, str) else key
    return b64(hmac.new(key, signing_input.encode(), digest).digest())


def forge(
    header: Any,
    payload: Any,
    key: str | bytes | None = None,
    *,
    digest=hashlib.sha256,
    signature: str | None = None,
) -> str:
    """``header.payload.signature``; an HMAC over the first two with ``key`` unless given."""
    signing_input = segment(header) + "." + segment(payload)
    if signature is None:
        signature = hmac_signature(key, signing_input, digest) if key is not None else ""
    return signing_input + "." + signature


@dataclass
class Victim:
    """A real signed-in person whose identity the forged tokens claim."""

    email: str
    sub: str
    sid: str
    now: int
    key: str  # the site's real HMAC signing key (kid k1)
    issuer: str = "gatehouse"

    def claims(self, typ: str, /, **changes: Any) -> dict[str, Any]:
        claims = {
            "email": self.email,
            "sub": self.sub,
            "sid": self.sid,
            "jti": secrets.token_urlsafe(8),
            "iat": self.now,
            "exp": self.now + 600,
            "iss": self.issuer,
            "typ": typ,
        }
        claims.update(changes)
        return claims

    def header(self, **changes: Any) -> dict[str, Any]:
        header = {"alg": "HS256", "typ": "JWT", "kid": "k1"}
        header.update(changes)
        return header

    def signed(self, typ: str, /, **changes: Any) -> str:
        """A well-formed token signed with the real key: accepted unless the site is told."""
        return forge(self.header(), self.claims(typ, **changes), self.key)


def without(claims: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k != name}


def raw_json(claims: dict[str, Any], duplicate: tuple[str, Any] | None = None) -> str:
    """JSON text of ``claims``; ``duplicate`` appends a second member with the same name."""
    text = json.dumps(claims, separators=(",", ":"))
    if duplicate is not None:
        name, value = duplicate
        text = text[:-1] + "," + json.dumps(name) + ":" + json.dumps(value) + "}"
    return text
