"""After an interactive sign-in in a browser: remember the browser, keep the person's language,
and mail a sign-in from a browser the account has not used before.

"New" is decided by the signed known-browser cookie (``app.web.known_browser``), the same one
the login throttle's per-browser budget reads, so "This wasn't me" (which moves the account's
known-browser epoch on) makes every earlier browser new again for both.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..accounts.security_mail import Notice, notify, remember_language
from ..db.models import User
from ..extensions import db
from . import known_browser


def after_sign_in(response: Response, user: User, *, mail_if_new: bool = True) -> None:
    """Set the known-browser cookie on ``response``; queue the new-browser mail when due."""
    new = not known_browser.is_known(user)
    known_browser.remember(response, user)
    remember_language(user)
    if new and mail_if_new:
        notify(user.id, Notice.NEW_BROWSER)
    db.session.commit()
