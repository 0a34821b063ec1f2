"""Forms of the account pages (the revoke and download buttons are the `post_form` macro of
`_forms.html`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from ..accounts.emails import normalize_email
from ..accounts.policy import PasswordPolicy, signed_in_email
from ..auth.forms import new_email_field, nfkc
from ..web.forms import TextForm


class ChangePasswordForm(TextForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    new_password = PasswordField(
        _l("New password"), filters=[nfkc], validators=[PasswordPolicy(email_from=signed_in_email)]
    )
    confirm = PasswordField(
        _l("Confirm new password"),
        filters=[nfkc],
        validators=[EqualTo("new_password", _l("The two passwords do not match."))],
    )


class ChangeEmailForm(TextForm):
    email = new_email_field()


def _is_signed_in_email(form: Form, field: StringField) -> None:
    if normalize_email(field.data) != (signed_in_email(form) or ""):
        raise ValidationError(_l("Type your email address exactly as shown above."))


class DeleteAccountForm(TextForm):
    """Deleting needs the account's own address typed out, so it is never one stray click."""

    confirm = StringField(
        _l("Your email address"),
        validators=[DataRequired(_l("Type your email address to confirm.")), _is_signed_in_email],
    )
