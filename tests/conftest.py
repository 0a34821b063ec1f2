"""Shared fixtures: an app on a throw-away database, a controllable clock, and helpers
that sign up, log in and log out through the real forms (CSRF included).

The database is a SQLite file per test or, when ``TEST_DATABASE_URL`` is set, a PostgreSQL
database of this run's own, emptied after every test (see tests/databases.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app import create_app
from app.extensions import db

from . import databases
from .leak_guard import LeakGuard

PASSWORD = "correct-horse-battery-staple"
HMAC_KEY = "k" * 32 + "-test-signing-key"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class FakeClock:
    """Seconds since the epoch that only move when a test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_DATABASE: dict = {"schemas": None, "uri": None, "used": False}


@pytest.fixture(scope="session", autouse=True)
def _run_database():
    """With TEST_DATABASE_URL: this run's own PostgreSQL database, dropped at the end."""
    server = databases.requested_url()
    if server is None:
        yield None
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


def database_uri(tmp_path) -> str:
    """This test's database: the PostgreSQL schema, or a SQLite file in ``tmp_path``."""
    _DATABASE["used"] = True
    return _DATABASE["uri"] or f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def empty_database_uri(tmp_path) -> str:
    """A database without any table: a new schema on PostgreSQL, a new file on SQLite."""
    schemas = _DATABASE["schemas"]
    return schemas.new_schema_url() if schemas else f"sqlite:///{tmp_path / 'empty.sqlite3'}"


def base_config(tmp_path, clock: FakeClock, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "JWT_KEYS": {"k1": HMAC_KEY},
        "JWT_ACTIVE_KID": "k1",
        "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
        "COOKIE_SECURE": False,
        "ALLOW_INSECURE_COOKIES": True,
        "RATELIMIT_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
        "CLOCK": clock,
    }
    if _DATABASE["uri"]:  # no idle connections left behind by the many short-lived apps
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}
    config.update(overrides)
    return config


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


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def set_cookie_headers(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


@dataclass
class ParsedCookie:
    name: str
    value: str
    attrs: dict = field(default_factory=dict)

    @property
    def expired(self) -> bool:
        return self.attrs.get("max-age") == "0" or self.value == ""


def parse_set_cookies(response) -> dict[str, ParsedCookie]:
    """The raw Set-Cookie headers, by cookie name (last one wins, as in a browser)."""
    found: dict[str, ParsedCookie] = {}
    for header in set_cookie_headers(response):
        parts = [p.strip() for p in header.split(";")]
        name, _, value = parts[0].partition("=")
        attrs = {}
        for part in parts[1:]:
            key, eq, val = part.partition("=")
            attrs[key.lower()] = val if eq else True
        found[name] = ParsedCookie(name, value, attrs)
    return found


class AuthActions:
    """Sign up, log in and log out through the forms, the way a browser does."""

    def __init__(self, client) -> None:
        self._client = client

    def register(self, email="person@example.com", password=PASSWORD, confirm=None):
        page = self._client.get("/auth/register")
        return self._client.post(
            "/auth/register",
            data={
                "csrf_token": csrf_token(page.text),
                "email": email,
                "password": password,
                "confirm": password if confirm is None else confirm,
            },
        )

    def login(self, email="person@example.com", password=PASSWORD, remember=False, next=None):
        page = self._client.get("/auth/login" + (f"?next={next}" if next is not None else ""))
        data = {"csrf_token": csrf_token(page.text), "email": email, "password": password}
        if next is not None:
            data["next"] = next
        if remember:
            data["remember"] = "y"
        return self._client.post("/auth/login", data=data)

    def logout(self):
        page = self._client.get("/")
        return self._client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})

    def tokens(self) -> tuple[str | None, str | None]:
        access = self._client.get_cookie("access_token")
        refresh = self._client.get_cookie("refresh_token")
        return (access.value if access else None, refresh.value if refresh else None)


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


class SQLCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)


@pytest.fixture
def count_sql(app):
    """Records every SQL statement the app's engine runs while the fixture is alive."""
    counter = SQLCounter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


def request_with(
    client, path="/account", *, access=None, refresh=None, headers=None, method="GET"
):
    """One request carrying exactly these token cookies (None: cookie absent)."""
    fresh = client.application.test_client()
    if access is not None:
        fresh.set_cookie("access_token", access)
    if refresh is not None:
        fresh.set_cookie("refresh_token", refresh)
    return fresh.open(path, method=method, headers=headers or {})


LEAK_GUARD = LeakGuard()
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
