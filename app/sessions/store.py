"""The session store: the only code that writes login sessions.

A login session is one row holding its refresh chain: the generation ``gen``, the hash of the
current refresh token (which carries ``gen`` as a signed claim) and the hash of the one before
it. A refresh is one compare-and-set on that row (``UPDATE ... WHERE id = :sid AND gen = :gen
AND current_hash = :hash ... RETURNING``); only when it matches nothing is the row read, to
tell the rules of SPEC section 4 apart:

- the previous token inside ``REFRESH_REUSE_GRACE`` (parallel requests): a new access token,
  no new refresh token;
- the previous token after the grace window while its successor was never presented (the
  answer that carried the successor was lost): signed in, the successor discarded, a new one
  issued, nothing recorded as reuse;
- any other replaced or discarded token of the session: reuse, and the session is revoked,
  its access tokens too (through the revocation list), and the event recorded;
- a token from before the session's last re-authentication or password change (its
  generation is below ``floor_gen``): refused, not counted as theft.

Every public method is one transaction that also records its security event. Account
operations that must change the account and this session's tokens together open
``transaction()`` themselves and call the ``stage_*`` methods inside it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import (
    Connection,
    CursorResult,
    Select,
    Table,
    bindparam,
    case,
    delete,
    or_,
    select,
    update,
)

from ..accounts.events import EventKind, SecurityLog
from ..db.models import LoginSession, SecurityEvent, User, utc
from ..extensions import db
from .authority import Authority
from .revocation import EXTENSION_KEY as REVOCATION_KEY
from .revocation import RevocationList
from .tokens import TokenType, Verified, hash_token

EXTENSION_KEY = "gatehouse.sessions"
DEFAULT_AMR: tuple[str, ...] = ("pwd",)
MAX_ATTEMPTS = 3  # a lost compare-and-set is read again; three losses in a row give up


class RefreshFailure(str, Enum):
    """Why a refresh token did not buy a new access token."""

    INVALID = "invalid"
    EXPIRED = "expired"
    NOT_FOUND = "not_found"
    REUSED = "reused"
    REVOKED = "revoked"


class RevokeReason(str, Enum):
    """Why a session ended (stored in ``login_sessions.revoke_reason``)."""

    LOGOUT = "logout"
    REVOKED = "revoked"  # ended from another device or the API
    SIGNED_OUT = "signed_out"  # "sign out all other sessions"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    ADMIN = "admin"
    REUSED = "reused"
    LOCKDOWN = "lockdown"  # "This wasn't me"
    EMAIL_RESTORED = "email_restored"  # an email change undone from the old address
    ACCOUNT_DELETED = "account_deleted"


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
    auth_time: int
    amr: tuple[str, ...]
    refresh_claims: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PresentedRefresh:
    """A refresh token as a request presented it: the raw string and its verified claims."""

    token: str
    claims: Mapping[str, Any]

    @classmethod
    def of(cls, token: str | None, verified: Verified | None) -> PresentedRefresh | None:
        if token is None or verified is None or verified.claims is None:
            return None
        return cls(token, verified.claims)

    @classmethod
    def of_grant(cls, grant: Grant) -> PresentedRefresh | None:
        if grant.refresh_token is None or grant.refresh_claims is None:
            return None
        return cls(grant.refresh_token, grant.refresh_claims)

    @property
    def session_id(self) -> str:
        return self.claims["sid"]

    @property
    def gen(self) -> int | None:
        """The generation it claims; tokens from before generations existed count as 0."""
        gen = self.claims.get("gen", 0)
        return gen if isinstance(gen, int) and not isinstance(gen, bool) and gen >= 0 else None

    @property
    def session_end(self) -> int | None:
        end = self.claims.get("sxp")
        return end if isinstance(end, int) and not isinstance(end, bool) else None

    @property
    def token_hash(self) -> str:
        return hash_token(self.token)


@dataclass(frozen=True)
class SessionState:
    """The refresh lookup's typed row: one session's chain, its user's claims."""

    user_id: int
    gen: int
    current_hash: str | None
    previous_hash: str | None
    floor_gen: int
    refreshed_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    persistent: bool
    auth_time: datetime
    amr: str
    email: str
    email_confirmed_at: datetime | None


