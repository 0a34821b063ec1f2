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
from sqlalchemy.orm import undefer

from ..account.life_routes import export_response
from ..accounts import deletion, events
from ..accounts.credentials import confirmation_pending, verify_credentials
from ..accounts.events import EventKind
from ..auth.forms import normalize_email
from ..db.models import LoginSession, User
from ..extensions import db
from ..sessions import store as session_store
from ..sessions.authority import Authority, get_authority
from ..sessions.store import Grant, RefreshRefused
from ..sessions.tokens import TokenType
from ..web.authn import login_required, sign_in
from . import bp
from .body import InvalidApiRequest, json_object
from .errors import error_response, invalid_request
from .openapi import openapi_document
from .throttle import api_export_per_user, api_login_per_address, api_login_per_email

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
@api_login_per_address
@api_login_per_email
def token():
    body = json_object("email", "password")
    user = verify_credentials(normalize_email(body["email"]), body["password"])
    if user is None:
        return _rejected_grant(_("Invalid email or password."))
    if confirmation_pending(user):  # said only after the right password, as on the form
        return error_response(
            403, "email_not_confirmed", _("Confirm your email address before you sign in.")
        )
    authority = get_authority()
    grant = sign_in(user, persistent=True, event=EventKind.LOGIN)
    return _token_response(grant, authority)


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
    try:
        grant = session_store.refresh(raw, verified.claims, authority=authority)
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
    if verified.authentic:  # ours, valid or merely expired
        sid = verified.claims["sid"]
        if session_store.end_sessions([sid], authority=authority):
            events.record(
                EventKind.LOGOUT,
                authority=authority,
                user_id=int(verified.claims["sub"]),
                session_id=sid,
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
@login_required
def delete_me():
    """Delete the account: every session (this one too) ends at once, on every worker."""
    deleted = deletion.delete_account(g.user.user_id, authority=get_authority())
    if deleted is None:
        return error_response(401, "invalid_token", _("This account no longer exists."))
    return Response(status=204)


@bp.get("/me/export")
@login_required
@api_export_per_user
def export_me():
    """Everything stored about the caller, secrets left out, as a JSON attachment."""
    if db.session.get(User, g.user.user_id) is None:
        return error_response(401, "invalid_token", _("This account no longer exists."))
    return export_response(g.user.user_id)


@bp.get("/sessions")
@login_required
def sessions():
    query = (
        session_store.active_sessions(g.user.user_id, authority=get_authority())
        .options(undefer(LoginSession.last_seen_at))
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
    authority = get_authority()
    found = None
    if SESSION_ID.fullmatch(sid):
        found = db.session.scalar(
            session_store.active_sessions(g.user.user_id, authority=authority)
            .where(LoginSession.id == sid)
            .with_only_columns(LoginSession.id)
        )
    if found is None:
        return error_response(404, "not_found", _("There is no active session with this id."))
    session_store.end_sessions([found], authority=authority, reason="revoked")
    events.record(
        EventKind.SESSION_REVOKED, authority=authority, user_id=g.user.user_id, session_id=found
    )
    return Response(status=204)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
