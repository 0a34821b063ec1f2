"""A database that stops answering: 503 pages, one log line each, and recovery on its own.

On SQLite the database directory is moved away (every new connection then fails to open
the file); on PostgreSQL the database stops accepting connections and its open ones are
terminated, the way a restart or failover looks to the site.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from app import create_app
from app.db.models import LoginSession
from app.extensions import db
from tests import databases
from tests.faults import free_port, private_postgres, private_redis, wait_until  # noqa: F401
from tests.helpers import (
    PASSWORD,
    AuthActions,
    base_config,
    csrf_token,
    parse_set_cookies,
    request_with,
)

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


# --- Private servers that the tests stop, freeze and start again (tests/faults.py) ---------

ACTIVITY_UNAVAILABLE = "Recent activity cannot be shown right now"


def pg_app(tmp_path, clock, url: str, **extra):
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {},  # the production pool, with pre-ping
        "DATABASE_CONNECT_TIMEOUT": 2,
        "SCHEMA_RETRY_INTERVAL": 0,
        **extra,
    }
    return create_app(base_config(tmp_path, clock, **settings))


def assert_error_page(response, status: int = 503) -> None:
    assert response.status_code == status
    assert "<h1>" in response.text and "unavailable" in response.text.lower()
    assert not any(leak in response.text for leak in LEAKS)


def nobody_signed_out(response) -> None:
    assert not any(c.expired for c in parse_set_cookies(response).values())


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_site_boots_while_postgresql_is_down_and_serves_once_it_answers(
    tmp_path, clock, private_postgres, caplog
):
    """A worker that (re)starts during an outage comes up; the schema follows the database."""
    started = time.monotonic()
    app = pg_app(tmp_path, clock, private_postgres.url)  # nothing listens on that port yet
    assert time.monotonic() - started < 5
    assert "schema check postponed: database unavailable" in caplog.text
    client = app.test_client()
    try:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json["database"] == "unavailable"
        assert_error_page(AuthActions(client).register(EMAIL))

        private_postgres.start()
        took = wait_until(lambda: client.get("/healthz").status_code == 200)
        assert took < 5
        assert AuthActions(client).register(EMAIL).status_code == 302  # the schema is there
        assert EMAIL in client.get("/account").text
    finally:
        dispose(app)


def test_postgresql_stops_then_returns_and_nobody_is_signed_out(
    tmp_path, clock, private_postgres, caplog
):
    private_postgres.start()
    app = pg_app(tmp_path, clock, private_postgres.url)
    try:
        access, refresh = signed_up(app)
        private_postgres.stop()
        caplog.clear()

        client = app.test_client()
        assert client.get("/auth/login").status_code == 200
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json["database"] == "unavailable"
        assert_error_page(AuthActions(app.test_client()).login(EMAIL))
        refreshed = request_with(client, "/account", refresh=refresh)  # needs the database
        assert_error_page(refreshed)
        nobody_signed_out(refreshed)
        # A valid access token needs no database; /account says its list is unavailable.
        assert request_with(client, "/", access=access).status_code == 200
        account = request_with(client, "/account", access=access, refresh=refresh)
        assert account.status_code == 200 and EMAIL in account.text
        assert ACTIVITY_UNAVAILABLE in account.text
        nobody_signed_out(account)
        assert all(r.exc_info is None for r in caplog.records)

        private_postgres.start()
        assert wait_until(lambda: client.get("/healthz").status_code == 200) < 5
        back = request_with(client, "/account", refresh=refresh)  # the same refresh token
        assert back.status_code == 200 and ACTIVITY_UNAVAILABLE not in back.text
        assert AuthActions(app.test_client()).login(EMAIL).status_code == 302
    finally:
        dispose(app)


def test_a_hung_database_fails_fast_with_the_error_page(tmp_path, clock, private_postgres):
    """Locks held elsewhere (statement timeout) and a frozen server (connect timeout)."""
    private_postgres.start()
    app = pg_app(tmp_path, clock, private_postgres.url, DATABASE_STATEMENT_TIMEOUT=0.5)
    frozen_app = pg_app(
        tmp_path, clock, private_postgres.url, SQLALCHEMY_ENGINE_OPTIONS={"poolclass": NullPool}
    )
    locker = create_engine(private_postgres.url, poolclass=NullPool)
    try:
        access, refresh = signed_up(app)
        with locker.connect() as conn:
            conn.execute(text("LOCK TABLE users, login_sessions IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            stuck = request_with(app.test_client(), "/account", refresh=refresh)
            assert time.monotonic() - started < 3
            assert_error_page(stuck)
            nobody_signed_out(stuck)
            assert_error_page(AuthActions(app.test_client()).login(EMAIL))
            conn.rollback()
        assert request_with(app.test_client(), "/account", refresh=refresh).status_code == 200

        private_postgres.freeze(True)
        try:
            started = time.monotonic()
            health = frozen_app.test_client().get("/healthz")
            assert time.monotonic() - started < 5
            assert health.status_code == 503 and health.json["database"] == "unavailable"
            assert request_with(frozen_app.test_client(), "/", access=access).status_code == 200
        finally:
            private_postgres.freeze(False)
        assert frozen_app.test_client().get("/healthz").status_code == 200
    finally:
        locker.dispose()
        dispose(app)
        dispose(frozen_app)


def test_redis_outage_keeps_sign_in_logout_and_the_api_working(
    tmp_path, clock, private_redis, caplog
):
    app = create_app(
        base_config(
            tmp_path,
            clock,
            REVOCATION_STORE_URI=private_redis.url,
            RATELIMIT_STORAGE_URI=private_redis.url,
            RATELIMIT_ENABLED=True,
            REVOCATION_TIMEOUT=0.3,
            RATELIMIT_STORAGE_TIMEOUT=0.3,
        )
    )
    try:
        browser = AuthActions(app.test_client())
        assert browser.register(EMAIL).status_code == 302
        access, refresh = browser.tokens()
        assert app.test_client().get("/healthz").json["redis"] == "ok"
        private_redis.stop()
        caplog.clear()

        health = app.test_client().get("/healthz")
        assert health.status_code == 200
        assert health.json == {"status": "degraded", "database": "ok", "redis": "unavailable"}
        page = request_with(app.test_client(), "/account", access=access, refresh=refresh)
        assert page.status_code == 200 and EMAIL in page.text
        nobody_signed_out(page)

        other = AuthActions(app.test_client())
        assert other.login(EMAIL).status_code == 302  # the throttle counts in memory meanwhile
        api = app.test_client(use_cookies=False).post(
            "/api/auth/token", json={"email": EMAIL, "password": PASSWORD}
        )
        assert api.status_code == 200 and api.json["access_token"]

        assert browser.logout().status_code == 302
        with app.app_context():
            ended = db.session.scalars(
                select(LoginSession.revoked_at).where(LoginSession.revoked_at.is_not(None))
            ).all()
        assert len(ended) == 1  # logged out in the database
        assert request_with(app.test_client(), "/account", access=access).status_code == 302

        problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert problems and all(r.exc_info is None for r in problems)
        assert any("falling back to in-memory" in r.getMessage() for r in problems)
        assert any("asking the database" in r.getMessage() for r in problems)

        private_redis.start()  # the same port
        client = app.test_client()
        assert wait_until(lambda: client.get("/healthz").json["redis"] == "ok") < 5
        signed_in = AuthActions(app.test_client())
        assert signed_in.login(EMAIL).status_code == 302
    finally:
        dispose(app)


def test_the_site_boots_with_redis_unreachable(tmp_path, clock):
    port = free_port()  # nothing listens there
    app = create_app(
        base_config(
            tmp_path,
            clock,
            REVOCATION_STORE_URI=f"redis://127.0.0.1:{port}/0",
            RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0",
            RATELIMIT_ENABLED=True,
        )
    )
    assert AuthActions(app.test_client()).register(EMAIL).status_code == 302
