"""Security headers on every response, in one short ``after_request``.

The CSP allows no inline script or style at all (the site has none), no plugins, no ``<base>``
and no framing. Responses that show account data, carry an error, or set a token cookie are
never stored by a browser or a proxy.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, g, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")  # for browsers without frame-ancestors
    if current_app.config["COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if _private(response):
        headers["Cache-Control"] = "no-store"
    return response


def _private(response: Response) -> bool:
    """Pages that must never be cached: signed-in views, account pages, errors, new tokens."""
    if g.get("user") is not None or request.path.startswith("/account"):
        return True
    if response.status_code >= 400:
        return True
    token_cookies = _token_cookie_prefixes()
    return any(
        value.startswith(token_cookies) for value in response.headers.getlist("Set-Cookie")
    )


def _token_cookie_prefixes() -> tuple[str, str]:
    config = current_app.config
    return (config["ACCESS_COOKIE_NAME"] + "=", config["REFRESH_COOKIE_NAME"] + "=")
