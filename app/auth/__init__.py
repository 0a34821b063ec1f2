"""Sign-up, login and logout; password reset and email confirmation by mailed links."""

from flask import Blueprint

from ..web import redact

bp = Blueprint("auth", __name__, url_prefix="/auth")
bp.record_once(lambda _state: redact.install())

from . import account_links, email_links, routes  # noqa: E402,F401
