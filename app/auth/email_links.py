"""Links sent by mail: "Forgot password?", the reset page, and email confirmation.

Every link carries a single-use token from ``app.email_tokens``. Pages that open such a link
send ``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``, so the token never
leaves in a Referer header or stays in a shared cache.
"""

from __future__ import annotations

from typing import Any, cast

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from ..accounts import events
from ..accounts import links as email_tokens
from ..accounts.events import EventKind
from ..accounts.links import Purpose
from ..accounts.operations import get_account_operations
from ..db.models import User
from ..extensions import db
from ..mail import delivery as mail
from ..mail import outbox
from ..mfa.routes import begin_second_step
from ..sessions.authority import get_authority
from ..sessions.store import RefreshRefused, get_session_store
from ..web.authn import current_refresh, expire_tokens, issue_tokens, no_token_reissue
from ..web.public_url import external_url
from ..web.sign_in_notice import after_sign_in
from ..web.throttle import account_key, count_attempt, limiter, password_check_attempt
from . import bp
from .forms import ForgotPasswordForm, ResendConfirmationForm, ResetPasswordForm

MAX_TOKEN_LENGTH = 128  # a real token is 43 characters; anything far longer is not worth a query
TICKET_TTL = 900  # seconds a login page's "send again" button stays usable
TICKET_SALT = "gatehouse.confirm-resend"


# --- Throttles (the one shared limiter; every POST counts, the windows expire by themselves) ---


def _resend_key() -> str:
    user_id = g.user.user_id if g.get("user") else read_ticket(request.form.get("ticket"))
    return f"user:{user_id}" if user_id is not None else "ip:" + (request.remote_addr or "")


forgot_per_address = limiter.limit(
    lambda: current_app.config["FORGOT_LIMIT_PER_ADDRESS"],
    methods=["POST"],
)
resend_per_user = limiter.limit(
    lambda: current_app.config["CONFIRM_RESEND_LIMIT"],
    key_func=_resend_key,
    methods=["POST"],
)


# --- Mails ---


