"""Error answers of the JSON API: ``{"error": code, "message": text}``.

Codes follow RFC 6750 for the protected resources (``invalid_request``, ``invalid_token``)
and RFC 6749 for the token endpoints (``invalid_grant``: wrong password, or a refresh token
that is unknown, expired, revoked or reused). Every 401 carries a Bearer challenge.
"""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

REALM = "gatehouse"


class InvalidApiRequest(BadRequest):
    """A body that is not the JSON object the operation expects; answered with a 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify(error=code, message=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}", error="{code}"'
    return response


def invalid_request(error: InvalidApiRequest) -> Response:
    return error_response(400, "invalid_request", error.message)


def json_object(*required: str) -> dict[str, Any]:
    """The request body as a JSON object whose ``required`` members are non-empty strings."""
    if not request.is_json:
        raise InvalidApiRequest(_("Send a JSON object with Content-Type: application/json."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidApiRequest(_("The request body is not a JSON object."))
    for name in required:
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidApiRequest(_("The field %(name)s must be a non-empty string.",
                                      name=name))
    return body
