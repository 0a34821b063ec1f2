"""Views of the main blueprint."""

from __future__ import annotations

from flask import jsonify, redirect, render_template, url_for

from . import bp, health


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/.well-known/change-password")
def change_password_well_known():
    """Where password managers send a person to change a password (W3C "well-known URL")."""
    return redirect(url_for("account.password"), code=302)


@bp.get("/healthz")
def healthz():
    """JSON ``{"status", "database", "redis"}``; 503 when a required dependency is down."""
    body, status = health.report()
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
