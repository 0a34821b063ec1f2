"""Gatehouse: a Flask site that keeps people signed in with two JWTs in HttpOnly cookies."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; ``test_config`` overrides every other configuration source."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from . import cli, logs
    from .accounts import breached, passwords, security_mail
    from .config import load_config
    from .db import engine as db
    from .extensions import csrf
    from .mail import delivery as mail
    from .mail import outbox
    from .sessions import authority, revocation
    from .web import authn, errors, headers, i18n, proxy, throttle

    load_config(app, test_config)
    logs.init_app(app)
    db.init_app(app)
    authority.init_app(app)
    revocation.init_app(app)
    passwords.init_app(app)
    breached.init_app(app)
    mail.init_app(app)
    outbox.init_app(app)
    security_mail.init_app(app)
    i18n.init_app(app)
    throttle.init_app(app)
    csrf.init_app(app)  # before authn: a POST with a bad CSRF token changes nothing at all
    authn.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    proxy.init_app(app)
    cli.init_app(app)

    from .account import bp as account_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(api_bp)
    return app
