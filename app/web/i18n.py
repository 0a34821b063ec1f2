"""Language choice: ``?lang=`` or the ``lang`` cookie set by the footer switcher, else
Accept-Language, else English. Catalogs live in ``app/translations`` (see ``catalogs``).

The JSON API neither reads nor sets that cookie: ``?lang=`` or Accept-Language only.

Two per-request costs are kept small, because every page pays them: the Accept-Language
header is matched once per distinct header value (a pure function of the header and the
configured languages), and templates look the translations up once per request and locale
instead of once per string.
"""
from __future__ import annotations

import os
from functools import lru_cache

from babel import Locale
from flask import Flask, Response, current_app, g, request
from flask_babel import get_locale, get_translations
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from ..extensions import babel
from .authn import is_api_request
from . import dates
from .catalogs import compile_stale

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
CACHED_HEADER_MAX = 256  # longer Accept-Language values are matched without caching
TRANSLATIONS_KEY = "_gatehouse_translations"


def _offered(value: str | None) -> str | None:
    return value if value in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """An unsupported ``?lang=`` or cookie value is ignored, never an error."""
    chosen = _offered(request.args.get("lang")) or (
        None if is_api_request() else _offered(request.cookies.get(LANG_COOKIE))
    )
    if chosen:
        return chosen
    languages = tuple(current_app.config["LANGUAGES"])
    return best_language(request.headers.get("Accept-Language", ""), languages) \
        or current_app.config["BABEL_DEFAULT_LOCALE"]


def best_language(header: str, languages: tuple[str, ...]) -> str | None:
    """The best of ``languages`` for an Accept-Language header (None: no match)."""
    if len(header) > CACHED_HEADER_MAX:
        return _match(header, languages)
    return _cached_match(header, languages)


def _match(header: str, languages: tuple[str, ...]) -> str | None:
    return parse_accept_header(header, LanguageAccept).best_match(languages)


_cached_match = lru_cache(maxsize=512)(_match)


@lru_cache(maxsize=64)
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def _select_locale_object() -> Locale:
    """What Flask-Babel asks for: the same choice, as a Locale parsed once per language."""
    return _locale(select_locale())


def request_translations():
    """Flask-Babel's translations for this request's current locale, looked up once.

    The cache remembers Flask-Babel's per-request namespace and the locale it held, so a
    ``force_locale`` or ``refresh`` (which replace that locale) is seen at the next string.
    """
    cached = g.get(TRANSLATIONS_KEY)
    if cached is not None and getattr(cached[0], "babel_locale", None) is cached[1]:
        return cached[2]
    locale = get_locale()
    translations = get_translations()
    setattr(g, TRANSLATIONS_KEY, (g.get("_flask_babel"), locale, translations))
    return translations


def init_app(app: Flask) -> None:
    # Relative entries are resolved against the package, as Flask-Babel does.
    directories = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    compile_stale([os.path.join(app.root_path, d) for d in directories if d])
    babel.init_app(app, locale_selector=_select_locale_object)
    dates.init_app(app)
    # The same callables Flask-Babel installs, minus the per-string lookup of the catalogue.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.after_request(_remember_choice)
    app.jinja_env.globals["get_locale"] = get_locale


def _remember_choice(response: Response) -> Response:
    if response.mimetype == "text/html":
        # The same URL is English or Korean depending on these headers; tell caches so.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    if not request.query_string or is_api_request():  # nothing to remember; the API sets none
        return response
    chosen = _offered(request.args.get("lang"))
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, path="/", httponly=True,
            secure=bool(current_app.config["COOKIE_SECURE"]), samesite="Lax",
        )
    return response
