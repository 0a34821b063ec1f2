"""Known browsers: a signed cookie naming the accounts that signed in from this browser.

The OWASP "device cookie" pattern against lockout: the per-account limit on failed logins
applies to unknown clients only, and a browser the account has signed in from before gets a
budget of its own. Strangers guessing an account's password then lock out each other, never
the owner's own browser.

The cookie (``known_browser``; ``__Host-known_browser`` when ``COOKIE_SECURE``) holds a random
browser id and the ids of the accounts that signed in from it (at most
``KNOWN_BROWSER_MAX_ACCOUNTS``, newest kept), signed with ``SECRET_KEY`` and dated: a copy
older than ``KNOWN_BROWSER_TTL`` seconds, or forged, or altered, is simply not known. It is
``HttpOnly``, ``SameSite`` like the token cookies, and proves nothing by itself: it only
chooses which throttling budget an attempt is counted in.

Public API: ``is_known(user_id)``, ``remember(response, user_id)``, ``budget_key(user_id)``.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

SALT = "gatehouse.known-browser"
BROWSER_ID_BYTES = 16
MAX_COOKIE_LENGTH = 1024  # a real cookie is a few hundred characters
CACHE_KEY = "_gatehouse_known_browser"


def cookie_name() -> str:
    prefix = "__Host-" if current_app.config["COOKIE_SECURE"] else ""
    return prefix + "known_browser"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _presented() -> dict[str, Any] | None:
    """This request's valid cookie as ``{"b": browser id, "u": [user ids]}``, or None."""
    if CACHE_KEY in g:
        return g.get(CACHE_KEY)
    found = None
    raw = request.cookies.get(cookie_name())
    if raw and len(raw) <= MAX_COOKIE_LENGTH:
        try:
            data = _serializer().loads(raw, max_age=int(current_app.config["KNOWN_BROWSER_TTL"]))
        except BadSignature:
            data = None
        if (
            isinstance(data, dict)
            and isinstance(data.get("b"), str)
            and isinstance(data.get("u"), list)
            and all(isinstance(uid, int) for uid in data["u"])
        ):
            found = data
    setattr(g, CACHE_KEY, found)
    return found


def is_known(user_id: int | None) -> bool:
    """Whether this browser has signed in to account ``user_id`` before (and kept the proof)."""
    data = _presented()
    return user_id is not None and data is not None and user_id in data["u"]


def budget_key(user_id: int | None) -> str | None:
    """A fixed-size throttling key for this browser and account; None for an unknown one."""
    if not is_known(user_id):
        return None
    data = _presented()
    assert data is not None
    digest = hashlib.sha256(f"{data['b']}:{user_id}".encode()).hexdigest()[:32]
    return "browser:" + digest


def remember(response: Response, user_id: int) -> None:
    """Mark this browser as known to ``user_id`` (after a successful sign-in), on ``response``."""
    config = current_app.config
    data = _presented() or {"b": secrets.token_urlsafe(BROWSER_ID_BYTES), "u": []}
    accounts = [uid for uid in data["u"] if uid != user_id] + [user_id]
    accounts = accounts[-int(config["KNOWN_BROWSER_MAX_ACCOUNTS"]) :]
    value = _serializer().dumps({"b": data["b"], "u": accounts})
    response.set_cookie(
        cookie_name(),
        value,
        max_age=int(config["KNOWN_BROWSER_TTL"]),
        path="/",
        secure=bool(config["COOKIE_SECURE"]),
        httponly=True,
        samesite=config["COOKIE_SAMESITE"],
    )
