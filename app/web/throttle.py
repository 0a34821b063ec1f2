"""Throttling with Flask-Limiter: failed logins per address and per submitted email, sign-ups
per address, and wrong current passwords on the change-password form per account.

Only failed attempts count, and every window expires by itself, so the owner of an account
is slowed down at worst, never locked out for good. Storage is in memory by default;
``RATELIMIT_STORAGE_URI`` (for example ``redis://127.0.0.1:6379``) shares it between workers.
``RATELIMIT_ENABLED=false`` turns it off.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address

from . import limiter_internals

limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    _skip_when_idle(app)


def _skip_when_idle(app: Flask) -> None:
    """Run Flask-Limiter's per-request hooks only for requests that a limit can concern.

    Flask-Limiter resolves, for every request, which limits apply, then fills in headers and
    resets its bookkeeping after the response; on a page with no limit that costs about as
    much as a JWT decode. A view decorated with ``limiter.limit`` checks its own limits in
    the decorator's wrapper; the hooks matter only for such views and when default,
    application, blueprint or meta limits (or limits hinted for an endpoint) exist. Anything
    unexpected (a Flask-Limiter without these attributes) runs the hooks as before.
    """
    limiter_internals.wrap_request_hooks(app, limiter, _unless_idle)


IDLE_KEY = "_gatehouse_limiter_idle"


def _unless_idle(hook: Callable, passthrough: bool = False) -> Callable:
    @wraps(hook)
    def run(*args: Any) -> Any:
        if not _idle_for_this_request():
            return hook(*args)
        return args[0] if passthrough else None

    return run


def _idle_for_this_request() -> bool:
    """``limiter_idle()``, decided once per request for its three hooks (before, after and
    teardown), so the hooks of one request always agree."""
    idle = g.get(IDLE_KEY)
    if idle is None:
        idle = limiter_idle()
        setattr(g, IDLE_KEY, idle)
    return idle


def limiter_idle() -> bool:
    """True when no limit can apply to this request (its view has none and none is global)."""
    if limiter_internals.has_global_limits(limiter):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return view is None or not _has_own_limits(view)


_OWN_LIMITS: dict[Callable, bool] = {}


def _has_own_limits(view: Callable) -> bool:
    """Whether ``limiter.limit`` decorated this view (decoration happens before routing)."""
    known = _OWN_LIMITS.get(view)
    if known is None:
        marked = limiter_internals.marked_for_limiting(limiter)
        known = marked is None or get_qualified_name(view) in marked
        _OWN_LIMITS[view] = known
    return known


def email_key(email: object) -> str:
    """The per-account throttling key, ``email:<normalized address>``, for the form and API."""
    from ..auth.forms import normalize_email  # here, not above: auth imports this module

    return "email:" + normalize_email(email if isinstance(email, str) else "")


def submitted_email() -> str:
    """The per-account key of a posted form's ``email`` field."""
    return email_key(request.form.get("email"))


def login_failed(response: Response) -> bool:
    """A login form that did not sign anyone in comes back (200) instead of redirecting."""
    return response.status_code == 200


login_per_address = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=login_failed,
)
login_per_email = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_EMAIL"],
    key_func=submitted_email,
    methods=["POST"],
    deduct_when=login_failed,
)


def signed_in_user() -> str:
    """The throttling key for a signed-in person's own forms (runs after authentication)."""
    user = g.get("user")
    return f"user:{user.user_id}" if user is not None else "user:-"


def wrong_current_password(response: Response) -> bool:
    """Only a wrong current password counts, not a new password the policy refused."""
    return bool(g.get("wrong_current_password"))


# Every sign-up attempt counts: the form also tells whether an address has an account.
register_per_address = limiter.limit(
    lambda: current_app.config["REGISTER_LIMIT_PER_ADDRESS"],
    methods=["POST"],
)
# Guessing the current password with a stolen session is slowed down per account.
password_change_per_user = limiter.limit(
    lambda: current_app.config["PASSWORD_CHANGE_LIMIT"],
    key_func=signed_in_user,
    methods=["POST"],
    deduct_when=wrong_current_password,
)
