"""Error pages (HTML for people, JSON for API clients), never a stack trace or a token."""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta

from babel.dates import format_timedelta
from flask import Flask, Response, jsonify, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from .authn import wants_json
from .throttle import limiter

log = logging.getLogger("gatehouse.errors")

MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You are not allowed to do that."),
    404: _l("There is no page at this address."),
    405: _l(
        "This address is used by a button or a form on the site, and cannot be opened on its "
        "own. Go back and use the button instead."
    ),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Please wait a little and try again."),
    500: _l("Something went wrong on our side. Please try again."),
    503: _l("The service is unavailable right now. Please try again shortly."),
}
TITLES = {
    400: _l("Bad request"),
    403: _l("Forbidden"),
    404: _l("Page not found"),
    405: _l("This page cannot be opened directly"),
    413: _l("Request too large"),
    429: _l("Too many attempts"),
    500: _l("Server error"),
    503: _l("Service unavailable"),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(PoolTimeoutError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)


def render_error(
    code: int, message: str | None = None, retry_after: int | None = None
) -> tuple[Response | str, int]:
    """The error page (or JSON); ``retry_after`` (seconds) lets a 429 page say how long."""
    text = str(message or MESSAGES.get(code, MESSAGES[500]))
    if code == 429 and retry_after and message is None:
        text = _("Too many attempts. Please try again in %(wait)s.", wait=_wait(retry_after))
    if wants_json():
        return jsonify(error=_json_code(code), message=text), code
    try:
        return render_template(
            "error.html", code=code, title=TITLES.get(code, code), message=text
        ), code
    except Exception:  # the error page itself failed: say it plainly, still without details
        log.error("error page %s could not be rendered", code)
        return Response(f"{code}: {text}\n", mimetype="text/plain"), code


def _wait(seconds: int) -> str:
    """ "15 minutes", "1 hour" in the reader's language (rounded up, never "0 seconds")."""
    return format_timedelta(
        timedelta(seconds=max(1, seconds)), threshold=1.0, format="long", locale=get_locale()
    )


def _retry_after(error: HTTPException) -> int | None:
    """Seconds until the limit that refused this request lets it through (its Retry-After)."""
    if not isinstance(error, RateLimitExceeded):
        # The throttle's own counted attempts raise werkzeug's TooManyRequests with it.
        retry_after = getattr(error, "retry_after", None)
        return retry_after if isinstance(retry_after, int) and retry_after > 0 else None
    current = limiter.current_limit
    if current is None:
        return None
    return max(1, math.ceil(current.reset_at - time.time()))


def _json_code(code: int) -> str:
    return {
        400: "invalid_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        429: "rate_limited",
        503: "unavailable",
    }.get(code, "server_error")


def _csrf_error(error: CSRFError):
    return render_error(
        400,
        _l(
            "This form has expired or was not sent from this site. "
            "Please reload the page and try again."
        ),
    )


def _http_error(error: HTTPException):
    code = error.code or 500
    response, status = render_error(code, retry_after=_retry_after(error))
    if isinstance(response, str):
        response = Response(response, status=status, mimetype="text/html")
    for key, value in error.get_headers():
        if key.lower() not in ("content-type", "content-length"):
            response.headers[key] = value
    response.status_code = status
    return response


def _database_unavailable(error: OperationalError | PoolTimeoutError):
    """Down, refusing, or slower than DATABASE_STATEMENT_TIMEOUT: one line, then the 503 page."""
    orig = getattr(error, "orig", None)
    log.error("database unavailable: %s", type(orig or error).__name__)
    return _http_error(ServiceUnavailable())


def _unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.error("unhandled %s", type(error).__name__, exc_info=error)
    return _http_error(InternalServerError())
