"""The session store: the only code that writes login sessions and refresh tokens.

Sign-in starts a session; a refresh replaces the session's current refresh token with a
compare-and-set update, so two workers can never both rotate the same token; a replaced
token shown again after the grace window revokes the whole session.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, or_, select, update

from ..accounts import events
from ..accounts.events import EventKind
from ..db.models import LoginSession, RefreshToken, User, utc
from ..extensions import db
from .authority import Authority
from .revocation import get_revocation_list
from .tokens import TokenType, hash_token


class RefreshFailure(str, Enum):
    """Why a refresh token did not buy a new access token."""

    INVALID = "invalid"
    EXPIRED = "expired"
    NOT_FOUND = "not_found"
    REUSED = "reused"
    REVOKED = "revoked"


class RefreshRefused(Exception):
    def __init__(self, reason: RefreshFailure) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Grant:
    """Tokens handed to one login session; ``refresh_token`` is None when it is not replaced."""

    user_id: int
    email: str
    session_id: str
    session_expires_at: int
    persistent: bool
    access_token: str
    refresh_token: str | None
    email_confirmed: bool
    access_expires_at: int


def start_session(
    user: User, *, authority: Authority, persistent: bool, user_agent: str = "", ip: str = ""
) -> Grant:
    """Open a login session for ``user`` and issue its first pair of tokens."""
    now = authority.now()
    lifetime = authority.session_max_age if persistent else authority.session_max_age_short
    expires_at = int(now) + lifetime  # the session's absolute end: no token ever goes past it
    session = LoginSession(
        id=secrets.token_urlsafe(16),
        user_id=user.id,
        created_at=utc(now),
        expires_at=utc(expires_at),
        persistent=persistent,
        user_agent=(user_agent or "")[:512],
        ip=(ip or "")[:64],
    )
    db.session.add(session)
    refresh_token, _ = _add_refresh_token(authority, session.id, user.id, now, expires_at)
    db.session.commit()
    return _grant(
        authority,
        user.id,
        user.email,
        session.id,
        expires_at,
        persistent,
        now,
        refresh_token,
        email_confirmed=user.email_confirmed_at is not None,
    )


def refresh(
    token: str, claims: Mapping[str, Any], *, authority: Authority, allow_expired: bool = False
) -> Grant:
    """Trade a refresh token for a new access token (and, with rotation, a new refresh token).

    ``allow_expired`` is the third row of the table: the access token is still valid, so an
    idle-expired refresh token that is still the session's current one may be renewed.
    Raises RefreshRefused with the reason otherwise.
    """
    for _attempt in range(2):  # a lost compare-and-set is read again once
        now = authority.now()
        conn = db.session.connection()  # the session's transaction, without the ORM layer
        row = _lookup(conn, hash_token(token))
        if row is None:
            raise RefreshRefused(RefreshFailure.NOT_FOUND)
        if row.session_id != claims.get("sid") or str(row.user_id) != claims.get("sub"):
            raise RefreshRefused(RefreshFailure.INVALID)
        if row.revoked_at is not None:
            raise RefreshRefused(RefreshFailure.REVOKED)
        session_end = int(row.session_expires_at.timestamp())
        if session_end <= now or (not allow_expired and row.expires_at.timestamp() <= now):
            raise RefreshRefused(RefreshFailure.EXPIRED)
        if row.replaced_at is not None:
            _check_replaced_token(row, now, authority, allow_expired)
            return _grant_for(authority, row, session_end, now, None)
        if not authority.rotation and not allow_expired:
            return _grant_for(authority, row, session_end, now, None)
        new_refresh = _rotate(authority, row, now, session_end, conn)
        if new_refresh is not None:
            events.record(
                EventKind.REFRESH,
                authority=authority,
                user_id=row.user_id,
                session_id=row.session_id,
            )
            return _grant_for(authority, row, session_end, now, new_refresh)
    raise RefreshRefused(RefreshFailure.REUSED)  # pragma: no cover - two lost races in a row


def _lookup(conn, token_hash: str):
    return conn.execute(_lookup_statement(), {"token_hash": token_hash}).one_or_none()


@lru_cache(maxsize=1)
def _lookup_statement():
    """The refresh lookup on the tables, built once: building it (and the ORM's handling
    of it) costs more than running it."""
    tokens, sessions, users = RefreshToken.__table__, LoginSession.__table__, User.__table__
    successor = tokens.alias("successor")
    return (
        select(
            tokens.c.id,
            tokens.c.session_id,
            tokens.c.user_id,
            tokens.c.expires_at,
            tokens.c.replaced_at,
            tokens.c.replaced_by,
            sessions.c.expires_at.label("session_expires_at"),
            sessions.c.revoked_at,
            sessions.c.persistent,
            users.c.email,
            users.c.email_confirmed_at,
            successor.c.replaced_at.label("successor_replaced_at"),
            successor.c.id.label("successor_id"),
        )
        .select_from(
            tokens.join(sessions, sessions.c.id == tokens.c.session_id)
            .join(users, users.c.id == tokens.c.user_id)
            .outerjoin(successor, successor.c.id == tokens.c.replaced_by)
        )
        .where(tokens.c.token_hash == bindparam("token_hash"))
    )


def _rotate(authority: Authority, row, now: float, session_end: int, conn) -> str | None:
    """Replace the current token; None when another request replaced it first.

    Core statements on the table: the same compare-and-set and insert, without the ORM's
    unit of work, which costs more than the statements themselves on every refresh.
    """
    new_token, values = _new_refresh_token(
        authority, row.session_id, row.user_id, now, session_end
    )
    claimed = conn.execute(
        _claim_statement(), {"old_id": row.id, "now": utc(now), "new_id": values["id"]}
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    conn.execute(_insert_statement(), values)
    db.session.commit()
    return new_token


@lru_cache(maxsize=1)
def _insert_statement():
    return insert(RefreshToken.__table__)


@lru_cache(maxsize=1)
def _claim_statement():
    """The compare-and-set, built once: only a current token (never replaced) is claimed."""
    tokens = RefreshToken.__table__
    return (
        update(tokens)
        .where(tokens.c.id == bindparam("old_id"), tokens.c.replaced_at.is_(None))
        .values(
            replaced_at=bindparam("now", type_=tokens.c.replaced_at.type),
            replaced_by=bindparam("new_id", type_=tokens.c.replaced_by.type),
        )
    )


def _check_replaced_token(row, now: float, authority: Authority, allow_expired: bool) -> None:
    """A replaced token passes only as the previous one inside the grace window.

    Anything else is reuse of a stolen token: the session is revoked and RefreshRefused raised.
    """
    is_previous = row.successor_id is not None and row.successor_replaced_at is None
    if (
        not allow_expired
        and is_previous
        and now - row.replaced_at.timestamp() <= authority.reuse_grace
    ):
        return None  # a new access token, no new refresh token
    if allow_expired:
        # A stale refresh cookie beside a valid access token: drop it, keep the session.
        raise RefreshRefused(RefreshFailure.EXPIRED)
    revoke_sessions([row.session_id], authority=authority, reason=RefreshFailure.REUSED.value)
    events.record(
        EventKind.REFRESH_TOKEN_REUSE,
        authority=authority,
        user_id=row.user_id,
        session_id=row.session_id,
    )
    raise RefreshRefused(RefreshFailure.REUSED)


def _add_refresh_token(
    authority: Authority, session_id: str, user_id: int, now: float, session_end: int
) -> tuple[str, str]:
    """Stage a new refresh token row (hash only); returns the token and its id."""
    token, values = _new_refresh_token(authority, session_id, user_id, now, session_end)
    db.session.add(RefreshToken(**values))
    return token, values["id"]


def _new_refresh_token(
    authority: Authority, session_id: str, user_id: int, now: float, session_end: int
) -> tuple[str, dict[str, Any]]:
    """Mint a refresh token; returns it and its row (the hash, never the token)."""
    token, claims = authority.mint(
        TokenType.REFRESH, user_id=user_id, session_id=session_id, now=now, not_after=session_end
    )
    return token, {
        "id": claims["jti"],
        "token_hash": hash_token(token),
        "session_id": session_id,
        "user_id": user_id,
        "issued_at": utc(now),
        "expires_at": utc(claims["exp"]),
    }


def _grant_for(
    authority: Authority, row, session_end: int, now: float, refresh_token: str | None
) -> Grant:
    return _grant(
        authority,
        row.user_id,
        row.email,
        row.session_id,
        session_end,
        row.persistent,
        now,
        refresh_token,
        email_confirmed=row.email_confirmed_at is not None,
    )


def _grant(
    authority: Authority,
    user_id: int,
    email: str,
    session_id: str,
    session_end: int,
    persistent: bool,
    now: float,
    refresh_token: str | None,
    *,
    email_confirmed: bool = True,
) -> Grant:
    # "ecf" (email confirmed) only drives the account page's banner, never an access decision.
    access, claims = authority.mint(
        TokenType.ACCESS,
        user_id=user_id,
        session_id=session_id,
        now=now,
        not_after=session_end,
        extra={"email": email, "ecf": email_confirmed},
    )
    return Grant(
        user_id,
        email,
        session_id,
        session_end,
        persistent,
        access,
        refresh_token,
        email_confirmed,
        claims["exp"],
    )


def active_sessions(user_id: int, *, authority: Authority):
    """A query for the user's sessions that can still be refreshed: not ended, not past their
    absolute end, and holding a current refresh token that has not run out."""
    now = utc(authority.now())
    live_token = exists().where(
        RefreshToken.session_id == LoginSession.id,
        RefreshToken.replaced_at.is_(None),
        RefreshToken.expires_at > now,
    )
    return select(LoginSession).where(
        LoginSession.user_id == user_id,
        LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > now,
        live_token,
    )


def end_sessions(session_ids: list[str], *, authority: Authority, reason: str = "logout") -> int:
    """Sign out: delete the sessions' refresh tokens and mark them ended. Returns how many."""
    if not session_ids:
        return 0
    db.session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(session_ids)))
    return revoke_sessions(session_ids, authority=authority, reason=reason)


