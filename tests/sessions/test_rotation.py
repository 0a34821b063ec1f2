"""Refresh rotation, the grace window, and reuse detection revoking the whole session."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import select

from app.db.models import LoginSession
from app.extensions import db
from app.sessions.tokens import hash_token
from tests.helpers import parse_set_cookies, request_with, session_holding

EMAIL = "person@example.com"


@pytest.fixture
def config_overrides():
    return {"ACCESS_TOKEN_TTL": 60, "REFRESH_TOKEN_TTL": 600, "REFRESH_REUSE_GRACE": 10}


@pytest.fixture
def refresh0(auth):
    auth.register(EMAIL)
    return auth.tokens()[1]


def use(client, refresh):
    response = request_with(client, refresh=refresh)
    return response, parse_set_cookies(response)


def test_each_use_rotates_and_marks_the_old_token_replaced(app, client, refresh0):
    response, cookies = use(client, refresh0)
    refresh1 = cookies["refresh_token"].value
    assert response.status_code == 200 and refresh1 != refresh0
    row = session_holding(app, refresh1)
    assert row.current_hash == hash_token(refresh1) and row.previous_hash == hash_token(refresh0)
    assert row.gen == 1 and row.revoked_at is None


def test_previous_token_inside_grace_gets_access_but_no_refresh_cookie(client, clock, refresh0):
    _, first = use(client, refresh0)
    clock.advance(9)
    response, second = use(client, refresh0)
    assert response.status_code == 200 and EMAIL in response.text
    assert second["access_token"].value and "refresh_token" not in second
    after, _ = use(client, first["refresh_token"].value)
    assert after.status_code == 200  # the session was not revoked


def test_reuse_after_grace_revokes_the_whole_session(app, client, clock, refresh0, caplog):
    _, first = use(client, refresh0)
    clock.advance(11)
    _, second = use(client, first["refresh_token"].value)  # the owner moves on
    refresh2 = second["refresh_token"].value
    with caplog.at_level(logging.WARNING, logger="gatehouse.auth"):
        thief, cookies = use(client, refresh0)  # two generations back: no lost answer
    assert thief.status_code == 302
    assert cookies["access_token"].expired and cookies["refresh_token"].expired
    assert "refresh_token_reuse" in caplog.text
    victim, _ = use(client, refresh2)  # the newer token dies with the session
    assert victim.status_code == 302
    with app.app_context():
        session = db.session.scalar(select(LoginSession))
        assert session.revoked_at is not None and session.revoke_reason == "reused"


def test_only_the_immediately_previous_token_gets_grace(client, refresh0):
    _, first = use(client, refresh0)
    _, second = use(client, first["refresh_token"].value)
    replay, _ = use(client, refresh0)  # inside the grace time, but two tokens back
    assert replay.status_code == 302
    current, _ = use(client, second["refresh_token"].value)
    assert current.status_code == 302


def test_rotation_can_be_switched_off(client, app, refresh0):
    app.extensions["gatehouse.authority"].rotation = False
    response, cookies = use(client, refresh0)
    assert response.status_code == 200 and cookies["access_token"].value
    assert "refresh_token" not in cookies
    again, _ = use(client, refresh0)
    assert again.status_code == 200


def test_parallel_uses_rotate_exactly_once_and_all_stay_signed_in(app, refresh0):
    """Threads share one SQLite file, as workers would; the compare-and-set picks one winner."""
    barrier = threading.Barrier(8)
    results = [None] * 8

    def go(i):
        fresh = app.test_client()
        fresh.set_cookie("refresh_token", refresh0)
        barrier.wait()
        response = fresh.get("/account")
        results[i] = (response.status_code, parse_set_cookies(response))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(status == 200 for status, _ in results)
    assert all(c["access_token"].value for _, c in results)
    winners = [c["refresh_token"].value for _, c in results if "refresh_token" in c]
    assert len(winners) == 1
    with app.app_context():
        (row,) = db.session.scalars(select(LoginSession)).all()  # one row, rotated once
        assert row.revoked_at is None and row.gen == 1
        assert row.previous_hash == hash_token(refresh0)


def test_end_user_sessions_keeps_only_the_named_one(app, client, auth):
    from app.sessions.store import RevokeReason, get_session_store
    from tests.helpers import AuthActions

    auth.register(EMAIL)
    keep_refresh = auth.tokens()[1]
    other = client.application.test_client()
    AuthActions(other).login(EMAIL)
    other_refresh = other.get_cookie("refresh_token").value
    keep = session_holding(app, keep_refresh).id
    with app.app_context():
        ended = get_session_store().end_user_sessions(
            1, RevokeReason.SIGNED_OUT, event=None, keep_session=keep
        )
    assert ended == 1
    assert use(client, other_refresh)[0].status_code == 302
    assert use(client, keep_refresh)[0].status_code == 200
