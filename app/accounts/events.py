"""Security events: one structured log line each, and a row for the account's activity list.

A log line names the event, the user id and the session id, never a token, password or hash.
A refresh is logged but gets no row (it happens every few minutes and would drown the rest).
Listeners (``listen``) hear every recorded event of an account; the security mails use that,
so whatever records a password change or a reused token also tells the person by mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum

from flask import has_request_context, request

from ..db.models import SecurityEvent, utc
from ..extensions import db
from ..sessions.authority import Authority

log = logging.getLogger("gatehouse.events")


class EventKind(str, Enum):
    REGISTER = "register"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    REFRESH = "refresh"
    SESSION_REVOKED = "session_revoked"
    SESSIONS_SIGNED_OUT = "sessions_signed_out"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"
    EMAIL_CONFIRMED = "email_confirmed"
    REFRESH_TOKEN_REUSE = "refresh_token_reuse"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    EMAIL_CHANGE_UNDONE = "email_change_undone"
    DATA_EXPORTED = "data_exported"
    LOCKDOWN = "lockdown"
    ACCOUNT_DELETED = "account_deleted"


# A deleted account keeps no rows at all: its deletion is a log line only.
NOT_STORED = frozenset({EventKind.REFRESH, EventKind.ACCOUNT_DELETED})

Listener = Callable[[EventKind, int, "str | None"], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Call ``listener(kind, user_id, session_id)`` after each event recorded for an account."""
    if listener not in _listeners:
        _listeners.append(listener)


def record(
    kind: EventKind,
    *,
    authority: Authority,
    user_id: int | None,
    session_id: str | None = None,
    commit: bool = True,
) -> None:
    """Log the event; store it for the user's activity list unless it is a refresh."""
    ip = request.remote_addr or "" if has_request_context() else ""
    user_agent = request.user_agent.string[:512] if has_request_context() else ""
    log.log(
        logging.WARNING if kind is EventKind.REFRESH_TOKEN_REUSE else logging.INFO,
        "auth_event event=%s user=%s session=%s ip=%s",
        kind.value,
        user_id if user_id is not None else "-",
        session_id or "-",
        ip or "-",
    )
    if kind in NOT_STORED or user_id is None:
        return
    for listener in _listeners:
        listener(kind, user_id, session_id)
    db.session.add(
        SecurityEvent(
            user_id=user_id,
            kind=kind.value,
            created_at=utc(authority.now()),
            session_id=session_id,
            ip=ip[:64],
            user_agent=user_agent,
        )
    )
    if commit:
        db.session.commit()
