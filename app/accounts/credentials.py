"""Checking an email and password, the same way for the login form and the JSON API.

The check is split in two, so that the web layer can count the attempt between them: find
the account (one indexed SELECT), count the attempt in the throttle, then check the password.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..db.models import User
from ..extensions import db
from ..sessions.authority import get_authority
from . import events
from .emails import normalize_email
from .events import EventKind
from .passwords import get_passwords


def find_account(email: object) -> User | None:
    """The account of ``email`` (any spelling ``normalize_email`` maps to it), or None."""
    address = normalize_email(email)
    if address is None:
        return None
    return db.session.scalar(select(User).where(User.email == address))


def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s; a failure is recorded.

    No account still costs the same argon2 work, so the time taken does not tell which part
    was wrong. A hash made with older argon2 parameters, or of the password before Unicode
    normalisation, is upgraded on success.
    """
    passwords = get_passwords()
    verdict = passwords.check(user.password_hash if user else None, password)
    if not verdict.ok or user is None:
        events.record(
            EventKind.LOGIN_FAILED, authority=get_authority(), user_id=user.id if user else None
        )
        return False
    if verdict.rehash:  # older argon2 parameters, or a hash of the raw (unnormalised) form
        user.password_hash = passwords.hash(password)
        db.session.commit()
    return True


def verify_credentials(email: object, password: str) -> User | None:
    """The account if the password is its own, else None (and the failure is recorded)."""
    user = find_account(email)
    return user if check_password(user, password) else None


def confirmation_pending(user: User) -> bool:
    """Sign-in waits for the emailed link (only with REQUIRE_CONFIRMED_EMAIL on)."""
    return bool(current_app.config["REQUIRE_CONFIRMED_EMAIL"]) and user.email_confirmed_at is None
