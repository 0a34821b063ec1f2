"""Throttling with Flask-Limiter: failed logins per address and per submitted email.

Only failed attempts count, and every window expires by itself, so the owner of an account
is slowed down at worst, never locked out for good. Storage is in memory by default;
``RATELIMIT_STORAGE_URI`` (for example ``redis://127.0.0.1:6379``) shares it between workers.
``RATELIMIT_ENABLED=false`` turns it off.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    hooks = app.before_request_funcs.get(None, [])
    for index, hook in enumerate(hooks):
        if hook == limiter._check_request_limit:
            hooks[index] = check_limits_in_middleware


def check_limits_in_middleware() -> None:
    """Flask-Limiter's ``before_request`` check, skipped when it cannot find any limit.

    A view decorated with ``limiter.limit`` enforces its own limits in the decorator's
    wrapper; the hook only adds default, application, blueprint and meta limits (and limits
    hinted for an endpoint). Resolving that nothing applies costs every page about as much
    as a JWT decode, so when none of those exist the hook is skipped. Anything unexpected
    (a Flask-Limiter without these attributes) runs the full check.
    """
    if _middleware_limits_possible():
        limiter._check_request_limit()


def _middleware_limits_possible() -> bool:
    manager = getattr(limiter, "limit_manager", None)
    return bool(
        manager is None
        or getattr(manager, "_default_limits", True)
        or getattr(manager, "_application_limits", True)
        or getattr(manager, "_blueprint_limits", True)
        or getattr(manager, "_endpoint_hints", True)
        or getattr(limiter, "_meta_limits", True)
    )


def submitted_email() -> str:
    """The throttling key for per-account limits: the normalized email of the form or JSON."""
    email = request.form.get("email")
    if email is None and request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return "email:" + (email or "").strip().lower()


def login_failed(response: Response) -> bool:
    """A login that did not sign anyone in: the form came back, or the API said 401."""
    return response.status_code in (200, 401)


login_per_address = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"], deduct_when=login_failed,
)
login_per_email = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_EMAIL"],
    key_func=submitted_email, methods=["POST"], deduct_when=login_failed,
)
