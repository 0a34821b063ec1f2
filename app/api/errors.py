"""Error answers of the JSON API: ``{"error": code, "message": text}``.

Codes follow RFC 6750 for the protected resources (``invalid_request``, ``invalid_token``)
and RFC 6749 for the token endpoints (``invalid_grant``: wrong password, or a refresh token
that is unknown, expired, revoked or reused). Every 401 carries a Bearer challenge.
"""

from __future__ import annotations

from flask import Response, jsonify

from .body import InvalidApiRequest

REALM = "gatehouse"


def error_response(status: int, code: str, message: str, **extra: str) -> Response:
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}", error="{code}"'
    return response


def invalid_request(error: InvalidApiRequest) -> Response:
    return error_response(400, "invalid_request", error.message)
