"""'This wasn't me': the link in every security mail, for when someone else is in the account.

Confirming it, in one transaction: every session ends (and goes on the revocation list), the
browsers that signed in are forgotten (the known-browser epoch moves on, so their cookies
count as unknown again), the password is replaced by a random one nobody knows, every other
mail link dies, and the event is recorded for the activity list. A reset link then goes to the
account's address. A notice that went to an old address (after an email change) brings that
address back first, so the reset link reaches the person who asked, not whoever changed it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..db.models import User, utc
from ..extensions import db
from ..mail import delivery as mail
from ..mail import outbox
from ..sessions import store as session_store
from ..sessions.authority import Authority
from . import events
from . import links as email_tokens
from .events import EventKind
from .links import Purpose
from .passwords import get_passwords
from .security_mail import in_language


@dataclass(frozen=True)
class LockedDown:
    email: str  # where the reset link goes


def owner(token: str, *, authority: Authority) -> User | None:
    """The account a live lockdown link belongs to (the link stays live)."""
    found = email_tokens.peek_address(token, Purpose.LOCKDOWN, authority=authority)
    return db.session.get(User, found[0]) if found is not None else None


def lock_down(token: str, *, authority: Authority) -> LockedDown | None:
    """Secure the account of a live lockdown link; None when the link is not live."""
    found = email_tokens.consume_address(token, Purpose.LOCKDOWN, authority=authority)
    user = db.session.get(User, found[0]) if found is not None else None
    if found is None or user is None:
        db.session.rollback()
        return None
    notified = found[1]
    if notified and notified != user.email and not _taken(notified, user.id):
        user.email = notified  # the notice went to the address the account had before
        user.email_confirmed_at = utc(authority.now())
    user.password_hash = get_passwords().hash(secrets.token_urlsafe(32))
    user.known_browsers_epoch = (user.known_browsers_epoch or 0) + 1
    email_tokens.revoke(
        user.id,
        Purpose.LOCKDOWN,
        Purpose.RESET,
        Purpose.CONFIRM,
        Purpose.EMAIL_CHANGE,
        Purpose.EMAIL_UNDO,
    )
    ttl = int(current_app.config["RESET_TOKEN_TTL"])
    reset = email_tokens.issue(user.id, Purpose.RESET, authority=authority, ttl=ttl, commit=False)
    events.record(EventKind.LOCKDOWN, authority=authority, user_id=user.id, commit=False)
    with in_language(user.locale):
        message = mail.compose(
            "reset",
            to=user.email,
            subject=_("Reset your password"),
            link=url_for("auth.reset_password", token=reset, _external=True),
            minutes=max(1, ttl // 60),
        )
    outbox.enqueue(message, ttl=ttl)
    email = user.email
    session_store.end_user_sessions(user.id, authority=authority, reason="lockdown")
    db.session.commit()  # when there was no session to end
    return LockedDown(email)


def _taken(email: str, user_id: int) -> bool:
    return (
        db.session.scalar(select(User.id).where(User.email == email, User.id != user_id))
        is not None
    )
