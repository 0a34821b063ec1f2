"""Links mailed by the account's life: the new address's confirmation, the old address's undo,
and every security mail's "This wasn't me".

The undo and lockdown links open a page with one button: a mail scanner that fetches the link
changes nothing, only the person's POST does. Like the other mailed links, these pages send
``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``.
"""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from ..accounts import email_change
from ..accounts import lockdown as account_lockdown
from ..accounts.email_change import AddressTaken
from ..accounts.links import Purpose
from ..sessions.authority import get_authority
from ..web.authn import current_refresh, expire_tokens, issue_tokens, no_token_reissue
from . import bp
from .email_links import _page, _plausible, _private


def _dead(kind: str):
    return _page("auth/account_link_invalid.html", 410, kind=kind)


@bp.get("/email/confirm/<token>")
def confirm_email_change(token: str):
    """The link sent to the new address: from now on the account signs in with it."""
    signed_in = g.user is not None
    try:
        changed = (
            email_change.confirm_change(
                token,
                user_id=g.user.user_id if signed_in else None,
                session_id=g.user.session_id if signed_in else None,
                refresh=current_refresh(),
            )
            if _plausible(token)
            else None
        )
    except AddressTaken:
        return _page("auth/address_taken.html", 409)
    if changed is None:
        return _dead(Purpose.EMAIL_CHANGE.value)
    if changed.grant is not None:  # this session's new tokens carry the new address
        issue_tokens(changed.grant)
        flash(_("Your email address is now %(email)s.", email=changed.user.email), "success")
        return _private(redirect(url_for("account.index")))
    if signed_in and g.user.user_id == changed.user.id:
        expire_tokens()  # its access token still names the old address: sign in again
    flash(
        _(
            "Your email address is now %(email)s. Log in with it from now on.",
            email=changed.user.email,
        ),
        "success",
    )
    return _private(redirect(url_for("auth.login")))


@bp.route("/email/undo/<token>", methods=["GET", "POST"])
@no_token_reissue
def undo_email_change(token: str):
    """The link sent to the old address: bring it back and sign out every session.

    The GET shows a button; CSRFProtect checks the POST's token."""
    if request.method == "GET":
        return _page("auth/undo_email.html", 200, token=token)
    try:
        user = email_change.undo_change(token) if _plausible(token) else None
    except AddressTaken:
        return _page("auth/address_taken.html", 409)
    if user is None:
        return _dead(Purpose.EMAIL_UNDO.value)
    expire_tokens()
    return _page("auth/undo_email_done.html", 200, email=user.email)


@bp.route("/lockdown/<token>", methods=["GET", "POST"])
@no_token_reissue
def lockdown(token: str):
    """ "This wasn't me": a confirmation page, then the account is secured."""
    if not _plausible(token):
        return _dead(Purpose.LOCKDOWN.value)
    if request.method == "GET":
        if account_lockdown.owner(token, authority=get_authority()) is None:
            return _dead(Purpose.LOCKDOWN.value)
        return _page("auth/lockdown.html", 200, token=token)
    done = account_lockdown.lock_down(token)
    if done is None:
        return _dead(Purpose.LOCKDOWN.value)
    expire_tokens()
    return _page("auth/lockdown_done.html", 200, email=done.email)
