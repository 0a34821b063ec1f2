"""The token settings of one app, read from config once at start-up.

Everything the four-case check needs per request hangs off this one object, so the hot path
reads no config and builds no key objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from .tokens import KeyRing, TokenType, Verified, VerifiedTokenCache, issue_token

EXTENSION_KEY = "gatehouse.authority"


@dataclass
class Authority:
    keyring: KeyRing
    issuer: str
    access_ttl: int
    refresh_ttl: int
    session_max_age: int
    session_max_age_short: int
    reuse_grace: int
    rotation: bool
    leeway: int
    clock: Callable[[], float] = time.time
    cache: VerifiedTokenCache = field(default_factory=lambda: VerifiedTokenCache(4096))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Authority:
        """The settings, or RuntimeError when they cannot work together."""
        if int(config["REFRESH_REUSE_GRACE"]) >= int(config["ACCESS_TOKEN_TTL"]):
            raise RuntimeError(
                "REFRESH_REUSE_GRACE must be shorter than ACCESS_TOKEN_TTL: a previous refresh "
                "token may only come back as a parallel request, never once the access token "
                "it bought has run out"
            )
        return cls(
            keyring=KeyRing.from_config(
                config["JWT_KEYS"], config["JWT_ACTIVE_KID"], config["JWT_ALGORITHM"]
            ),
            issuer=config["JWT_ISSUER"],
            access_ttl=int(config["ACCESS_TOKEN_TTL"]),
            refresh_ttl=int(config["REFRESH_TOKEN_TTL"]),
            session_max_age=int(config["SESSION_MAX_AGE"]),
            session_max_age_short=min(
                int(config["SESSION_MAX_AGE_SHORT"]), int(config["SESSION_MAX_AGE"])
            ),
            reuse_grace=int(config["REFRESH_REUSE_GRACE"]),
            rotation=bool(config["REFRESH_TOKEN_ROTATION"]),
            leeway=int(config["JWT_LEEWAY"]),
            clock=config.get("CLOCK") or time.time,
            cache=VerifiedTokenCache(int(config["VERIFIED_TOKEN_CACHE_SIZE"])),
        )

    def now(self) -> float:
        return self.clock()

    def verify(self, token: str, typ: TokenType, now: float) -> Verified:
        return self.cache.verify(
            token, keyring=self.keyring, typ=typ, issuer=self.issuer, now=now, leeway=self.leeway
        )

    def mint(
        self,
        typ: TokenType,
        *,
        user_id: int,
        session_id: str,
        now: float,
        not_after: int,
        extra: Mapping[str, Any] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Sign a token; it goes straight into the verified-token cache, so the browser's next
        request with it (on this process) costs no signature check."""
        ttl = self.access_ttl if typ is TokenType.ACCESS else self.refresh_ttl
        token, claims = issue_token(
            keyring=self.keyring,
            typ=typ,
            sub=str(user_id),
            sid=session_id,
            issuer=self.issuer,
            now=int(now),
            ttl=ttl,
            not_after=not_after,
            extra=extra,
        )
        self.cache.remember_issued(token, claims)
        return token, claims


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Authority.from_config(app.config)


def get_authority() -> Authority:
    return current_app.extensions[EXTENSION_KEY]
