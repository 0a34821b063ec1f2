"""Changing the account's email address, in two mailed steps and with an undo.

1. ``request_change`` mails a link to the new address. The account keeps its old address until
   that link is followed. An address that belongs to another account gets the same answer,
   the same work on the request path (a token drawn, the mail rendered; the mail server is
   only spoken to by the outbox's sender) and the same activity row, so nothing tells whether
   it is taken.
2. ``confirm_change`` (the link) moves the account to the new address, kills the outstanding
   reset and confirmation links, renews the tokens of the session that followed it (they carry
   the address), and mails the old address a security notice with an undo link valid
   ``EMAIL_UNDO_TOKEN_TTL`` seconds (7 days).
3. ``undo_change`` (that link) restores the old address and ends every session.

Each is one transaction of the session store, with its event (and its mail) inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..db.models import User, utc
from ..extensions import db
from ..mail import delivery as mail
from ..mail import outbox
from ..sessions.store import (
    Grant,
    PresentedRefresh,
    RefreshFailure,
    RevokeReason,
    get_session_store,
)
from ..web.public_url import external_url
from . import links as email_tokens
from .events import EventKind
from .links import Purpose
from .security_mail import Notice, notify, remember_language


class AddressTaken(Exception):
    """The address was given to another account after the link was sent."""


@dataclass(frozen=True)
class Changed:
    """A followed change link: the account, and this session's renewed tokens if any."""

    user: User
    grant: Grant | None


def _taken(email: str, user_id: int) -> bool:
    return (
        db.session.scalar(select(User.id).where(User.email == email, User.id != user_id))
        is not None
    )


def request_change(user: User, new_email: str, *, session_id: str | None = None) -> None:
    """Queue the confirmation link to ``new_email`` (unless another account has it)."""
    store = get_session_store()
    ttl = int(current_app.config["EMAIL_CHANGE_TOKEN_TTL"])
    token = email_tokens.new_token()
    message = mail.compose(
        "email_change",
        to=new_email,
        subject=_("Confirm your new email address"),
        link=external_url("auth.confirm_email_change", token=token),
        old_email=user.email,
        hours=max(1, ttl // 3600),
    )
    with store.transaction():
        if not _taken(new_email, user.id):
            email_tokens.issue(
                user.id,
                Purpose.EMAIL_CHANGE,
                authority=store.authority,
                ttl=ttl,
                token=token,
                email=new_email,
                commit=False,
            )
            outbox.enqueue(message, ttl=ttl)
        remember_language(user)
        store.events.add(EventKind.EMAIL_CHANGE_REQUESTED, user_id=user.id, session_id=session_id)


def confirm_change(
    token: str,
    *,
    user_id: int | None = None,
    session_id: str | None = None,
    refresh: PresentedRefresh | None = None,
) -> Changed | None:
    """Follow the new address's link; None when the link is not live. Raises AddressTaken.

    When the request is signed in to the account (``user_id``, ``session_id``) with its
    session's current refresh token, that session's tokens are renewed in the same
    transaction, so they carry the new address.
    """
    store = get_session_store()
    try:
        with store.transaction() as txn:
            found = email_tokens.consume_address(
                token, Purpose.EMAIL_CHANGE, authority=store.authority
            )
            user = db.session.get(User, found[0]) if found is not None else None
            if found is None or user is None or not found[1]:
                return None
            new_email, old_email = found[1], user.email
            if _taken(new_email, user.id):
                raise AddressTaken()
            user.email = new_email
            user.email_confirmed_at = utc(store.authority.now())  # the link reached it
            email_tokens.revoke(user.id, Purpose.RESET, Purpose.CONFIRM, Purpose.EMAIL_UNDO)
            undo_ttl = int(current_app.config["EMAIL_UNDO_TOKEN_TTL"])
            undo = email_tokens.issue(
                user.id,
                Purpose.EMAIL_UNDO,
                authority=store.authority,
                ttl=undo_ttl,
                email=old_email,
                commit=False,
            )
            store.events.add(EventKind.EMAIL_CHANGED, user_id=user.id, session_id=session_id)
            notify(
                user.id,
                Notice.EMAIL_CHANGED,
                to=old_email,
                new_email=new_email,
                undo_link=external_url("auth.undo_email_change", token=undo),
                undo_days=max(1, undo_ttl // 86_400),
            )
            grant = None
            owner_session = user_id == user.id and session_id is not None
            if owner_session and refresh is not None and refresh.session_id == session_id:
                outcome = store.stage_renewal(txn, refresh)
                grant = None if isinstance(outcome, RefreshFailure) else outcome
            db.session.flush()  # a unique-address clash shows here, inside the transaction
    except IntegrityError:  # the address was taken a moment ago
        raise AddressTaken() from None
    return Changed(user, grant)


def undo_change(token: str) -> User | None:
    """Restore the old address and end every session; None when the link is not live.

    Raises AddressTaken when someone signed up with the old address meanwhile.
    """
    store = get_session_store()
    try:
        with store.transaction() as txn:
            found = email_tokens.consume_address(
                token, Purpose.EMAIL_UNDO, authority=store.authority
            )
            user = db.session.get(User, found[0]) if found is not None else None
            if found is None or user is None or not found[1]:
                return None
            if _taken(found[1], user.id):
                raise AddressTaken()
            user.email = found[1]
            user.email_confirmed_at = utc(store.authority.now())
            email_tokens.revoke(user.id, Purpose.RESET, Purpose.CONFIRM, Purpose.EMAIL_CHANGE)
            store.stage_end_user_sessions(txn, user.id, RevokeReason.EMAIL_RESTORED)
            store.events.add(EventKind.EMAIL_CHANGE_UNDONE, user_id=user.id)
            db.session.flush()
    except IntegrityError:
        raise AddressTaken() from None
    return user
