"""The account's life: change the email address, download the account's data, delete it.

Each view hands the work to one operation of ``app.accounts`` (one transaction that records
its event) and only turns the outcome into a page, a download or a redirect. All of them ask
for a recent sign-in (``recent_auth_required``): a stale one is sent to ``/auth/reauth``.
"""

from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _

from ..accounts import deletion, email_change
from ..accounts.export import export_account
from ..db.models import User
from ..extensions import db
from ..web.authn import expire_tokens
from ..web.recent_auth import recent_auth_required
from ..web.throttle import limiter, signed_in_user
from . import bp
from .forms import ChangeEmailForm, DeleteAccountForm

email_change_per_user = limiter.limit(
    lambda: current_app.config["EMAIL_CHANGE_LIMIT"], key_func=signed_in_user, methods=["POST"]
)
# The data export shares one budget per account between the page and the API.
export_per_user = limiter.shared_limit(
    lambda: current_app.config["EXPORT_LIMIT"],
    scope="account.export_download",
    key_func=signed_in_user,
)


def _account() -> User:
    user = db.session.get(User, g.user.user_id)
    if user is None:  # deleted while this access token still runs
        abort(404)
    return user


@bp.route("/email", methods=["GET", "POST"])
@recent_auth_required
@email_change_per_user
def change_email():
    user = _account()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        new_email = form.email.data
        if new_email == user.email:
            form.email.errors.append(_("This is already your email address."))
        else:
            email_change.request_change(user, new_email, session_id=g.user.session_id)
            return render_template(
                "account/email_sent.html",
                new_email=new_email,
                current_email=user.email,
                hours=max(1, int(current_app.config["EMAIL_CHANGE_TOKEN_TTL"]) // 3600),
            )
    return render_template("account/email.html", form=form, current_email=user.email)


@bp.get("/export")
@recent_auth_required
def export():
    return render_template("account/export.html")


@bp.post("/export")
@recent_auth_required
@export_per_user
def export_download():
    """CSRFProtect has checked the form's token: the download is the button's POST."""
    return export_response(g.user.user_id, g.user.session_id)


def export_response(user_id: int, session_id: str | None) -> Response:
    """The JSON document as an attachment, never cached (shared by the page and the API)."""
    document = export_account(user_id, session_id=session_id)
    if document is None:
        abort(404)
    day = document["exported_at"][:10]
    response = make_response(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="gatehouse-export-{day}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
@recent_auth_required
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        deleted = deletion.delete_account(g.user.user_id)
        if deleted is None:
            abort(404)
        expire_tokens()
        flash(
            _("Your account and everything stored about it have been deleted. Goodbye!"),
            "success",
        )
        return redirect(url_for("main.index"))
    form.confirm.data = ""  # typed again each time, never filled in by the page
    return render_template("account/delete.html", form=form)
