"""Account pages; the overview reads nothing from the database."""
from __future__ import annotations

from flask import g, make_response, render_template

from ..web.authn import login_required
from . import bp


@bp.get("")
@login_required
def index():
    response = make_response(render_template("account/index.html", user=g.user))
    response.headers["Cache-Control"] = "no-store"
    return response
