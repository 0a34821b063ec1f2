"""Single-use links sent by mail: password reset, address confirmation, email change and its
undo, and the "This wasn't me" lockdown.

The token in a link is 256 random bits (``secrets.token_urlsafe(32)``); the database keeps only
its SHA-256 hash, so a leaked table holds no working link. A user has at most one live token per
purpose (except lockdown links: every security mail's link keeps working): issuing a new one
deletes the older, and using one is a compare-and-set update
(``used_at IS NULL``), so two submissions of the same link can never both succeed. Expiry is
read from the Authority clock.

A link is only as good as the account state it was mailed for: ``revoke_all`` kills every
outstanding link of an account that could change it (reset, confirmation, email change), and
every operation that changes the password or the email calls it, so a link mailed before the
change can never undo it. The links that take an account back from someone else (the old
address's undo, every security mail's "This wasn't me") survive it: a password change is the
first thing a person who took the account over would make.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from enum import Enum
from typing import Any

from sqlalchemy import CursorResult, delete, insert, select, update

from ..db.models import EmailToken, utc
from ..extensions import db
from ..sessions.authority import Authority
from ..sessions.tokens import hash_token

TOKEN_BYTES = 32


class Purpose(str, Enum):
    RESET = "reset"
    CONFIRM = "confirm"
    EMAIL_CHANGE = "email_change"
    EMAIL_UNDO = "email_undo"
    LOCKDOWN = "lockdown"


# Purposes of which a user may hold several live links at once.
MANY_LIVE = frozenset({Purpose.LOCKDOWN})
# Links that take the account back; a password or email change leaves them alive.
TAKE_BACK = frozenset({Purpose.EMAIL_UNDO, Purpose.LOCKDOWN})


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
    email: str | None = None,
    commit: bool = True,
    execute: Callable[..., Any] | None = None,
) -> str:
    """Store a new token for ``user_id`` (hash only), killing any older one of that purpose.

    ``email`` is the address the link concerns (the new address of a change, the old one of
    its undo); lockdown links leave older ones alive. ``execute`` runs the statements in the
    caller's transaction (default: the ORM session's).
    """
    token = token or new_token()
    now = authority.now()
    run = execute or db.session.execute
    if purpose not in MANY_LIVE:
        run(
            delete(EmailToken).where(
                EmailToken.user_id == user_id, EmailToken.purpose == purpose.value
            )
        )
    run(
        insert(EmailToken),
        {
            "purpose": purpose.value,
            "user_id": user_id,
            "token_hash": hash_token(token),
            "created_at": utc(now),
            "expires_at": utc(now + ttl),
            "email": email,
        },
    )
    if commit:
        db.session.commit()
    return token


def revoke_all(user_id: int, *, commit: bool = False) -> int:
    """Kill every outstanding reset, confirmation and email-change link of ``user_id``; how
    many there were (the take-back links stay, see the module docstring).

    Called in the same transaction as a password or email change (the caller commits).
    """
    result = db.session.execute(
        delete(EmailToken)
        .where(
            EmailToken.user_id == user_id,
            EmailToken.purpose.not_in([p.value for p in TAKE_BACK]),
        )
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


def revoke(user_id: int, *purposes: Purpose) -> None:
    """Delete the user's links of these purposes (in the caller's transaction)."""
    db.session.execute(
        delete(EmailToken).where(
            EmailToken.user_id == user_id, EmailToken.purpose.in_([p.value for p in purposes])
        )
    )


def peek_address(token: str, purpose: Purpose, *, authority: Authority) -> tuple[int, str] | None:
    """(user id, address) of a live link, without using it up; None when it is not live."""
    row = db.session.execute(
        select(EmailToken.user_id, EmailToken.email).where(*_live(token, purpose, authority.now()))
    ).one_or_none()
    return (row.user_id, row.email or "") if row is not None else None


def consume_address(
    token: str, purpose: Purpose, *, authority: Authority
) -> tuple[int, str] | None:
    """Like ``consume``, returning (user id, the address the link concerns)."""
    found = peek_address(token, purpose, authority=authority)
    if found is None or consume(token, purpose, authority=authority) != found[0]:
        return None
    return found


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
