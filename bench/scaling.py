"""Silent-refresh cost against the number of login sessions, and rows per session.

A login session is one row of ``login_sessions`` (its refresh chain included), so the table
grows with people, not with refreshes. It is filled with a bulk insert straight through
sqlite3 (one transaction, ``executemany``), growing 1,000 -> 100,000 -> 1,000,000 rows in one
throw-away database; the same signed-in person's silent refresh (one compare-and-set on the
primary key) is timed at each size. ``rotations`` counts the rows of every table before and
after 10,000 rotations of one session through the store.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .harness import Jar
from .scenarios import RefreshChain, Series, measure
from .subjects import Subject, _warm, gatehouse_app, gatehouse_sign_in, gatehouse_user

FILLER_USERS = 1000
BATCH = 50_000
TABLES = ("users", "login_sessions", "security_events", "email_tokens")


def _stamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(db_path: Path, start: int, stop: int) -> float:
    """Add filler login sessions ``start..stop``; returns seconds taken."""
    t0 = time.perf_counter()
    now = datetime.now(UTC).replace(tzinfo=None)
    issued, expires = _stamp(now - timedelta(days=1)), _stamp(now + timedelta(days=13))
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        if start == 0:
            conn.executemany(
                "INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?)",
                [(f"filler{i}@example.com", "x", issued) for i in range(FILLER_USERS)],
            )
        first_user = conn.execute(
            "SELECT min(id) FROM users WHERE email LIKE 'filler%'"
        ).fetchone()[0]
        for lo in range(start, stop, BATCH):
            hi = min(stop, lo + BATCH)
            conn.executemany(
                "INSERT INTO login_sessions (id, user_id, created_at, expires_at, persistent, "
                "user_agent, ip, gen, current_hash, previous_hash, floor_gen, refreshed_at, "
                "refresh_expires_at, access_expires_at, last_seen_at, auth_time, amr) "
                "VALUES (?, ?, ?, ?, 1, '', '', 9, ?, ?, 0, ?, ?, ?, ?, ?, 'pwd')",
                [
                    (
                        f"fs{s:09d}",
                        first_user + s % FILLER_USERS,
                        issued,
                        expires,
                        os.urandom(32).hex(),
                        os.urandom(32).hex(),
                        issued,
                        expires,
                        issued,
                        issued,
                        issued,
                    )
                    for s in range(lo, hi)
                ],
            )
        conn.commit()
    finally:
        conn.close()
    return time.perf_counter() - t0


def rotations(tmp: Path, count: int = 10_000) -> dict:
    """Rows of every table before and after ``count`` rotations of one session."""
    from sqlalchemy import text

    from app.extensions import db
    from app.sessions.store import PresentedRefresh, get_session_store

    app = gatehouse_app(f"sqlite:///{tmp / 'rotations.sqlite3'}")
    grant = gatehouse_sign_in(app, gatehouse_user(app))
    with app.app_context():
        store = get_session_store()
        presented = PresentedRefresh.of_grant(grant)

        def rows() -> dict[str, int]:
            return {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}

        before = rows()
        t0 = time.perf_counter()
        for _ in range(count):
            assert presented is not None
            presented = PresentedRefresh.of_grant(store.refresh(presented))
        took = time.perf_counter() - t0
        after = rows()
        db.session.remove()
    return {"count": count, "before": before, "after": after, "seconds": took}


def run(tmp: Path, sizes: list[int], rounds: int, per_round: int, log=print) -> list[dict]:
    db_path = tmp / "scaling.sqlite3"
    app = gatehouse_app(f"sqlite:///{db_path}")
    grant = gatehouse_sign_in(app, gatehouse_user(app))
    access_name, refresh_name = app.config["ACCESS_COOKIE_NAME"], app.config["REFRESH_COOKIE_NAME"]
    subject = _warm(
        Subject(
            "Gatehouse",
            app,
            Jar({access_name: grant.access_token, refresh_name: grant.refresh_token}),
        )
    )
    chain = RefreshChain(subject, grant)
    chain.refresh = subject.jar.cookies[refresh_name]
    results = []
    filled = 0
    for size in sizes:
        took = fill(db_path, filled, size)
        filled = size
        log(f"  login_sessions: {size:>9,} filler rows (+{took:.1f} s to insert)")
        for _ in range(per_round):  # warm the page cache the same way at every size
            chain.one()
        series = Series(f"{size:,}")
        measure([(series, chain.batch, per_round)], rounds)
        results.append(
            {
                "rows": size,
                "cpu_us": statistics.median(s.cpu_us for s in series.samples),
                "wall_us": statistics.median(s.wall_us for s in series.samples),
                "build_s": took,
            }
        )
    return results
