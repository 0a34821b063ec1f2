"""The known-browser cookie: which accounts have signed in from this browser before.

A signed cookie (itsdangerous, keyed by ``SECRET_KEY``) maps account ids to the account's
known-browser epoch at the time. A sign-in from a browser without a current entry for the
account is "new" and gets a security mail; "This wasn't me" moves the epoch on, so every
browser that signed in before counts as new again. Nothing is stored on the server but the
epoch, and a forged or stale cookie is simply unknown.
"""

from __future__ import annotations

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from ..accounts.security_mail import Notice, notify, remember_language
from ..db.models import User
from ..extensions import db
from .authn import cookie_policy

SALT = "gatehouse.known-browser"
MAX_ACCOUNTS = 10  # accounts remembered per browser; the oldest entry goes first
MAX_COOKIE_LENGTH = 2048


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _entries() -> dict[str, int]:
    raw = request.cookies.get(current_app.config["KNOWN_BROWSER_COOKIE_NAME"])
    if not raw or len(raw) > MAX_COOKIE_LENGTH:
        return {}
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int)}


def is_known(user: User) -> bool:
    """Whether this browser signed in to ``user`` since the account last forgot its browsers."""
    return _entries().get(str(user.id)) == (user.known_browsers_epoch or 0)


def remember(response: Response, user: User) -> None:
    """Add the account to this browser's cookie (a long-lived, HttpOnly, signed cookie)."""
    entries = _entries()
    entries.pop(str(user.id), None)
    entries[str(user.id)] = user.known_browsers_epoch or 0
    while len(entries) > MAX_ACCOUNTS:
        entries.pop(next(iter(entries)))
    cookie_policy().set(
        response,
        current_app.config["KNOWN_BROWSER_COOKIE_NAME"],
        _serializer().dumps(entries),
        int(current_app.config["KNOWN_BROWSER_MAX_AGE"]),
    )


def after_sign_in(response: Response, user: User, *, mail_if_new: bool) -> None:
    """Remember the browser and the language; a sign-in from a new browser is mailed."""
    new = not is_known(user)
    remember(response, user)
    remember_language(user)
    if new and mail_if_new:
        notify(user.id, Notice.NEW_BROWSER)
    db.session.commit()
