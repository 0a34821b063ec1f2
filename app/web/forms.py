"""The one base class every form of the site derives from.

``TextForm`` reads only the text parts of a posted form (``request.form``), never file parts
or a JSON body, which Flask-WTF would otherwise hand to text fields (a file where a password
belongs used to be a 500). A submission that is malformed for a text form (a file part, a
field sent more than once, a JSON body) is refused with a reason on the field, the view
re-renders the form as it does for any invalid input, and that request's response is turned
from 200 into 400 (an ``after_this_request`` callback, so no other request pays for the rule).
"""

from __future__ import annotations

from typing import Any

from flask import Response, after_this_request, g, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict

MALFORMED_KEY = "_gatehouse_malformed_form"
NOT_TEXT = _l("Send this field as plain text, once.")
SUBMITTED = {"POST", "PUT", "PATCH", "DELETE"}


def _malformed_is_400(response: Response) -> Response:
    """A page shown again because its form was malformed is a 400, not a 200."""
    if response.status_code == 200:
        response.status_code = 400
    return response


def malformed_parts() -> set[str]:
    """Names of this request's form fields that are not one plain text value."""
    names = set(request.files.keys())
    names.update(name for name, values in request.form.lists() if len(values) > 1)
    if request.is_json:
        names.add("")
    return names


class TextForm(FlaskForm):
    """A Flask-WTF form over the text parts of the request only (see the module docstring)."""

    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        self._from_request = formdata is None and request.method in SUBMITTED
        if self._from_request:
            formdata = ImmutableMultiDict(request.form.items(multi=False)) or None
        super().__init__(formdata=formdata, **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        bad = malformed_parts() if self._from_request else set()
        if not bad:
            return valid
        if not g.get(MALFORMED_KEY):  # one callback per request, however many forms
            setattr(g, MALFORMED_KEY, True)
            after_this_request(_malformed_is_400)
        visible = [field for field in self if field.type not in ("CSRFTokenField", "HiddenField")]
        named = [field for field in visible if field.name in bad]
        for field in named or visible[:1]:  # a hidden field shows no error: say it visibly
            field.errors = [*field.errors, NOT_TEXT]
        return False
