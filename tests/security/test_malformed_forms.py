"""Item: a file part where text belongs (or a field sent twice, or a JSON body) was a 500 with
a stack trace on login, sign-up, forgot and password change. Every form route now answers
malformed input with its form again and 400 (routes are walked from the URL map)."""

from __future__ import annotations

import io

import pytest

from tests.helpers import PASSWORD, AuthActions, csrf_token
from tests.security.routes import state_changing_routes

FIELDS = ("email", "password", "confirm", "current_password", "new_password", "next", "ticket")
NOT_TEXT = "Send this field as plain text, once."
FORM_PAGES = ("/auth/login", "/auth/register", "/auth/forgot", "/account/password")


def _file() -> tuple[io.BytesIO, str, str]:
    return (io.BytesIO(b"\x00\xff not text " * 100), "payload.bin", "application/octet-stream")


def _text_values() -> dict[str, str]:
    return {
        "email": "person@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "current_password": PASSWORD,
        "new_password": "a-brand-new-passphrase-42",
        "next": "/account",
        "ticket": "x",
    }


def malformed_bodies(token: str):
    """(label, data) pairs: each field as a file part, and each field sent twice."""
    for name in FIELDS:
        data = {"csrf_token": token, **_text_values(), name: _file()}
        yield f"file in {name}", data
        twice = {"csrf_token": token, **_text_values()}
        twice[name] = [twice[name], twice[name]]
        yield f"{name} twice", twice


@pytest.fixture
def signed_in(app):
    actions = AuthActions(app.test_client())
    assert actions.register().status_code == 302
    return actions._client


def _token(client, path: str) -> str:
    page = client.get(path if path in FORM_PAGES else "/auth/login")
    return csrf_token(page.text) if page.status_code == 200 else ""


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/forgot"])
def test_anonymous_form_pages_answer_malformed_input_with_the_form_and_400(client, path):
    for label, data in malformed_bodies(_token(client, path)):
        response = client.post(path, data=data, content_type="multipart/form-data")
        assert response.status_code == 400, f"{path}: {label}"
        assert "<form" in response.text and NOT_TEXT in response.text, f"{path}: {label}"


def test_the_password_change_form_answers_malformed_input_with_the_form_and_400(signed_in):
    for label, data in malformed_bodies(_token(signed_in, "/account/password")):
        response = signed_in.post(
            "/account/password", data=data, content_type="multipart/form-data"
        )
        assert response.status_code == 400, label
        assert "<form" in response.text and NOT_TEXT in response.text, label


def test_every_form_route_never_answers_malformed_input_with_a_5xx(app, signed_in):
    anonymous = app.test_client()
    for client in (anonymous, signed_in):
        for method, url in state_changing_routes(app):
            token = _token(client, "/account/password" if client is signed_in else url)
            for label, data in malformed_bodies(token):
                response = client.open(
                    url, method=method, data=data, content_type="multipart/form-data"
                )
                assert response.status_code < 500, f"{method} {url}: {label}"
            response = client.open(url, method=method, json={"email": ["a", {"b": 1}]})
            assert response.status_code < 500, f"{method} {url}: JSON body"
