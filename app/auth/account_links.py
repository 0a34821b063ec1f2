"""Links mailed by the account's life: the new address's confirmation, the old address's undo,
and every security mail's "This wasn't me".

The undo and lockdown links open a page with one button: a mail scanner that fetches the link
changes nothing, only the person's POST does. Like the other mailed links, these pages send
``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``.
"""

from __future__ import annotations

from flask import flash, g, make_response, redirect, url_for
from flask_babel import gettext as _

from ..accounts import email_change
from ..accounts import lockdown as account_lockdown
from ..accounts.email_change import AddressTaken
from ..accounts.links import Purpose
from ..sessions.authority import get_authority
from ..web.authn import no_token_reissue, renew_current_session, set_final_token_cookies
from ..web.forms import PostButtonForm
from . import bp
from .email_links import _page, _plausible, _private


def _dead(kind: str):
    return _page("auth/account_link_invalid.html", 410, kind=kind)


@bp.get("/email/confirm/<token>")
def confirm_email_change(token: str):
    """The link sent to the new address: from now on the account signs in with it."""
    try:
        user = (
            email_change.confirm_change(token, authority=get_authority())
            if _plausible(token)
            else None
        )
    except AddressTaken:
        return _page("auth/address_taken.html", 409)
    if user is None:
        return _dead(Purpose.EMAIL_CHANGE.value)
    if g.user is not None and g.user.user_id == user.id and renew_current_session():
        flash(_("Your email address is now %(email)s.", email=user.email), "success")
        return _private(make_response(redirect(url_for("account.index"))))
    flash(
        _("Your email address is now %(email)s. Log in with it from now on.", email=user.email),
        "success",
    )
    return _private(make_response(redirect(url_for("auth.login"))))


@bp.route("/email/undo/<token>", methods=["GET", "POST"])
@no_token_reissue
def undo_email_change(token: str):
    """The link sent to the old address: bring it back and sign out every session."""
    form = PostButtonForm()
    if not form.validate_on_submit():
        return _page("auth/undo_email.html", 200, form=form, token=token)
    try:
        user = (
            email_change.undo_change(token, authority=get_authority())
            if _plausible(token)
            else None
        )
    except AddressTaken:
        return _page("auth/address_taken.html", 409)
    if user is None:
        return _dead(Purpose.EMAIL_UNDO.value)
    set_final_token_cookies(None)
    return _page("auth/undo_email_done.html", 200, email=user.email)


@bp.route("/lockdown/<token>", methods=["GET", "POST"])
@no_token_reissue
def lockdown(token: str):
    """ "This wasn't me": a confirmation page, then the account is secured."""
    authority = get_authority()
    if not _plausible(token):
        return _dead(Purpose.LOCKDOWN.value)
    form = PostButtonForm()
    if not form.validate_on_submit():
        owner = account_lockdown.owner(token, authority=authority)
        if owner is None:
            return _dead(Purpose.LOCKDOWN.value)
        return _page("auth/lockdown.html", 200, form=form, token=token)
    done = account_lockdown.lock_down(token, authority=authority)
    if done is None:
        return _dead(Purpose.LOCKDOWN.value)
    set_final_token_cookies(None)
    return _page("auth/lockdown_done.html", 200, email=done.email)
