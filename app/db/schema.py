"""Bring the database schema to the newest migration, safely from many processes at once.

Several gunicorn workers (on several machines) may start together against one empty
database. Each of them calls ``upgrade_to_head`` at start-up, and only one may run the
migrations: on PostgreSQL a transaction-scoped advisory lock serialises them, on SQLite the
write lock of ``BEGIN IMMEDIATE`` does (the others wait out the busy timeout). Either way the
DDL runs inside that one transaction, so a failed upgrade leaves nothing half-done, and
whoever comes second finds the schema at head and does nothing.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The first revision: the schema that ``create_all`` made before there were migrations.
BASELINE_REVISION = "0001_baseline"
ADVISORY_LOCK_KEY = zlib.crc32(b"gatehouse.schema-upgrade")


def alembic_config(connection: Connection | None = None) -> Config:
    """The Flask-Migrate configuration, optionally bound to an open connection."""
    config = current_app.extensions["migrate"].migrate.get_config(str(MIGRATIONS_DIR))
    config.attributes["configure_logger"] = False  # the app's logging stays as it is
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _heads(directory: str) -> frozenset[str]:
    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def is_at_head(connection: Connection) -> bool:
    """True when the database already carries the newest revision (one quick SELECT)."""
    current = MigrationContext.configure(connection).get_current_heads()
    return frozenset(current) == _heads(str(MIGRATIONS_DIR))


def upgrade_to_head(engine: Engine) -> None:
    """Run the pending migrations once, whoever else is starting at the same moment."""
    with engine.connect() as connection:
        if is_at_head(connection):
            return
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
            _upgrade(connection)
        return
    with engine.connect() as connection:
        # Foreign keys off while migrating: SQLite's batch mode copies and drops tables, and a
        # DROP with foreign keys on would cascade into the rows that point at them. The pragma
        # only takes effect outside a transaction, hence before BEGIN.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            _upgrade(connection)
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"migration left {len(problems)} broken foreign keys")
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def _upgrade(connection: Connection) -> None:
    config = alembic_config(connection)
    tables = set(inspect(connection).get_table_names())
    if "users" in tables and "alembic_version" not in tables:
        # Made by create_all before migrations existed: already the models' schema (stamp
        # head), or else the schema as it was then (stamp the baseline and upgrade from it).
        current = not compare_metadata(
            MigrationContext.configure(connection), current_app.extensions["sqlalchemy"].metadata
        )
        command.stamp(config, "head" if current else BASELINE_REVISION)
    command.upgrade(config, "head")
