"""Views of the JSON API: tokens for email and password, refresh, logout, and the account.

Sessions made here are the same login sessions as the site's, under the same rotation, grace
and reuse rules; they are persistent ("remember me"), because a script or an app keeps its
refresh token on purpose: such a session ends after ``REFRESH_TOKEN_TTL`` of idleness or
``SESSION_MAX_AGE`` in all, whichever comes first.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Response, g, jsonify
from flask_babel import gettext as _

from ..account.life_routes import export_per_user, export_response
from ..accounts import deletion
from ..accounts.credentials import check_password, confirmation_pending, find_account
from ..accounts.events import EventKind
from ..db.models import LoginSession, User
from ..extensions import db
from ..mfa import flows as mfa_flows
from ..mfa.challenges import Purpose, open_step, peek_step, take_step
from ..mfa.flows import needs_second_step
from ..mfa.throttle import second_step_per_account, second_step_per_address
from ..sessions.authority import Authority, get_authority
from ..sessions.store import (
    Grant,
    PresentedRefresh,
    RefreshFailure,
    RefreshRefused,
    RevokeReason,
    get_session_store,
)
from ..sessions.tokens import TokenType
from ..web.authn import login_required, sign_in
from ..web.recent_auth import is_recent, reauth_required_response, recent_auth_required
from ..web.throttle import login_attempt
from . import bp
from .body import InvalidApiRequest, json_object
from .errors import error_response, invalid_request
from .openapi import openapi_document

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

bp.register_error_handler(InvalidApiRequest, invalid_request)


@bp.after_request
def _no_store(response: Response) -> Response:
    """Tokens and account data must not be kept by any cache."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _token_response(grant: Grant, authority: Authority) -> Response:
    return jsonify(
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        token_type="Bearer",
        expires_in=max(0, grant.access_expires_at - int(authority.now())),
    )


def _rejected_grant(message: str) -> Response:
    return error_response(401, "invalid_grant", message)


@bp.post("/auth/token")
def token():
    """The login form's budgets, shared: a guesser gets them once, through either door."""
    body = json_object("email", "password")
    user = find_account(body["email"])
    attempt = login_attempt(body["email"], user)  # 429 when over
    if not check_password(user, body["password"]) or user is None:
        return _rejected_grant(_("Invalid email or password."))
    attempt.succeeded()
    if confirmation_pending(user):  # said only after the right password, as on the form
        return error_response(
            403, "email_not_confirmed", _("Confirm your email address before you sign in.")
        )
    if needs_second_step(user.id):  # the password alone issues nothing for such an account
        g.mfa_required = True  # a right password: not counted as a failure by the throttle
        return error_response(
            401,
            "mfa_required",
            _(
                "This account has a second sign-in step. Send the code from the authenticator "
                "app, or a recovery code, with the mfa_token to /api/auth/token/mfa."
            ),
            mfa_token=open_step(Purpose.API_SECOND_STEP, user_id=user.id, persistent=True),
        )
    authority = get_authority()
    grant = sign_in(user, persistent=True, event=EventKind.LOGIN)
    return _token_response(grant, authority)


@bp.post("/auth/token/mfa")
@second_step_per_address
@second_step_per_account
def token_mfa():
    """The second step of ``/auth/token``: the pending step's token and a code."""
    body = json_object("mfa_token", "code")
    step = peek_step(body["mfa_token"], Purpose.API_SECOND_STEP)
    if step is None or step.user_id is None:
        return _rejected_grant(_("The mfa_token is invalid or has expired. Sign in again."))
    if mfa_flows.check_code(step.user_id, body["code"]) is None:
        g.second_step_failed = True
        return _rejected_grant(_("The code is not right, or it was used already."))
    user = db.session.get(User, step.user_id)
    if take_step(body["mfa_token"], Purpose.API_SECOND_STEP) is None or user is None:
        return _rejected_grant(_("The mfa_token is invalid or has expired. Sign in again."))
    grant = sign_in(
        user, persistent=True, event=EventKind.LOGIN, amr=mfa_flows.AMR_PASSWORD_AND_CODE
    )
    return _token_response(grant, get_authority())


