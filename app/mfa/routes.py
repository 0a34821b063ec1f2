"""Views of strong sign-in: the security page, the second step, and passkey sign-in.

The JSON endpoints serve ``static/passkeys.js``; they sit on the site (not under ``/api/``),
so they take the CSRF token in the ``X-CSRFToken`` header like every other POST here.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from ..accounts.events import EventKind
from ..accounts.passwords import get_passwords
from ..db.models import User
from ..extensions import db
from ..sessions.store import RefreshRefused, get_session_store
from ..web.authn import anonymous_only, expire_tokens, issue_tokens, login_required, sign_in
from ..web.recent_auth import recent_auth_required
from ..web.safe_next import safe_next
from ..web.sign_in_notice import after_sign_in
from ..web.throttle import current_password_attempt
from . import flows, totp
from .challenges import Purpose, open_step, peek_step, take_step
from .forms import CodeForm, PasskeyNameForm, ReauthForm, TotpSetupForm
from .throttle import (
    SESSION_KEY,
    passkey_sign_in_per_address,
    second_step_per_account,
    second_step_per_address,
)
from .webauthn_flows import (
    PasskeyError,
    authentication_options,
    registration_options,
    relying_party,
    verify_authentication,
    verify_registration,
)

bp = Blueprint("mfa", __name__)


def _json_error(status: int, code: str, message: str) -> Response:
    response = jsonify(error=code, message=message)
    response.status_code = status
    return response


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.is_json else None
    return body if isinstance(body, dict) else {}


def _signed_in(
    user: User, *, persistent: bool, target: str, amr: tuple[str, ...], json: bool = False
) -> Response:
    """Open the session (the only place tokens are issued here) and set its cookies."""
    issue_tokens(sign_in(user, persistent=persistent, event=EventKind.LOGIN, amr=amr))
    response = jsonify(redirect=target) if json else make_response(redirect(target))
    after_sign_in(response, user)  # the known-browser cookie; a new browser is mailed
    return response


# The second step at sign-in -----------------------------------------------------------------


def begin_second_step(user: User, *, persistent: bool, next_url: str) -> Response:
    """After the right password: hold the sign-in on the server, ask for the second factor."""
    session[SESSION_KEY] = open_step(
        Purpose.SECOND_STEP, user_id=user.id, persistent=persistent, context=next_url
    )
    return make_response(redirect(url_for("mfa.verify")))


def _pending_step():
    return peek_step(session.get(SESSION_KEY), Purpose.SECOND_STEP)


def _step_expired() -> BaseResponse:
    session.pop(SESSION_KEY, None)
    flash(_("The sign-in took too long. Please log in again."), "error")
    return redirect(url_for("auth.login"))


@bp.route("/auth/login/verify", methods=["GET", "POST"])
@anonymous_only
@second_step_per_address
@second_step_per_account
def verify():
    step = _pending_step()
    if step is None or step.user_id is None:
        return _step_expired()
    factors = flows.factors(step.user_id)
    form = CodeForm()
    if form.validate_on_submit():
        method = flows.check_code(step.user_id, form.code.data)
        if method is not None:
            done = take_step(session.pop(SESSION_KEY, None), Purpose.SECOND_STEP)
            user = db.session.get(User, step.user_id) if done else None
            if user is None:
                return _step_expired()
            target = safe_next(step.context, url_for("account.index"))
            return _signed_in(
                user, persistent=step.persistent, target=target, amr=flows.AMR_PASSWORD_AND_CODE
            )
        g.second_step_failed = True
        form.code.errors.append(_("That code is not right, or it was used already."))
    return render_template(
        "mfa/verify.html",
        form=form,
        totp_on=factors.totp_on,
        has_passkeys=bool(factors.passkeys) and relying_party() is not None,
    )


@bp.post("/auth/login/verify/passkey/options")
@anonymous_only
def verify_passkey_options():
    step = _pending_step()
    if step is None or step.user_id is None:
        return _json_error(400, "expired", _("The sign-in took too long. Please log in again."))
    try:
        options = authentication_options(
            Purpose.PASSKEY_VERIFY, user_id=step.user_id, passkeys=flows.passkeys_of(step.user_id)
        )
    except PasskeyError as error:
        return _json_error(400, "passkey_error", error.message)
    return jsonify(options)


@bp.post("/auth/login/verify/passkey")
@anonymous_only
@second_step_per_address
@second_step_per_account
def verify_passkey():
    step = _pending_step()
    if step is None or step.user_id is None:
        return _json_error(400, "expired", _("The sign-in took too long. Please log in again."))
    body = _json_body()
    try:
        used = verify_authentication(
            body.get("handle"), body.get("credential"), Purpose.PASSKEY_VERIFY
        )
    except PasskeyError as error:
        g.second_step_failed = True
        return _json_error(400, "passkey_error", error.message)
    if used.passkey.user_id != step.user_id:  # pragma: no cover - the options name its keys
        abort(400)
    flows.record_passkey_use(used)
    done = take_step(session.pop(SESSION_KEY, None), Purpose.SECOND_STEP)
    user = db.session.get(User, step.user_id) if done else None
    if user is None:
        return _json_error(400, "expired", _("The sign-in took too long. Please log in again."))
    target = safe_next(step.context, url_for("account.index"))
    amr = flows.passkey_amr(used, after_password=True)
    return _signed_in(user, persistent=step.persistent, target=target, amr=amr, json=True)


# Passkey sign-in (no password) --------------------------------------------------------------


@bp.post("/auth/passkey/options")
@anonymous_only
def passkey_options():
    try:
        return jsonify(authentication_options(Purpose.PASSKEY_SIGN_IN))
    except PasskeyError as error:
        return _json_error(400, "passkey_error", error.message)


@bp.post("/auth/passkey")
@anonymous_only
@passkey_sign_in_per_address
def passkey_sign_in():
    body = _json_body()
    used = _used_passkey(body, Purpose.PASSKEY_SIGN_IN)
    if isinstance(used, Response):
        return used
    user = db.session.get(User, used.passkey.user_id)
    if user is None:  # pragma: no cover - a passkey row goes with its account
        return _json_error(400, "passkey_error", _("This passkey is not registered here."))
    next_url = body.get("next") if isinstance(body.get("next"), str) else None
    target = safe_next(next_url, url_for("account.index"))
    amr = flows.passkey_amr(used, after_password=False)
    return _signed_in(
        user, persistent=bool(body.get("remember")), target=target, amr=amr, json=True
    )


# The security page --------------------------------------------------------------------------


@bp.get("/account/security")
@login_required
def security():
    factors = flows.factors(g.user.user_id)
    return render_template(
        "mfa/security.html",
        factors=factors,
        passkeys_available=relying_party() is not None,
        name_form=PasskeyNameForm(),
    )


@bp.post("/account/security/passkeys/options")
@recent_auth_required
def add_passkey_options():
    try:
        options = registration_options(
            g.user.user_id, g.user.email, flows.passkeys_of(g.user.user_id)
        )
    except PasskeyError as error:
        return _json_error(400, "passkey_error", error.message)
    return jsonify(options)


@bp.post("/account/security/passkeys")
@recent_auth_required
def add_passkey():
    body = _json_body()
    try:
        new = verify_registration(body.get("handle"), body.get("credential"), g.user.user_id)
    except PasskeyError as error:
        return _json_error(400, "passkey_error", error.message)
    name = flows.clean_name(body.get("name") if isinstance(body.get("name"), str) else None, "")
    count = len(flows.passkeys_of(g.user.user_id))
    name = name or _("Passkey %(number)d", number=count + 1)
    flows.add_passkey(g.user.user_id, new, name, g.user.session_id)
    flash(_("Passkey “%(name)s” added.", name=name), "success")
    return jsonify(redirect=url_for("mfa.security"))


@bp.post("/account/security/passkeys/<int:passkey_id>/rename")
@recent_auth_required
def rename_passkey(passkey_id: int):
    form = PasskeyNameForm()
    if not form.validate_on_submit():
        flash(" ".join(form.name.errors) or _("Give the passkey a name."), "error")
        return redirect(url_for("mfa.security"))
    name = flows.clean_name(form.name.data, "")
    if not name:
        flash(_("Give the passkey a name."), "error")
        return redirect(url_for("mfa.security"))
    if not flows.rename_passkey(g.user.user_id, passkey_id, name, g.user.session_id):
        abort(404)
    flash(_("Passkey renamed."), "success")
    return redirect(url_for("mfa.security"))


@bp.post("/account/security/passkeys/<int:passkey_id>/remove")
@recent_auth_required
def remove_passkey(passkey_id: int):
    if not flows.remove_passkey(g.user.user_id, passkey_id, g.user.session_id):
        abort(404)
    flash(_("Passkey removed."), "success")
    return redirect(url_for("mfa.security"))


@bp.post("/account/security/app/new")
@recent_auth_required
def totp_begin():
    """A new key for the app (it replaces any earlier one that was never confirmed)."""
    try:
        flows.begin_totp_setup(g.user.user_id)
    except flows.TotpAlreadyOn:
        flash(_("The authenticator app is already on."), "info")
        return redirect(url_for("mfa.security"))
    return redirect(url_for("mfa.totp_setup"))


@bp.route("/account/security/app", methods=["GET", "POST"])
@recent_auth_required
def totp_setup():
    """Show the waiting key (QR code and text) and take the first code to turn it on."""
    form = TotpSetupForm()
    secret = flows.pending_totp_secret(g.user.user_id)
    if secret is None:
        return redirect(url_for("mfa.security"))
    if form.validate_on_submit():
        confirmed = flows.confirm_totp(g.user.user_id, form.code.data, g.user.session_id)
        if confirmed is not None:
            flash(_("The authenticator app is on."), "success")
            if confirmed.recovery_codes:
                return _show_recovery_codes(confirmed.recovery_codes)
            return redirect(url_for("mfa.security"))
        form.code.errors.append(_("That code is not right. Check the app and try again."))
    uri = totp.provisioning_uri(secret, g.user.email, "Gatehouse")
    return render_template(
        "mfa/totp_setup.html",
        form=form,
        qr=totp.qr_svg(uri, _("QR code for your authenticator app")),
        key=totp.grouped(secret),
    )


@bp.post("/account/security/app/off")
@recent_auth_required
def totp_disable():
    if flows.disable_totp(g.user.user_id, g.user.session_id):
        flash(_("The authenticator app is off."), "success")
    return redirect(url_for("mfa.security"))


@bp.post("/account/security/recovery-codes")
@recent_auth_required
def recovery_codes():
    if not flows.factors(g.user.user_id).second_step:
        flash(_("Turn on the authenticator app or add a passkey first."), "error")
        return redirect(url_for("mfa.security"))
    return _show_recovery_codes(flows.generate_recovery_codes(g.user.user_id, g.user.session_id))


def _show_recovery_codes(codes: list[str]) -> Response:
    """The one time the codes are shown: never cached, never stored in the clear."""
    response = Response(render_template("mfa/recovery_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"
    return response


# Re-authentication (recent sign-in) ---------------------------------------------------------


def _reauthenticated(amr: tuple[str, ...], target: str, *, json: bool = False) -> BaseResponse:
    """Renew this session's tokens with a new auth_time; never a new session."""
    try:
        grant = get_session_store().reauthenticate(
            g.user.session_id, amr, event=EventKind.REAUTHENTICATED
        )
    except RefreshRefused:
        expire_tokens()
        return jsonify(redirect=url_for("auth.login")) if json else redirect(url_for("auth.login"))
    issue_tokens(grant)  # a Bearer request gets none
    return jsonify(redirect=target) if json else redirect(target)


