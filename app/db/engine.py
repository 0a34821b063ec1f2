"""Database wiring: engine options (with timeouts), SQLite pragmas, the schema and ``init-db``.

Nothing here is a condition for the app to start: a database that does not answer makes its
pages 503 until it does. The schema is brought to the newest migration by ``flask init-db``
(the deploy's upgrade step) and, with ``AUTO_CREATE_SCHEMA`` on, once per process as soon as
the database answers: at start-up if it answers then, else before the first request after
it does (tried at most every ``SCHEMA_RETRY_INTERVAL`` seconds). The upgrade itself runs
under a lock (app/db/schema.py), so many processes may try at once.
"""

from __future__ import annotations

import logging
import math
import threading
import time

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..extensions import db, migrate
from ..instance_files import prepare_sqlite_file, sqlite_file
from .schema import MIGRATIONS_DIR, upgrade_to_head

log = logging.getLogger("gatehouse.db")

SQLITE_BUSY_TIMEOUT_MS = 10_000
SCHEMA_KEY = "gatehouse.schema"
# What a database that cannot be reached (down, refusing, timed out) raises.
UNREACHABLE = (OperationalError, PoolTimeoutError)


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    database_file = sqlite_file(uri)
    if database_file is not None:  # 0600 before SQLite first opens it (it holds the hashes)
        prepare_sqlite_file(database_file)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(uri, app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)
    if app.config["AUTO_CREATE_SCHEMA"]:
        upgrader = SchemaUpgrade(app)
        app.extensions[SCHEMA_KEY] = upgrader
        upgrader.attempt()
        app.before_request(upgrader.before_request)
    app.cli.add_command(init_db_command)


def engine_options(uri: str, config) -> dict:
    """The configured engine options plus the timeouts that make a stuck database fail fast.

    PostgreSQL: ``DATABASE_CONNECT_TIMEOUT`` bounds opening a connection (libpq counts whole
    seconds, two at least) and waiting for a free one in the pool; ``DATABASE_STATEMENT_TIMEOUT``
    is the server's ``statement_timeout`` (a query or a lock wait longer than that is
    cancelled), and with both added as ``tcp_user_timeout`` a connection whose peer vanished
    is given up instead of waited on for the kernel's fifteen minutes.
    """
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    if uri.startswith("sqlite"):
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        options["connect_args"] = connect_args
        return options
    options.setdefault("pool_pre_ping", True)
    connect_timeout = float(config["DATABASE_CONNECT_TIMEOUT"])
    statement_timeout = float(config["DATABASE_STATEMENT_TIMEOUT"])
    if options.get("poolclass") is None:
        options.setdefault("pool_timeout", connect_timeout)
    if uri.startswith("postgresql"):
        if connect_timeout > 0:
            connect_args.setdefault("connect_timeout", max(2, math.ceil(connect_timeout)))
        if statement_timeout > 0:
            # Options set in the URL (search_path, …) are kept: connect_args would replace them.
            in_url = make_url(uri).query.get("options") or ""
            server_options = [
                str(connect_args.get("options") or (in_url if isinstance(in_url, str) else "")),
                f"-c statement_timeout={int(statement_timeout * 1000)}",
            ]
            connect_args["options"] = " ".join(o for o in server_options if o)
            user_timeout = int((statement_timeout + max(connect_timeout, 0)) * 1000)
            connect_args.setdefault("tcp_user_timeout", user_timeout)
    options["connect_args"] = connect_args
    return options


class SchemaUpgrade:
    """Brings the schema to head once per process, as soon as the database answers."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.done = False
        self.retry_interval = float(app.config["SCHEMA_RETRY_INTERVAL"])
        self._next_try = 0.0
        self._lock = threading.Lock()

    def attempt(self) -> bool:
        """One try; False (logged) when the database does not answer."""
        if not self._lock.acquire(blocking=False):
            return False  # another thread of this process is at it
        try:
            if self.done:
                return True
            self._next_try = time.monotonic() + self.retry_interval
            with self.app.app_context():
                try:
                    create_schema()
                except UNREACHABLE as error:
                    log.warning(
                        "schema check postponed: database unavailable (%s); "
                        "retrying when it answers",
                        _reason(error),
                    )
                    return False
            self.done = True
            return True
        finally:
            self._lock.release()

    def before_request(self) -> None:
        if not self.done and time.monotonic() >= self._next_try:
            self.attempt()


def _reason(error: Exception) -> str:
    orig = getattr(error, "orig", None)
    return type(orig or error).__name__


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
