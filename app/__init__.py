"""Gatehouse: a Flask site that keeps people signed in with two JWTs in HttpOnly cookies."""

from __future__ import annotations

from flask import Flask

from .paths import CHECKOUT, instance_path, site_folder

ROOT = CHECKOUT  # the repository (when run from a checkout)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; ``test_config`` overrides every other configuration source."""
    from .web.application import Gatehouse

    app = Gatehouse(
        __name__,
        instance_path=instance_path(),
        instance_relative_config=True,
        template_folder=site_folder("templates"),
        static_folder=site_folder("static"),
    )
    from . import cli, deployment, logs
    from .accounts import breached, operations, passwords, security_mail
    from .config import load_config
    from .db import engine as db
    from .extensions import csrf
    from .mail import delivery as mail
    from .mail import outbox
    from .mfa import cli as mfa_cli
    from .mfa import crypto as mfa_crypto
    from .sessions import authority, revocation, store
    from .web import authn, errors, headers, i18n, macros, proxy, signed_out, throttle

    load_config(app, test_config)
    logs.init_app(app)
    db.init_app(app)
    authority.init_app(app)
    revocation.init_app(app)
    store.init_app(app)
    passwords.init_app(app)
    breached.init_app(app)
    operations.init_app(app)
    mfa_crypto.init_app(app)
    mail.init_app(app)
    outbox.init_app(app)
    security_mail.init_app(app)
    i18n.init_app(app)
    throttle.init_app(app)
    csrf.init_app(app)  # before authn: a POST with a bad CSRF token changes nothing at all
    authn.init_app(app)
    macros.init_app(app)
    signed_out.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    proxy.init_app(app)
    cli.init_app(app)
    deployment.init_app(app)
    mfa_cli.init_app(app)

    from .account import bp as account_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .main import bp as main_bp
    from .mfa.routes import bp as mfa_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(mfa_bp)
    return app
