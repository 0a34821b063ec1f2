"""The JSON API against its own OpenAPI document, with schemathesis through WSGI.

Generated requests (valid and malformed bodies, odd path values, with and without a Bearer
token) must never get a 5xx, and every response must match the documented status codes,
headers and schemas. Real sign-in, refresh and logout answers are checked against the same
document too, since random data never finds a valid password or token.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from app import create_app
from app.api.openapi import openapi_document
from app.extensions import db
from tests.helpers import PASSWORD, AuthActions, FakeClock, base_config
from tests.mfa.helpers import set_up_app, totp_code

EMAIL = "person@example.com"

# schemathesis builds its test cases when this module is collected, so the app it loads the
# document from (over WSGI, as a client would) exists from then on; it is cleaned up below.
_INSTANCE = Path(tempfile.mkdtemp(prefix="gatehouse-schema-"))
APP = create_app(base_config(_INSTANCE, FakeClock()))
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _remove_instance():
    yield
    with APP.app_context():
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(_INSTANCE, ignore_errors=True)


@pytest.fixture(scope="module")
def tokens() -> dict:
    client = APP.test_client()
    AuthActions(client).register(EMAIL)
    response = APP.test_client().post(
        "/api/auth/token", json={"email": EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 200
    return response.json


def test_the_document_is_valid_openapi_3_1():
    document = APP.test_client().get("/api/openapi.json").json
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any structural mistake


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_server_error_and_every_answer_matches_the_document(case, tokens):
    case.call_and_validate(headers={"Authorization": f"Bearer {tokens['access_token']}"})


@pytest.fixture
def config_overrides():
    return {"REFRESH_REUSE_GRACE": 10}


def test_real_answers_match_the_document(app, auth, clock):
    """Signed-in answers, which random data cannot reach, against the same document."""
    auth.register(EMAIL)
    client = app.test_client(use_cookies=False)
    seen = []

    def check(path, method, response, status):
        assert response.status_code == status, response.data
        schema[path][method].validate_response(response)
        seen.append((path, method, status))
        return response

    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    first = check(
        "/api/auth/token",
        "POST",
        client.post("/api/auth/token", json={"email": EMAIL, "password": PASSWORD}),
        200,
    ).json
    check(
        "/api/auth/token",
        "POST",
        client.post("/api/auth/token", json={"email": EMAIL, "password": "wrong-password-x"}),
        401,
    )
    second = check(
        "/api/auth/refresh",
        "POST",
        client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}),
        200,
    ).json
    grace = check(
        "/api/auth/refresh",
        "POST",
        client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}),
        200,
    ).json
    assert grace["refresh_token"] is None
    check("/api/me", "GET", client.get("/api/me", headers=bearer(second["access_token"])), 200)
    listed = check(
        "/api/sessions",
        "GET",
        client.get("/api/sessions", headers=bearer(second["access_token"])),
        200,
    ).json["sessions"]
    other = next(s["id"] for s in listed if not s["current"])
    check(
        "/api/sessions/{sid}",
        "DELETE",
        client.delete(f"/api/sessions/{other}", headers=bearer(second["access_token"])),
        204,
    )
    check(
        "/api/auth/logout",
        "POST",
        client.post("/api/auth/logout", json={"refresh_token": second["refresh_token"]}),
        204,
    )
    # An account with an authenticator app: the password answers mfa_required, then the code.
    web = app.test_client()
    AuthActions(web).register("second@example.com")
    secret, _codes = set_up_app(web, clock)
    clock.advance(30)
    pending = check(
        "/api/auth/token",
        "POST",
        client.post("/api/auth/token", json={"email": "second@example.com", "password": PASSWORD}),
        401,
    ).json
    assert pending["error"] == "mfa_required"
    check(
        "/api/auth/token/mfa",
        "POST",
        client.post(
            "/api/auth/token/mfa", json={"mfa_token": pending["mfa_token"], "code": "000000"}
        ),
        401,
    )
    check(
        "/api/auth/token/mfa",
        "POST",
        client.post(
            "/api/auth/token/mfa",
            json={"mfa_token": pending["mfa_token"], "code": totp_code(secret, clock.now)},
        ),
        200,
    )
    clock.advance(11)
    check(
        "/api/auth/refresh",
        "POST",
        client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]}),
        401,
    )
    last = client.post("/api/auth/token", json={"email": EMAIL, "password": PASSWORD}).json
    exported = check(
        "/api/me/export",
        "GET",
        client.get("/api/me/export", headers=bearer(last["access_token"])),
        200,
    )
    assert exported.json["account"]["email"] == EMAIL
    check("/api/me", "DELETE", client.delete("/api/me", headers=bearer(last["access_token"])), 204)
    operations = {(path, method.lower()) for path, method, _ in seen}
    assert operations == {
        (path, method)
        for path, item in openapi_document()["paths"].items()
        for method in item
        if path != "/api/openapi.json"
    }
