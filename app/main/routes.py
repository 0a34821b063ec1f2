"""Views of the main blueprint."""

from __future__ import annotations

from flask import jsonify, render_template

from . import bp, health


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/healthz")
def healthz():
    """JSON ``{"status", "database", "redis"}``; 503 when a required dependency is down."""
    body, status = health.report()
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
