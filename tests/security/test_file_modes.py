"""Item: the SQLite database (and its -wal and -shm files) holds every password hash; only
the site's own user may read it, and the instance folder is closed to everyone else."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from tests.helpers import AuthActions, base_config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask():
    """The usual 022 umask, under which plain file creation gives 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _sqlite_app(tmp_path, clock, database: Path):
    return create_app(
        base_config(tmp_path, clock, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    )


def _close(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_new_database_and_its_wal_files_are_private(tmp_path, clock, permissive_umask):
    database = tmp_path / "site.sqlite3"
    app = _sqlite_app(tmp_path, clock, database)
    try:
        actions = AuthActions(app.test_client())
        assert actions.register().status_code == 302  # writes: WAL and shared memory exist
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
        assert all(path.exists() for path in files)
        for path in files:
            assert _mode(path) == 0o600, f"{path.name} is {_mode(path):o}"
        assert _mode(Path(app.instance_path)) == 0o700
    finally:
        _close(app)


def test_wider_modes_found_at_start_up_are_narrowed(tmp_path, clock, permissive_umask):
    database = tmp_path / "old.sqlite3"
    _close(_sqlite_app(tmp_path, clock, database))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        if path.exists():
            path.chmod(0o644)
    instance = Path(create_app.__globals__["ROOT"]) / "instance"
    instance.chmod(0o755)
    app = _sqlite_app(tmp_path, clock, database)
    try:
        assert _mode(database) == 0o600
        assert _mode(instance) == 0o700
    finally:
        _close(app)
