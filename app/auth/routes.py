"""Views of the auth blueprint: each success starts a login session and sets both cookies."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import events, session_store
from ..events import EventKind
from ..authority import get_authority
from ..extensions import db
from ..models import User, utc
from ..passwords import get_passwords
from ..throttle import login_per_address, login_per_email, register_per_address
from ..web.authn import anonymous_only, expire_token_cookies, no_token_reissue, set_grant_cookies
from ..web.safe_next import safe_next
from . import bp
from .forms import LoginForm, RegisterForm

INVALID_CREDENTIALS = "Invalid email or password."


def _signed_in_response(user: User, *, persistent: bool, target: str, kind: EventKind):
    authority = get_authority()
    grant = session_store.start_session(
        user, authority=authority, persistent=persistent,
        user_agent=request.user_agent.string, ip=request.remote_addr or "",
    )
    events.record(kind, authority=authority, user_id=user.id, session_id=grant.session_id)
    response = redirect(target)
    set_grant_cookies(response, grant, authority.now())
    return response


@bp.route("/register", methods=["GET", "POST"])
@anonymous_only
@register_per_address
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        exists = db.session.scalar(select(User.id).where(User.email == form.email.data))
        if exists is None:
            user = User(
                email=form.email.data,
                password_hash=get_passwords().hash(form.password.data),
                created_at=utc(get_authority().now()),
            )
            db.session.add(user)
            try:
                db.session.commit()
            except IntegrityError:  # the same address, signed up a moment ago
                db.session.rollback()
            else:
                flash(_("Welcome! Your account is ready."), "success")
                return _signed_in_response(user, persistent=False,
                                           target=url_for("account.index"),
                                           kind=EventKind.REGISTER)
        form.email.errors.append(_("An account with this email already exists."))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@anonymous_only
@login_per_address
@login_per_email
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data))
        passwords = get_passwords()
        if passwords.verify(user.password_hash if user else None, form.password.data):
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash(form.password.data)
                db.session.commit()
            target = safe_next(form.next.data, url_for("account.index"))
            return _signed_in_response(user, persistent=bool(form.remember.data), target=target,
                                       kind=EventKind.LOGIN)
        events.record(EventKind.LOGIN_FAILED, authority=get_authority(),
                      user_id=user.id if user else None)
        error = INVALID_CREDENTIALS
    return render_template("auth/login.html", form=form, error=error and _(error))


@bp.post("/logout")
@no_token_reissue
def logout():
    # CSRFProtect has already checked the form's token; logout never reissues tokens.
    session_ids = g.tokens.session_ids
    if session_ids:
        authority = get_authority()
        session_store.end_sessions(session_ids, authority=authority)
        for sid in session_ids:
            events.record(EventKind.LOGOUT, authority=authority, user_id=g.tokens.user_id,
                          session_id=sid)
    response = redirect(url_for("auth.login"))
    expire_token_cookies(response)
    flash(_("You have been signed out."), "info")
    return response