@dataclass
class Transaction:
    """One store transaction: where its statements run, and the revocations it publishes
    once committed. ``conn`` is None inside the ORM session's transaction (account operations
    that also change ORM objects), or an engine connection of its own (a refresh)."""

    conn: Connection | None = None
    revoked: dict[str, float] = field(default_factory=dict)

    def execute(self, statement: Any, params: Any = None) -> Any:
        if self.conn is not None:
            return self.conn.execute(statement, params)
        return db.session.execute(statement, params)


@dataclass(frozen=True)
class Pruned:
    sessions: int
    events: int


class SessionStore:
    """Login sessions of one app: holds the authority, the revocation list and the event log."""

    def __init__(
        self, authority: Authority, revocation: RevocationList, activity_retention: int
    ) -> None:
        self.authority = authority
        self.revocation = revocation
        self.events = SecurityLog(authority.now)
        self.activity_retention = activity_retention

    # --- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One database transaction; its revocations reach the list after the commit."""
        txn = Transaction()
        try:
            yield txn
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        self.revocation.revoke(txn.revoked)

    @contextmanager
    def _connection_transaction(self) -> Iterator[Transaction]:
        """A transaction on a pooled connection of its own, without the ORM session: what a
        refresh needs is a statement or two, and a session's set-up and teardown would cost
        more than they do."""
        with db.engine.connect() as conn:
            txn = Transaction(conn)
            with conn.begin():
                yield txn
        self.revocation.revoke(txn.revoked)

    # --- public operations (one transaction each) ---------------------------------------

    def start_session(
        self,
        user: User,
        *,
        persistent: bool,
        user_agent: str = "",
        ip: str = "",
        amr: Sequence[str] = DEFAULT_AMR,
        event: EventKind = EventKind.LOGIN,
    ) -> Grant:
        """Sign-in: open a login session for ``user`` and issue its first pair of tokens."""
        with self.transaction() as txn:
            grant = self.stage_start(
                txn, user, persistent=persistent, user_agent=user_agent, ip=ip, amr=amr
            )
            self.events.add(event, user_id=user.id, session_id=grant.session_id)
        return grant

    def refresh(self, presented: PresentedRefresh, *, allow_expired: bool = False) -> Grant:
        """Trade a refresh token for a new access token (and, with rotation, a new refresh).

        ``allow_expired`` is the third row of the table: the access token is still valid, so
        an idle-expired refresh token that is still the session's current one may be renewed.
        Raises RefreshRefused with the reason otherwise.
        """
        with self._connection_transaction() as txn:
            outcome = self._exchange(txn, presented, allow_expired=allow_expired, renewal=False)
        if isinstance(outcome, RefreshFailure):
            raise RefreshRefused(outcome)
        return outcome

    def renew(self, presented: PresentedRefresh) -> Grant:
        """Fresh claims for this session (the account changed): the same compare-and-set as a
        refresh, so only a request holding the session's current token gets a refresh token."""
        with self.transaction() as txn:
            outcome = self.stage_renewal(txn, presented)
        if isinstance(outcome, RefreshFailure):
            raise RefreshRefused(outcome)
        return outcome

    def reauthenticate(
        self, session_id: str, amr: Sequence[str], *, event: EventKind = EventKind.LOGIN
    ) -> Grant:
        """An interactive sign-in inside an existing session: renews THIS session's tokens with
        a new ``auth_time`` and ``amr`` through the compare-and-set; never a new session.

        Every token the session held before is refused from then on (quietly: it is the
        owner's own, not a theft), so nothing issued earlier, nor anything racing the
        re-authentication, can later carry the new ``auth_time``. Raises RefreshRefused when
        the session has ended.
        """
        with self.transaction() as txn:
            outcome = self.stage_reauthenticate(txn, session_id, amr)
            if not isinstance(outcome, RefreshFailure):
                self.events.add(event, user_id=outcome.user_id, session_id=session_id)
        if isinstance(outcome, RefreshFailure):
            raise RefreshRefused(outcome)
        return outcome

    def end_sessions(
        self, session_ids: Sequence[str], reason: RevokeReason, *, event: EventKind | None
    ) -> int:
        """Sign sessions out (their refresh tokens at once, their access tokens through the
        revocation list); ``event`` is recorded for each session that was still open."""
        with self.transaction() as txn:
            ended = self.stage_revoke(txn, session_ids, reason)
            if event is not None:
                for session_id, user_id in ended:
                    self.events.add(event, user_id=user_id, session_id=session_id)
        return len(ended)

    def end_user_sessions(
        self,
        user_id: int,
        reason: RevokeReason,
        *,
        event: EventKind | None,
        keep_session: str | None = None,
    ) -> int:
        """End every open session of a user except ``keep_session``; one ``event`` for all."""
        with self.transaction() as txn:
            ended = self.stage_end_user_sessions(txn, user_id, reason, keep_session=keep_session)
            if event is not None:
                self.events.add(event, user_id=user_id, session_id=keep_session)
        return ended

    def active_sessions(self, user_id: int) -> Select:
        """A query for the user's sessions that can still be refreshed."""
        now = utc(self.authority.now())
        return select(LoginSession).where(
            LoginSession.user_id == user_id,
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > now,
            LoginSession.current_hash.is_not(None),
            LoginSession.refresh_expires_at > now,
        )

    def prune(self) -> Pruned:
        """Retention: delete the sessions that can never sign anyone in again, and security
        events older than ``ACTIVITY_RETENTION``.

        A session is gone when it was revoked, reached its absolute end, or when both its
        current refresh token and the newest access token it was given have run out (beside a
        valid access token an expired refresh token may still be renewed, row 3).
        """
        now = self.authority.now()
        leeway = self.authority.leeway
        dead = or_(
            LoginSession.revoked_at.is_not(None),
            LoginSession.expires_at <= utc(now),
            (LoginSession.refresh_expires_at <= utc(now - leeway))
            & (LoginSession.access_expires_at <= utc(now - leeway)),
        )
        with self.transaction():
            sessions: CursorResult = db.session.execute(  # type: ignore[assignment]
                delete(LoginSession).where(dead).execution_options(synchronize_session=False)
            )
            events: CursorResult = db.session.execute(  # type: ignore[assignment]
                delete(SecurityEvent)
                .where(SecurityEvent.created_at < utc(now - self.activity_retention))
                .execution_options(synchronize_session=False)
            )
        return Pruned(sessions=sessions.rowcount, events=events.rowcount)

    # --- steps inside a caller's transaction --------------------------------------------

    def stage_start(
        self,
        txn: Transaction,
        user: User,
        *,
        persistent: bool,
        user_agent: str = "",
        ip: str = "",
        amr: Sequence[str] = DEFAULT_AMR,
    ) -> Grant:
        authority = self.authority
        now = authority.now()
        lifetime = authority.session_max_age if persistent else authority.session_max_age_short
        session_end = int(now) + lifetime  # the absolute end: no token ever goes past it
        session_id = secrets.token_urlsafe(16)
        refresh, refresh_claims = self._mint_refresh(session_id, user.id, 0, now, session_end)
        access_exp = min(int(now) + authority.access_ttl, session_end)
        amr_text = " ".join(amr)
        db.session.add(
            LoginSession(
                id=session_id,
                user_id=user.id,
                created_at=utc(now),
                expires_at=utc(session_end),
                persistent=persistent,
                user_agent=(user_agent or "")[:512],
                ip=(ip or "")[:64],
                gen=0,
                current_hash=hash_token(refresh),
                previous_hash=None,
                floor_gen=0,
                refreshed_at=utc(now),
                refresh_expires_at=utc(refresh_claims["exp"]),
                access_expires_at=utc(access_exp),
                last_seen_at=utc(now),
                auth_time=utc(int(now)),
                amr=amr_text,
            )
        )
        return self._grant(
            user.id,
            user.email,
            user.email_confirmed_at is not None,
            session_id,
            session_end,
            persistent,
            now,
            int(now),
            amr_text,
            refresh,
            refresh_claims,
        )

    def stage_renewal(
        self, txn: Transaction, presented: PresentedRefresh
    ) -> Grant | RefreshFailure:
        """Fresh claims (read inside this transaction) for the presented session, rotating
        even with rotation switched off: whatever raced the change cannot recover later."""
        return self._exchange(txn, presented, allow_expired=False, renewal=True)

    def stage_reauthenticate(
        self, txn: Transaction, session_id: str, amr: Sequence[str]
    ) -> Grant | RefreshFailure:
        """The step of ``reauthenticate`` (and of a password change, which checks the password
        again) inside the caller's transaction."""
        for _attempt in range(MAX_ATTEMPTS):
            now = self.authority.now()
            state = self._state(txn, session_id)
            failure = self._usable(state, now)
            if failure is not None:
                return failure
            assert state is not None
            grant = self._advance(
                txn,
                session_id,
                state.user_id,
                state.gen,
                int(state.expires_at.timestamp()),
                now,
                match="gen",
                presented_hash=None,
                reauth_amr=" ".join(amr),
            )
            if grant is not None:
                return grant
        return RefreshFailure.REUSED  # three lost races in a row

    def stage_revoke(
        self, txn: Transaction, session_ids: Sequence[str], reason: RevokeReason
    ) -> list[tuple[str, int]]:
        """Mark sessions revoked and forget their refresh tokens; returns (session, user) of
        those that were still open. Their revocation entries last as long as the newest
        access token each was given (plus the leeway), whatever this worker's TTL."""
        if not session_ids:
            return []
        rows = txn.execute(
            _revoke_statement(),
            {"ids": list(session_ids), "now": utc(self.authority.now()), "reason": reason.value},
        ).all()
        margin = self.authority.leeway + 1
        for row in rows:
            txn.revoked[row.id] = row.access_expires_at.timestamp() + margin
        return [(row.id, row.user_id) for row in rows]

    def stage_end_user_sessions(
        self,
        txn: Transaction,
        user_id: int,
        reason: RevokeReason,
        *,
        keep_session: str | None = None,
    ) -> int:
        query = select(LoginSession.id).where(
            LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None)
        )
        if keep_session is not None:
            query = query.where(LoginSession.id != keep_session)
        return len(self.stage_revoke(txn, list(txn.execute(query).scalars()), reason))

    def stage_delete_user_sessions(self, txn: Transaction, user_id: int) -> int:
        """Delete every session of a user (account deletion), open ones going on the
        revocation list once the transaction commits, so their access tokens are refused at
        once on every worker. Returns how many were still open."""
        ended = self.stage_end_user_sessions(txn, user_id, RevokeReason.ACCOUNT_DELETED)
        txn.execute(
            delete(LoginSession)
            .where(LoginSession.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
        return ended

    # --- the exchange -------------------------------------------------------------------

    def _exchange(
        self,
        txn: Transaction,
        presented: PresentedRefresh,
        *,
        allow_expired: bool,
        renewal: bool,
    ) -> Grant | RefreshFailure:
        authority = self.authority
        gen = presented.gen
        if gen is None:
            return RefreshFailure.INVALID
        rotate = authority.rotation or renewal or allow_expired
        sid = presented.session_id
        token_hash = presented.token_hash
        now = authority.now()
        end = presented.session_end
        try:
            user_id = int(presented.claims["sub"])
        except (KeyError, TypeError, ValueError):
            return RefreshFailure.INVALID
        if end is not None and end > now:  # the common case: one statement, no read
            grant = self._advance(
                txn,
                sid,
                user_id,
                gen,
                end,
                now,
                match="current" if rotate else "touch_current",
                presented_hash=token_hash,
            )
            if grant is not None:
                if not renewal:
                    self.events.add(
                        EventKind.REFRESH,
                        user_id=grant.user_id,
                        session_id=sid,
                        execute=txn.execute,
                    )
                return grant
        for _attempt in range(MAX_ATTEMPTS):
            now = authority.now()
            state = self._state(txn, sid)
            failure = self._usable(state, now)
            if failure is not None:
                return failure
            assert state is not None
            if state.user_id != user_id:
                return RefreshFailure.INVALID
            session_end = int(state.expires_at.timestamp())
            if token_hash == state.current_hash:
                if gen != state.gen:
                    return RefreshFailure.INVALID
                match = "current" if rotate else "touch_current"
            elif gen < state.floor_gen:
                # From before a re-authentication or password change: refused, so nothing
                # that raced it lives on, but the owner's own token is not taken for theft.
                return RefreshFailure.EXPIRED
            elif token_hash == state.previous_hash:
                in_grace = now - state.refreshed_at.timestamp() <= authority.reuse_grace
                if in_grace:
                    match = "touch_gen"  # a parallel request: an access token only
                elif allow_expired:
                    return RefreshFailure.EXPIRED  # an expired predecessor recovers nothing
                else:
                    match = "previous"  # the answer that carried its successor was lost
            elif gen >= state.gen:
                return RefreshFailure.NOT_FOUND  # never handed out (a lost compare-and-set)
            elif allow_expired:
                return RefreshFailure.EXPIRED  # a stale cookie beside a valid access token
            else:
                return self._reused(txn, state, sid)
            grant = self._advance(
                txn,
                sid,
                user_id,
                state.gen,
                session_end,
                now,
                match=match,
                presented_hash=token_hash,
            )
            if grant is not None:
                if not renewal:
                    self.events.add(
                        EventKind.REFRESH,
                        user_id=grant.user_id,
                        session_id=sid,
                        execute=txn.execute,
                    )
                return grant
        return RefreshFailure.REUSED  # three lost races in a row: refuse, revoke nothing

    def _reused(self, txn: Transaction, state: SessionState, session_id: str) -> RefreshFailure:
        self.stage_revoke(txn, [session_id], RevokeReason.REUSED)
        self.events.add(
            EventKind.REFRESH_TOKEN_REUSE,
            user_id=state.user_id,
            session_id=session_id,
            execute=txn.execute,
        )
        return RefreshFailure.REUSED

    def _usable(self, state: SessionState | None, now: float) -> RefreshFailure | None:
        if state is None:
            return RefreshFailure.NOT_FOUND
        if state.revoked_at is not None:
            return RefreshFailure.REVOKED
        if state.expires_at.timestamp() <= now:
            return RefreshFailure.EXPIRED
        return None

    def _state(self, txn: Transaction, session_id: str) -> SessionState | None:
        row = txn.execute(_state_statement(), {"sid": session_id}).one_or_none()
        return SessionState(**row._mapping) if row is not None else None

    def _advance(
        self,
        txn: Transaction,
        session_id: str,
        user_id: int,
        gen: int,
        session_end: int,
        now: float,
        *,
        match: str,
        presented_hash: str | None,
        reauth_amr: str | None = None,
    ) -> Grant | None:
        """The compare-and-set on generation ``gen``; None when another request moved first.

        ``match`` says which token the request holds: "current" rotates it, "previous"
        replaces the never-presented successor (a lost answer), "touch_current" and
        "touch_gen" issue an access token only, "gen" rotates for a re-authentication and
        raises the floor below which every older token is refused.
        """
        authority = self.authority
        access_exp = min(int(now) + authority.access_ttl, session_end)
        params: dict[str, Any] = {
            "sid": session_id,
            "uid": user_id,
            "expected_gen": gen,
            "now": utc(now),
            "access_exp": utc(access_exp),
        }
        refresh: str | None = None
        refresh_claims: dict[str, Any] | None = None
        if match in ("current", "previous", "gen"):
            refresh, refresh_claims = self._mint_refresh(
                session_id, user_id, gen + 1, now, session_end
            )
            params.update(
                new_gen=gen + 1,
                new_hash=hash_token(refresh),
                refresh_exp=utc(refresh_claims["exp"]),
            )
        if match != "gen":
            params["hash"] = presented_hash
        if reauth_amr is not None:
            params.update(new_auth_time=utc(int(now)), new_amr=reauth_amr)
        row = txn.execute(_advance_statement(match), params).one_or_none()
        if row is None:
            return None
        return self._grant(
            row.user_id,
            row.email,
            row.email_confirmed_at is not None,
            session_id,
            session_end,
            row.persistent,
            now,
            int(row.auth_time.timestamp()),
            row.amr,
            refresh,
            refresh_claims,
        )

    # --- minting ------------------------------------------------------------------------

    def _mint_refresh(
        self, session_id: str, user_id: int, gen: int, now: float, session_end: int
    ) -> tuple[str, dict[str, Any]]:
        return self.authority.mint(
            TokenType.REFRESH,
            user_id=user_id,
            session_id=session_id,
            now=now,
            not_after=session_end,
            extra={"gen": gen, "sxp": session_end},
        )

    def _grant(
        self,
        user_id: int,
        email: str,
        email_confirmed: bool,
        session_id: str,
        session_end: int,
        persistent: bool,
        now: float,
        auth_time: int,
        amr: str,
        refresh: str | None,
        refresh_claims: Mapping[str, Any] | None,
    ) -> Grant:
        amr_list = amr.split()
        # "ecf" (email confirmed) only drives the account page's banner, never an access
        # decision; "auth_time" and "amr" say how and when the person last signed in.
        access, claims = self.authority.mint(
            TokenType.ACCESS,
            user_id=user_id,
            session_id=session_id,
            now=now,
            not_after=session_end,
            extra={
                "email": email,
                "ecf": email_confirmed,
                "auth_time": auth_time,
                "amr": amr_list,
            },
        )
        return Grant(
            user_id=user_id,
            email=email,
            session_id=session_id,
            session_expires_at=session_end,
            persistent=persistent,
            access_token=access,
            refresh_token=refresh,
            email_confirmed=email_confirmed,
            access_expires_at=claims["exp"],
            auth_time=auth_time,
            amr=tuple(amr_list),
            refresh_claims=refresh_claims,
        )


# --- statements, built once (building them costs more than running them) ----------------


def _sessions_table() -> Table:
    return cast(Table, LoginSession.__table__)


def _returning():
    sessions, users = _sessions_table(), User.__table__
    owner = users.c.id == sessions.c.user_id
    return (
        sessions.c.user_id,
        sessions.c.persistent,
        sessions.c.auth_time,
        sessions.c.amr,
        select(users.c.email).where(owner).scalar_subquery().label("email"),
        select(users.c.email_confirmed_at)
        .where(owner)
        .scalar_subquery()
        .label("email_confirmed_at"),
    )


@cache
def _advance_statement(match: str):
    s = _sessions_table()
    when = s.c.expires_at.type

    def at(name: str):
        return bindparam(name, type_=when)

    conditions = [
        s.c.id == bindparam("sid"),
        s.c.user_id == bindparam("uid"),
        s.c.gen == bindparam("expected_gen"),
        s.c.revoked_at.is_(None),
        s.c.expires_at > at("now"),
    ]
    if match in ("current", "touch_current"):
        conditions.append(s.c.current_hash == bindparam("hash"))
    elif match == "previous":
        conditions.append(s.c.previous_hash == bindparam("hash"))
    elif match == "touch_gen":
        conditions.append(
            or_(s.c.current_hash == bindparam("hash"), s.c.previous_hash == bindparam("hash"))
        )
    values: dict[str, Any] = {
        "access_expires_at": case(
            (s.c.access_expires_at > at("access_exp"), s.c.access_expires_at),
            else_=at("access_exp"),
        ),
        "last_seen_at": at("now"),
    }
    if match in ("current", "previous", "gen"):
        values.update(
            gen=bindparam("new_gen"),
            current_hash=bindparam("new_hash"),
            refreshed_at=at("now"),
            refresh_expires_at=at("refresh_exp"),
        )
    if match in ("current", "gen"):
        values["previous_hash"] = s.c.current_hash  # the old value: the one just replaced
    if match == "gen":
        values.update(
            auth_time=at("new_auth_time"), amr=bindparam("new_amr"), floor_gen=bindparam("new_gen")
        )
    return update(s).where(*conditions).values(**values).returning(*_returning())


@cache
def _state_statement():
    s, users = _sessions_table(), User.__table__
    return (
        select(
            s.c.user_id,
            s.c.gen,
            s.c.current_hash,
            s.c.previous_hash,
            s.c.floor_gen,
            s.c.refreshed_at,
            s.c.expires_at,
            s.c.revoked_at,
            s.c.persistent,
            s.c.auth_time,
            s.c.amr,
            users.c.email,
            users.c.email_confirmed_at,
        )
        .join(users, users.c.id == s.c.user_id)
        .where(s.c.id == bindparam("sid"))
    )


@cache
def _revoke_statement():
    s = _sessions_table()
    return (
        update(s)
        .where(s.c.id.in_(bindparam("ids", expanding=True)), s.c.revoked_at.is_(None))
        .values(
            revoked_at=bindparam("now", type_=s.c.revoked_at.type),
            revoke_reason=bindparam("reason"),
            current_hash=None,
            previous_hash=None,
        )
        .returning(s.c.id, s.c.user_id, s.c.access_expires_at)
    )


def init_app(app: Flask) -> None:
    """Build the store (after ``authority`` and ``revocation``, which it holds)."""
    from .authority import EXTENSION_KEY as AUTHORITY_KEY

    app.extensions[EXTENSION_KEY] = SessionStore(
        app.extensions[AUTHORITY_KEY],
        app.extensions[REVOCATION_KEY],
        int(app.config["ACTIVITY_RETENTION"]),
    )


def get_session_store() -> SessionStore:
    return current_app.extensions[EXTENSION_KEY]
