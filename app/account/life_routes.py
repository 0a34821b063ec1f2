"""The account's life: change the email address, download the account's data, delete it.

Each view hands the work to one operation of ``app.accounts`` (one transaction that records
its event) and only turns the outcome into a page, a download or a redirect.
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
from ..sessions.authority import get_authority
from ..web.authn import login_required, set_final_token_cookies
from ..web.forms import PostButtonForm
from ..web.throttle import limiter, signed_in_user
from . import bp
from .forms import ChangeEmailForm, DeleteAccountForm

email_change_per_user = limiter.limit(
    lambda: current_app.config["EMAIL_CHANGE_LIMIT"], key_func=signed_in_user, methods=["POST"]
)
export_per_user = limiter.limit(
    lambda: current_app.config["EXPORT_LIMIT"], key_func=signed_in_user, methods=["POST"]
)


def _account() -> User:
    user = db.session.get(User, g.user.user_id)
    if user is None:  # deleted while this access token still runs
        abort(404)
    return user


@bp.route("/email", methods=["GET", "POST"])
@login_required
@email_change_per_user
def change_email():
    user = _account()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        new_email = form.email.data
        if new_email == user.email:
            form.email.errors.append(_("This is already your email address."))
        else:
            email_change.request_change(
                user, new_email, authority=get_authority(), session_id=g.user.session_id
            )
            return render_template(
                "account/email_sent.html",
                new_email=new_email,
                current_email=user.email,
                hours=max(1, int(current_app.config["EMAIL_CHANGE_TOKEN_TTL"]) // 3600),
            )
    return render_template("account/email.html", form=form, current_email=user.email)


@bp.get("/export")
@login_required
def export():
    return render_template("account/export.html", form=PostButtonForm())


@bp.post("/export")
@login_required
@export_per_user
def export_download():
    if not PostButtonForm().validate_on_submit():
        abort(400)
    return export_response(g.user.user_id)


def export_response(user_id: int) -> Response:
    """The JSON document as an attachment, never cached (shared by the page and the API)."""
    authority = get_authority()
    document = export_account(user_id, authority=authority)
    if document is None:
        abort(404)
    day = document["exported_at"][:10]
    response = make_response(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="gatehouse-export-{day}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        deleted = deletion.delete_account(g.user.user_id, authority=get_authority())
        if deleted is None:
            abort(404)
        set_final_token_cookies(None)
        flash(
            _("Your account and everything stored about it have been deleted. Goodbye!"),
            "success",
        )
        return redirect(url_for("main.index"))
    form.confirm.data = ""  # typed again each time, never filled in by the page
    return render_template("account/delete.html", form=form)