def end_user_sessions(
    user_id: int, *, authority: Authority, reason: str, keep_session: str | None = None
) -> int:
    """End every open session of a user (password change or reset), except ``keep_session``."""
    query = select(LoginSession.id).where(
        LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None)
    )
    if keep_session is not None:
        query = query.where(LoginSession.id != keep_session)
    return end_sessions(list(db.session.scalars(query)), authority=authority, reason=reason)


def delete_user_sessions(user_id: int) -> list[str]:
    """Delete every session and refresh token of a user, in the caller's transaction (account
    deletion). Returns the session ids, for ``announce_ended`` once the transaction commits."""
    session_ids = list(
        db.session.scalars(select(LoginSession.id).where(LoginSession.user_id == user_id))
    )
    db.session.execute(delete(RefreshToken).where(RefreshToken.user_id == user_id))
    db.session.execute(
        delete(LoginSession)
        .where(LoginSession.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    return session_ids


def announce_ended(session_ids: list[str]) -> None:
    """Put sessions deleted by a committed transaction on the revocation list, so their
    access tokens stop working at once on every worker."""
    get_revocation_list().revoke(session_ids)


def revoke_sessions(session_ids: list[str], *, authority: Authority, reason: str) -> int:
    """Mark sessions revoked so none of their refresh tokens works again."""
    result = db.session.execute(
        update(LoginSession)
        .where(LoginSession.id.in_(session_ids), LoginSession.revoked_at.is_(None))
        .values(revoked_at=utc(authority.now()), revoke_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    # Their access tokens stop working at once too, not at expiry (see app/revocation.py).
    get_revocation_list().revoke(session_ids)
    return result.rowcount


def renew_session(session_id: str, *, authority: Authority) -> Grant:
    """Replace every refresh token of an open session with a fresh pair (password change).

    The session keeps its id, absolute end and "remember me"; any older refresh token of it,
    wherever it was copied to, stops working. Raises RefreshRefused when the session is over.
    """
    now = authority.now()
    row = db.session.execute(
        select(
            LoginSession.user_id,
            LoginSession.expires_at,
            LoginSession.revoked_at,
            LoginSession.persistent,
            User.email,
            User.email_confirmed_at,
        )
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == session_id)
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        raise RefreshRefused(RefreshFailure.REVOKED)
    session_end = int(row.expires_at.timestamp())
    if session_end <= now:
        raise RefreshRefused(RefreshFailure.EXPIRED)
    db.session.execute(delete(RefreshToken).where(RefreshToken.session_id == session_id))
    refresh_token, _ = _add_refresh_token(authority, session_id, row.user_id, now, session_end)
    db.session.commit()
    return _grant(
        authority,
        row.user_id,
        row.email,
        session_id,
        session_end,
        row.persistent,
        now,
        refresh_token,
        email_confirmed=row.email_confirmed_at is not None,
    )


@dataclass(frozen=True)
class Pruned:
    refresh_tokens: int
    sessions: int


def prune(*, authority: Authority) -> Pruned:
    """Delete the refresh tokens and sessions that can never sign anyone in again.

    Gone: sessions that were revoked or reached their absolute end, with all their tokens,
    and tokens that ran out more than one access-token lifetime ago. A session's current
    token that ran out only just now is kept: beside a still-valid access token it may be
    renewed (the third row of the table), and every access token was minted while its
    session's refresh token was valid. Replaced tokens that have not run out stay too, so
    that their reuse is still recognised.
    """
    now = authority.now()
    token_cutoff = utc(now - authority.access_ttl - 2 * authority.leeway)
    dead = or_(LoginSession.revoked_at.is_not(None), LoginSession.expires_at <= utc(now))
    tokens = db.session.execute(
        delete(RefreshToken)
        .where(
            or_(
                RefreshToken.expires_at <= token_cutoff,
                RefreshToken.session_id.in_(select(LoginSession.id).where(dead)),
            )
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    sessions = db.session.execute(
        delete(LoginSession).where(dead).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return Pruned(refresh_tokens=tokens, sessions=sessions)
