"""Which database the tests run on: a SQLite file per test by default, PostgreSQL on request.

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
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

from app.config import normalize_database_uri

ENV_VAR = "TEST_DATABASE_URL"

# This run's database: the shared PostgreSQL schema factory and URL, and whether a test used it.
STATE: dict = {"schemas": None, "uri": None, "used": False}


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
