"""The sign-up and login forms."""
from __future__ import annotations

import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError


def normalize_email(value: str | None) -> str:
    """Emails are compared and stored as one lower-cased, trimmed string in Unicode NFC, so
    ``é`` typed as one code point or as ``e`` plus an accent is the same address."""
    return unicodedata.normalize("NFC", (value or "").strip().lower())


class PasswordLength:
    """Length bounds read from config when the form is checked, not when it is defined."""

    def __call__(self, form: FlaskForm, field: PasswordField) -> None:
        low = current_app.config["PASSWORD_MIN_LENGTH"]
        high = current_app.config["PASSWORD_MAX_LENGTH"]
        size = len(field.data or "")
        if size < low:
            raise ValidationError(_l("Use at least %(n)d characters.", n=low))
        if size > high:
            raise ValidationError(_l("Use at most %(n)d characters.", n=high))


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[normalize_email],
        validators=[DataRequired(_l("Enter your email address.")),
                    Length(max=320),
                    Email(_l("Enter a valid email address, like name@example.com."))],
    )
    password = PasswordField(_l("Password"), validators=[PasswordLength()])
    confirm = PasswordField(
        _l("Confirm password"),
        validators=[EqualTo("password", _l("The two passwords do not match."))],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[normalize_email],
                       validators=[DataRequired(_l("Enter your email address."))])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()
