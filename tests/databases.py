"""Which database the tests run on: a SQLite file per test by default, PostgreSQL on request.

On SQLite the run migrates one template database once, and each test gets a copy of that
file: copying takes well under a millisecond, where running the migrations for every test
app took 90-160 ms. The app's own upgrade at start-up then finds the copy at head and does
nothing. A test that needs an empty database still asks for one (``empty_database_uri``).

With ``TEST_DATABASE_URL`` set (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) the run creates its own database on
that server and drops it at the end, so other runs against the same server never see its
rows. Inside it, tests share one migrated schema that is emptied after every test (creating
and migrating a schema per test costs far more than a TRUNCATE); a test that needs an
empty, unmigrated database asks for a schema of its own. A schema is selected through
``search_path`` in the URL, so a subprocess such as gunicorn can use the same URL.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

from app.config import normalize_database_uri

ENV_VAR = "TEST_DATABASE_URL"

# This run's database: the shared PostgreSQL schema factory and URL, whether a test used it,
# and on SQLite the migrated template file that every test copies.
STATE: dict = {"schemas": None, "uri": None, "used": False, "sqlite_template": None}
TEMPLATE_NAME = "migrated.sqlite3"


def requested_url() -> str | None:
    """The server the run was asked to use, or None for SQLite."""
    url = os.environ.get(ENV_VAR, "").strip()
    return normalize_database_uri(url) if url else None


def admin_engine(url: str | URL) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@contextmanager
def run_database(server_url: str) -> Iterator[URL]:
    """A uniquely named database for this run, dropped (connections and all) at the end."""
    name = f"gatehouse_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = admin_engine(server_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class SchemaFactory:
    """The shared schema and, on request, empty schemas in the run's database."""

    def __init__(self, database_url: URL) -> None:
        self.database_url = database_url
        self._engine = create_engine(
            database_url,
            pool_size=1,
            connect_args={"options": "-csynchronous_commit=off"},
        )
        self.shared_schema, self.shared_url = self._new_schema()

    def new_schema_url(self) -> str:
        return self._new_schema()[1]

    def empty_shared_schema(self, metadata: MetaData) -> None:
        """Delete every row a test left behind; the tables and the migration stamp stay.

        DELETE in dependency order and a sequence reset: for a few rows this is ten times
        quicker than TRUNCATE.
        """
        with self._engine.connect() as conn, conn.begin():
            conn.execute(text(f'SET LOCAL search_path = "{self.shared_schema}"'))
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            present = set(
                conn.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"),
                    {"schema": self.shared_schema},
                )
            )
            for table in reversed(metadata.sorted_tables):
                if table.name in present:
                    conn.execute(table.delete())
            # Ids start at 1 again, as in a new SQLite file.
            conn.execute(
                text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                    "FROM pg_sequences WHERE schemaname = :schema"
                ),
                {"schema": self.shared_schema},
            )

    def _new_schema(self) -> tuple[str, str]:
        schema = "t_" + secrets.token_hex(6)
        with self._engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        # synchronous_commit=off: a throw-away database needs no fsync at every commit.
        options = f"-csearch_path={schema} -csynchronous_commit=off"
        url = self.database_url.update_query_dict({"options": options})
        return schema, url.render_as_string(hide_password=False)

    def dispose(self) -> None:
        self._engine.dispose()


def migrated_sqlite_template(directory: Path) -> Path:
    """A SQLite file at the newest migration, made once per run by the app's own start-up."""
    from app import create_app  # here: the app is imported only once a run needs a database
    from app.extensions import db
    from tests.helpers import FakeClock, base_config

    path = directory / TEMPLATE_NAME
    app = create_app(
        base_config(directory, FakeClock(), SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    # Fold the write-ahead log into the file itself, so that copying the one file is enough.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def copy_of_template(target: Path) -> Path:
    """``target`` as a copy of this run's migrated template (a file already there is kept:
    several apps of one test share it)."""
    template = STATE["sqlite_template"]
    if template is not None and not target.exists():
        shutil.copyfile(template, target)
    return target
