"""Build the apps under test and sign someone in to each, the way a browser would.

Every subject ends in the same steady state: the jar holds whatever cookies a browser would
hold after signing in and loading ``/account`` once (including Flask's session cookie for the
CSRF token), so the timed requests set no new cookies.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from .harness import Jar, Response, call, environ
from .peers import floor, flask_login_peer, jwt_extended_peer
from .peers.common import EMAIL, PASSWORD

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
        raise SystemExit(f"{subject.name}: steady-state request still sets {list(again.set_cookies())}")
    return subject


# --- peers -------------------------------------------------------------------------------

def floor_subject() -> Subject:
    return _warm(Subject("Flask, no auth (floor)", floor.create_app(), Jar()))


def flask_login_subject(tmp: Path) -> Subject:
    app = flask_login_peer.create_app(f"sqlite:///{tmp / 'flask_login.sqlite3'}")
    jar = Jar()
    jar.update(call(app, environ("/auth/login", method="POST",
                                 data={"email": EMAIL, "password": PASSWORD})))
    with app.app_context():
        engine = flask_login_peer.db.engine
    return _warm(Subject("Flask-Login + Flask-SQLAlchemy", app, jar, engine))


def jwt_extended_subject() -> Subject:
    app = jwt_extended_peer.create_app()
    jar = Jar()
    jar.update(call(app, environ("/auth/login", method="POST")))
    return _warm(Subject("Flask-JWT-Extended (cookies)", app, jar))


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


def gatehouse_user(app: Flask, email: str = EMAIL) -> int:
    from app.extensions import db
    from app.models import User, utc
    from app.passwords import get_passwords

    with app.app_context():
        user = User(email=email, password_hash=get_passwords().hash(PASSWORD),
                    created_at=utc(time.time()))
        db.session.add(user)
        db.session.commit()
        return user.id


def gatehouse_sign_in(app: Flask, user_id: int, *, persistent: bool = True):
    """A new login session, as the login form would start it; returns the Grant."""
    from app import session_store
    from app.authority import get_authority
    from app.extensions import db
    from app.models import User

    with app.test_request_context("/auth/login", method="POST"):
        user = db.session.get(User, user_id)
        grant = session_store.start_session(user, authority=get_authority(),
                                            persistent=persistent)
        db.session.remove()
        return grant


def gatehouse_cookie_names(app: Flask) -> tuple[str, str]:
    return app.config["ACCESS_COOKIE_NAME"], app.config["REFRESH_COOKIE_NAME"]


def expired_access_token(app: Flask, grant) -> str:
    """An access token of the grant's session that ran out a while ago, signed by the app."""
    from app.authority import get_authority
    from app.tokens import TokenType

    with app.app_context():
        authority = get_authority()
        past = time.time() - 2 * authority.access_ttl
        token, _ = authority.mint(TokenType.ACCESS, user_id=grant.user_id,
                                  session_id=grant.session_id, now=past,
                                  not_after=grant.session_expires_at, extra={"email": grant.email})
        return token


def gatehouse_subject(name: str, database_uri: str, **overrides) -> Subject:
    from app.extensions import db

    app = gatehouse_app(database_uri, **overrides)
    grant = gatehouse_sign_in(app, gatehouse_user(app))
    access_name, refresh_name = gatehouse_cookie_names(app)
    jar = Jar({access_name: grant.access_token, refresh_name: grant.refresh_token})
    with app.app_context():
        engine = db.engine
    return _warm(Subject(name, app, jar, engine))
