"""Migrations: they agree with the models, init-db and start-up upgrade to head, once."""

from __future__ import annotations

import logging
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, Table, create_engine, func, inspect, select, text
from sqlalchemy.pool import NullPool

from app import create_app
from app.db.schema import ADVISORY_LOCK_KEY, MIGRATIONS_DIR, _heads
from app.extensions import db
from tests.helpers import PASSWORD, AuthActions, base_config

TABLES = {"users", "login_sessions", "security_events"}


def head() -> str:
    (only,) = _heads(str(MIGRATIONS_DIR))
    return only


def stamped(uri: str) -> list[str]:
    engine = create_engine(uri, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(text("SELECT version_num FROM alembic_version")))
    finally:
        engine.dispose()


def table_names(uri: str) -> set[str]:
    engine = create_engine(uri, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_and_migrations_agree(app, runner, caplog):
    """The database that the migrations built is what the models describe."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
    # The same through `flask db check`, i.e. the environment that `db migrate` uses.
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, caplog.text


def test_a_model_change_without_a_migration_is_caught(runner, caplog):
    table = Table("unmigrated", db.metadata, Column("id", Integer, primary_key=True))
    try:
        with caplog.at_level(logging.ERROR, logger="flask_migrate"):
            result = runner.invoke(args=["db", "check"])
    finally:
        db.metadata.remove(table)
    assert result.exit_code == 1
    assert "add_table" in caplog.text and "unmigrated" in caplog.text


def test_init_db_upgrades_an_empty_database_to_head(tmp_path, clock, empty_database_uri):
    config = base_config(
        tmp_path, clock, SQLALCHEMY_DATABASE_URI=empty_database_uri, AUTO_CREATE_SCHEMA=False
    )
    app = create_app(config)
    assert table_names(empty_database_uri) == set()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "ready" in result.output
    assert TABLES | {"alembic_version"} <= table_names(empty_database_uri)
    assert stamped(empty_database_uri) == [head()]


def test_a_fresh_database_is_upgraded_at_start_up(tmp_path, clock, empty_database_uri):
    app = create_app(base_config(tmp_path, clock, SQLALCHEMY_DATABASE_URI=empty_database_uri))
    assert stamped(empty_database_uri) == [head()]
    assert AuthActions(app.test_client()).register().status_code == 302


def test_a_database_made_before_migrations_is_adopted_with_its_rows(
    tmp_path, clock, empty_database_uri
):
    config = base_config(
        tmp_path, clock, SQLALCHEMY_DATABASE_URI=empty_database_uri, AUTO_CREATE_SCHEMA=False
    )
    old = create_app(config)
    with old.app_context():
        db.create_all()  # how the schema was made before there were migrations
    assert AuthActions(old.test_client()).register().status_code == 302
    with old.app_context():
        db.engine.dispose()

    app = create_app(dict(config, AUTO_CREATE_SCHEMA=True))
    assert stamped(empty_database_uri) == [head()]
    response = AuthActions(app.test_client()).login(password=PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/account"


def test_start_up_waits_while_another_process_upgrades(tmp_path, clock, empty_database_uri):
    """The schema lock: a second starter waits for the first, then finds the schema at head."""
    config = base_config(tmp_path, clock, SQLALCHEMY_DATABASE_URI=empty_database_uri)
    holder_engine = create_engine(empty_database_uri, poolclass=NullPool)
    started = []
    with holder_engine.connect() as holder:
        if holder_engine.dialect.name == "sqlite":
            holder.exec_driver_sql("PRAGMA journal_mode=WAL")
            holder.exec_driver_sql("BEGIN IMMEDIATE")  # what an upgrading process holds
        else:
            holder.execute(select(func.pg_advisory_lock(ADVISORY_LOCK_KEY)))
        thread = threading.Thread(target=lambda: started.append(create_app(config)))
        thread.start()
        thread.join(timeout=0.7)
        assert thread.is_alive() and not started  # waiting for the lock
        assert table_names(empty_database_uri) <= {"alembic_version"}
        holder.rollback()  # ends BEGIN IMMEDIATE; the session-level lock is released next
        if holder_engine.dialect.name != "sqlite":
            holder.execute(select(func.pg_advisory_unlock(ADVISORY_LOCK_KEY)))
            holder.commit()
        thread.join(timeout=30)
    holder_engine.dispose()
    assert started, "start-up did not finish once the lock was free"
    assert stamped(empty_database_uri) == [head()]
    assert AuthActions(started[0].test_client()).register().status_code == 302


def test_sqlite_upgrade_leaves_foreign_keys_on(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL always enforces foreign keys")
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
