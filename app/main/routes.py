"""Views of the main blueprint."""

from __future__ import annotations

import logging

from flask import Response, render_template
from sqlalchemy.exc import SQLAlchemyError

from ..db.engine import ping
from ..extensions import db
from . import bp

log = logging.getLogger("gatehouse.health")


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/healthz")
def healthz():
    """200 when the app and its database answer, 503 otherwise."""
    try:
        ping(db.engine)
    except SQLAlchemyError as error:
        log.error("healthz: database unavailable (%s)", type(error).__name__)
        return Response("unavailable\n", status=503, mimetype="text/plain")
    return Response("ok\n", mimetype="text/plain")
