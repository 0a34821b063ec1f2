"""Security headers on every response, in one short ``after_request``.

The CSP allows no inline script or style at all (the site has none), no plugins, no ``<base>``
and no framing. Responses that show account data or carry an error are never stored by a
browser or a proxy, and neither is any response that sets a cookie (a cached ``Set-Cookie``
would hand one visitor's CSRF secret or tokens to the next).

Flask writes its own session cookie after every ``after_request`` hook has run, so the
cookie rule lives in the session interface's ``save_session``, the very last step of every
response: whatever set a cookie (a view, a hook, Flask itself), it is seen there.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"


SECURITY_HEADERS_KEY = "gatehouse.security_headers"


def security_headers(cookie_secure: bool) -> tuple[tuple[str, str, str], ...]:
    """(lower-case name, name, value) of the headers every response gets unless its view set
    them itself (built at start-up)."""
    found = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),  # for browsers without frame-ancestors
    ]
    if cookie_secure:
        found.append(("Strict-Transport-Security", HSTS))
    return tuple((name.lower(), name, value) for name, value in found)


def init_app(app: Flask) -> None:
    app.extensions[SECURITY_HEADERS_KEY] = security_headers(bool(app.config["COOKIE_SECURE"]))
    app.after_request(add_security_headers)
    app.session_interface = NoStoreWhenCookieSessionInterface()


class NoStoreWhenCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, plus: a response that sets any cookie is ``no-store``."""

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        super().save_session(app, session, response)
        if response.headers.getlist("Set-Cookie"):
            response.headers["Cache-Control"] = "no-store"


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _value in headers}  # one pass, not one per header
    for lower, name, value in current_app.extensions[SECURITY_HEADERS_KEY]:
        if lower not in present:
            headers.add(name, value)
    if _private(response):
        if "cache-control" in present:  # replace the view's own
            headers["Cache-Control"] = "no-store"
        else:  # the usual case: nothing to look for and remove first
            headers.add("Cache-Control", "no-store")
    return response


def _private(response: Response) -> bool:
    """Pages that must never be cached: signed-in views, account pages, errors, cookies."""
    if g.get("user") is not None or request.path.startswith("/account"):
        return True
    return response.status_code >= 400 or bool(response.headers.getlist("Set-Cookie"))
