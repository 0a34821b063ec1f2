"""An older database gains the new nullable columns at start-up; its rows survive."""
from __future__ import annotations

import sqlite3

from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import User

from .conftest import base_config


def test_users_table_without_email_confirmed_at_is_upgraded(tmp_path, clock):
    path = tmp_path / "test.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(320) UNIQUE, "
                     "password_hash VARCHAR(255), created_at DATETIME)")
        conn.execute("INSERT INTO users VALUES (1, 'old@example.com', 'x', '2026-01-01 00:00:00')")
    app = create_app(base_config(tmp_path, clock))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "old@example.com"))
        assert user is not None and user.email_confirmed_at is None
        db.session.remove()
        db.engine.dispose()
    create_app(base_config(tmp_path, clock))  # a second start changes nothing and does not fail
