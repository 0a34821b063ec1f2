"""Forms of the account pages (the revoke and export buttons use the shared PostButtonForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from ..accounts.policy import PasswordPolicy, signed_in_email
from ..auth.forms import new_email_field, normalize_email


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    new_password = PasswordField(
        _l("New password"), validators=[PasswordPolicy(email_from=signed_in_email)]
    )
    confirm = PasswordField(
        _l("Confirm new password"),
        validators=[EqualTo("new_password", _l("The two passwords do not match."))],
    )


class ChangeEmailForm(FlaskForm):
    email = new_email_field()


def _is_signed_in_email(form: FlaskForm, field: StringField) -> None:
    if normalize_email(field.data) != (signed_in_email(form) or ""):
        raise ValidationError(_l("Type your email address exactly as shown above."))


class DeleteAccountForm(FlaskForm):
    """Deleting needs the account's own address typed out, so it is never one stray click."""

    confirm = StringField(
        _l("Your email address"),
        validators=[DataRequired(_l("Type your email address to confirm.")), _is_signed_in_email],
    )
