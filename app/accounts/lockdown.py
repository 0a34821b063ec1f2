"""'This wasn't me': the link in every security mail, for when someone else is in the account.

Confirming it, in one transaction: every session ends (and goes on the revocation list), the
browsers that signed in are forgotten (the known-browser epoch moves on, so their cookies
count as unknown again), the password is replaced by a random one nobody knows, the passkeys,
the authenticator app and the recovery codes are removed (whoever was in the account may have
added their own: a passkey signs in without the password, and an app of theirs would lock the
owner out of the second step), every other mail link dies, and the event is recorded for the
activity list. Only the mailbox is trusted afterwards; the person adds their factors again. A reset link then goes to the
account's address. A notice that went to an old address (after an email change) brings that
address back first, so the reset link reaches the person who asked, not whoever changed it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from ..db.models import User, utc
from ..extensions import db
from ..mail import delivery as mail
from ..mail import outbox
from ..mfa.models import Passkey, RecoveryCode, TotpAuthenticator
from ..sessions.authority import Authority
from ..sessions.store import RevokeReason, get_session_store
from ..web.public_url import external_url
from . import links as email_tokens
from .events import EventKind
from .links import Purpose
from .passwords import get_passwords
from .security_mail import in_language


@dataclass(frozen=True)
class LockedDown:
    email: str  # where the reset link goes
    sessions_ended: int


def owner(token: str, *, authority: Authority) -> User | None:
    """The account a live lockdown link belongs to (the link stays live)."""
    found = email_tokens.peek_address(token, Purpose.LOCKDOWN, authority=authority)
    return db.session.get(User, found[0]) if found is not None else None


def lock_down(token: str) -> LockedDown | None:
    """Secure the account of a live lockdown link; None when the link is not live."""
    store = get_session_store()
    with store.transaction() as txn:
        found = email_tokens.consume_address(token, Purpose.LOCKDOWN, authority=store.authority)
        user = db.session.get(User, found[0]) if found is not None else None
        if found is None or user is None:
            return None
        notified = found[1]
        if notified and notified != user.email and not _taken(notified, user.id):
            user.email = notified  # the notice went to the address the account had before
            user.email_confirmed_at = utc(store.authority.now())
        user.password_hash = get_passwords().hash(secrets.token_urlsafe(32))
        user.known_browsers_epoch = (user.known_browsers_epoch or 0) + 1
        for factor in (Passkey, TotpAuthenticator, RecoveryCode):
            db.session.execute(
                delete(factor)
                .where(factor.user_id == user.id)
                .execution_options(synchronize_session=False)
            )
        email_tokens.revoke(user.id, *Purpose)  # every mailed link dies, this one included
        ttl = int(current_app.config["RESET_TOKEN_TTL"])
        reset = email_tokens.issue(
            user.id, Purpose.RESET, authority=store.authority, ttl=ttl, commit=False
        )
        ended = store.stage_end_user_sessions(txn, user.id, RevokeReason.LOCKDOWN)
        store.events.add(EventKind.LOCKDOWN, user_id=user.id)
        with in_language(user.locale):
            message = mail.compose(
                "reset",
                to=user.email,
                subject=_("Reset your password"),
                link=external_url("auth.reset_password", token=reset),
                minutes=max(1, ttl // 60),
            )
        outbox.enqueue(message, ttl=ttl)
        email = user.email
    return LockedDown(email, ended)


def _taken(email: str, user_id: int) -> bool:
    return (
        db.session.scalar(select(User.id).where(User.email == email, User.id != user_id))
        is not None
    )
