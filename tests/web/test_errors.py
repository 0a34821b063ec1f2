"""Error pages, the health check, and what a failure may show."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from tests.helpers import request_with

TRACE = ("Traceback", 'File "', "sqlalchemy", "werkzeug")


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not_configured"}
    assert not response.headers.getlist("Set-Cookie")
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_503_when_the_database_is_down(app, client, monkeypatch):
    def broken(_engine):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr("app.main.health.ping", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "database": "unavailable",
        "redis": "not_configured",
    }


@pytest.mark.parametrize(
    "required, status, code",
    [(["database"], "degraded", 200), (["database", "redis"], "unavailable", 503)],
)
def test_healthz_with_redis_down_is_degraded_unless_redis_is_required(
    tmp_path, clock, required, status, code
):
    from app import create_app
    from tests.helpers import base_config

    app = create_app(
        base_config(
            tmp_path,
            clock,
            REVOCATION_STORE_URI="redis://127.0.0.1:1/0",
            REVOCATION_TIMEOUT=0.2,
            HEALTHZ_REQUIRED=required,
        )
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == code
    assert response.json == {"status": status, "database": "ok", "redis": "unavailable"}


@pytest.mark.parametrize("path,status", [("/no-such-page", 404), ("/auth/logout", 405)])
def test_error_pages_have_their_own_page_and_no_trace(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert "<h1>" in response.text and not any(t in response.text for t in TRACE)


def test_csrf_failure_is_a_400_page(client):
    response = client.post("/auth/login", data={"email": "a@example.com", "password": "x"})
    assert response.status_code == 400 and "expired" in response.text


def test_unexpected_error_is_a_500_page_without_trace(app, client, monkeypatch):
    def explode():
        raise ValueError("secret internals")

    app.view_functions["main.index"] = explode
    response = client.get("/")
    assert response.status_code == 500
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_database_failure_during_a_view_is_503(app, client, auth, monkeypatch):
    auth.register()
    refresh = auth.tokens()[1]

    def down(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr("app.sessions.store.SessionStore._advance", down)
    response = request_with(client, refresh=refresh)
    assert response.status_code == 503 and "unavailable" in response.text.lower()


def test_oversized_body_is_413(client):
    response = client.post("/auth/login", data={"email": "x" * 2_000_000})
    assert response.status_code == 413


def test_json_clients_get_json_errors(client):
    response = client.get("/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_error_page_for_signed_in_person_shows_no_token(client, auth):
    auth.register()
    access, refresh = auth.tokens()
    response = request_with(client, "/missing", access=access, refresh=refresh)
    assert response.status_code == 404
    assert access not in response.text and refresh not in response.text
