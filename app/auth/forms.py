"""The sign-up and login forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, Field, Form, HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..accounts.emails import MAX_EMAIL_LENGTH, normalize_email
from ..accounts.policy import PasswordPolicy, normalize_password
from ..web.forms import TextForm


def nfkc(value: object) -> object:
    """New passwords in their NFKC form, so "confirm" matches however either was typed."""
    return normalize_password(value) if isinstance(value, str) else value


def strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class EmailAddress:
    """A valid address, replaced by its stored form (``app.accounts.emails``)."""

    def __call__(self, form: Form, field: Field) -> None:
        address = normalize_email(field.data)
        if address is None:
            raise ValidationError(_l("Enter a valid email address, like name@example.com."))
        field.data = address


def new_email_field() -> EmailField:
    """An email field that must hold a valid address (sign-up, forgotten password)."""
    return EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=MAX_EMAIL_LENGTH, message=_l("Use at most %(max)d characters.")),
            EmailAddress(),
        ],
    )


class RegisterForm(TextForm):
    email = new_email_field()
    password = PasswordField(
        _l("Password"), filters=[nfkc], validators=[PasswordPolicy(email_field="email")]
    )
    confirm = PasswordField(
        _l("Confirm password"),
        filters=[nfkc],
        validators=[EqualTo("password", _l("The two passwords do not match."))],
    )


class LoginForm(TextForm):
    # Not validated beyond presence: a login never says whether an address is well-formed;
    # the view looks up ``normalize_email`` of it (None matches no account).
    email = EmailField(
        _l("Email"), filters=[strip], validators=[DataRequired(_l("Enter your email address."))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()


class ForgotPasswordForm(TextForm):
    email = new_email_field()


def _account_email(form: TextForm) -> str | None:
    """The email of the account a reset link belongs to (set by the view)."""
    return getattr(form, "account_email", None)


class ResetPasswordForm(TextForm):
    """The same password policy as sign-up."""

    password = PasswordField(
        _l("New password"), filters=[nfkc], validators=[PasswordPolicy(email_from=_account_email)]
    )
    confirm = PasswordField(
        _l("Confirm new password"),
        filters=[nfkc],
        validators=[EqualTo("password", _l("The two passwords do not match."))],
    )


class ResendConfirmationForm(TextForm):
    """ "Send again": a signed-in person needs only the CSRF token; the login page adds a
    short-lived signed ticket naming the account whose password was just proven."""

    ticket = HiddenField()
