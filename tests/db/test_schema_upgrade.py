"""A database at an older revision is upgraded at start-up; its rows survive."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from app import create_app
from app.db.models import User
from app.db.schema import alembic_config
from app.extensions import db
from tests.helpers import base_config


def test_baseline_database_gains_email_confirmation_and_keeps_its_users(tmp_path, clock):
    old = create_app(base_config(tmp_path, clock, AUTO_CREATE_SCHEMA=False))
    with old.app_context():
        with db.engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0001_baseline")
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, created_at) "
                    "VALUES (1, 'old@example.com', 'x', '2026-01-01 00:00:00')"
                )
            )
        db.engine.dispose()
    app = create_app(base_config(tmp_path, clock))  # start-up upgrades to head
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "old@example.com"))
        assert user is not None and user.email_confirmed_at is None
        assert db.session.scalar(text("SELECT count(*) FROM email_tokens")) == 0
        db.session.remove()
        db.engine.dispose()
    create_app(base_config(tmp_path, clock))  # a second start changes nothing and does not fail
