"""Every attribute of the token cookies is decided here and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response


@dataclass(frozen=True)
class CookiePolicy:
    access_name: str
    refresh_name: str
    secure: bool
    samesite: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CookiePolicy:
        return cls(
            access_name=config["ACCESS_COOKIE_NAME"],
            refresh_name=config["REFRESH_COOKIE_NAME"],
            secure=bool(config["COOKIE_SECURE"]),
            samesite=config["COOKIE_SAMESITE"],
        )

    def set(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        """Set a token cookie: persistent with ``max_age``, a browser-session cookie without."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite=self.samesite,
        )

    def expire(self, response: Response, name: str) -> None:
        response.delete_cookie(
            name, path="/", secure=self.secure, httponly=True, samesite=self.samesite
        )
