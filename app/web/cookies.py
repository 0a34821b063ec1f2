"""The token cookies: every attribute is decided here, and one ``after_request`` writes them.

The ``before_request`` hook and the views only record what the response must say about the
tokens (``token_cookies().issue(grant)`` or ``.expire()``); the last word wins, cookie by
cookie. ``write_token_cookies`` then sets or expires the cookies once and marks such a
response ``Cache-Control: no-store``, as Flask's own session interface writes its cookie in
one place. A request authenticated by an ``Authorization`` header, and every ``/api/`` path,
never gets token cookies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g

from ..sessions.store import Grant

EXTENSION_KEY = "gatehouse.cookies"


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


@dataclass
class TokenCookies:
    """What this response must say about the token cookies, cookie by cookie.

    A value is ``(token, max_age)`` to set, or None to expire; a name that is absent is left
    as the browser has it. ``enabled`` is False for header-authenticated and API requests.
    """

    policy: CookiePolicy
    enabled: bool = True
    values: dict[str, tuple[str, int | None] | None] = field(default_factory=dict)

    def issue(self, grant: Grant, now: float, *, access: bool = True) -> None:
        """The grant's tokens: persistent up to the session's end with "remember me",
        browser-session cookies without. ``access=False`` leaves the access cookie alone."""
        if not self.enabled:
            return
        max_age = max(0, int(grant.session_expires_at - now)) if grant.persistent else None
        if access:
            self.values[self.policy.access_name] = (grant.access_token, max_age)
        if grant.refresh_token:
            self.values[self.policy.refresh_name] = (grant.refresh_token, max_age)

    def expire(self, *, access: bool = True, refresh: bool = True) -> None:
        if not self.enabled:
            return
        if access:
            self.values[self.policy.access_name] = None
        if refresh:
            self.values[self.policy.refresh_name] = None

    def write(self, response: Response) -> None:
        if not self.values:
            return
        for name, value in self.values.items():
            if value is None:
                self.policy.expire(response, name)
            else:
                self.policy.set(response, name, *value)
        response.headers["Cache-Control"] = "no-store"


def cookie_policy() -> CookiePolicy:
    return current_app.extensions[EXTENSION_KEY]


def token_cookies() -> TokenCookies:
    """This request's record (enabled unless the hook says otherwise)."""
    found = g.get("token_cookies")
    if found is None:
        found = g.token_cookies = TokenCookies(cookie_policy())
    return found


def write_token_cookies(response: Response) -> Response:
    """The one writer of the token cookies (an ``after_request`` function)."""
    found = g.get("token_cookies")
    if found is not None:
        found.write(response)
    return response


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = CookiePolicy.from_config(app.config)
    app.after_request(write_token_cookies)
