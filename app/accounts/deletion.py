"""Deleting an account: every session ends at once and nothing about the person is kept.

One transaction of the session store ends and deletes the sessions, deletes the mails still
queued for the address and the user row, and the database's ``ON DELETE CASCADE`` foreign
keys take everything else that hangs off it (mail links, activity, passkeys, second factors,
and any table that references ``users.id``); the goodbye mail is queued in the same
transaction. Once it has committed, the sessions that were open are on the revocation list,
so an access token still running on another device is refused at its next request, on every
worker. The address is free again at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete

from ..db.models import OutgoingMail, User
from ..extensions import db
from ..mail import delivery as mail
from ..mail import outbox
from ..sessions.store import get_session_store
from .events import EventKind
from .security_mail import in_language

GOODBYE_TTL = 7 * 86_400  # how long the goodbye mail is worth retrying


@dataclass(frozen=True)
class DeletedAccount:
    email: str
    sessions_ended: int


def delete_account(user_id: int) -> DeletedAccount | None:
    """Delete the account and all it owns; None when there is no such account."""
    store = get_session_store()
    with store.transaction() as txn:
        user = db.session.get(User, user_id)
        if user is None:
            return None
        email, locale = user.email, user.locale
        ended = store.stage_delete_user_sessions(txn, user_id)
        store.events.add(EventKind.ACCOUNT_DELETED, user_id=user_id)  # a log line only
        db.session.execute(delete(OutgoingMail).where(OutgoingMail.recipient == email))
        db.session.expunge(user)
        db.session.execute(delete(User).where(User.id == user_id))
        with in_language(locale):  # the last mail to the address, in the person's language
            goodbye = mail.compose(
                "goodbye", to=email, subject=_("Your Gatehouse account has been deleted")
            )
        outbox.enqueue(goodbye, ttl=GOODBYE_TTL)
    return DeletedAccount(email, ended)
