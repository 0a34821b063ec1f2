"""Say why the login page appears when a browser's sign-in has just ended elsewhere.

A protected page sends an anonymous visitor to ``/auth/login?next=…``. When that visitor
carried genuine tokens that the hook refused (the session was signed out from another device,
ended by a password change, or ran out), the login page would look like any other; this hook
leaves a one-time message for it instead. The hook reads only what ``authenticate`` left in
``g`` and the redirect itself, so it costs nothing on any other response.
"""

from __future__ import annotations

from flask import Flask, Response, flash, g, url_for
from flask_babel import gettext as _


def init_app(app: Flask) -> None:
    app.after_request(explain_ended_sign_in)


def explain_ended_sign_in(response: Response) -> Response:
    if response.status_code not in (301, 302, 303, 307) or g.get("user") is not None:
        return response
    tokens = g.get("tokens")
    if tokens is None or not tokens.authentic:
        return response
    if (response.location or "").startswith(url_for("auth.login") + "?next="):
        flash(
            _(
                "You were signed out: from another device, by a password change, or after "
                "a long time away. Log in again to go back to the page you asked for."
            ),
            "info",
        )
    return response
