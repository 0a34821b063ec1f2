"""Tables of strong sign-in: passkeys, the authenticator app, recovery codes, and the
short-lived challenges (a pending second step, a WebAuthn ceremony) held on the server.

Nothing secret is stored in the clear: a recovery code and a challenge handle only as a
SHA-256 hash, the authenticator-app key encrypted (see crypto.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db.models import UTCDateTime
from ..extensions import Model


class Passkey(Model):
    """A WebAuthn credential (discoverable), with what its authenticator last told us."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE
    user_handle: Mapped[str] = mapped_column(String(88))  # base64url, the same for a user's keys
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(64))
    transports: Mapped[str] = mapped_column(String(255), default="")  # comma-separated
    aaguid: Mapped[str] = mapped_column(String(36), default="")
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TotpAuthenticator(Model):
    """One authenticator app per person; usable once ``confirmed_at`` is set."""

    __tablename__ = "totp_authenticators"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The newest 30-second step whose code was accepted: that code and older ones never again.
    last_used_step: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCode(Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)


class MfaChallenge(Model):
    """A single-use server-side step: a pending second step or a WebAuthn challenge."""

    __tablename__ = "mfa_challenges"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the handle
    purpose: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    challenge: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    persistent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where to go afterwards (a second step), or the user handle a passkey is made for.
    context: Mapped[str] = mapped_column(String(512), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_mfa_challenges_expires_at", "expires_at"),)
