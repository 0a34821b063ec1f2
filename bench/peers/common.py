"""What every peer shares: the project's templates, the same endpoint names, Flask-WTF.

The templates call ``_()`` and ``get_locale()``; a peer has no translations, so ``_`` is
Jinja's null gettext and the locale is a constant. Flask-WTF's CSRF protection is on in every
peer, because the page carries a logout form and any site with such a form needs it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from babel import Locale
from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import Markup

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = Locale("en")
PASSWORD = "correct-horse-battery-staple"
EMAIL = "person@example.com"


CSRF_INPUT = Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="{}">')


class PostButton:
    """The logout button's CSRF field, drawn exactly as the project draws it."""

    @property
    def csrf_token(self) -> Markup:
        return CSRF_INPUT.format(generate_csrf())


class Person:
    """What the floor shows: the same email, with nobody checking who asks."""

    email = EMAIL
    is_authenticated = True


def make_app(name: str, secret_key: str) -> Flask:
    """A Flask app on the project's templates and static files, with CSRF protection."""
    app = Flask(name, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.update(SECRET_KEY=secret_key, WTF_CSRF_TIME_LIMIT=None)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.globals["get_locale"] = lambda: ENGLISH
    CSRFProtect(app)
    return app


def register_pages(
    app: Flask,
    *,
    account: Callable[[], Any],
    current_user: Callable[[], Any],
    login: Callable[[], Any],
    logout: Callable[[], Any],
    extra_auth_routes: Callable[[Blueprint], None] | None = None,
) -> None:
    """The endpoints the templates link to: main.index, auth.*, account.index."""
    main = Blueprint("main", __name__)
    main.add_url_rule("/", "index", lambda: "")
    auth = Blueprint("auth", __name__, url_prefix="/auth")
    auth.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    auth.add_url_rule("/register", "register", lambda: "")
    auth.add_url_rule("/logout", "logout", logout, methods=["POST"])
    if extra_auth_routes is not None:
        extra_auth_routes(auth)
    acct = Blueprint("account", __name__, url_prefix="/account")
    acct.add_url_rule("", "index", account)
    for bp in (main, auth, acct):
        app.register_blueprint(bp)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {"current_user": current_user(), "post_button_form": PostButton}
