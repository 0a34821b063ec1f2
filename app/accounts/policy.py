"""The password policy, after NIST SP 800-63B, as one reusable WTForms validator.

Length counts (at least ``PASSWORD_MIN_LENGTH``, at most ``PASSWORD_MAX_LENGTH``); there are no
composition rules (no "one digit, one symbol"), because they make passwords harder to remember
and barely harder to guess. Instead a password is refused when zxcvbn rates it easy to guess
(score below ``PASSWORD_MIN_SCORE``), when it contains the name part of the person's email, or
when it is known from data breaches (``breached``, asked last, only for otherwise good ones).
Every refusal says why in plain words, through Flask-Babel.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from wtforms import Field, Form
from wtforms.validators import ValidationError
from zxcvbn import zxcvbn

from .breached import seen_in_breaches

MIN_LOCAL_PART = 3  # shorter name parts ("al@…") would refuse too many good passwords

# zxcvbn explains itself in English; these are its warnings in our own translated words.
WARNINGS = {
    "Straight rows of keys are easy to guess.": _l(
        "Rows of keys on the keyboard are easy to guess."
    ),
    "Short keyboard patterns are easy to guess.": _l("Short keyboard patterns are easy to guess."),
    'Repeats like "aaa" are easy to guess.': _l(
        'Repeated characters like "aaa" are easy to guess.'
    ),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': _l(
        'Repeated groups like "abcabc" are hardly harder to guess than "abc".'
    ),
    'Sequences like "abc" or "6543" are easy to guess.': _l(
        'Sequences like "abc" or "6543" are easy to guess.'
    ),
    "Recent years are easy to guess.": _l("Recent years are easy to guess."),
    "Dates are often easy to guess.": _l("Dates are easy to guess."),
    "This is a top-10 common password.": _l("This is one of the most common passwords."),
    "This is a top-100 common password.": _l("This is one of the most common passwords."),
    "This is a very common password.": _l("This is a very common password."),
    "This is similar to a commonly used password.": _l("This is too close to a common password."),
    "A word by itself is easy to guess.": _l("A single word is easy to guess."),
    "Names and surnames by themselves are easy to guess.": _l(
        "A name by itself is easy to guess."
    ),
    "Common names and surnames are easy to guess.": _l("Common names are easy to guess."),
}
BREACHED = _l(
    "This password has appeared in a data breach, so attackers try it first. Please choose "
    "another one."
)
ADVICE = _l("Try a few unrelated words, or a longer phrase only you would think of.")

EmailSource = Callable[[Form], "str | None"]


def signed_in_email(form: Form) -> str | None:
    """The email of the person signed in (for forms without an email field)."""
    user = g.get("user")
    return user.email if user is not None else None


class PasswordPolicy:
    """Validate a new password: length, no email name part, zxcvbn score.

    ``email_field`` names the form field holding the person's email (sign-up, reset);
    ``email_from`` finds it another way, e.g. ``signed_in_email`` on a change-password form.
    """

    def __init__(
        self, email_field: str | None = "email", email_from: EmailSource | None = None
    ) -> None:
        self.email_field = email_field
        self.email_from = email_from

    def __call__(self, form: Form, field: Field) -> None:
        config = current_app.config
        password = field.data or ""
        low, high = int(config["PASSWORD_MIN_LENGTH"]), int(config["PASSWORD_MAX_LENGTH"])
        if len(password) < low:
            raise ValidationError(_l("Use at least %(n)d characters.", n=low))
        if len(password) > high:
            raise ValidationError(_l("Use at most %(n)d characters.", n=high))
        local = local_part(self._email(form))
        if len(local) >= MIN_LOCAL_PART and local in password.lower():
            raise ValidationError(
                _l("Do not use your email address, or its part before the @, in your password.")
            )
        result = zxcvbn(password, user_inputs=[local] if local else [], max_length=high)
        if result["score"] < int(config["PASSWORD_MIN_SCORE"]):
            raise ValidationError(weakness_message(result["feedback"].get("warning") or ""))
        if seen_in_breaches(password):
            raise ValidationError(BREACHED)

    def _email(self, form: Form) -> str:
        if self.email_from is not None:
            return self.email_from(form) or ""
        if self.email_field and self.email_field in form:
            return form[self.email_field].data or ""
        return ""


def local_part(email: str) -> str:
    """The part before the last @, lower-cased ("Ann.Lee@x.org" -> "ann.lee")."""
    return email.rpartition("@")[0].strip().lower() if "@" in email else ""


def weakness_message(warning: str) -> str:
    """ "Too easy to guess", the reason when zxcvbn gives one we know, and what to do."""
    reason = WARNINGS.get(warning)
    parts = [str(_l("This password is too easy to guess."))]
    if reason is not None:
        parts.append(str(reason))
    parts.append(str(ADVICE))
    return " ".join(parts)
