"""The password policy, after NIST SP 800-63B, as one reusable WTForms validator.

Length counts (at least ``PASSWORD_MIN_LENGTH``, at most ``PASSWORD_MAX_LENGTH`` characters,
after Unicode NFKC normalisation); there are no composition rules (no "one digit, one
symbol"), because they make passwords harder to remember and barely harder to guess. Instead a
password is refused when zxcvbn rates it easy to guess (score below ``PASSWORD_MIN_SCORE``),
when it contains the name part of the person's email, or when it is known from data
breaches (``breached``, asked last, only for otherwise good ones). Every refusal says why in
plain words.

zxcvbn's time grows with the square of the length, times the number of l33t substitutions
the password allows: a crafted 128-character input once cost 10-30 s of CPU. So it never sees
more than ``STRENGTH_CHUNK`` characters at a time, and at most ``STRENGTH_CHUNKS`` chunks:
the password's guesses are estimated as the product of its chunks' guesses (what zxcvbn does
for the matches of a sequence), and characters past the last chunk only add strength that the
check does not count. Repeats are collapsed first (a cheap regular expression), so a unit
repeated across chunks is not counted twice, and each chunk is checked with the characters
before it as a dictionary (a part it repeats costs nothing). The worst input then costs a bounded few tens of milliseconds
(``tests/security/test_password_cpu.py``), and a long password is still judged by its start.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from wtforms import Field, Form
from wtforms.validators import ValidationError
from zxcvbn import zxcvbn
from zxcvbn.time_estimates import guesses_to_score

from .breached import seen_in_breaches

STRENGTH_CHUNK = 12  # characters zxcvbn sees at once: its worst case is a few ms here
STRENGTH_CHUNKS = 3  # chunks checked: the first 36 characters
# NFKC can turn many code points into one; longer raw input is refused before normalising.
RAW_LENGTH_FACTOR = 4
# Repeated units (4-64 characters twice or more, 1-3 characters three times or more) are kept
# once, so chunks never count one unit twice (a repeat adds almost nothing for a guesser) and
# the estimate can only go down; doubled letters in words ("committee") are left alone.
REPEATS = re.compile(r"(.{4,64}?)\1+|(.{1,3}?)\2{2,}", re.DOTALL)
REPEAT_WARNING = 'Repeats like "abcabcabc" are only slightly harder to guess than "abc".'

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
        raw = field.data if isinstance(field.data, str) else ""
        low, high = int(config["PASSWORD_MIN_LENGTH"]), int(config["PASSWORD_MAX_LENGTH"])
        if len(raw) > high * RAW_LENGTH_FACTOR:
            raise ValidationError(_l("Use at most %(n)d characters.", n=high))
        password = normalize_password(raw)
        if len(password) < low:
            raise ValidationError(_l("Use at least %(n)d characters.", n=low))
        if len(password) > high:
            raise ValidationError(_l("Use at most %(n)d characters.", n=high))
        local = local_part(self._email(form))
        if len(local) >= MIN_LOCAL_PART and local in password.lower():
            raise ValidationError(
                _l("Do not use your email address, or its part before the @, in your password.")
            )
        strength = estimate_strength(password, [local] if local else [])
        if strength.score < int(config["PASSWORD_MIN_SCORE"]):
            raise ValidationError(weakness_message(strength.warning))
        if seen_in_breaches(password):
            raise ValidationError(BREACHED)

    def _email(self, form: Form) -> str:
        if self.email_from is not None:
            return self.email_from(form) or ""
        if self.email_field and self.email_field in form:
            return form[self.email_field].data or ""
        return ""


def normalize_password(password: str) -> str:
    """NFKC, as NIST SP 800-63B asks: the same password however the keyboard composed it."""
    return unicodedata.normalize("NFKC", password)


@dataclass(frozen=True)
class Strength:
    score: int  # zxcvbn's 0-4
    warning: str  # zxcvbn's warning for the weakest chunk ("" when it has none)


def collapse_repeats(text: str) -> str:
    """Each repeated unit once, without the partial copy that may end the run ("abcab")."""
    parts: list[str] = []
    position = 0
    while (match := REPEATS.search(text, position)) is not None:
        unit = match.group(1) or match.group(2)
        parts += [text[position : match.start()], unit]
        end = match.end()
        while (
            end < len(text)
            and end - match.end() < len(unit)
            and text[end] == unit[end - match.end()]
        ):
            end += 1
        position = end
    parts.append(text[position:])
    return "".join(parts)


def estimate_strength(password: str, user_inputs: list[str]) -> Strength:
    """zxcvbn's score of ``password``, in bounded time (see the module docstring)."""
    collapsed = collapse_repeats(password)
    repeated = collapsed != password
    password = collapsed
    log_guesses = 0.0
    weakest: tuple[float, str] | None = None
    end = min(len(password), STRENGTH_CHUNK * STRENGTH_CHUNKS)
    for start in range(0, max(end, 1), STRENGTH_CHUNK):
        chunk = password[start : start + STRENGTH_CHUNK]
        # What came before is a dictionary for this chunk, so a part it repeats costs nothing.
        before = password[max(0, start - STRENGTH_CHUNK) : start].lower()
        seen = {before[i:j] for i in range(len(before)) for j in range(i + 3, len(before) + 1)}
        result = zxcvbn(
            chunk, user_inputs=[*user_inputs, *sorted(seen)], max_length=STRENGTH_CHUNK
        )
        chunk_log = math.log10(max(float(result["guesses"]), 1.0))
        log_guesses += chunk_log
        if weakest is None or chunk_log < weakest[0]:
            weakest = (chunk_log, result["feedback"].get("warning") or "")
    guesses = 10 ** min(log_guesses, 300.0)
    warning = weakest[1] if weakest else ""
    return Strength(
        score=guesses_to_score(guesses), warning=warning or (REPEAT_WARNING if repeated else "")
    )


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
