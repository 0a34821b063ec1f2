"""Account operations that change the account and the sessions together.

Each public method is one transaction: the change, the sessions it ends, this session's new
tokens (through the session store's compare-and-set, so a refresh racing the change cannot
leave a second live chain) and the security event are committed together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from ..db.models import User, utc
from ..extensions import db
from ..mfa.flows import needs_second_step
from ..sessions.store import EXTENSION_KEY as SESSIONS_KEY
from ..sessions.store import (
    Grant,
    PresentedRefresh,
    RefreshFailure,
    RevokeReason,
    SessionStore,
)
from . import links
from .events import EventKind
from .links import Purpose
from .passwords import EXTENSION_KEY as PASSWORDS_KEY
from .passwords import Passwords

EXTENSION_KEY = "gatehouse.accounts"


@dataclass(frozen=True)
class Reset:
    """A used reset link: its account, and the new session (None: a second step is due)."""

    user: User
    grant: Grant | None


@dataclass(frozen=True)
class Confirmed:
    """An email confirmation: whose address, and this session's renewed tokens if any."""

    user: User
    grant: Grant | None
    session_ended: bool


class AccountOperations:
    def __init__(self, sessions: SessionStore, passwords: Passwords) -> None:
        self.sessions = sessions
        self.passwords = passwords

    def change_password(self, user: User, new_password: str, *, session_id: str) -> Grant | None:
        """Re-hash, end every other session, renew this one; None when this session has ended.

        The view has just checked the current password, so this is a sign-in inside the
        session (``auth_time`` moves): its tokens are renewed through the compare-and-set and
        every token it held before, including one a refresh racing the change was just given,
        is refused from then on.
        """
        store = self.sessions
        with store.transaction() as txn:
            user.password_hash = self.passwords.hash(new_password)
            links.revoke_all(user.id)  # a reset link mailed before must not undo this change
            store.stage_end_user_sessions(
                txn, user.id, RevokeReason.PASSWORD_CHANGED, keep_session=session_id
            )
            outcome = store.stage_reauthenticate(txn, session_id, ("pwd",))
            store.events.add(EventKind.PASSWORD_CHANGED, user_id=user.id, session_id=session_id)
        return None if isinstance(outcome, RefreshFailure) else outcome

    def confirm_email(
        self,
        token: str,
        *,
        user_id: int | None = None,
        session_id: str | None = None,
        refresh: PresentedRefresh | None = None,
    ) -> Confirmed | None:
        """Use a confirmation link; when the request is signed in as its owner (``user_id``,
        ``session_id``), that session's tokens are renewed so they carry the new claim."""
        store = self.sessions
        with store.transaction() as txn:
            owner = links.consume(token, Purpose.CONFIRM, authority=store.authority)
            user = db.session.get(User, owner) if owner is not None else None
            if user is None:
                return None
            if user.email_confirmed_at is None:
                user.email_confirmed_at = utc(store.authority.now())
            store.events.add(EventKind.EMAIL_CONFIRMED, user_id=user.id)
            grant, ended = None, False
            if user_id == user.id and session_id is not None:
                grant = self._renew(txn, session_id, refresh)
                ended = grant is None and refresh is not None
        return Confirmed(user, grant, ended)

    def reset_password(
        self, token: str, new_password: str, *, user_agent: str, ip: str
    ) -> Reset | None:
        """Use a reset link: a new password, every session ended, this browser signed in
        (a sign-in: the link proved the mailbox). None when the link is no longer live.

        An account with a second factor is not signed in (``grant`` is None): the mailbox
        proves the password's owner, not the second factor, so the view asks for it next.
        """
        store = self.sessions
        with store.transaction() as txn:
            owner = links.consume(token, Purpose.RESET, authority=store.authority)
            user = db.session.get(User, owner) if owner is not None else None
            if user is None:
                return None
            user.password_hash = self.passwords.hash(new_password)
            links.revoke_all(user.id)  # every other link mailed before dies with it
            if user.email_confirmed_at is None:  # the link reached this mailbox: confirmed
                user.email_confirmed_at = utc(store.authority.now())
            store.stage_end_user_sessions(txn, user.id, RevokeReason.PASSWORD_RESET)
            grant = None
            if not needs_second_step(user.id):
                grant = store.stage_start(
                    txn, user, persistent=False, user_agent=user_agent, ip=ip, amr=("pwd",)
                )
            store.events.add(
                EventKind.PASSWORD_CHANGED,
                user_id=user.id,
                session_id=grant.session_id if grant else None,
            )
        return Reset(user, grant)

    def _renew(self, txn, session_id: str, refresh: PresentedRefresh | None) -> Grant | None:
        if refresh is None or refresh.session_id != session_id:
            return None  # an access token alone never buys a refresh token
        outcome = self.sessions.stage_renewal(txn, refresh)
        return None if isinstance(outcome, RefreshFailure) else outcome


def init_app(app: Flask) -> None:
    """After the session store and the password hasher, which it holds."""
    app.extensions[EXTENSION_KEY] = AccountOperations(
        app.extensions[SESSIONS_KEY], app.extensions[PASSWORDS_KEY]
    )


def get_account_operations() -> AccountOperations:
    return current_app.extensions[EXTENSION_KEY]
