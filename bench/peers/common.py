"""What every peer shares: the project's templates, the same endpoint names, Flask-WTF, and
the page's data read from the same database with the same query.

The templates call ``_()``, ``get_locale()`` and the ``datetimeformat`` filter; a peer has
no translations, so ``_`` is Jinja's null gettext, the locale is a constant and dates are
formatted by Babel in English and UTC (what Flask-Babel prints for an English reader).
Flask-WTF's CSRF protection is on in every peer, because the page carries a logout form and
any site with such a form needs it.

The page's "Recent activity" list is read by every peer exactly as Gatehouse's view reads
it: the project's ``SecurityEvent`` model through the project's Flask-SQLAlchemy object, on
the same SQLite file, with the same statement. So the page costs the same everywhere and the
differences are what each app does to find out who is asking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel import Locale
from flask import Blueprint, Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from app.account.activity import recent_events
from app.account.devices import describe
from app.extensions import db
from app.web import macros
from app.web.dates import formatted, time_ago, zone_label
from app.web.i18n import switch_language

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = Locale("en")
PASSWORD = "correct-horse-battery-staple"
EMAIL = "person@example.com"
USER_ID = 1  # the person's row in the shared database

# The English texts of Gatehouse's labels for the events the benchmark's person has.
EVENT_LABELS = {
    "register": "Account created",
    "login": "Signed in",
    "login_failed": "Sign-in failed: wrong password",
    "logout": "Logged out",
    "password_changed": "Password changed",
}


class Person:
    """What the floor shows: the same email, with nobody checking who asks."""

    email = EMAIL
    email_confirmed = True
    is_authenticated = True


def _datetimeformat(value, format: str = "medium") -> str:
    """Gatehouse's cached Babel formatting, for an English reader in UTC."""
    return formatted(value, format, ENGLISH, UTC)


def _timeago(value: datetime) -> str:
    """Gatehouse's "3 days ago", for an English reader."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return time_ago(aware, datetime.now(UTC), ENGLISH)


def make_app(name: str, secret_key: str, database_uri: str) -> Flask:
    """A Flask app on the project's templates, static files and database, with CSRF."""
    app = Flask(name, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.update(
        SECRET_KEY=secret_key, WTF_CSRF_TIME_LIMIT=None, SQLALCHEMY_DATABASE_URI=database_uri
    )
    # Gatehouse's device names say "Unknown browser" through Flask-Babel (English here); the
    # templates keep Jinja's null translations.
    Babel(app, configure_jinja=False)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.globals["get_locale"] = lambda: ENGLISH
    app.jinja_env.globals["switch_language"] = switch_language  # the same footer links
    app.jinja_env.filters["datetimeformat"] = _datetimeformat
    app.jinja_env.filters["timeago"] = _timeago
    app.jinja_env.globals["reader_zone_label"] = lambda: zone_label(UTC, ENGLISH)
    CSRFProtect(app)
    macros.init_app(app)  # the same post_form macro the project offers its templates
    db.init_app(app)
    return app


def recent_activity(user_id: int) -> list[dict[str, Any]]:
    """The account page's list: Gatehouse's own query function and row handling."""
    return [
        {
            "label": EVENT_LABELS.get(row.kind, row.kind),
            "kind": row.kind,
            "at": row.created_at,
            "ip": row.ip,
            "device": describe(row.user_agent),
        }
        for row in recent_events(user_id)
    ]


def register_pages(
    app: Flask,
    *,
    account: Callable[[], Any],
    current_user: Callable[[], Any],
    login: Callable[[], Any],
    logout: Callable[[], Any],
    extra_auth_routes: Callable[[Blueprint], None] | None = None,
) -> None:
    """The endpoints the templates link to: main.index, auth.*, account.*, mfa.security.

    Every link on the account page needs its endpoint here, or ``url_for`` fails and every
    peer answers 500 (tests/test_bench_peers.py renders the floor's page to catch that)."""
    main = Blueprint("main", __name__)
    main.add_url_rule("/", "index", lambda: "")
    auth = Blueprint("auth", __name__, url_prefix="/auth")
    auth.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    auth.add_url_rule("/register", "register", lambda: "")
    auth.add_url_rule("/logout", "logout", logout, methods=["POST"])
    auth.add_url_rule("/confirm/resend", "resend_confirmation", lambda: "", methods=["POST"])
    if extra_auth_routes is not None:
        extra_auth_routes(auth)
    acct = Blueprint("account", __name__, url_prefix="/account")
    acct.add_url_rule("", "index", account)
    acct.add_url_rule("/sessions", "sessions", lambda: "")
    acct.add_url_rule("/password", "password", lambda: "")
    acct.add_url_rule("/email", "change_email", lambda: "")
    acct.add_url_rule("/export", "export", lambda: "")
    acct.add_url_rule("/delete", "delete", lambda: "")
    mfa = Blueprint("mfa", __name__)
    mfa.add_url_rule("/account/security", "security", lambda: "")
    for bp in (main, auth, acct, mfa):
        app.register_blueprint(bp)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {"current_user": current_user()}
