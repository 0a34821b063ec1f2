"""Users, login sessions, security events and mail-link tokens (SQLAlchemy 2 typed models).

A login session is one sign-in on one device; its row holds its refresh chain (generation,
current and previous token), so storage per session is constant. Only SHA-256 hashes of
refresh tokens are stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, hands back aware UTC, on every backend alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The language of the person's last visit, so security mails arrive in it (None: default).
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Bumped to forget every browser that signed in before ("This wasn't me").
    known_browsers_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="user", passive_deletes=True
    )


class LoginSession(Model):
    """One sign-in on one device, with everything its refresh needs in this one row.

    The row holds the hashes of the session's current refresh token and of the one before it,
    and the generation ``gen`` that the current token carries as a signed claim: a refresh is
    one compare-and-set on this row, and a session occupies one row however often it refreshes.
    """

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # absolute end, never extended
    persistent: Mapped[bool] = mapped_column(Boolean, default=False)  # "remember me"
    user_agent: Mapped[str] = mapped_column(String(512), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The refresh chain: generation, current and previous token hashes (SHA-256 hex).
    gen: Mapped[int] = mapped_column(Integer, default=0)
    current_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    previous_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Tokens of a lower generation were issued before the last re-authentication (or password
    # change): they are refused, without counting as theft.
    floor_gen: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # current token issued
    refresh_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # current token's exp
    # The latest exp of any access token issued to this session: how long a revocation
    # entry must live, whatever ACCESS_TOKEN_TTL the revoking worker runs with.
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)  # last interactive sign-in
    amr: Mapped[str] = mapped_column(String(64), default="pwd")  # RFC 8176, space-separated

    user: Mapped[User] = relationship(back_populates="sessions")


class SecurityEvent(Model):
    """Something a person may want to see in their account's recent activity."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(512), default="")

    __table_args__ = (Index("ix_security_events_user_created", "user_id", "created_at"),)


class EmailToken(Model):
    """A single-use link sent by mail (reset, confirmation, email change and its undo, lockdown).

    Only the SHA-256 hash of the token is stored. A token dies when it is used (``used_at``),
    when it expires, or when a newer one of the same purpose is sent (the older row is deleted).
    """

    __tablename__ = "email_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "reset", "confirm", "email_change", "email_undo" or "lockdown"
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The address a link concerns: the new one for a change, the old one for its undo.
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_email_tokens_user_purpose", "user_id", "purpose"),)


class OutgoingMail(Model):
    """A mail waiting for the mail server (the outbox).

    Written in the transaction that asks for the mail, so a mail is queued exactly when what
    it reports is committed. The row is deleted once the mail server has taken the message,
    or once the link in it has expired (``expires_at``): bodies holding a link stay in the
    database no longer than they can be of use.
    """

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # names the mail in log lines
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Due when this moment has passed; a sender claims a row by moving it forward (a lease).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_mail_outbox_next_attempt_at", "next_attempt_at"),)
