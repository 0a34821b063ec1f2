"""Helpers the tests share: the test password and key, a controllable clock, the app's test
configuration, and actions that sign up, log in and log out through the real forms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy.pool import NullPool

from tests import databases

PASSWORD = "correct-horse-battery-staple"
HMAC_KEY = "k" * 32 + "-test-signing-key"
MFA_KEY = "bWZhLXRlc3QtZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM="  # a Fernet key (32 bytes, base64)
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class FakeClock:
    """Seconds since the epoch that only move when a test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def database_uri(tmp_path, migrated: bool = True) -> str:
    """This test's database: the PostgreSQL schema, or a SQLite file in ``tmp_path``.

    The SQLite file starts as a copy of the run's migrated template, or, with
    ``migrated=False``, does not exist yet (the app creates it empty).
    """
    databases.STATE["used"] = True
    if databases.STATE["uri"]:
        return databases.STATE["uri"]
    path = tmp_path / "test.sqlite3"
    if migrated:
        databases.copy_of_template(path)
    return f"sqlite:///{path}"


def base_config(tmp_path, clock: FakeClock, **overrides) -> dict:
    """The test app's settings; ``AUTO_CREATE_SCHEMA=False`` leaves a new SQLite file empty."""
    if "SQLALCHEMY_DATABASE_URI" in overrides:
        uri = overrides["SQLALCHEMY_DATABASE_URI"]
    else:
        uri = database_uri(
            tmp_path, migrated=overrides.get("AUTO_CREATE_SCHEMA", True) is not False
        )
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "JWT_KEYS": {"k1": HMAC_KEY},
        "JWT_ACTIVE_KID": "k1",
        "MFA_ENCRYPTION_KEYS": [MFA_KEY],
        "SQLALCHEMY_DATABASE_URI": uri,
        "COOKIE_SECURE": False,
        "ALLOW_INSECURE_COOKIES": True,
        "PUBLIC_URL": "http://localhost",  # the test client's own host
        "RATELIMIT_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
        # Queued mail is sent as soon as it is committed, so a test reads it right after the
        # request; tests of the outbox's own senders turn this off.
        "MAIL_DELIVER_ON_COMMIT": True,
        "CLOCK": clock,
        # Never the internet: tests that check breached passwords start a local range API.
        "PWNED_PASSWORDS_ENABLED": False,
    }
    if databases.STATE["uri"]:  # no idle connections left behind by the many short-lived apps
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}
    config.update(overrides)
    return config


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def without_csrf(html: str) -> str:
    """The page with its CSRF token values blanked: a token carries the second it was signed
    in, so two pages that say the same thing differ there when a second boundary falls
    between them (as it does now and then on a loaded machine)."""
    return CSRF_RE.sub('name="csrf_token" type="hidden" value=""', html)


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


class SQLCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)


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


def live_refresh_tokens(app) -> int:
    """How many refresh tokens can still be refreshed: one per open session at most."""
    from app.db.models import LoginSession
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count())
            .select_from(LoginSession)
            .where(LoginSession.revoked_at.is_(None), LoginSession.current_hash.is_not(None))
        )


def session_holding(app, token: str):
    """The session row whose current or previous refresh token is ``token`` (None if none)."""
    from app.db.models import LoginSession
    from app.extensions import db
    from app.sessions.tokens import hash_token

    digest = hash_token(token)
    with app.app_context():
        found = db.session.scalar(
            db.select(LoginSession).where(
                db.or_(LoginSession.current_hash == digest, LoginSession.previous_hash == digest)
            )
        )
        if found is not None:
            db.session.expunge(found)
        return found
