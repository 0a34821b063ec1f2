"""Deleting an account: every session ends at once and nothing about the person is kept.

One transaction deletes the sessions and refresh tokens (through the session store) and the
user row, and the database's ``ON DELETE CASCADE`` foreign keys take everything else that
hangs off it (mail links, activity, and any table that references ``users.id``). Once it has
committed, the sessions go on the revocation list, so an access token still running on another
device is refused at its next request, on every worker. The address is free again at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete

from ..db.models import User
from ..extensions import db
from ..mail import delivery as mail
from ..sessions import store as session_store
from ..sessions.authority import Authority
from . import events
from .events import EventKind
from .security_mail import in_language


@dataclass(frozen=True)
class DeletedAccount:
    email: str
    locale: str | None
    sessions_ended: int


def delete_account(user_id: int, *, authority: Authority) -> DeletedAccount | None:
    """Delete the account and all it owns; None when there is no such account."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    deleted = DeletedAccount(user.email, user.locale, 0)
    session_ids = session_store.delete_user_sessions(user_id)
    events.record(EventKind.ACCOUNT_DELETED, authority=authority, user_id=user_id, commit=False)
    db.session.expunge(user)
    db.session.execute(delete(User).where(User.id == user_id))
    db.session.commit()
    session_store.announce_ended(session_ids)
    return DeletedAccount(deleted.email, deleted.locale, len(session_ids))


def send_goodbye(account: DeletedAccount) -> None:
    """The last mail to the address, in the person's language; a failure is only logged."""
    with in_language(account.locale):
        message = mail.compose(
            "goodbye", to=account.email, subject=_("Your Gatehouse account has been deleted")
        )
    try:
        mail.send(message)
    except mail.MailError:  # logged by the mail module; the account is gone either way
        pass
