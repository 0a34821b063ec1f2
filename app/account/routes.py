"""Account pages: overview with recent activity, login sessions, and the password change.

Every page reads the person from ``g.user`` (the access token); only what the page shows
comes from the database.
"""

from __future__ import annotations

import logging
from weakref import WeakKeyDictionary

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from ..accounts.events import EventKind
from ..accounts.operations import get_account_operations
from ..accounts.passwords import get_passwords
from ..db.engine import UNREACHABLE
from ..db.models import LoginSession, User
from ..extensions import db
from ..sessions.store import RevokeReason, get_session_store
from ..web.authn import expire_tokens, issue_tokens, login_required
from ..web.i18n import request_translations
from ..web.recent_auth import is_recent, reauth_required_response, recent_auth_required
from ..web.throttle import current_password_attempt, password_check_attempt
from . import bp
from .activity import recent_events
from .devices import describe
from .forms import ChangePasswordForm

log = logging.getLogger("gatehouse.account")

EVENT_LABELS = {
    EventKind.REGISTER.value: _l("Account created"),
    EventKind.LOGIN.value: _l("Signed in"),
    EventKind.LOGIN_FAILED.value: _l("Sign-in failed: wrong password"),
    EventKind.LOGOUT.value: _l("Logged out"),
    EventKind.SESSION_REVOKED.value: _l("A device was signed out from this account"),
    EventKind.SESSIONS_SIGNED_OUT.value: _l("All other devices were signed out"),
    EventKind.PASSWORD_CHANGED.value: _l("Password changed"),
    EventKind.PASSWORD_RESET_REQUESTED.value: _l("Password reset link requested"),
    EventKind.EMAIL_CONFIRMED.value: _l("Email address confirmed"),
    EventKind.REFRESH_TOKEN_REUSE.value: _l(
        "Stolen sign-in token detected; that session was ended"
    ),
    EventKind.PASSKEY_ADDED.value: _l("Passkey added"),
    EventKind.PASSKEY_RENAMED.value: _l("Passkey renamed"),
    EventKind.PASSKEY_REMOVED.value: _l("Passkey removed"),
    EventKind.TOTP_ENABLED.value: _l("Authenticator app turned on"),
    EventKind.TOTP_DISABLED.value: _l("Authenticator app turned off"),
    EventKind.RECOVERY_CODES_GENERATED.value: _l("New recovery codes generated"),
    EventKind.RECOVERY_CODE_USED.value: _l("Recovery code used to sign in"),
    EventKind.SECOND_STEP_FAILED.value: _l("Wrong code at the second sign-in step"),
    EventKind.REAUTHENTICATED.value: _l("Sign-in confirmed for a security change"),
    EventKind.EMAIL_CHANGE_REQUESTED.value: _l("Email address change requested"),
    EventKind.EMAIL_CHANGED.value: _l("Email address changed"),
    EventKind.EMAIL_CHANGE_UNDONE.value: _l("Email address change undone"),
    EventKind.DATA_EXPORTED.value: _l("Data downloaded"),
    EventKind.LOCKDOWN.value: _l('Account secured after "This wasn\'t me"'),
}


_LABELS: WeakKeyDictionary = WeakKeyDictionary()


def _event_labels() -> dict[str, str]:
    """EVENT_LABELS in this request's language, translated once per loaded catalogue.

    Keyed by the catalogue object itself, which Flask-Babel loads once per language and keeps,
    so the texts are exactly what ``str()`` of each lazy label would give in this request.
    """
    translations = request_translations()
    labels = _LABELS.get(translations)
    if labels is None:
        labels = {kind: str(label) for kind, label in EVENT_LABELS.items()}
        _LABELS[translations] = labels
    return labels


@bp.get("")
@login_required
def index():
    """The page comes from the access token; only its activity list needs the database, so
    while that does not answer the page is served without the list (saying so)."""
    try:
        rows = recent_events(g.user.user_id)
    except UNREACHABLE as error:
        log.warning(
            "account activity unavailable: %s",
            type(getattr(error, "orig", None) or error).__name__,
        )
        return render_template("account/index.html", user=g.user, activity=None)
    labels = _event_labels()
    activity = [
        {
            "label": labels.get(row.kind, row.kind),
            "kind": row.kind,
            "at": row.created_at,
            "ip": row.ip,
            "device": describe(row.user_agent),
        }
        for row in rows
    ]
    return render_template("account/index.html", user=g.user, activity=activity)


SIGN_IN_METHODS = {
    "password": _l("Password"),
    "passkey": _l("Passkey"),
    "password_app": _l("Password + app"),
    "password_passkey": _l("Password + passkey"),
}


