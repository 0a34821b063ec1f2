"""Account pages: overview with recent activity, login sessions, and the password change.

Every page reads the person from ``g.user`` (the access token); only what the page shows
comes from the database.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..accounts import events
from ..accounts.events import EventKind
from ..accounts.passwords import get_passwords
from ..db.models import LoginSession, User
from ..extensions import db
from ..sessions import store as session_store
from ..sessions.authority import get_authority
from ..web.authn import login_required, renew_current_session, set_final_token_cookies
from ..web.forms import PostButtonForm
from ..web.i18n import request_translations
from ..web.throttle import password_change_per_user
from . import bp
from .activity import recent_events
from .devices import describe
from .forms import ChangePasswordForm

EVENT_LABELS = {
    EventKind.REGISTER.value: _l("Account created"),
    EventKind.LOGIN.value: _l("Signed in"),
    EventKind.LOGIN_FAILED.value: _l("Failed sign-in attempt"),
    EventKind.LOGOUT.value: _l("Signed out"),
    EventKind.SESSION_REVOKED.value: _l("Session revoked"),
    EventKind.SESSIONS_SIGNED_OUT.value: _l("Other sessions signed out"),
    EventKind.PASSWORD_CHANGED.value: _l("Password changed"),
    EventKind.PASSWORD_RESET_REQUESTED.value: _l("Password reset link requested"),
    EventKind.EMAIL_CONFIRMED.value: _l("Email address confirmed"),
    EventKind.REFRESH_TOKEN_REUSE.value: _l(
        "Stolen sign-in token detected; that session was ended"
    ),
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
    labels = _event_labels()
    activity = [
        {
            "label": labels.get(row.kind, row.kind),
            "kind": row.kind,
            "at": row.created_at,
            "ip": row.ip,
            "device": describe(row.user_agent),
        }
        for row in recent_events(g.user.user_id)
    ]
    return render_template("account/index.html", user=g.user, activity=activity)


@bp.get("/sessions")
@login_required
def sessions():
    rows = db.session.scalars(
        session_store.active_sessions(g.user.user_id, authority=get_authority())
        .options(undefer(LoginSession.last_seen_at))
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
        }
        for row in rows
    ]
    listed.sort(key=lambda s: not s["current"])  # this device first
    return render_template("account/sessions.html", sessions=listed, form=PostButtonForm())


@bp.post("/sessions/<sid>/revoke")
@login_required
def revoke_session(sid: str):
    """End one of the person's own sessions; anyone else's id is 404 and changes nothing."""
    owned = db.session.scalar(
        select(LoginSession.id).where(
            LoginSession.id == sid,
            LoginSession.user_id == g.user.user_id,
            LoginSession.revoked_at.is_(None),
        )
    )
    if owned is None:
        abort(404)
    authority = get_authority()
    session_store.end_sessions([sid], authority=authority, reason="revoked")
    events.record(
        EventKind.SESSION_REVOKED, authority=authority, user_id=g.user.user_id, session_id=sid
    )
    if sid == g.user.session_id:  # this very device: the same as logging out
        set_final_token_cookies(None)
        flash(_("You have been signed out."), "info")
        return redirect(url_for("auth.login"))
    flash(_("That session has been signed out."), "success")
    return redirect(url_for("account.sessions"))


@bp.post("/sessions/revoke-others")
@login_required
def revoke_other_sessions():
    authority = get_authority()
    ended = session_store.end_user_sessions(
        g.user.user_id, authority=authority, reason="signed_out", keep_session=g.user.session_id
    )
    events.record(
        EventKind.SESSIONS_SIGNED_OUT,
        authority=authority,
        user_id=g.user.user_id,
        session_id=g.user.session_id,
    )
    flash(
        ngettext(
            "Signed out of %(num)d other session.", "Signed out of %(num)d other sessions.", ended
        ),
        "success",
    )
    return redirect(url_for("account.sessions"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@password_change_per_user
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = db.session.get(User, g.user.user_id)
        if user is None:
            abort(404)
        passwords = get_passwords()
        if not passwords.verify(user.password_hash, form.current_password.data):
            g.wrong_current_password = True  # counted by the throttle
            form.current_password.errors.append(_("Your current password is not correct."))
        else:
            return _change_password(user, form.new_password.data)
    return render_template("account/password.html", form=form)


def _change_password(user: User, new_password: str):
    """Re-hash, end every other session, and give this one fresh tokens."""
    authority = get_authority()
    user.password_hash = get_passwords().hash(new_password)
    db.session.commit()
    session_store.end_user_sessions(
        user.id, authority=authority, reason="password_changed", keep_session=g.user.session_id
    )
    events.record(
        EventKind.PASSWORD_CHANGED,
        authority=authority,
        user_id=user.id,
        session_id=g.user.session_id,
    )
    if not renew_current_session():  # this session ended meanwhile: log in with the new one
        flash(_("Your password has been changed. Please log in again."), "success")
        return redirect(url_for("auth.login"))
    flash(_("Your password has been changed. Every other session has been signed out."), "success")
    return redirect(url_for("account.index"))
