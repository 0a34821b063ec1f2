"""Dates for people: the ``datetimeformat`` and ``timeago`` filters, in the reader's time zone.

The reader's zone comes from the ``tz`` cookie that ``static/app.js`` sets from the browser
(``Intl.DateTimeFormat().resolvedOptions().timeZone``); a value that is not a zone name of
the system's tz database is ignored, and the configured default (UTC) is used instead.

Babel formats one date and time in about 60 µs, and a page lists several (recent activity,
sessions). The text is a pure function of the instant, the pattern, the reader's locale and
time zone, so each combination is formatted once and then looked up. Aware datetimes that
compare equal are the same instant, which Babel renders the same way once it is moved to the
reader's time zone, so sharing one entry between them is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.dates import format_datetime, format_timedelta, get_timezone_name
from flask import Flask, request
from flask_babel import gettext as _
from jinja2 import pass_context
from jinja2.runtime import Context

from ..extensions import babel
from ..sessions.authority import get_authority

CACHED_FORMATS = 4096
NAMED = ("short", "medium", "full", "long")
# The template context entry with the page's (locale, time zone), when it has one.
LOCALE_AND_ZONE = "_locale_and_zone"
TZ_COOKIE = "tz"
MAX_ZONE_NAME = 64
JUST_NOW = timedelta(seconds=45)


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


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=256)
def zone_named(name: str) -> tzinfo | None:
    """The tz database zone ``name`` ("Asia/Seoul"), or None for anything else."""
    if not name or len(name) > MAX_ZONE_NAME or name not in _known_zones():
        return None
    return ZoneInfo(name)


def reader_zone(default: tzinfo) -> tzinfo:
    """The zone the browser reported in the ``tz`` cookie, else ``default``."""
    return zone_named(request.cookies.get(TZ_COOKIE, "")) or default


@lru_cache(maxsize=256)
def zone_label(zone: tzinfo, locale: Locale) -> str:
    """ "Korean Standard Time" / "대한민국 표준시", or the zone's key when Babel has no name."""
    key = str(getattr(zone, "key", None) or getattr(zone, "zone", None) or "")
    if key in ("UTC", "Etc/UTC", ""):
        return "UTC"
    try:
        return get_timezone_name(zone, width="long", locale=locale)
    except (LookupError, ValueError):
        return key


def time_ago(value: datetime, now: datetime, locale: Locale) -> str:
    """ "3 minutes ago", "in 2 hours" or "just now", in the reader's language."""
    delta = value - now
    if abs(delta) < JUST_NOW:
        return _("just now")
    return format_timedelta(delta, add_direction=True, locale=locale, threshold=1.0)


def init_app(
    app: Flask,
    *,
    reader: Callable[[], tuple[Locale, tzinfo]],
    clock: Callable[[], float] | None = None,
) -> None:
    """Replace Flask-Babel's filter (after ``babel.init_app``, which installs it).

    ``reader`` gives this request's locale and the reader's time zone (the ``tz`` cookie's,
    through ``reader_zone``, else the default). A page's context may already hold the locale and
    the reader's zone under ``LOCALE_AND_ZONE`` (looked up once per page; a macro sees it when its
    page imports it ``with context``), and both filters use it then. ``clock`` gives
    "now" for ``timeago`` (by default the token authority's clock, so tests can move it); the
    formats are Flask-Babel's, fixed at start-up.
    """
    date_formats = dict(babel.date_formats)

    @pass_context
    def datetimeformat(context: Context, value: datetime, format: str | None = None) -> str:
        page = context.get(LOCALE_AND_ZONE)
        locale, zone = page if page is not None else reader()
        return formatted(value, pattern(date_formats, format), locale, zone)

    @pass_context
    def timeago(context: Context, value: datetime) -> str:
        page = context.get(LOCALE_AND_ZONE)
        locale = page[0] if page is not None else reader()[0]
        now = clock() if clock is not None else get_authority().now()
        return time_ago(_aware(value), datetime.fromtimestamp(now, UTC), locale)

    def reader_zone_label() -> str:
        locale, zone = reader()
        return zone_label(zone, locale)

    app.jinja_env.filters["datetimeformat"] = datetimeformat
    app.jinja_env.filters["timeago"] = timeago
    app.jinja_env.globals["reader_zone_label"] = reader_zone_label


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
