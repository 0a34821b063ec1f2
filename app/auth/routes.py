"""Views of the auth blueprint: each success starts a login session and sets both cookies."""

from __future__ import annotations

from typing import cast

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts import events
from ..accounts.credentials import check_password, confirmation_pending, find_account
from ..accounts.events import EventKind
from ..accounts.passwords import get_passwords
from ..db.models import User, utc
from ..extensions import db
from ..mfa.flows import needs_second_step
from ..mfa.routes import begin_second_step
from ..sessions.authority import get_authority
from ..sessions.store import RevokeReason, get_session_store
from ..web.authn import anonymous_only, expire_tokens, issue_tokens, no_token_reissue, sign_in
from ..web.safe_next import safe_next
from ..web.sign_in_notice import after_sign_in
from ..web.throttle import login_attempt, register_per_address
from . import bp
from .email_links import login_ticket, send_confirmation
from .forms import LoginForm, RegisterForm, ResendConfirmationForm

# The same words for a wrong email and a wrong password (SPEC section 2).
INVALID_CREDENTIALS = _l("Invalid email or password.")


def _signed_in_response(user: User, *, persistent: bool, target: str, kind: EventKind):
    issue_tokens(sign_in(user, persistent=persistent, event=kind))
    response = cast(Response, redirect(target))  # Flask's class at run time
    after_sign_in(response, user, mail_if_new=kind is EventKind.LOGIN)
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
    send_confirmation(user)  # queued in the outbox: it cannot fail for the mail server's sake
    # One message; the account page's banner then asks for the confirmation.
    if required:
        flash(
            _(
                "Your account is ready. Open the link we sent to %(email)s to confirm "
                "your address, then log in.",
                email=user.email,
            ),
            "success",
        )
    else:
        flash(_("Welcome! Your account is ready."), "success")
    if required:
        events.record(EventKind.REGISTER, authority=get_authority(), user_id=user.id)
        return redirect(url_for("auth.login"))
    return _signed_in_response(
        user, persistent=False, target=url_for("account.index"), kind=EventKind.REGISTER
    )


@bp.route("/login", methods=["GET", "POST"])
@anonymous_only
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        user = find_account(form.email.data)
        attempt = login_attempt(form.email.data, user)  # 429 when over
        if not check_password(user, form.password.data):
            user = None
        if user is not None:
            attempt.succeeded()
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
            if needs_second_step(user.id):  # nothing is issued before the second step
                return begin_second_step(
                    user, persistent=bool(form.remember.data), next_url=target
                )
            return _signed_in_response(
                user, persistent=bool(form.remember.data), target=target, kind=EventKind.LOGIN
            )
        error = str(INVALID_CREDENTIALS)
    return render_template("auth/login.html", form=form, error=error)


@bp.post("/logout")
@no_token_reissue
def logout():
    # CSRFProtect has already checked the form's token; logout never reissues tokens.
    get_session_store().end_sessions(
        g.tokens.session_ids, RevokeReason.LOGOUT, event=EventKind.LOGOUT
    )
    expire_tokens()
    flash(_("You have been signed out."), "info")
    return redirect(url_for("auth.login"))
