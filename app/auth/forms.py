"""The sign-up and login forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..password_policy import PasswordPolicy


def normalize_email(value: str | None) -> str:
    """Emails are compared and stored as one lower-cased, trimmed string."""
    return (value or "").strip().lower()


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[normalize_email],
        validators=[DataRequired(_l("Enter your email address.")),
                    Length(max=320),
                    Email(_l("Enter a valid email address, like name@example.com."))],
    )
    password = PasswordField(_l("Password"), validators=[PasswordPolicy(email_field="email")])
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
