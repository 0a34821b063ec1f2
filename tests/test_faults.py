"""A database that stops answering: 503 pages, one log line each, and recovery on its own.

On SQLite the database directory is moved away (every new connection then fails to open
the file); on PostgreSQL the database stops accepting connections and its open ones are
terminated, the way a restart or failover looks to the site.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from app import create_app
from app.extensions import db
from tests import databases
from tests.helpers import PASSWORD, AuthActions, base_config, csrf_token, request_with

EMAIL = "fault@example.com"
LEAKS = ("Traceback", 'File "', "sqlalchemy", "psycopg", "sqlite", "OperationalError")


def app_problems(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def assert_one_plain_line(caplog) -> None:
    records = app_problems(caplog)
    assert len(records) == 1, [r.getMessage() for r in records]
    (record,) = records
    assert record.exc_info is None and record.exc_text is None
    assert "\n" not in record.getMessage() and "unavailable" in record.getMessage()
    caplog.clear()


def assert_outage(app, caplog, refresh: str) -> None:
    """What people and monitors see while the database is gone."""
    client = app.test_client()
    page = client.get("/auth/login")  # needs no database
    assert page.status_code == 200
    caplog.clear()

    health = client.get("/healthz")
    assert health.status_code == 503
    assert_one_plain_line(caplog)

    response = client.post(
        "/auth/login",
        data={"csrf_token": csrf_token(page.text), "email": EMAIL, "password": PASSWORD},
    )
    assert response.status_code == 503
    assert "unavailable" in response.text.lower() and "<h1>" in response.text
    assert not any(leak in response.text for leak in LEAKS) and PASSWORD not in response.text
    assert_one_plain_line(caplog)

    json_response = request_with(
        client, "/account", refresh=refresh, headers={"Accept": "application/json"}
    )
    assert json_response.status_code == 503 and json_response.json["error"] == "unavailable"
    assert_one_plain_line(caplog)


def assert_recovered(app) -> None:
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = AuthActions(client).login(EMAIL)
    assert response.status_code == 302 and response.headers["Location"] == "/account"


def signed_up(app) -> tuple[str, str]:
    auth = AuthActions(app.test_client())
    assert auth.register(EMAIL).status_code == 302
    return auth.tokens()


def test_sqlite_file_out_of_reach_then_back(tmp_path, clock, caplog):
    home = tmp_path / "db"
    home.mkdir()
    app = create_app(
        base_config(
            tmp_path,
            clock,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{home / 'site.sqlite3'}",
            SQLALCHEMY_ENGINE_OPTIONS={"poolclass": NullPool},  # each request opens the file
        )
    )
    access, refresh = signed_up(app)
    home.rename(tmp_path / "elsewhere")
    try:
        assert_outage(app, caplog, refresh)
        # A valid access token needs no database: the person is still served.
        assert request_with(app.test_client(), "/", access=access).status_code == 200
    finally:
        (tmp_path / "elsewhere").rename(home)
    assert_recovered(app)


@contextmanager
def unavailable(admin, name: str):
    """PostgreSQL refuses new connections to ``name`` and drops the open ones, until exit."""
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))


def test_postgresql_outage_then_back(tmp_path, clock, caplog):
    server = databases.requested_url()
    if server is None:
        pytest.skip(f"PostgreSQL outage test: set {databases.ENV_VAR} to run it")
    admin = databases.admin_engine(server)
    with databases.run_database(server) as url:
        # The production engine settings: a connection pool with pre-ping.
        app = create_app(
            base_config(
                tmp_path,
                clock,
                SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False),
                SQLALCHEMY_ENGINE_OPTIONS={},
            )
        )
        assert "poolclass" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
        access, refresh = signed_up(app)
        with unavailable(admin, url.database):
            assert_outage(app, caplog, refresh)
            assert request_with(app.test_client(), "/", access=access).status_code == 200
        assert_recovered(app)
        with app.app_context():
            db.engine.dispose()
    admin.dispose()
