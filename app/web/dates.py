"""The ``datetimeformat`` template filter, remembering what it already formatted.

Babel formats one date and time in about 60 µs, and a page lists several (recent activity,
sessions). The text is a pure function of the instant, the pattern, the reader's locale and
time zone, so each combination is formatted once and then looked up. Aware datetimes that
compare equal are the same instant, which Babel renders the same way once it is moved to the
reader's time zone, so sharing one entry between them is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from functools import lru_cache

from babel import Locale
from babel.dates import format_datetime
from flask import Flask
from jinja2 import pass_context
from jinja2.runtime import Context

from ..extensions import babel

CACHED_FORMATS = 4096
NAMED = ("short", "medium", "full", "long")
# The template context entry with the page's (locale, time zone), when it has one.
LOCALE_AND_ZONE = "_locale_and_zone"


@lru_cache(maxsize=CACHED_FORMATS)
def formatted(value: datetime, pattern: str, locale: Locale, zone: tzinfo) -> str:
    """Babel's ``format_datetime``, once per distinct input."""
    return format_datetime(value, pattern, tzinfo=zone, locale=locale)


def pattern(date_formats: Mapping[str, str | None], format: str | None) -> str:
    """The pattern Flask-Babel's ``format_datetime`` would use for ``format``."""
    if format is None:
        format = date_formats["datetime"] or "medium"
    if format in NAMED:
        format = date_formats[f"datetime.{format}"] or format
    return format


def init_app(app: Flask, *, reader: Callable[[], tuple[Locale, tzinfo]]) -> None:
    """Replace Flask-Babel's filter (after ``babel.init_app``, which installs it).

    ``reader`` gives this request's locale and time zone, unless the page's context already
    holds them under ``LOCALE_AND_ZONE`` (looked up once per page); the formats are
    Flask-Babel's, fixed at start-up.
    """
    date_formats = dict(babel.date_formats)

    @pass_context
    def datetimeformat(context: Context, value: datetime, format: str | None = None) -> str:
        locale, zone = context.get(LOCALE_AND_ZONE) or reader()
        return formatted(value, pattern(date_formats, format), locale, zone)

    app.jinja_env.filters["datetimeformat"] = datetimeformat
