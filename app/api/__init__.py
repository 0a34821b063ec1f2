"""The JSON API for scripts and mobile apps: Bearer tokens in headers, never cookies.

Because the API neither reads nor sets cookies, a browser cannot be tricked into sending
credentials to it, so it is exempt from the CSRF check that guards the HTML forms.
"""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

from . import routes  # noqa: E402,F401
