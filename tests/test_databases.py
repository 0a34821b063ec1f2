"""The test databases: each test app starts on a database already at the newest migration
(copied from the run's template, so no test pays for Alembic), and the ways to ask for an
empty one still give an empty one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import create_app
from app.db import schema
from app.db.models import User
from app.extensions import db
from tests.db.test_migrations import head, stamped, table_names
from tests.helpers import base_config


def no_migrations(*_args, **_kwargs):
    raise AssertionError("a test app ran the migrations")


def test_a_test_app_starts_at_head_without_running_a_migration(tmp_path, clock, monkeypatch):
    monkeypatch.setattr(schema, "_upgrade", no_migrations)
    config = base_config(tmp_path, clock)
    create_app(config)
    assert stamped(config["SQLALCHEMY_DATABASE_URI"]) == [head()]


def test_apps_of_one_test_share_its_database(tmp_path, clock):
    first = create_app(base_config(tmp_path, clock))
    with first.app_context():
        db.session.add(
            User(email="kept@example.com", password_hash="x", created_at=datetime.now(UTC))
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    second = create_app(base_config(tmp_path, clock))
    with second.app_context():
        assert db.session.scalar(select(User.email)) == "kept@example.com"
        db.session.remove()
        db.engine.dispose()


def test_a_test_does_not_see_the_rows_of_the_one_before(app):
    with app.app_context():
        assert db.session.scalar(select(User.email)) is None


def test_without_automatic_schema_a_new_sqlite_file_stays_empty(tmp_path, clock):
    config = base_config(tmp_path, clock, AUTO_CREATE_SCHEMA=False)
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("on PostgreSQL an empty database is a schema of its own (empty_database_uri)")
    create_app(config)
    assert table_names(config["SQLALCHEMY_DATABASE_URI"]) == set()
