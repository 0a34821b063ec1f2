"""The ``datetimeformat`` template filter, remembering what it already formatted.

Babel formats one date and time in about 60 µs, and a page lists several (recent activity,
sessions). The text is a pure function of the instant, the pattern, the reader's locale and
time zone, so each combination is formatted once and then looked up. Aware datetimes that
compare equal are the same instant, which Babel renders the same way once it is moved to the
reader's time zone, so sharing one entry between them is exact.
"""
from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache

from babel import Locale
from babel.dates import format_datetime
from flask import Flask
from flask_babel import get_babel, get_locale, get_timezone

CACHED_FORMATS = 4096


@lru_cache(maxsize=CACHED_FORMATS)
def formatted(value: datetime, pattern: str, locale: Locale, zone: tzinfo) -> str:
    """Babel's ``format_datetime``, once per distinct input."""
    return format_datetime(value, pattern, tzinfo=zone, locale=locale)


def datetimeformat(value: datetime, format: str | None = None) -> str:
    """Flask-Babel's filter of the same name, with the same choice of pattern."""
    formats = get_babel().instance.date_formats
    if format is None:
        format = formats["datetime"]
    if format in ("short", "medium", "full", "long"):
        format = formats[f"datetime.{format}"] or format
    return formatted(value, format, get_locale(), get_timezone())


def init_app(app: Flask) -> None:
    """Replace Flask-Babel's filter (after ``babel.init_app``, which installs it)."""
    app.jinja_env.filters["datetimeformat"] = datetimeformat
