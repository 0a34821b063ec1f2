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
from collections.abc import Callable
from datetime import tzinfo
from functools import lru_cache
from typing import Any, NamedTuple, cast
from urllib.parse import urlencode

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, Request, Response, current_app, has_request_context, request
from flask_babel import get_locale, get_timezone, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.local import LocalProxy

from ..extensions import babel
from . import dates
from .authn import API_PREFIX, is_api_request
from .catalogs import compile_stale

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
CACHED_HEADER_MAX = 256  # longer Accept-Language values are matched without caching
# Per app: each locale's catalogue and the one time zone, as Flask-Babel first handed them out.
# Flask-Babel keeps every catalogue it loads for good (keyed by locale and domain), so the same
# object comes back from it for every later request; and this app installs no time zone
# selector, so every request has the configured default time zone.
CATALOGUES_KEY = "gatehouse.catalogues"
TIMEZONE = "timezone"
# The request attribute that holds its RequestI18n.
REQUEST_MEMO = "_gatehouse_i18n"
VARY = ("Accept-Language", "Cookie")
VARY_VALUE = ", ".join(VARY)


def _offered(value: str | None) -> str | None:
    return value if value in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """An unsupported ``?lang=`` or cookie value is ignored, never an error."""
    # The request object itself, read once instead of through the proxy at every use.
    req = cast("LocalProxy[Request]", request)._get_current_object()
    config = current_app.config
    languages = config["LANGUAGES"]
    # Without a query string there is no ``?lang=``: skip parsing an empty one.
    asked = req.args.get("lang") if req.query_string else None
    chosen = asked if asked in languages else None
    if not chosen and not req.path.startswith(API_PREFIX):
        remembered = req.cookies.get(LANG_COOKIE)
        chosen = remembered if remembered in languages else None
    if chosen:
        return chosen
    return (
        best_language(req.headers.get("Accept-Language", ""), tuple(languages))
        or config["BABEL_DEFAULT_LOCALE"]
    )


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


class RequestI18n(NamedTuple):
    """What a page needs to speak to its reader, looked up once per request and locale."""

    locale: Locale
    translations: NullTranslations
    reader_zone: tzinfo  # the ``tz`` cookie's zone, else the configured default


def _app_babel(locale: Locale) -> tuple[NullTranslations, tzinfo]:
    """The catalogue for ``locale`` and the time zone, from Flask-Babel's public API, looked
    up once per app (Flask-Babel keeps every catalogue it loads, and this app installs no time
    zone selector)."""
    known = current_app.extensions[CATALOGUES_KEY]
    try:
        return known[locale]
    except KeyError:
        pass
    zone = known.get(TIMEZONE)
    if zone is None:
        zone = known[TIMEZONE] = get_timezone()
    entry = known[locale] = (get_translations(), zone)
    return entry


def _request_babel() -> RequestI18n:
    """This request's locale, catalogue and reader's zone, kept on the request for its locale.

    ``get_locale()`` is Flask-Babel's own per-request answer, asked every time, so a
    ``force_locale`` or ``refresh`` is seen at once (a mail in the recipient's language, then
    the page in the page's again: tests/web/test_i18n_memo.py); what follows from the locale,
    the catalogue and the reader's zone from the ``tz`` cookie, is looked up once per request.
    """
    locale = get_locale()
    if not has_request_context():
        translations, zone = _app_babel(locale)
        return RequestI18n(locale, translations, zone)
    req = cast("LocalProxy[Request]", request)._get_current_object()
    memo: RequestI18n | None = getattr(req, REQUEST_MEMO, None)
    if memo is not None and memo.locale is locale:
        return memo
    translations, zone = _app_babel(locale)
    memo = RequestI18n(locale, translations, dates.reader_zone(zone))
    setattr(req, REQUEST_MEMO, memo)
    return memo


def request_translations() -> NullTranslations:
    """Flask-Babel's translations for this request's current locale."""
    return _request_babel().translations


