"""Short-lived, single-use steps held on the server: a pending second step after the
password, a WebAuthn challenge, a re-authentication in progress.

The client holds only a random handle; the database keeps its SHA-256 hash with the state.
A step lives ``MFA_STEP_TTL`` seconds (5 minutes) and is consumed by an atomic delete, so two
requests can never both use it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, select

from ..db.models import utc
from ..extensions import db
from ..sessions.authority import get_authority
from .models import MfaChallenge

HANDLE_BYTES = 32
MAX_HANDLE_LENGTH = 128


def _execute(statement: Any) -> CursorResult:
    """Run a write statement in the request's transaction; its result tells ``rowcount``."""
    return cast(CursorResult, db.session.execute(statement))


class Purpose(str, Enum):
    SECOND_STEP = "second_step"  # the password was right; a code or a passkey must follow
    API_SECOND_STEP = "api_second_step"  # the same for the JSON API's mfa_token
    PASSKEY_REGISTER = "passkey_register"
    PASSKEY_SIGN_IN = "passkey_sign_in"  # no account known yet (discoverable credentials)
    PASSKEY_VERIFY = "passkey_verify"  # a passkey of a known account (second step, reauth)


@dataclass(frozen=True)
class Step:
    user_id: int | None
    challenge: bytes | None
    persistent: bool
    context: str


def _key(handle: str) -> str | None:
    if not isinstance(handle, str) or not 0 < len(handle) <= MAX_HANDLE_LENGTH:
        return None
    return hashlib.sha256(handle.encode()).hexdigest()


def open_step(
    purpose: Purpose,
    *,
    user_id: int | None = None,
    challenge: bytes | None = None,
    persistent: bool = False,
    context: str = "",
) -> str:
    """Store a new step and return its handle (for the client to send back)."""
    now = get_authority().now()
    handle = secrets.token_urlsafe(HANDLE_BYTES)
    _execute(delete(MfaChallenge).where(MfaChallenge.expires_at <= utc(now)))
    db.session.add(
        MfaChallenge(
            id=_key(handle),
            purpose=purpose.value,
            user_id=user_id,
            challenge=challenge,
            persistent=persistent,
            context=context[:512],
            created_at=utc(now),
            expires_at=utc(now + current_app.config["MFA_STEP_TTL"]),
        )
    )
    db.session.commit()
    return handle


def peek_step(handle: str | None, purpose: Purpose) -> Step | None:
    """The step, if it exists and has not expired; it stays usable."""
    key = _key(handle) if handle else None
    if key is None:
        return None
    row = db.session.scalar(
        select(MfaChallenge).where(
            MfaChallenge.id == key,
            MfaChallenge.purpose == purpose.value,
            MfaChallenge.expires_at > utc(get_authority().now()),
        )
    )
    if row is None:
        return None
    return Step(row.user_id, row.challenge, row.persistent, row.context)


def take_step(handle: str | None, purpose: Purpose) -> Step | None:
    """Consume the step: only the one request whose delete removed the row gets it."""
    step = peek_step(handle, purpose)
    if step is None:
        return None
    deleted = _execute(delete(MfaChallenge).where(MfaChallenge.id == _key(handle or ""))).rowcount
    db.session.commit()
    return step if deleted == 1 else None
