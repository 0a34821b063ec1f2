"""Known browsers: a signed cookie naming the accounts that signed in from this browser.

The OWASP "device cookie" pattern against lockout: the per-account limit on failed logins
applies to unknown clients only, and a browser the account has signed in from before gets a
budget of its own. Strangers guessing an account's password then lock out each other, never
the owner's own browser.

The same cookie tells a sign-in from a new browser apart, for the security mail
(``app.web.sign_in_notice``).

The cookie (``known_browser``; ``__Host-known_browser`` when ``COOKIE_SECURE``) holds a random
browser id and the ids of the accounts that signed in from it (at most
``KNOWN_BROWSER_MAX_ACCOUNTS``, newest kept), each with the account's known-browser epoch at
the time (``"e"``, only where it is not 0), signed with ``SECRET_KEY`` and dated: a copy older
than ``KNOWN_BROWSER_TTL`` seconds, or forged, or altered, is simply not known. "This wasn't
me" moves the account's epoch (``users.known_browsers_epoch``) on, so every browser that
signed in before is forgotten at once: its cookie no longer counts for that account, neither
for the throttle's budget nor against the new-browser mail. The cookie is ``HttpOnly``,
``SameSite`` like the token cookies, and proves nothing by itself.

Public API: ``is_known(account)``, ``remember(response, account)``, ``budget_key(account)``;
an account is anything with ``id`` and ``known_browsers_epoch`` (a ``User`` row).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Protocol

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

SALT = "gatehouse.known-browser"
BROWSER_ID_BYTES = 16
MAX_COOKIE_LENGTH = 1024  # a real cookie is a few hundred characters
CACHE_KEY = "_gatehouse_known_browser"


class Account(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def known_browsers_epoch(self) -> int: ...


def cookie_name() -> str:
    prefix = "__Host-" if current_app.config["COOKIE_SECURE"] else ""
    return prefix + "known_browser"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _presented() -> dict[str, Any] | None:
    """This request's valid cookie as ``{"b": browser id, "u": [user ids], "e": {user id:
    epoch}}``, or None (a cookie without ``"e"`` has every epoch at 0)."""
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
            and isinstance(data.get("e", {}), dict)
        ):
            found = {"b": data["b"], "u": data["u"], "e": data.get("e", {})}
    setattr(g, CACHE_KEY, found)
    return found


def _epoch(account: Account) -> int:
    return int(account.known_browsers_epoch or 0)


def is_known(account: Account | None) -> bool:
    """Whether this browser has signed in to ``account`` since it last forgot its browsers."""
    data = _presented()
    if account is None or data is None or account.id not in data["u"]:
        return False
    return data["e"].get(str(account.id), 0) == _epoch(account)


def budget_key(account: Account | None) -> str | None:
    """A fixed-size throttling key for this browser and account; None for an unknown one."""
    if not is_known(account):
        return None
    data = _presented()
    assert data is not None and account is not None
    digest = hashlib.sha256(f"{data['b']}:{account.id}".encode()).hexdigest()[:32]
    return "browser:" + digest


def remember(response: Response, account: Account) -> None:
    """Mark this browser as known to ``account`` (after a successful sign-in), on ``response``."""
    config = current_app.config
    data = _presented() or {"b": secrets.token_urlsafe(BROWSER_ID_BYTES), "u": [], "e": {}}
    accounts = [uid for uid in data["u"] if uid != account.id] + [account.id]
    accounts = accounts[-int(config["KNOWN_BROWSER_MAX_ACCOUNTS"]) :]
    epochs = {key: e for key, e in data["e"].items() if key.isdigit() and int(key) in accounts}
    epochs.pop(str(account.id), None)
    if _epoch(account):
        epochs[str(account.id)] = _epoch(account)
    payload: dict[str, Any] = {"b": data["b"], "u": accounts}
    if epochs:
        payload["e"] = epochs
    value = _serializer().dumps(payload)
    response.set_cookie(
        cookie_name(),
        value,
        max_age=int(config["KNOWN_BROWSER_TTL"]),
        path="/",
        secure=bool(config["COOKIE_SECURE"]),
        httponly=True,
        samesite=config["COOKIE_SAMESITE"],
    )
