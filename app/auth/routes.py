"""Views of the auth blueprint: each success starts a login session and sets both cookies."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts import events
from ..accounts.credentials import confirmation_pending, verify_credentials
from ..accounts.events import EventKind
from ..accounts.passwords import get_passwords
from ..db.models import User, utc
from ..extensions import db
from ..sessions import store as session_store
from ..sessions.authority import get_authority
from ..web import known_browsers
from ..web.authn import (
    anonymous_only,
    expire_token_cookies,
    no_token_reissue,
    set_grant_cookies,
    sign_in,
)
from ..web.safe_next import safe_next
from ..web.throttle import login_per_address, login_per_email, register_per_address
from . import bp
from .email_links import login_ticket, send_confirmation
from .forms import LoginForm, RegisterForm, ResendConfirmationForm

# The same words for a wrong email and a wrong password (SPEC section 2).
INVALID_CREDENTIALS = _l("Invalid email or password.")


def _signed_in_response(user: User, *, persistent: bool, target: str, kind: EventKind):
    grant = sign_in(user, persistent=persistent, event=kind)
    response = redirect(target)
    set_grant_cookies(response, grant, get_authority().now())
    known_browsers.after_sign_in(response, user, mail_if_new=kind is EventKind.LOGIN)
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
                locale=str(get_locale()),
            )
            db.session.add(user)
            try:
                db.session.commit()
            except IntegrityError:  # the same address, signed up a moment ago
                db.session.rollback()
            else:
                return _registered(user)
        form.email.errors.append(_("An account with this email already exists."))
    return render_template("auth/register.html", form=form)


def _registered(user: User):
    """Mail the confirmation link, then sign in (or, when confirmation is required, don't)."""
    required = current_app.config["REQUIRE_CONFIRMED_EMAIL"]
    if required:
        flash(
            _(
                "Your account is ready. Open the link in the email to confirm your address, "
                "then log in."
            ),
            "success",
        )
    else:
        flash(_("Welcome! Your account is ready."), "success")
    send_confirmation(user)
    flash(_("We sent a confirmation link to %(email)s.", email=user.email), "info")
    if required:
        events.record(EventKind.REGISTER, authority=get_authority(), user_id=user.id)
        return redirect(url_for("auth.login"))
    return _signed_in_response(
        user, persistent=False, target=url_for("account.index"), kind=EventKind.REGISTER
    )


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
        user = verify_credentials(form.email.data, form.password.data)
        if user is not None:
            if confirmation_pending(user):
                # Said only after the right password, so it reveals nothing to a guesser.
                resend = ResendConfirmationForm()
                resend.ticket.data = login_ticket(user.id)
                return render_template(
                    "auth/login.html",
                    form=form,
                    error=None,
                    unconfirmed_email=user.email,
                    resend_form=resend,
                )
            target = safe_next(form.next.data, url_for("account.index"))
            return _signed_in_response(
                user, persistent=bool(form.remember.data), target=target, kind=EventKind.LOGIN
            )
        error = str(INVALID_CREDENTIALS)
    return render_template("auth/login.html", form=form, error=error)


@bp.post("/logout")
@no_token_reissue
def logout():
    # CSRFProtect has already checked the form's token; logout never reissues tokens.
    session_ids = g.tokens.session_ids
    if session_ids:
        authority = get_authority()
        session_store.end_sessions(session_ids, authority=authority)
        for sid in session_ids:
            events.record(
                EventKind.LOGOUT, authority=authority, user_id=g.tokens.user_id, session_id=sid
            )
    response = redirect(url_for("auth.login"))
    expire_token_cookies(response)
    flash(_("You have been signed out."), "info")
    return response
