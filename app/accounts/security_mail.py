"""Security mails: a short note to the person after each change to their account's security.

Sent after a sign-in from a browser the account has not used before, a password change or
reset, an email change (to the old address, with its undo link), a session ended for a reused
refresh token, a passkey added or removed, the authenticator app turned on or off, new
recovery codes, and whatever else is mapped in ``EVENT_NOTICES``. Each mail is rendered in the
language the person last used (``users.locale``), as text and HTML, and carries a "This wasn't
me" link (``/auth/lockdown/<token>``) whose token is stored hashed like every mail link.

A mail is queued in the outbox within the transaction that records what it reports, so it
goes out exactly when that change is committed, off the request path, with retries. Events of
the ORM session's transaction are turned into mails as it commits (one per notice and
account; the first recovery codes that come with turning the authenticator app on are told
by that mail); a refresh's reuse detection runs on a connection of its own, and its mail is
queued there at once, through the listener's ``execute``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select

from ..db.models import User, utc
from ..extensions import db
from ..mail import delivery as mail
from ..mail import outbox
from ..sessions.authority import get_authority
from ..web.public_url import external_url
from . import events
from . import links as email_tokens
from .events import EventKind
from .links import Purpose


class Notice(str, Enum):
    NEW_BROWSER = "new_browser"
    PASSWORD_CHANGED = "password_changed"
    EMAIL_CHANGED = "email_changed"
    SESSION_REUSED = "session_reused"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"
    TOTP_ENABLED = "totp_enabled"
    TOTP_DISABLED = "totp_disabled"
    RECOVERY_CODES_GENERATED = "recovery_codes_generated"


# Events whose recording alone sends a mail (the others are sent by their operations).
EVENT_NOTICES = {
    EventKind.PASSWORD_CHANGED: Notice.PASSWORD_CHANGED,
    EventKind.REFRESH_TOKEN_REUSE: Notice.SESSION_REUSED,
    EventKind.PASSKEY_ADDED: Notice.PASSKEY_ADDED,
    EventKind.PASSKEY_REMOVED: Notice.PASSKEY_REMOVED,
    EventKind.TOTP_ENABLED: Notice.TOTP_ENABLED,
    EventKind.TOTP_DISABLED: Notice.TOTP_DISABLED,
    EventKind.RECOVERY_CODES_GENERATED: Notice.RECOVERY_CODES_GENERATED,
}

SUBJECTS = {
    Notice.NEW_BROWSER: _l("New sign-in to your Gatehouse account"),
    Notice.PASSWORD_CHANGED: _l("Your Gatehouse password was changed"),
    Notice.EMAIL_CHANGED: _l("The email address of your Gatehouse account was changed"),
    Notice.SESSION_REUSED: _l("A Gatehouse session was ended for your safety"),
    Notice.PASSKEY_ADDED: _l("A passkey was added to your Gatehouse account"),
    Notice.PASSKEY_REMOVED: _l("A passkey was removed from your Gatehouse account"),
    Notice.TOTP_ENABLED: _l("An authenticator app was turned on for your Gatehouse account"),
    Notice.TOTP_DISABLED: _l("The authenticator app of your Gatehouse account was turned off"),
    Notice.RECOVERY_CODES_GENERATED: _l("New recovery codes for your Gatehouse account"),
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
    Notice.PASSKEY_ADDED: _l(
        "A new passkey was added to your account. It can sign in without your password."
    ),
    Notice.PASSKEY_REMOVED: _l("A passkey was removed from your account. It no longer signs in."),
    Notice.TOTP_ENABLED: _l(
        "An authenticator app was set up for your account. Signing in now also asks for its code."
    ),
    Notice.TOTP_DISABLED: _l(
        "The authenticator app was turned off for your account. Signing in no longer asks for "
        "its code."
    ),
    Notice.RECOVERY_CODES_GENERATED: _l(
        "New recovery codes were made for your account. The codes you had before no longer work."
    ),
}


@dataclass(frozen=True)
class Pending:
    notice: Notice
    user_id: int
    to: str | None = None  # another address than the account's (the old one, after a change)
    context: dict[str, Any] = field(default_factory=dict)


# Notices of the ORM session's open transaction, queued when it commits (``_queue_pending``).
PENDING_KEY = "gatehouse.security_notices"
# A notice that says nothing the other one of the same transaction does not: the first
# recovery codes come with turning the authenticator app on, and its mail is enough.
COVERED_BY = {Notice.RECOVERY_CODES_GENERATED: Notice.TOTP_ENABLED}


def init_app(app: Flask) -> None:
    events.listen(_on_event)
    if not event.contains(db.session, "before_commit", _queue_pending):
        event.listen(db.session, "before_commit", _queue_pending)
        event.listen(db.session, "after_soft_rollback", _forget_pending)


def notify(user_id: int, notice: Notice, *, to: str | None = None, **context: Any) -> None:
    """Queue ``notice`` for the account (or ``to``) in the ORM session's transaction (the
    caller commits)."""
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


def _on_event(
    kind: EventKind, user_id: int, session_id: str | None, execute: Callable[..., Any]
) -> None:
    notice = EVENT_NOTICES.get(kind)
    if notice is None:
        return
    pending = Pending(notice, user_id, None, client_details())
    if execute != db.session.execute:  # a transaction of its own (a refresh): queue now
        queue(pending, execute=execute)
        return
    db.session.info.setdefault(PENDING_KEY, []).append(pending)


def _queue_pending(session: Any) -> None:
    """Before the ORM session commits: one mail per notice and account, inside the commit."""
    pending: list[Pending] = session.info.pop(PENDING_KEY, [])
    told = {(p.user_id, p.notice) for p in pending}
    seen: set[tuple[int, Notice]] = set()
    for item in pending:
        key = (item.user_id, item.notice)
        cover = COVERED_BY.get(item.notice)
        if key in seen or (cover is not None and (item.user_id, cover) in told):
            continue
        seen.add(key)
        queue(item)


def _forget_pending(session: Any, previous_transaction: Any) -> None:
    session.info.pop(PENDING_KEY, None)


def queue(pending: Pending, *, execute: Callable[..., Any] | None = None) -> None:
    """Issue the mail's lockdown link and queue the mail, in the person's language, in the
    transaction of ``execute`` (default: the ORM session's)."""
    run = execute or db.session.execute
    user = run(
        select(User.id, User.email, User.locale).where(User.id == pending.user_id)
    ).one_or_none()
    if user is None:  # the account is gone (deleted meanwhile): nobody to warn
        return
    ttl = int(current_app.config["LOCKDOWN_TOKEN_TTL"])
    to = pending.to or user.email
    token = email_tokens.issue(
        user.id,
        Purpose.LOCKDOWN,
        authority=get_authority(),
        ttl=ttl,
        email=to,
        commit=False,
        execute=execute,
    )
    with in_language(user.locale):
        message = mail.compose(
            "security",
            to=to,
            subject=str(SUBJECTS[pending.notice]),
            notice=pending.notice.value,
            summary=str(SUMMARIES[pending.notice]) % pending.context,
            lockdown_link=external_url("auth.lockdown", token=token),
            lockdown_days=max(1, ttl // 86_400),
            **pending.context,
        )
    outbox.enqueue(message, ttl=ttl, execute=execute)


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
