"""Database wiring: engine options, SQLite pragmas, migrations and ``flask init-db``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from ..extensions import db, migrate
from ..instance_files import prepare_sqlite_file, sqlite_file
from .schema import MIGRATIONS_DIR, upgrade_to_head

SQLITE_BUSY_TIMEOUT_MS = 10_000


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    database_file = sqlite_file(uri)
    if database_file is not None:  # 0600 before SQLite first opens it (it holds the hashes)
        prepare_sqlite_file(database_file)
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    with app.app_context():
        if uri.startswith("sqlite"):
            event.listen(db.engine, "connect", _sqlite_pragmas)
        if app.config["AUTO_CREATE_SCHEMA"]:
            create_schema()
    app.cli.add_command(init_db_command)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers run beside the one writer; foreign keys make cascades real."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL keeps the database consistent and skips an fsync per commit
        # (only a power cut can undo the last commits), which every silent refresh pays.
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_schema() -> None:
    """Upgrade the schema to the newest migration; rows are kept, a second run does nothing."""
    from . import models  # noqa: F401  (registers the tables)

    upgrade_to_head(db.engine)


def ping(engine: Engine) -> None:
    """Raise unless the database answers."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the schema (safe to run again)."""
    create_schema()
    click.echo("Database schema is ready.")
