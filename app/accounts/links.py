"""Single-use links sent by mail: password reset and address confirmation.

The token in a link is 256 random bits (``secrets.token_urlsafe(32)``); the database keeps only
its SHA-256 hash, so a leaked table holds no working link. A user has at most one live token per
purpose: issuing a new one deletes the older, and using one is a compare-and-set update
(``used_at IS NULL``), so two submissions of the same link can never both succeed. Expiry is
read from the Authority clock.

A link is only as good as the account state it was mailed for: ``revoke_all`` kills every
outstanding link of an account, and every operation that changes the password or the email
calls it, so a link mailed before the change can never undo it.
"""

from __future__ import annotations

import secrets
from enum import Enum

from sqlalchemy import CursorResult, delete, select, update

from ..db.models import EmailToken, utc
from ..extensions import db
from ..sessions.authority import Authority
from ..sessions.tokens import hash_token

TOKEN_BYTES = 32


class Purpose(str, Enum):
    RESET = "reset"
    CONFIRM = "confirm"


def new_token() -> str:
    """A fresh random token (also built for unknown addresses, so both paths do the same work)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def issue(
    user_id: int,
    purpose: Purpose,
    *,
    authority: Authority,
    ttl: int,
    token: str | None = None,
    commit: bool = True,
) -> str:
    """Store a new token for ``user_id`` (hash only), killing any older one of that purpose."""
    token = token or new_token()
    now = authority.now()
    db.session.execute(
        delete(EmailToken).where(
            EmailToken.user_id == user_id, EmailToken.purpose == purpose.value
        )
    )
    db.session.add(
        EmailToken(
            purpose=purpose.value,
            user_id=user_id,
            token_hash=hash_token(token),
            created_at=utc(now),
            expires_at=utc(now + ttl),
        )
    )
    if commit:
        db.session.commit()
    return token


def revoke_all(user_id: int, *, commit: bool = False) -> int:
    """Kill every outstanding reset and confirmation link of ``user_id``; how many there were.

    Called in the same transaction as a password or email change (the caller commits).
    """
    result = db.session.execute(
        delete(EmailToken)
        .where(EmailToken.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    if commit:
        db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def peek(token: str, purpose: Purpose, *, authority: Authority) -> int | None:
    """The user id a live token belongs to, without using it up; None when it is not live."""
    return db.session.scalar(
        select(EmailToken.user_id).where(*_live(token, purpose, authority.now()))
    )


def consume(token: str, purpose: Purpose, *, authority: Authority) -> int | None:
    """Use a live token up (compare-and-set) and return its user id; None when not live.

    The caller commits, so the token is spent in the same transaction as what it allows.
    """
    now = authority.now()
    user_id = db.session.scalar(select(EmailToken.user_id).where(*_live(token, purpose, now)))
    if user_id is None:
        return None
    claimed: CursorResult = db.session.execute(  # type: ignore[assignment]
        update(EmailToken)
        .where(*_live(token, purpose, now))
        .values(used_at=utc(now))
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # another request used it a moment ago
        db.session.rollback()
        return None
    return user_id


def _live(token: str, purpose: Purpose, now: float) -> tuple:
    return (
        EmailToken.token_hash == hash_token(token),
        EmailToken.purpose == purpose.value,
        EmailToken.used_at.is_(None),
        EmailToken.expires_at > utc(now),
    )
