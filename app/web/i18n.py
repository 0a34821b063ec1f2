"""Language choice: ``?lang=`` or the ``lang`` cookie set by the footer switcher, else
Accept-Language, else English. Catalogs live in ``app/translations`` (see ``catalogs``).

The JSON API neither reads nor sets that cookie: ``?lang=`` or Accept-Language only.
"""
from __future__ import annotations

import os

from flask import Flask, Response, current_app, request

from flask_babel import get_locale

from ..extensions import babel
from .authn import is_api_request
from .catalogs import compile_stale

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def _offered(value: str | None) -> str | None:
    return value if value in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """An unsupported ``?lang=`` or cookie value is ignored, never an error."""
    chosen = _offered(request.args.get("lang")) or (
        None if is_api_request() else _offered(request.cookies.get(LANG_COOKIE))
    )
    if chosen:
        return chosen
    languages = current_app.config["LANGUAGES"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    # Relative entries are resolved against the package, as Flask-Babel does.
    directories = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    compile_stale([os.path.join(app.root_path, d) for d in directories if d])
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_choice)
    app.jinja_env.globals["get_locale"] = get_locale


def _remember_choice(response: Response) -> Response:
    if is_api_request():  # the JSON API sets no cookies
        return response
    chosen = _offered(request.args.get("lang"))
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, path="/", httponly=True,
            secure=bool(current_app.config["COOKIE_SECURE"]), samesite="Lax",
        )
    if response.mimetype == "text/html":
        # The same URL is English or Korean depending on these headers; tell caches so.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response