@bp.post("/auth/refresh")
def refresh():
    """A new access token and, with rotation, a new refresh token.

    The previous refresh token shown again within the grace window gets an access token and
    ``refresh_token: null`` (keep the newest one you hold); a replaced token shown later is
    reuse and ends the whole session.
    """
    raw = json_object("refresh_token")["refresh_token"]
    authority = get_authority()
    verified = authority.verify(raw, TokenType.REFRESH, authority.now())
    if not verified.valid:
        return _rejected_grant(_("The refresh token is invalid or has expired."))
    presented = PresentedRefresh.of(raw, verified)
    try:
        if presented is None:
            raise RefreshRefused(RefreshFailure.INVALID)
        grant = get_session_store().refresh(presented)
    except RefreshRefused:
        return _rejected_grant(_("The refresh token is invalid or has expired."))
    return _token_response(grant, authority)


@bp.post("/auth/logout")
def logout():
    """End the refresh token's session. Always 204 for a well-formed request, as revocation is
    idempotent (RFC 7009): an unknown, expired or already ended token changes nothing."""
    raw = json_object("refresh_token")["refresh_token"]
    authority = get_authority()
    verified = authority.verify(raw, TokenType.REFRESH, authority.now())
    if verified.authentic and verified.claims is not None:  # ours, valid or merely expired
        get_session_store().end_sessions(
            [verified.claims["sid"]], RevokeReason.LOGOUT, event=EventKind.LOGOUT
        )
    return Response(status=204)


@bp.get("/me")
@login_required
def me():
    user = db.session.get(User, g.user.user_id)
    if user is None:  # the account was deleted while the access token still runs
        return error_response(401, "invalid_token", _("This account no longer exists."))
    return jsonify(id=user.id, email=user.email, created_at=_timestamp(user.created_at))


@bp.delete("/me")
@recent_auth_required
def delete_me():
    """Delete the account: every session (this one too) ends at once, on every worker."""
    deleted = deletion.delete_account(g.user.user_id)
    if deleted is None:
        return error_response(401, "invalid_token", _("This account no longer exists."))
    return Response(status=204)


@bp.get("/me/export")
@recent_auth_required
@export_per_user
def export_me():
    """Everything stored about the caller, secrets left out, as a JSON attachment."""
    if db.session.get(User, g.user.user_id) is None:
        return error_response(401, "invalid_token", _("This account no longer exists."))
    return export_response(g.user.user_id, g.user.session_id)


@bp.get("/sessions")
@login_required
def sessions():
    query = (
        get_session_store()
        .active_sessions(g.user.user_id)
        .order_by(LoginSession.created_at.desc(), LoginSession.id)
    )
    return jsonify(
        sessions=[
            {
                "id": session.id,
                "created_at": _timestamp(session.created_at),
                "last_seen_at": _timestamp(session.last_seen_at or session.created_at),
                "user_agent": session.user_agent,
                "ip": session.ip,
                "current": session.id == g.user.session_id,
            }
            for session in db.session.scalars(query)
        ]
    )


@bp.delete("/sessions/<sid>")
@login_required
def end_session(sid: str):
    """End one of the caller's own sessions; anyone else's is answered as if it did not exist."""
    store = get_session_store()
    found = None
    if SESSION_ID.fullmatch(sid):
        found = db.session.scalar(
            store.active_sessions(g.user.user_id)
            .where(LoginSession.id == sid)
            .with_only_columns(LoginSession.id)
        )
    if found is None:
        return error_response(404, "not_found", _("There is no active session with this id."))
    if found != g.user.session_id and not is_recent(g.user):  # RFC 9470 step-up challenge
        return reauth_required_response()
    store.end_sessions([found], RevokeReason.REVOKED, event=EventKind.SESSION_REVOKED)
    return Response(status=204)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
