"""Forms of the account pages (the revoke buttons are the `post_form` macro of `_forms.html`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from ..accounts.policy import PasswordPolicy, signed_in_email


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
