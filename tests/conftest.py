"""Shared fixtures: an app on a throw-away database, a controllable clock, the form actions
of tests/helpers.py, a SQL counter, and the leak guard around every test.

The database is a SQLite file per test, copied from one migrated template, or, when
``TEST_DATABASE_URL`` is set, a PostgreSQL database of this run's own, emptied after every test
(see tests/databases.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db
from tests import databases
from tests.helpers import AuthActions, FakeClock, SQLCounter, base_config
from tests.leak_guard import LEAK_GUARD

_DATABASE = databases.STATE


@pytest.fixture(scope="session", autouse=True)
def _run_database(tmp_path_factory):
    """With TEST_DATABASE_URL: this run's own PostgreSQL database, dropped at the end.
    Without: the migrated SQLite template that every test's database is copied from."""
    server = databases.requested_url()
    if server is None:
        template_dir = tmp_path_factory.mktemp("template-database")
        _DATABASE["sqlite_template"] = databases.migrated_sqlite_template(template_dir)
        yield None
        _DATABASE["sqlite_template"] = None
        return
    try:
        with databases.admin_engine(server).connect():
            pass
    except OperationalError as error:
        shown = make_url(server).render_as_string(hide_password=True)
        pytest.exit(
            f"{databases.ENV_VAR} is set but {shown} cannot be reached: {error.orig}", returncode=3
        )
    with databases.run_database(server) as url:
        _DATABASE["schemas"] = databases.SchemaFactory(url)
        yield url
        _DATABASE["schemas"].dispose()
        _DATABASE["schemas"] = None


@pytest.fixture(autouse=True)
def _test_database(_run_database):
    """Every test starts without rows: on PostgreSQL the shared schema is emptied after it."""
    schemas = _DATABASE["schemas"]
    _DATABASE["uri"] = schemas.shared_url if schemas else None
    _DATABASE["used"] = False
    yield
    _DATABASE["uri"] = None
    if schemas and _DATABASE["used"]:
        schemas.empty_shared_schema(db.metadata)


@pytest.fixture
def empty_database_uri(tmp_path) -> str:
    """A database without any table: a new schema on PostgreSQL, a new file on SQLite."""
    schemas = _DATABASE["schemas"]
    return schemas.new_schema_url() if schemas else f"sqlite:///{tmp_path / 'empty.sqlite3'}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config_overrides() -> dict:
    """Override in a test module to change settings for every test in it."""
    return {}


@pytest.fixture
def app(tmp_path, clock, config_overrides):
    app = create_app(base_config(tmp_path, clock, **config_overrides))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def count_sql(app):
    """Records every SQL statement the app's engine runs while the fixture is alive."""
    counter = SQLCounter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


LEAK_KINDS = ("tokens", "passwords", "hashes")


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "no_leak_check(*kinds, reason): skip the leak check (all of it, or only the named "
        "kinds: tokens, passwords, hashes) for a test that deliberately shows such values",
    )
    LEAK_GUARD.install()


@pytest.fixture(autouse=True)
def no_leaks(request):
    """Fail a test whose pages, headers or log lines show a token, a password or a hash."""
    yield
    capture = LEAK_GUARD.take()
    marker = request.node.get_closest_marker("no_leak_check")
    skipped = set(marker.args or LEAK_KINDS) if marker else set()
    leaks = LEAK_GUARD.leaks(capture, **{kind: kind not in skipped for kind in LEAK_KINDS})
    assert not leaks, "secrets leaked: " + "; ".join(sorted(set(leaks)))
