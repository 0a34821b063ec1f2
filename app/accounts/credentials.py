"""Checking an email and password, the same way for the login form and the JSON API."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..db.models import User
from ..extensions import db
from ..sessions.authority import get_authority
from . import events
from .events import EventKind
from .passwords import get_passwords

MAX_EMAIL_LENGTH = 320


def verify_credentials(email: str, password: str) -> User | None:
    """The account if the password is its own, else None (and the failure is recorded).

    An unknown email costs one argon2 run too, so the time taken does not tell which part was
    wrong. A hash made with older argon2 parameters is upgraded on success.
    """
    user = None
    if len(email) <= MAX_EMAIL_LENGTH and "\x00" not in email:  # no address has either
        user = db.session.scalar(select(User).where(User.email == email))
    passwords = get_passwords()
    if not passwords.verify(user.password_hash if user else None, password):
        events.record(
            EventKind.LOGIN_FAILED, authority=get_authority(), user_id=user.id if user else None
        )
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
        db.session.commit()
    return user


def confirmation_pending(user: User) -> bool:
    """Sign-in waits for the emailed link (only with REQUIRE_CONFIRMED_EMAIL on)."""
    return bool(current_app.config["REQUIRE_CONFIRMED_EMAIL"]) and user.email_confirmed_at is None
