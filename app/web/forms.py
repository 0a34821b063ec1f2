"""Forms shared by every page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

CSRF_INPUT = Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="{}">')


class PostButtonForm(FlaskForm):
    """An empty form that only carries the CSRF token (logout, revoke)."""


class PostButton:
    """What templates need of a PostButtonForm: its hidden CSRF field, rendered the same way.

    The nav and the account page draw a logout button on every page; building a WTForms
    form for each costs more than the rest of the page, so templates get this instead.
    Views that validate a button's POST still use PostButtonForm (or CSRFProtect).
    """

    @property
    def csrf_token(self) -> Markup:
        return CSRF_INPUT.format(generate_csrf())

    def hidden_tag(self) -> Markup:
        return self.csrf_token
