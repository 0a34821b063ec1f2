"""Security mails: a short note to the person after each change to their account's security.

Sent after a sign-in from a browser the account has not used before, a password change or
reset, an email change (to the old address, with its undo link), a session ended for a reused
refresh token, and whatever else is mapped in ``EVENT_NOTICES``. Each mail is rendered in the
language the person last used (``users.locale``), as text and HTML, and carries a "This wasn't
me" link (``/auth/lockdown/<token>``) whose token is stored hashed like every mail link.

A mail is queued in the outbox within the transaction that records what it reports, so it
goes out exactly when that change is committed, off the request path, with retries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from ..db.models import User, utc
from ..extensions import db
from ..mail import delivery as mail
from ..mail import outbox
from ..sessions.authority import get_authority
from . import events
from . import links as email_tokens
from .events import EventKind
from .links import Purpose


class Notice(str, Enum):
    NEW_BROWSER = "new_browser"
    PASSWORD_CHANGED = "password_changed"
    EMAIL_CHANGED = "email_changed"
    SESSION_REUSED = "session_reused"


# Events whose recording alone sends a mail (the others are sent by their operations).
EVENT_NOTICES = {
    EventKind.PASSWORD_CHANGED: Notice.PASSWORD_CHANGED,
    EventKind.REFRESH_TOKEN_REUSE: Notice.SESSION_REUSED,
}

SUBJECTS = {
    Notice.NEW_BROWSER: _l("New sign-in to your Gatehouse account"),
    Notice.PASSWORD_CHANGED: _l("Your Gatehouse password was changed"),
    Notice.EMAIL_CHANGED: _l("The email address of your Gatehouse account was changed"),
    Notice.SESSION_REUSED: _l("A Gatehouse session was ended for your safety"),
}
SUMMARIES = {
    Notice.NEW_BROWSER: _l(
        "Your account was just signed in to from a browser it has not used before."
    ),
    Notice.PASSWORD_CHANGED: _l(
        "The password of your account was changed, and every other session was signed out."
    ),
    Notice.EMAIL_CHANGED: _l(
        "The email address of your account was changed to %(new_email)s. This address no "
        "longer signs in."
    ),
    Notice.SESSION_REUSED: _l(
        "One of your sessions presented a sign-in token that had already been used, which "
        "happens when a token has been copied. That session has been signed out."
    ),
}


@dataclass(frozen=True)
class Pending:
    notice: Notice
    user_id: int
    to: str | None = None  # another address than the account's (the old one, after a change)
    context: dict[str, Any] = field(default_factory=dict)


def init_app(app: Flask) -> None:
    events.listen(_on_event)


def notify(user_id: int, notice: Notice, *, to: str | None = None, **context: Any) -> None:
    """Queue ``notice`` for the account (or ``to``) in the current transaction (the caller
    commits)."""
    queue(Pending(notice, user_id, to, {**client_details(), **context}))


def client_details() -> dict[str, Any]:
    """Browser, system, address and time of the request, as a security mail names them."""
    from ..account.devices import describe  # the web layer's wording of a User-Agent

    at = utc(get_authority().now())
    if not has_request_context():
        return {"browser": "", "system": "", "ip": "", "at": at}
    device = describe(request.user_agent.string)
    return {
        "browser": device.browser,
        "system": device.os,
        "ip": request.remote_addr or "",
        "at": at,
    }


def _on_event(kind: EventKind, user_id: int, session_id: str | None) -> None:
    notice = EVENT_NOTICES.get(kind)
    if notice is not None:
        notify(user_id, notice)


def queue(pending: Pending) -> None:
    """Issue the mail's lockdown link and queue the mail, in the person's language."""
    user = db.session.get(User, pending.user_id)
    if user is None:  # the account is gone (deleted meanwhile): nobody to warn
        return
    ttl = int(current_app.config["LOCKDOWN_TOKEN_TTL"])
    to = pending.to or user.email
    token = email_tokens.issue(
        user.id, Purpose.LOCKDOWN, authority=get_authority(), ttl=ttl, email=to, commit=False
    )
    with in_language(user.locale):
        message = mail.compose(
            "security",
            to=to,
            subject=str(SUBJECTS[pending.notice]),
            notice=pending.notice.value,
            summary=str(SUMMARIES[pending.notice]) % pending.context,
            lockdown_link=url_for("auth.lockdown", token=token, _external=True),
            lockdown_days=max(1, ttl // 86_400),
            **pending.context,
        )
    outbox.enqueue(message, ttl=ttl)


@contextmanager
def in_language(locale: str | None) -> Iterator[None]:
    """Render in ``locale`` when it is offered, else in the default language."""
    languages = current_app.config["LANGUAGES"]
    chosen = locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(chosen):
        yield


def remember_language(user: User) -> None:
    """Keep the language of this request on the user row (the caller commits)."""
    if not has_request_context():
        return
    current = str(get_locale())
    if user.locale != current:
        user.locale = current
