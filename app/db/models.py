"""Users, login sessions and refresh tokens (SQLAlchemy 2 typed models).

A login session is one sign-in on one device; its refresh tokens form a chain in which each
token names the one that replaced it. Only SHA-256 hashes of refresh tokens are stored.
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
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..extensions import db


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, hands back aware UTC, on every backend alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


class User(db.Model):
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


class RefreshToken(db.Model):
    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the token's jti
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("login_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(64), nullable=True)

    session: Mapped[LoginSession] = relationship(back_populates="tokens")

    __table_args__ = (Index("ix_refresh_tokens_session_id", "session_id"),)


class LoginSession(db.Model):
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

    # Last activity is the newest refresh, so a refresh writes one table, not two.
    last_seen_at: Mapped[datetime | None] = column_property(
        select(func.max(RefreshToken.issued_at))
        .where(RefreshToken.session_id == id)
        .correlate_except(RefreshToken)
        .scalar_subquery(),
        deferred=True,
    )

    user: Mapped[User] = relationship(back_populates="sessions")
    tokens: Mapped[list[RefreshToken]] = relationship(
        back_populates="session", passive_deletes=True
    )


class SecurityEvent(db.Model):
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


class EmailToken(db.Model):
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


class OutgoingMail(db.Model):
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
