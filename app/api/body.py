"""Reading request bodies: the JSON object an operation expects, or a 400 that says why."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest


class InvalidApiRequest(BadRequest):
    """A body that is not the JSON object the operation expects; answered with a 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parsed_json() -> Any:
    """The decoded JSON body, or None when there is none or it does not decode.

    Flask already answers a JSON syntax error as None here; a nesting too deep for the
    decoder raises RecursionError instead, which must not become a 500.
    """
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def json_object(*required: str) -> dict[str, Any]:
    """The request body as a JSON object whose ``required`` members are non-empty strings."""
    if not request.is_json:
        raise InvalidApiRequest(_("Send a JSON object with Content-Type: application/json."))
    body = parsed_json()
    if not isinstance(body, dict):
        raise InvalidApiRequest(_("The request body is not a JSON object."))
    for name in required:
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidApiRequest(_("The field %(name)s must be a non-empty string.", name=name))
    return body
