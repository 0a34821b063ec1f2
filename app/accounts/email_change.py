"""Changing the account's email address, in two mailed steps and with an undo.

1. ``request_change`` mails a link to the new address. The account keeps its old address until
   that link is followed. An address that belongs to another account gets the same answer,
   the same work on the request path (a token drawn, the mail rendered; the mail server is
   only spoken to by the outbox's sender) and the same activity row, so nothing tells whether
   it is taken.
2. ``confirm_change`` (the link) moves the account to the new address, kills the outstanding
   reset and confirmation links, and mails the old address a security notice with an undo
   link valid ``EMAIL_UNDO_TOKEN_TTL`` seconds (7 days).
3. ``undo_change`` (that link) restores the old address and ends every session.
"""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

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
from .security_mail import Notice, notify, remember_language


class AddressTaken(Exception):
    """The address was given to another account after the link was sent."""


def _taken(email: str, user_id: int) -> bool:
    return (
        db.session.scalar(select(User.id).where(User.email == email, User.id != user_id))
        is not None
    )


def request_change(
    user: User, new_email: str, *, authority: Authority, session_id: str | None = None
) -> None:
    """Queue the confirmation link to ``new_email`` (unless another account has it)."""
    ttl = int(current_app.config["EMAIL_CHANGE_TOKEN_TTL"])
    token = email_tokens.new_token()
    message = mail.compose(
        "email_change",
        to=new_email,
        subject=_("Confirm your new email address"),
        link=url_for("auth.confirm_email_change", token=token, _external=True),
        old_email=user.email,
        hours=max(1, ttl // 3600),
    )
    taken = _taken(new_email, user.id)
    if not taken:
        email_tokens.issue(
            user.id,
            Purpose.EMAIL_CHANGE,
            authority=authority,
            ttl=ttl,
            token=token,
            email=new_email,
            commit=False,
        )
        outbox.enqueue(message, ttl=ttl)
    remember_language(user)
    events.record(
        EventKind.EMAIL_CHANGE_REQUESTED,
        authority=authority,
        user_id=user.id,
        session_id=session_id,
        commit=False,
    )
    db.session.commit()


def confirm_change(token: str, *, authority: Authority) -> User | None:
    """Follow the new address's link; None when the link is not live. Raises AddressTaken."""
    found = email_tokens.consume_address(token, Purpose.EMAIL_CHANGE, authority=authority)
    user = db.session.get(User, found[0]) if found is not None else None
    if found is None or user is None or not found[1]:
        db.session.rollback()
        return None
    new_email, old_email = found[1], user.email
    if _taken(new_email, user.id):
        db.session.rollback()
        raise AddressTaken()
    user.email = new_email
    user.email_confirmed_at = utc(authority.now())  # the link reached this mailbox
    email_tokens.revoke(user.id, Purpose.RESET, Purpose.CONFIRM, Purpose.EMAIL_UNDO)
    undo_ttl = int(current_app.config["EMAIL_UNDO_TOKEN_TTL"])
    undo = email_tokens.issue(
        user.id,
        Purpose.EMAIL_UNDO,
        authority=authority,
        ttl=undo_ttl,
        email=old_email,
        commit=False,
    )
    events.record(EventKind.EMAIL_CHANGED, authority=authority, user_id=user.id, commit=False)
    notify(
        user.id,
        Notice.EMAIL_CHANGED,
        to=old_email,
        new_email=new_email,
        undo_link=url_for("auth.undo_email_change", token=undo, _external=True),
        undo_days=max(1, undo_ttl // 86_400),
    )
    try:
        db.session.commit()
    except IntegrityError:  # the address was taken a moment ago
        db.session.rollback()
        raise AddressTaken() from None
    return user


def undo_change(token: str, *, authority: Authority) -> User | None:
    """Restore the old address and end every session; None when the link is not live.

    Raises AddressTaken when someone signed up with the old address meanwhile.
    """
    found = email_tokens.consume_address(token, Purpose.EMAIL_UNDO, authority=authority)
    user = db.session.get(User, found[0]) if found is not None else None
    if found is None or user is None or not found[1]:
        db.session.rollback()
        return None
    if _taken(found[1], user.id):
        db.session.rollback()
        raise AddressTaken()
    user.email = found[1]
    user.email_confirmed_at = utc(authority.now())
    email_tokens.revoke(user.id, Purpose.RESET, Purpose.CONFIRM, Purpose.EMAIL_CHANGE)
    events.record(
        EventKind.EMAIL_CHANGE_UNDONE, authority=authority, user_id=user.id, commit=False
    )
    try:  # one transaction with the sessions' end (the store commits it)
        session_store.end_user_sessions(user.id, authority=authority, reason="email_restored")
        db.session.commit()  # when there was no session to end
    except IntegrityError:
        db.session.rollback()
        raise AddressTaken() from None
    return user
