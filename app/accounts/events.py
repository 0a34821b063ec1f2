"""Security events: one structured log line each, and a row for the account's activity list.

A log line names the event, the user id and the session id, never a token, password or hash.
A refresh gets no row and only a DEBUG line: it happens every few minutes for everyone and
would drown the rest.
"""

from __future__ import annotations

import logging
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


NOT_STORED = frozenset({EventKind.REFRESH})
LEVELS = {EventKind.REFRESH: logging.DEBUG, EventKind.REFRESH_TOKEN_REUSE: logging.WARNING}


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
        LEVELS.get(kind, logging.INFO),
        "auth_event event=%s user=%s session=%s ip=%s",
        kind.value,
        user_id if user_id is not None else "-",
        session_id or "-",
        ip or "-",
    )
    if kind in NOT_STORED or user_id is None:
        return
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
