"""Forms of strong sign-in: a code (app or recovery), a passkey's name, re-authentication."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .flows import PASSKEY_NAME_MAX


class CodeForm(FlaskForm):
    """The second step: a 6-digit code from the app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(_l("Enter the code.")),
            Length(max=64, message=_l("Use at most %(max)d characters.")),
        ],
    )


class TotpSetupForm(FlaskForm):
    code = StringField(
        _l("Code from the app"),
        validators=[
            DataRequired(_l("Enter the 6-digit code the app shows.")),
            Length(max=16, message=_l("Use at most %(max)d characters.")),
        ],
    )


class PasskeyNameForm(FlaskForm):
    name = StringField(
        _l("Name for the new passkey"),
        validators=[
            DataRequired(_l("Give the passkey a name.")),
            Length(max=PASSKEY_NAME_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )


class ReauthForm(FlaskForm):
    """Confirm it is you: the password, or a code when the account has a second factor."""

    password = PasswordField(_l("Password"), validators=[Optional()])
    code = StringField(
        _l("Code from your app, or a recovery code"),
        validators=[Optional(), Length(max=64, message=_l("Use at most %(max)d characters."))],
    )
    next = HiddenField()
