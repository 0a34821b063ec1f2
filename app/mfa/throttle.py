"""Throttling of the second step (the form and the API) and of passkey sign-in.

Like the password: only failures count, per address (sharing the login form's budget) and
per account (``MFA_LIMIT_PER_ACCOUNT``, one budget for the form and the API), so a person
who has the password but not the code cannot try codes quickly from anywhere.
"""

from __future__ import annotations

from flask import Response, current_app, g, request, session

from ..web.throttle import limiter
from .challenges import Purpose, peek_step

LOGIN_FORM_SCOPE = "auth.login"
SECOND_STEP_SCOPE = "mfa.second_step"
SESSION_KEY = "mfa_step"  # the pending second step's handle in Flask's signed session cookie


def step_failed(response: Response) -> bool:
    return bool(g.get("second_step_failed"))


def pending_handle() -> str | None:
    """The handle of this request's pending second step: the form's, or the API's token."""
    if request.path.startswith("/api/"):
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested too deep to decode: no token
            body = None
        token = body.get("mfa_token") if isinstance(body, dict) else None
        return token if isinstance(token, str) else None
    handle = session.get(SESSION_KEY)
    return handle if isinstance(handle, str) else None


def pending_account_key() -> str:
    """``mfa:user:<id>`` for the account whose second step this is (``mfa:-`` for none)."""
    if "mfa_pending_key" not in g:
        purpose = (
            Purpose.API_SECOND_STEP if request.path.startswith("/api/") else Purpose.SECOND_STEP
        )
        step = peek_step(pending_handle(), purpose)
        g.mfa_pending_key = f"mfa:user:{step.user_id}" if step else "mfa:-"
    return g.mfa_pending_key


second_step_per_address = limiter.shared_limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    scope=LOGIN_FORM_SCOPE,
    methods=["POST"],
    deduct_when=step_failed,
)
second_step_per_account = limiter.shared_limit(
    lambda: current_app.config["MFA_LIMIT_PER_ACCOUNT"],
    scope=SECOND_STEP_SCOPE,
    key_func=pending_account_key,
    methods=["POST"],
    deduct_when=step_failed,
)


def passkey_refused(response: Response) -> bool:
    return response.status_code == 400


# A passkey sign-in that fails counts against the address like a wrong password.
passkey_sign_in_per_address = limiter.shared_limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    scope=LOGIN_FORM_SCOPE,
    methods=["POST"],
    deduct_when=passkey_refused,
)