def send_confirmation(user: User) -> None:
    """Queue a fresh confirmation link for ``user`` (the older one dies) and commit both."""
    ttl = int(current_app.config["CONFIRM_TOKEN_TTL"])
    token = email_tokens.issue(
        user.id, Purpose.CONFIRM, authority=get_authority(), ttl=ttl, commit=False
    )
    message = mail.compose(
        "confirm",
        to=user.email,
        subject=_("Confirm your email address"),
        link=external_url("auth.confirm_email", token=token),
        hours=max(1, ttl // 3600),
    )
    outbox.enqueue(message, ttl=ttl)
    db.session.commit()


def send_reset(email: str) -> None:
    """Queue a reset link when ``email`` has an account; do the same work when it has none.

    Either way the account is looked up, a token drawn and both mail templates rendered; the
    mail server is never spoken to here (the outbox's sender does that, off the request
    path), so the answer and its timing do not depend on the mail server or on whether the
    account exists. What remains different is the few small indexed writes for a known
    address (the token's hash, the event, the outbox row) in one commit.
    """
    authority = get_authority()
    ttl = int(current_app.config["RESET_TOKEN_TTL"])
    user = db.session.scalar(select(User).where(User.email == email))
    token = email_tokens.new_token()
    message = mail.compose(
        "reset",
        to=email,
        subject=_("Reset your password"),
        link=external_url("auth.reset_password", token=token),
        minutes=max(1, ttl // 60),
    )
    if user is None:
        return
    email_tokens.issue(
        user.id, Purpose.RESET, authority=authority, ttl=ttl, token=token, commit=False
    )
    events.record(
        EventKind.PASSWORD_RESET_REQUESTED, authority=authority, user_id=user.id, commit=False
    )
    outbox.enqueue(message, ttl=ttl)
    db.session.commit()


# --- The login page's "send again" ticket ---


def login_ticket(user_id: int) -> str:
    """Signed proof, for a few minutes, that this browser just gave the account's password."""
    expires = int(get_authority().now()) + TICKET_TTL
    return _ticket_serializer().dumps({"uid": user_id, "exp": expires})


def read_ticket(ticket: str | None) -> int | None:
    if not ticket or len(ticket) > 512:
        return None
    try:
        data = _ticket_serializer().loads(ticket)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    if not isinstance(data.get("exp"), int) or data["exp"] <= get_authority().now():
        return None
    return data["uid"]


def _ticket_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TICKET_SALT)


# --- Views ---


@bp.route("/forgot", methods=["GET", "POST"])
@forgot_per_address
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Per account, and only for a valid address (its normalised form, hashed).
        count_attempt((current_app.config["FORGOT_LIMIT_PER_EMAIL"], account_key(form.email.data)))
        send_reset(form.email.data)
        return _page("auth/forgot_sent.html", 200, minutes=_minutes("RESET_TOKEN_TTL"))
    return _page("auth/forgot.html", 200, form=form, error=None)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@no_token_reissue
def reset_password(token: str):
    """Set a new password; every session of the user ends and this browser is signed in."""
    authority = get_authority()
    owner_id = (
        email_tokens.peek(token, Purpose.RESET, authority=authority) if _plausible(token) else None
    )
    owner = db.session.get(User, owner_id) if owner_id is not None else None
    if owner is None:
        return _dead_link(Purpose.RESET)
    form = ResetPasswordForm()
    form.account_email = owner.email  # the policy refuses a password containing it
    if request.method == "POST":
        password_check_attempt()  # the strength check costs CPU: every POST counts
    if form.validate_on_submit():
        # One transaction: the token spent, the password changed, the sessions ended and
        # this browser signed in.
        done = get_account_operations().reset_password(
            token,
            form.password.data,
            user_agent=request.user_agent.string,
            ip=request.remote_addr or "",
        )
        if done is None:
            return _dead_link(Purpose.RESET)
        if done.grant is not None:
            issue_tokens(done.grant)
        flash(
            _("Your password has been changed. Every other device has been signed out."),
            "success",
        )
        if done.grant is None:  # a mailbox alone never passes the second factor
            return _private(
                begin_second_step(done.user, persistent=False, next_url=url_for("account.index"))
            )
        response = cast(Response, redirect(url_for("account.index")))  # Flask's class at run time
        after_sign_in(response, done.user, mail_if_new=False)
        return _private(response)
    return _page("auth/reset.html", 200, form=form, token=token)


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    signed_in = g.user is not None
    confirmed = (
        get_account_operations().confirm_email(
            token,
            user_id=g.user.user_id if signed_in else None,
            session_id=g.user.session_id if signed_in else None,
            refresh=current_refresh(),
        )
        if _plausible(token)
        else None
    )
    if confirmed is None:
        return _dead_link(Purpose.CONFIRM)
    if confirmed.session_ended:
        expire_tokens()
    if signed_in and g.user.user_id == confirmed.user.id and not confirmed.session_ended:
        if confirmed.grant is not None:  # the new access token says "confirmed"
            issue_tokens(confirmed.grant)
        flash(_("Thank you, your email address is confirmed."), "success")
        return _private(redirect(url_for("account.index")))
    flash(_("Thank you, your email address is confirmed. You can log in now."), "success")
    return _private(redirect(url_for("auth.login")))


@bp.post("/confirm/resend")
@resend_per_user
def resend_confirmation():
    """ "Send again", from the account page's banner or from the login page (with a ticket)."""
    form = ResendConfirmationForm()
    if not form.validate_on_submit():
        abort(400)
    signed_in = g.user is not None
    user_id = g.user.user_id if signed_in else read_ticket(form.ticket.data)
    user = db.session.get(User, user_id) if user_id is not None else None
    back = url_for("account.index") if signed_in else url_for("auth.login")
    if user is None:
        flash(_("Please log in again to get a new confirmation link."), "info")
        return redirect(url_for("auth.login"))
    response = redirect(back)
    if user.email_confirmed_at is not None:
        flash(_("Your email address is already confirmed."), "info")
        presented = current_refresh() if signed_in else None
        if presented is not None:  # the banner goes: the new access token says so
            try:
                issue_tokens(get_session_store().renew(presented))
            except RefreshRefused:
                expire_tokens()
        return response
    send_confirmation(user)
    flash(_("We sent a new confirmation link to %(email)s.", email=user.email), "success")
    return response


# --- Helpers ---


def _plausible(token: str) -> bool:
    return 0 < len(token) <= MAX_TOKEN_LENGTH


def _minutes(key: str) -> int:
    return max(1, int(current_app.config[key]) // 60)


def _dead_link(purpose: Purpose) -> WerkzeugResponse:
    return _page(
        "auth/link_invalid.html", 410, purpose=purpose.value, minutes=_minutes("RESET_TOKEN_TTL")
    )


def _page(template: str, status: int, **context: Any) -> WerkzeugResponse:
    return _private(make_response(render_template(template, **context), status))


def _private(response: WerkzeugResponse) -> WerkzeugResponse:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
