"""Throttling of ``POST /api/auth/token``: the login form's limits, counted for the API.

The form counts a re-rendered form (200) as a failure; here a 200 is a success, so only a
401 counts. Both doors share one budget: a route limit of the shared ``limiter`` keeps its
counter under the view's endpoint name, and these limits are shared under that same name,
so a guesser gets ``LOGIN_LIMIT_PER_ADDRESS`` and ``LOGIN_LIMIT_PER_EMAIL`` attempts in all,
whether they post the form or call the API.
"""

from __future__ import annotations

from flask import Response, current_app

from ..web.throttle import email_key, limiter, signed_in_user
from .body import parsed_json

LOGIN_FORM_SCOPE = "auth.login"  # the endpoint of the login form


def credentials_rejected(response: Response) -> bool:
    return response.status_code == 401


def submitted_json_email() -> str:
    """The per-account key: the same ``email:<normalized>`` key the login form uses."""
    body = parsed_json()
    return email_key(body.get("email") if isinstance(body, dict) else None)


api_login_per_address = limiter.shared_limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    scope=LOGIN_FORM_SCOPE,
    methods=["POST"],
    deduct_when=credentials_rejected,
)
api_login_per_email = limiter.shared_limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_EMAIL"],
    scope=LOGIN_FORM_SCOPE,
    key_func=submitted_json_email,
    methods=["POST"],
    deduct_when=credentials_rejected,
)

# The data export shares one budget per account between the page and the API.
api_export_per_user = limiter.shared_limit(
    lambda: current_app.config["EXPORT_LIMIT"],
    scope="account.export_download",
    key_func=signed_in_user,
    methods=["GET"],
)
