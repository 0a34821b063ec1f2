"""Views of the main blueprint."""

from __future__ import annotations

import logging

from flask import Response, redirect, render_template, url_for
from sqlalchemy.exc import SQLAlchemyError

from ..db.engine import ping
from ..extensions import db
from . import bp

log = logging.getLogger("gatehouse.health")


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/.well-known/change-password")
def change_password_well_known():
    """Where password managers send a person to change a password (W3C "well-known URL")."""
    return redirect(url_for("account.password"), code=302)


@bp.get("/healthz")
def healthz():
    """200 when the app and its database answer, 503 otherwise."""
    try:
        ping(db.engine)
    except SQLAlchemyError as error:
        log.error("healthz: database unavailable (%s)", type(error).__name__)
        return Response("unavailable\n", status=503, mimetype="text/plain")
    return Response("ok\n", mimetype="text/plain")
