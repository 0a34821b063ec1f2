"""Language choice: a ``lang`` cookie set by the footer switcher, else Accept-Language.

The JSON API neither reads nor sets that cookie: ``?lang=`` or Accept-Language only.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request

from flask_babel import get_locale

from ..extensions import babel
from .authn import is_api_request

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or (
        None if is_api_request() else request.cookies.get(LANG_COOKIE)
    )
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_choice)
    app.jinja_env.globals["get_locale"] = get_locale


def _remember_choice(response: Response) -> Response:
    if is_api_request():  # the JSON API sets no cookies
        return response
    chosen = request.args.get("lang")
    if chosen in current_app.config["LANGUAGES"] and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, path="/", httponly=True,
            secure=bool(current_app.config["COOKIE_SECURE"]), samesite="Lax",
        )
    return response
