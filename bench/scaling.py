"""Silent-refresh cost against the size of the refresh-token table.

The table is filled with a bulk insert straight through sqlite3 (one transaction,
``executemany``), growing 1,000 -> 100,000 -> 1,000,000 rows in one throw-away database; the
same signed-in person's silent refresh is timed at each size. The lookup goes through the
unique index on ``token_hash``, so the cost should not grow with the table.
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

TOKENS_PER_SESSION = 10
FILLER_USERS = 1000
BATCH = 50_000


def _stamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(db_path: Path, start: int, stop: int) -> float:
    """Add refresh-token rows ``start..stop`` (and their sessions); returns seconds taken."""
    t0 = time.perf_counter()
    now = datetime.now(UTC).replace(tzinfo=None)
    issued, expires = _stamp(now - timedelta(days=1)), _stamp(now + timedelta(days=13))
    replaced = _stamp(now - timedelta(hours=20))
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
            sessions = range(lo // TOKENS_PER_SESSION, (hi - 1) // TOKENS_PER_SESSION + 1)
            conn.executemany(
                "INSERT OR IGNORE INTO login_sessions (id, user_id, created_at, expires_at, "
                "persistent, user_agent, ip) VALUES (?, ?, ?, ?, 1, '', '')",
                [(f"fs{s:09d}", first_user + s % FILLER_USERS, issued, expires) for s in sessions],
            )
            conn.executemany(
                "INSERT INTO refresh_tokens (id, token_hash, session_id, user_id, issued_at, "
                "expires_at, replaced_at, replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        f"ft{i:09d}",
                        os.urandom(32).hex(),
                        f"fs{i // TOKENS_PER_SESSION:09d}",
                        first_user + (i // TOKENS_PER_SESSION) % FILLER_USERS,
                        issued,
                        expires,
                        replaced,
                        f"ft{i + 1:09d}",
                    )
                    for i in range(lo, hi)
                ],
            )
        conn.commit()
    finally:
        conn.close()
    return time.perf_counter() - t0


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
        log(f"  refresh_tokens: {size:>9,} filler rows (+{took:.1f} s to insert)")
        for _ in range(per_round):  # warm the page cache the same way at every size
            chain.one()
        series = Series(f"{size:,}")
        measure([(series, chain.rounds(per_round))], rounds)
        results.append(
            {
                "rows": size,
                "cpu_us": statistics.median(s.cpu_us for s in series.samples),
                "wall_us": statistics.median(s.wall_us for s in series.samples),
                "build_s": took,
            }
        )
    return results