def sign_in_method(amr: str) -> str:
    """How a session signed in, from its RFC 8176 ``amr`` values, in words."""
    methods = set(amr.split())
    key_used = bool(methods & {"hwk", "swk"})
    if "pwd" in methods and key_used:
        return str(SIGN_IN_METHODS["password_passkey"])
    if "pwd" in methods and "otp" in methods:
        return str(SIGN_IN_METHODS["password_app"])
    if key_used:
        return str(SIGN_IN_METHODS["passkey"])
    return str(SIGN_IN_METHODS["password"])


@bp.get("/sessions")
@login_required
def sessions():
    rows = db.session.scalars(
        get_session_store()
        .active_sessions(g.user.user_id)
        .order_by(LoginSession.created_at.desc())
    )
    listed = [
        {
            "id": row.id,
            "device": describe(row.user_agent),
            "ip": row.ip,
            "signed_in_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "current": row.id == g.user.session_id,
            "method": sign_in_method(row.amr),
        }
        for row in rows
    ]
    listed.sort(key=lambda s: not s["current"])  # this device first
    return render_template("account/sessions.html", sessions=listed)


def _own_session(sid: str) -> LoginSession:
    """One of the person's own open sessions; anyone else's id is 404 and changes nothing."""
    row = db.session.scalar(
        select(LoginSession).where(
            LoginSession.id == sid,
            LoginSession.user_id == g.user.user_id,
            LoginSession.revoked_at.is_(None),
        )
    )
    if row is None:
        abort(404)
    return row


@bp.get("/sessions/<sid>/confirm")
@login_required
def confirm_revoke(sid: str):
    """The confirmation step before signing a device out (a page: it works without scripts)."""
    row = _own_session(sid)
    if row.id == g.user.session_id:
        return redirect(url_for("account.sessions"))
    shown = {
        "id": row.id,
        "device": describe(row.user_agent),
        "ip": row.ip,
        "last_seen_at": row.last_seen_at,
    }
    return render_template("account/confirm_revoke.html", session=shown)


@bp.post("/sessions/<sid>/revoke")
@login_required
def revoke_session(sid: str):
    """End one of the person's own sessions; anyone else's id is 404 and changes nothing."""
    row = _own_session(sid)
    if sid != g.user.session_id and not is_recent(g.user):  # signing out oneself is always fine
        return reauth_required_response()
    device = describe(row.user_agent)
    get_session_store().end_sessions([sid], RevokeReason.REVOKED, event=EventKind.SESSION_REVOKED)
    if sid == g.user.session_id:  # this very device: the same as logging out
        expire_tokens()
        flash(_("You have been signed out."), "info")
        return redirect(url_for("auth.login"))
    flash(_("%(device)s has been signed out.", device=device.name), "success")
    return redirect(url_for("account.sessions"))


@bp.get("/sessions/revoke-others/confirm")
@login_required
def confirm_revoke_others():
    others = sum(
        1
        for row in db.session.scalars(get_session_store().active_sessions(g.user.user_id))
        if row.id != g.user.session_id
    )
    if not others:
        return redirect(url_for("account.sessions"))
    return render_template("account/confirm_revoke_others.html", others=others)


@bp.post("/sessions/revoke-others")
@recent_auth_required
def revoke_other_sessions():
    ended = get_session_store().end_user_sessions(
        g.user.user_id,
        RevokeReason.SIGNED_OUT,
        event=EventKind.SESSIONS_SIGNED_OUT,
        keep_session=g.user.session_id,
    )
    flash(
        ngettext(
            "Signed out of %(num)d other device.", "Signed out of %(num)d other devices.", ended
        ),
        "success",
    )
    return redirect(url_for("account.sessions"))


@bp.route("/password", methods=["GET", "POST"])
@recent_auth_required
def password():
    form = ChangePasswordForm()
    if request.method == "POST":
        password_check_attempt()  # the strength check costs CPU: every POST counts
    if form.validate_on_submit():
        user = db.session.get(User, g.user.user_id)
        if user is None:
            abort(404)
        attempt = current_password_attempt()  # counted before the check; 429 when over
        if not get_passwords().verify(user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("Your current password is not correct."))
        else:
            attempt.succeeded()
            return _change_password(user, form.new_password.data)
    return render_template("account/password.html", form=form)


def _change_password(user: User, new_password: str):
    """Re-hash, end every other session and renew this one: one transaction."""
    grant = get_account_operations().change_password(
        user, new_password, session_id=g.user.session_id
    )
    if grant is None:  # this session ended too: log in with the new password
        expire_tokens()
        flash(_("Your password has been changed. Please log in again."), "success")
        return redirect(url_for("auth.login"))
    issue_tokens(grant)
    flash(_("Your password has been changed. Every other device has been signed out."), "success")
    return redirect(url_for("account.index"))
