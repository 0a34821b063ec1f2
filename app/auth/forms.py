"""The sign-up and login forms."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..accounts.policy import PasswordPolicy


def normalize_email(value: str | None) -> str:
    """Emails are compared and stored as one lower-cased, trimmed string in Unicode NFC, so
    ``é`` typed as one code point or as ``e`` plus an accent is the same address."""
    return unicodedata.normalize("NFC", (value or "").strip().lower())


def new_email_field() -> EmailField:
    """An email field that must hold a valid address (sign-up, forgotten password)."""
    return EmailField(
        _l("Email"),
        filters=[normalize_email],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=320, message=_l("Use at most %(max)d characters.")),
            Email(_l("Enter a valid email address, like name@example.com.")),
        ],
    )


class RegisterForm(FlaskForm):
    email = new_email_field()
    password = PasswordField(_l("Password"), validators=[PasswordPolicy(email_field="email")])
    confirm = PasswordField(
        _l("Confirm password"),
        validators=[EqualTo("password", _l("The two passwords do not match."))],
    )


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[normalize_email],
        validators=[DataRequired(_l("Enter your email address."))],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = new_email_field()


def _account_email(form: FlaskForm) -> str | None:
    """The email of the account a reset link belongs to (set by the view)."""
    return getattr(form, "account_email", None)


class ResetPasswordForm(FlaskForm):
    """The same password policy as sign-up."""

    password = PasswordField(
        _l("New password"), validators=[PasswordPolicy(email_from=_account_email)]
    )
    confirm = PasswordField(
        _l("Confirm new password"),
        validators=[EqualTo("password", _l("The two passwords do not match."))],
    )


class ResendConfirmationForm(FlaskForm):
    """ "Send again": a signed-in person needs only the CSRF token; the login page adds a
    short-lived signed ticket naming the account whose password was just proven."""

    ticket = HiddenField()