@bp.route("/auth/reauth", methods=["GET", "POST"])
@login_required
def reauth():
    """Confirm it is you (password, passkey or code), then back to where you were."""
    form = ReauthForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    target = safe_next(form.next.data, url_for("account.index"))
    factors = flows.factors(g.user.user_id)
    if form.validate_on_submit():
        attempt = current_password_attempt()  # counted before the check; 429 when over
        if form.password.data:
            user = db.session.get(User, g.user.user_id)
            if user is not None and get_passwords().verify(user.password_hash, form.password.data):
                attempt.succeeded()
                return _reauthenticated(flows.AMR_PASSWORD, target)
            form.password.errors.append(_("That password is not correct."))
        elif form.code.data and factors.second_step:
            if flows.check_code(g.user.user_id, form.code.data, g.user.session_id):
                attempt.succeeded()
                return _reauthenticated(("otp",), target)
            form.code.errors.append(_("That code is not right, or it was used already."))
        else:
            form.password.errors.append(_("Enter your password."))
    return render_template(
        "mfa/reauth.html",
        form=form,
        codes_possible=factors.second_step,
        has_passkeys=bool(factors.passkeys) and relying_party() is not None,
        max_minutes=int(current_app.config["RECENT_AUTH_MAX_AGE"]) // 60,
    )


@bp.post("/auth/reauth/passkey/options")
@login_required
def reauth_passkey_options():
    try:
        options = authentication_options(
            Purpose.PASSKEY_VERIFY,
            user_id=g.user.user_id,
            passkeys=flows.passkeys_of(g.user.user_id),
        )
    except PasskeyError as error:
        return _json_error(400, "passkey_error", error.message)
    return jsonify(options)


@bp.post("/auth/reauth/passkey")
@login_required
def reauth_passkey():
    body = _json_body()
    used = _used_passkey(body, Purpose.PASSKEY_VERIFY)
    if isinstance(used, Response):
        return used
    next_url = body.get("next") if isinstance(body.get("next"), str) else None
    target = safe_next(next_url, url_for("account.index"))
    return _reauthenticated((flows.passkey_method(used),), target, json=True)


def _used_passkey(body: dict, purpose: Purpose):
    """The passkey answer in a JSON body, verified and its use recorded; or the 400 answer."""
    try:
        used = verify_authentication(body.get("handle"), body.get("credential"), purpose)
    except PasskeyError as error:
        return _json_error(400, "passkey_error", error.message)
    flows.record_passkey_use(used)
    return used