def request_locale() -> Locale:
    """Flask-Babel's ``get_locale()`` for this request."""
    return _request_babel().locale


def request_locale_and_reader_zone() -> tuple[Locale, tzinfo]:
    """The locale and the reader's own time zone, for the date filters."""
    memo = _request_babel()
    return memo.locale, memo.reader_zone


def _bound_gettext(translate: Callable[[str], str]) -> Callable[..., str]:
    """Jinja's "newstyle" ``gettext`` over one catalogue: escaped, always %-formatted.

    A text without ``%`` and without variables is what formatting would return unchanged, so
    the formatting (most of a label's cost) is skipped for it; ``%%`` and a missing variable
    still go through ``%`` exactly as Jinja's own ``gettext`` does.
    """

    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> str:
        text = translate(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        if not variables and "%" not in text:
            return text
        return text % variables

    return gettext


def _bound_ngettext(translate: Callable[[str, str, int], str]) -> Callable[..., str]:
    """Jinja's "newstyle" ``ngettext`` over one catalogue (``num`` is a variable too)."""

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = translate(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return ngettext


def _template_i18n() -> dict[str, Any]:
    """This request's catalogue, locale and time zone, looked up once for one page.

    A page calls ``_()`` a score of times and formats several dates; bound once per render,
    each ``_()`` is a plain catalogue lookup and each date a cache lookup, instead of asking
    Flask-Babel for the request's translations every time. Jinja's ``_`` resolves
    ``gettext`` from the template context first, so these win over the global callables
    installed below, which still serve templates rendered outside a request.
    """
    memo = _request_babel()
    return {
        **_page_callables(memo.translations, memo.locale),
        dates.LOCALE_AND_ZONE: (memo.locale, memo.reader_zone),
    }


@lru_cache(maxsize=64)
def _page_callables(translations: NullTranslations, locale: Locale) -> dict[str, Any]:
    """The bound ``gettext``, ``ngettext`` and ``get_locale`` of one catalogue, made once.

    Flask-Babel keeps each catalogue it loads (one object per language), so this holds one
    entry per language; Flask copies the dict into each page's context and never changes it.
    """
    return {
        "gettext": _bound_gettext(translations.ugettext),
        "ngettext": _bound_ngettext(translations.ungettext),
        "get_locale": lambda: locale,
    }


def init_app(app: Flask) -> None:
    # Relative entries are resolved against the package, as Flask-Babel does.
    directories = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    compile_stale([os.path.join(app.root_path, d) for d in directories if d])
    babel.init_app(app, locale_selector=_select_locale_object)  # no timezone_selector
    app.extensions[CATALOGUES_KEY] = {}
    dates.init_app(app, reader=request_locale_and_reader_zone)
    # The same callables Flask-Babel installs, minus the per-string lookup of the catalogue.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.context_processor(_template_i18n)
    app.after_request(_remember_choice)
    app.jinja_env.globals["get_locale"] = request_locale
    app.jinja_env.globals["switch_language"] = switch_language


def switch_language(code: str) -> str:
    """This page's query string with ``lang`` set: switching language keeps ``next`` and the rest."""
    if not request.query_string:
        return "?lang=" + code
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return "?" + urlencode(args + [("lang", code)])


def _remember_choice(response: Response) -> Response:
    # The media type without parsing the parameters (what ``response.mimetype`` returns).
    if (response.content_type or "").partition(";")[0].strip().lower() == "text/html":
        # The same URL is English or Korean depending on these headers; tell caches so.
        if "Vary" in response.headers:
            response.vary.update(VARY)
        else:  # the usual case: no header to parse, re-join or look for and remove
            response.headers.add("Vary", VARY_VALUE)
    if not request.query_string or is_api_request():  # nothing to remember; the API sets none
        return response
    chosen = _offered(request.args.get("lang"))
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=LANG_COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            secure=bool(current_app.config["COOKIE_SECURE"]),
            samesite="Lax",
        )
    return response
