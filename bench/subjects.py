"""Build the apps under test and sign someone in to each, the way a browser would.

Every subject ends in the same steady state: the jar holds whatever cookies a browser would
hold after signing in and loading ``/account`` once (including Flask's session cookie for the
CSRF token), so the timed requests set no new cookies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask

from .harness import Jar, Response, call, environ
from .peers import flask_login_peer, floor, jwt_extended_peer
from .peers.common import EMAIL, PASSWORD, USER_ID

GATEHOUSE_KEY = "bench-signing-key-" + "k" * 40


@dataclass
class Subject:
    name: str
    app: Flask
    jar: Jar
    engine: object | None = None  # SQLAlchemy engine whose statements are counted

    def account_environ(self) -> dict:
        return environ("/account", cookies=self.jar.cookies)


def check_account(response: Response, who: str) -> None:
    if response.status != 200 or EMAIL not in response.text:
        raise SystemExit(f"{who}: GET /account answered {response.status}, not the page")


def _warm(subject: Subject) -> Subject:
    """Load the page once, keep the cookies it sets, and insist the next load sets none."""
    first = call(subject.app, subject.account_environ())
    check_account(first, subject.name)
    subject.jar.update(first)
    again = call(subject.app, subject.account_environ())
    check_account(again, subject.name)
    if again.set_cookies():
        raise SystemExit(
            f"{subject.name}: steady-state request still sets {list(again.set_cookies())}"
        )
    return subject


# --- peers -------------------------------------------------------------------------------

# Every peer reads the page's data from Gatehouse's database file (``database_uri``).


def _engine(app: Flask):
    from app.extensions import db

    with app.app_context():
        return db.engine


def floor_subject(database_uri: str) -> Subject:
    app = floor.create_app(database_uri)
    return _warm(Subject("Flask, no auth (floor)", app, Jar(), _engine(app)))


def flask_login_subject(database_uri: str) -> Subject:
    app = flask_login_peer.create_app(database_uri)
    jar = Jar()
    jar.update(
        call(
            app, environ("/auth/login", method="POST", data={"email": EMAIL, "password": PASSWORD})
        )
    )
    return _warm(Subject("Flask-Login + Flask-SQLAlchemy", app, jar, _engine(app)))


def jwt_extended_subject(database_uri: str) -> Subject:
    app = jwt_extended_peer.create_app(database_uri)
    jar = Jar()
    jar.update(call(app, environ("/auth/login", method="POST")))
    return _warm(Subject("Flask-JWT-Extended (cookies)", app, jar, _engine(app)))


# --- Gatehouse ---------------------------------------------------------------------------


def gatehouse_config(database_uri: str, **overrides) -> dict:
    """The project's defaults, with a throw-away database and fixed keys.

    Throttling, CSRF, Babel and secure cookies stay on, as in production; only argon2 is
    made cheap, since sign-in is set-up here and never timed.
    """
    config = {
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "JWT_KEYS": {"b1": GATEHOUSE_KEY},
        "JWT_ACTIVE_KID": "b1",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
    }
    config.update(overrides)
    return config


def gatehouse_app(database_uri: str, **overrides) -> Flask:
    from app import create_app

    return create_app(gatehouse_config(database_uri, **overrides))


# What the account page's "Recent activity" shows for the benchmark's person: the same rows
# in every database, with fixed times, so every app prints the same page.
ACTIVITY_START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
ACTIVITY = (
    (
        "register",
        "203.0.113.7",
        "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    ),
    (
        "login",
        "203.0.113.7",
        "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    ),
    (
        "login_failed",
        "198.51.100.23",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
    ),
    (
        "login",
        "198.51.100.24",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    ),
    (
        "password_changed",
        "203.0.113.7",
        "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    ),
    (
        "logout",
        "198.51.100.24",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    ),
)


def gatehouse_user(app: Flask, email: str = EMAIL, *, activity: bool = True) -> int:
    """The benchmark's person: email confirmed, with the fixed activity history."""
    from app.accounts.passwords import get_passwords
    from app.db.models import SecurityEvent, User
    from app.extensions import db

    with app.app_context():
        user = User(
            email=email,
            password_hash=get_passwords().hash(PASSWORD),
            created_at=ACTIVITY_START,
            email_confirmed_at=ACTIVITY_START,
        )
        db.session.add(user)
        db.session.flush()
        if activity:
            for minutes, (kind, ip, agent) in enumerate(ACTIVITY):
                db.session.add(
                    SecurityEvent(
                        user_id=user.id,
                        kind=kind,
                        ip=ip,
                        user_agent=agent,
                        session_id=None,
                        created_at=ACTIVITY_START + timedelta(days=minutes, minutes=7 * minutes),
                    )
                )
        db.session.commit()
        return user.id


def gatehouse_sign_in(app: Flask, user_id: int, *, persistent: bool = True):
    """A new login session, as the login form would start it; returns the Grant."""
    from app.db.models import SecurityEvent, User
    from app.extensions import db
    from app.sessions.store import get_session_store

    with app.test_request_context("/auth/login", method="POST"):
        user = db.session.get(User, user_id)
        grant = get_session_store().start_session(user, persistent=persistent)
        # The sign-in's own "login" event would add a row to the page: every app must show
        # the same fixed activity.
        db.session.execute(
            db.delete(SecurityEvent).where(SecurityEvent.session_id == grant.session_id)
        )
        db.session.commit()
        db.session.remove()
        return grant


def gatehouse_cookie_names(app: Flask) -> tuple[str, str]:
    return app.config["ACCESS_COOKIE_NAME"], app.config["REFRESH_COOKIE_NAME"]


def expired_access_token(app: Flask, grant) -> str:
    """An access token of the grant's session that ran out a while ago, signed by the app."""
    from app.sessions.authority import get_authority
    from app.sessions.tokens import TokenType

    with app.app_context():
        authority = get_authority()
        past = time.time() - 2 * authority.access_ttl
        token, _ = authority.mint(
            TokenType.ACCESS,
            user_id=grant.user_id,
            session_id=grant.session_id,
            now=past,
            not_after=grant.session_expires_at,
            extra={"email": grant.email},
        )
        return token


def gatehouse_subject(name: str, database_uri: str, **overrides) -> Subject:
    from app.extensions import db

    app = gatehouse_app(database_uri, **overrides)
    user_id = gatehouse_user(app)
    if user_id != USER_ID:
        raise SystemExit(f"{name}: the benchmark's person has id {user_id}, not {USER_ID}")
    grant = gatehouse_sign_in(app, user_id)
    access_name, refresh_name = gatehouse_cookie_names(app)
    jar = Jar({access_name: grant.access_token, refresh_name: grant.refresh_token})
    with app.app_context():
        engine = db.engine
    return _warm(Subject(name, app, jar, engine))
