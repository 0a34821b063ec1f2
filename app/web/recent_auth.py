"""Recent sign-in for security changes (SPEC 7): ``auth_time`` no older than
``RECENT_AUTH_MAX_AGE`` seconds.

The check reads the access token's ``auth_time`` claim, so it costs no SQL. A page is sent to
``/auth/reauth?next=...``; a JSON client gets the RFC 9470 challenge
``WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age="600"``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from ..sessions.authority import get_authority
from .authn import Principal, unauthenticated, wants_json
from .safe_next import safe_next


def max_age() -> int:
    return int(current_app.config["RECENT_AUTH_MAX_AGE"])


def is_recent(user: Principal) -> bool:
    return get_authority().now() - user.auth_time <= max_age()


def _return_path() -> str:
    """Where to come back to: this page for a GET, the page the form was on for a POST."""
    if request.method == "GET":
        return request.full_path.rstrip("?") if request.query_string else request.path
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        return safe_next(referrer.path, url_for("account.index"))
    return url_for("account.index")


def reauth_required_response():
    seconds = max_age()
    reauth_url = url_for("mfa.reauth", next=_return_path())
    if request.path.startswith("/api/") or request.is_json or wants_json():
        body = {
            "error": "insufficient_user_authentication",
            "message": _("Sign in again to make this change."),
        }
        if not request.path.startswith("/api/"):  # the site's own script goes there
            body["redirect"] = reauth_url
        response = jsonify(body)
        response.status_code = 401
        response.headers["WWW-Authenticate"] = (
            'Bearer realm="gatehouse", error="insufficient_user_authentication", '
            'error_description="A more recent sign-in is required", '
            f'max_age="{seconds}"'
        )
        return response
    return redirect(reauth_url)


def recent_auth_required(view: Callable) -> Callable:
    """Signed in, and signed in interactively within ``RECENT_AUTH_MAX_AGE`` seconds.

    Use it instead of ``login_required`` on a view that changes sign-in security or the
    account itself. Anonymous requests get ``login_required``'s answer.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = g.get("user")
        if user is None:
            return unauthenticated()
        if not is_recent(user):
            return reauth_required_response()
        return view(*args, **kwargs)

    return wrapped
