"""Private files: the instance folder is 0700, the key file and the SQLite database 0600.

The SQLite file (and its ``-wal`` and ``-shm`` companions, which SQLite creates with the
database file's own mode) holds every password hash, so it is created 0600 before the
engine first opens it. At every start the modes are checked, as for the key file: anything
wider is narrowed (and logged), and a file the site cannot narrow stops the start-up.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger("gatehouse.files")

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if missing; narrow it to 0700 either way."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    narrow(path, PRIVATE_DIR)


def narrow(path: Path, mode: int) -> None:
    """Take away every permission bit beyond ``mode``; refuse to start when that fails."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if current & ~mode == 0:
        return
    try:
        os.chmod(path, current & mode)
    except OSError as error:
        raise RuntimeError(
            f"{path} has mode {current:o}; it must be at most {mode:o} and could not be "
            f"changed ({error.strerror}). Fix its owner or mode, then start again."
        ) from None
    log.warning("narrowed mode of %s from %o to %o", path, current, current & mode)


def sqlite_file(uri: str) -> Path | None:
    """The database file of a SQLite URI; None for other databases and in-memory SQLite."""
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(url.database)


def prepare_sqlite_file(path: Path) -> None:
    """Create the database file 0600 if it is missing; narrow it and its companions."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_COMPANIONS)):
        narrow(candidate, PRIVATE_FILE)
