"""A password change racing a refresh of the same session, interleaved at the database.

The race needs a server with row locks and READ COMMITTED snapshots (PostgreSQL): a refresh
has written its new token but not committed it yet when the password change runs. The
change's statement takes its snapshot, finds the session's token locked by the refresh and
waits; the refresh commits; the change goes on without seeing the token the refresh has just
written. A store whose change deleted "the session's refresh tokens" and inserted a fresh one
left that token alive: two current tokens in one session, and the stray one still signed in
after the change.

The interleaving is forced, not hoped for: the refresh (a request of another tab, through
the app's real refresh path) is held just before its commit, the password change (the real
form) runs until PostgreSQL reports it waiting for the refresh's transaction, and only then is
the refresh let go. Then the tokens are presented as an attacker holding them would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import jwt
import pytest
from sqlalchemy import Connection, event, select, text

from app.db.models import LoginSession, SecurityEvent
from app.extensions import db
from app.sessions.tokens import hash_token
from tests import databases
from tests.helpers import (
    PASSWORD,
    csrf_token,
    live_refresh_tokens,
    parse_set_cookies,
    request_with,
)

pytestmark = pytest.mark.skipif(
    databases.requested_url() is None,
    reason=(
        "the password-change/refresh race needs PostgreSQL's row locks and READ COMMITTED "
        f"snapshots (SQLite runs one writer at a time): set {databases.ENV_VAR} to run it"
    ),
)

EMAIL = "racer@example.com"
NEW_PASSWORD = "gravel-orchid-lantern-quietly"
T = TypeVar("T")
WAIT = 10.0  # seconds: only reached when the interleaving cannot be forced (a failure)

BLOCKED_BY = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted "
    "AND CAST(:pid AS integer) = ANY(pg_blocking_pids(pid)))"
)


@pytest.fixture
def config_overrides():
    return {"ACCESS_TOKEN_TTL": 60, "REFRESH_TOKEN_TTL": 600, "REFRESH_REUSE_GRACE": 10}


class HeldCommit:
    """An engine ``commit`` hook that holds the first commit made by a marked thread until
    released, and records that connection's server process (whose locks the change waits on)."""

    def __init__(self) -> None:
        self.marker = threading.local()
        self.held = threading.Event()
        self.release = threading.Event()
        self.pid: int | None = None

    def mark(self, work: Callable[[], T]) -> Callable[[], T]:
        """``work``, run in a thread whose first commit is held."""

        def marked() -> T:
            self.marker.hold = True
            return work()

        return marked

    def __call__(self, conn: Connection) -> None:
        if not getattr(self.marker, "hold", False) or self.held.is_set():
            return
        self.pid = conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
        self.held.set()
        if not self.release.wait(WAIT):
            raise RuntimeError("the held refresh was never released")


def wait_until_blocked(engine, pid: int, change: Future) -> bool:
    """Until the password change waits for a lock held by ``pid`` (or has finished without
    waiting). Each round is one query to the lock table, so there is nothing to sleep for."""
    deadline = time.monotonic() + WAIT
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        while time.monotonic() < deadline:
            if conn.scalar(BLOCKED_BY, {"pid": pid}):
                return True
            if change.done():
                return False
    raise AssertionError("the password change neither waited for the refresh nor finished")


@dataclass(frozen=True)
class Race:
    before: str  # the refresh token both tabs held before the change
    during: str  # the one the racing refresh was given while the change ran
    changed: str  # the one the password change issued


@pytest.fixture
def race(app, client, auth) -> Race:
    auth.register(EMAIL)
    _, before = auth.tokens()
    assert before is not None
    form = client.get("/account/password")  # this tab's access token is valid: no refresh
    other_tab = app.test_client()  # the other tab holds the same refresh token, nothing else
    with app.app_context():
        engine = db.engine

    def refresh_in_other_tab():
        return request_with(other_tab, "/account", refresh=before)

    def change_password():
        return client.post(
            "/account/password",
            data={
                "csrf_token": csrf_token(form.text),
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
        )

    hold = HeldCommit()
    event.listen(engine, "commit", hold)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            refreshing = pool.submit(hold.mark(refresh_in_other_tab))
            assert hold.held.wait(WAIT), "the refresh never reached its commit"
            assert hold.pid is not None
            changing = pool.submit(change_password)
            waited = wait_until_blocked(engine, hold.pid, changing)
            hold.release.set()
            refreshed, changed = refreshing.result(WAIT), changing.result(WAIT)
    finally:
        hold.release.set()
        event.remove(engine, "commit", hold)
    # The interleaving of the finding happened: the change's statement waited for the
    # refresh's uncommitted write, the refresh did rotate, and the change did succeed.
    assert waited, "the password change never waited for the refresh's transaction"
    during = parse_set_cookies(refreshed)["refresh_token"].value
    assert refreshed.status_code == 200 and during not in ("", before)
    assert changed.status_code == 302 and changed.location == "/account"
    return Race(before, during, parse_set_cookies(changed)["refresh_token"].value)


def signs_in(client, refresh: str) -> tuple[bool, str | None]:
    """Present only this refresh token, as a thief would; whether it buys the account page,
    and the refresh token it was given."""
    response = request_with(client, "/account", refresh=refresh)
    cookie = parse_set_cookies(response).get("refresh_token")
    given = cookie.value if cookie is not None and not cookie.expired else None
    return response.status_code == 200 and EMAIL in response.text, given


def test_no_refresh_token_from_before_or_during_the_change_signs_in(app, client, clock, race):
    clock.advance(61)  # later, after every access token of the race has run out
    assert signs_in(client, race.during) == (False, None)  # the stray one of the race
    assert signs_in(client, race.before) == (False, None)
    # The owner is not taken for a thief: the change's token goes on.
    owner, successor = signs_in(client, race.changed)
    assert owner and successor
    with app.app_context():
        kinds = list(db.session.scalars(select(SecurityEvent.kind)))
        assert "refresh_token_reuse" not in kinds
        assert db.session.scalar(select(LoginSession.revoked_at)) is None


def test_the_session_holds_one_chain_after_the_change(app, client, clock, race):
    with app.app_context():
        (row,) = db.session.scalars(select(LoginSession)).all()
        # The one refreshable token of the session is the change's; every token issued
        # before or during the change lies below the floor.
        assert row.current_hash == hash_token(race.changed)
        for token in (race.before, race.during):
            assert jwt.decode(token, options={"verify_signature": False})["gen"] < row.floor_gen
    assert live_refresh_tokens(app) == 1
    clock.advance(61)
    _, successor = signs_in(client, race.changed)
    assert successor is not None and live_refresh_tokens(app) == 1
