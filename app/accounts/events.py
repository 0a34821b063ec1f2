"""Security events: one structured log line each, and a row for the account's activity list.

A log line names the event, the user id and the session id, never a token, password or hash.
A refresh gets no row and only a DEBUG line: it happens every few minutes for everyone and
would drown the rest. Listeners (``listen``) hear every recorded event of an account, inside
the transaction that records it; the security mails use that, so whatever records a password
change or a reused token also tells the person by mail, committed with it or not at all.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from sqlalchemy import insert

from ..db.models import SecurityEvent, utc
from ..extensions import db
from ..sessions.authority import Authority

if TYPE_CHECKING:
    from collections.abc import Callable

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
    # Strong sign-in (app/mfa)
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_RENAMED = "passkey_renamed"
    PASSKEY_REMOVED = "passkey_removed"
    TOTP_ENABLED = "totp_enabled"
    TOTP_DISABLED = "totp_disabled"
    RECOVERY_CODES_GENERATED = "recovery_codes_generated"
    RECOVERY_CODE_USED = "recovery_code_used"
    SECOND_STEP_FAILED = "second_step_failed"
    REAUTHENTICATED = "reauthenticated"
    # The account's life (SPEC 8)
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    EMAIL_CHANGE_UNDONE = "email_change_undone"
    DATA_EXPORTED = "data_exported"
    LOCKDOWN = "lockdown"
    ACCOUNT_DELETED = "account_deleted"


# A deleted account keeps no rows at all: its deletion is a log line only.
NOT_STORED = frozenset({EventKind.REFRESH, EventKind.ACCOUNT_DELETED})
LEVELS = {EventKind.REFRESH: logging.DEBUG, EventKind.REFRESH_TOKEN_REUSE: logging.WARNING}

_listeners: list[Callable[[EventKind, int, str | None, Callable[..., Any]], None]] = []


def listen(listener: Callable[[EventKind, int, str | None, Callable[..., Any]], None]) -> None:
    """Call ``listener(kind, user_id, session_id, execute)`` after each event stored for an
    account; ``execute`` runs statements in the transaction that records the event."""
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
    SecurityLog(authority.now).add(kind, user_id=user_id, session_id=session_id)
    if commit:
        db.session.commit()


class SecurityLog:
    """Records events into the caller's open transaction (it never commits), so an operation
    and its event are kept or lost together."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock

    def add(
        self,
        kind: EventKind,
        *,
        user_id: int | None,
        session_id: str | None = None,
        execute: Callable[..., Any] | None = None,
    ) -> None:
        """``execute`` runs the row's insert in the caller's transaction (default: the ORM
        session's)."""
        _add(kind, self.clock(), user_id, session_id, execute or db.session.execute)


def _add(
    kind: EventKind,
    now: float,
    user_id: int | None,
    session_id: str | None,
    execute: Callable[..., Any],
) -> None:
    stored = kind not in NOT_STORED and user_id is not None
    level = LEVELS.get(kind, logging.INFO)
    logged = log.isEnabledFor(level)
    if not (stored or logged):  # a refresh with DEBUG off: nothing to read from the request
        return
    in_request = has_request_context()
    ip = (request.remote_addr or "") if in_request else ""
    if logged:
        log.log(
            level,
            "auth_event event=%s user=%s session=%s ip=%s",
            kind.value,
            user_id if user_id is not None else "-",
            session_id or "-",
            ip or "-",
        )
    if not stored or user_id is None:  # (stored implies a user; this tells mypy so)
        return
    user_agent = request.user_agent.string[:512] if in_request else ""
    execute(
        insert(SecurityEvent),
        {
            "user_id": user_id,
            "kind": kind.value,
            "created_at": utc(now),
            "session_id": session_id,
            "ip": ip[:64],
            "user_agent": user_agent,
        },
    )
    for listener in _listeners:
        listener(kind, user_id, session_id, execute)
