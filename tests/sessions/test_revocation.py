"""The revocation list: a revoked session's access tokens stop working at once, without SQL."""

from __future__ import annotations

import logging
import uuid

import pytest
import redis
from sqlalchemy import select

from app import create_app
from app.db.models import LoginSession
from app.extensions import db
from app.sessions.authority import get_authority
from app.sessions.revocation import (
    MemoryRevocationStore,
    RedisRevocationStore,
    RevocationList,
    get_revocation_list,
)
from app.sessions.store import RevokeReason, get_session_store
from app.sessions.tokens import TokenType
from tests.helpers import AuthActions, base_config, parse_set_cookies, request_with

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def config_overrides():
    return {"ACCESS_TOKEN_TTL": 60, "REFRESH_REUSE_GRACE": 1}


def signed_in(app, email="person@example.com"):
    """A second browser of the same person: its own client and login session."""
    browser = app.test_client()
    actions = AuthActions(browser)
    actions.login(email)
    return browser, actions.tokens()


# --- the memory store ---------------------------------------------------------------------


def test_memory_store_forgets_each_entry_at_its_own_expiry():
    store = MemoryRevocationStore()
    store.add({"a": 1061, "long": 2000}, now=1000)
    assert store.is_revoked("a", 1000) and store.is_revoked("a", 1060.9)
    assert not store.is_revoked("a", 1061) and not store.is_revoked("b", 1000)
    store.add({"b": 1200}, now=1100)  # adding prunes what has expired
    assert len(store) == 2 and store.is_revoked("long", 1999)
    store.add({"long": 1500}, now=1100)  # a shorter entry never cuts a longer one short
    assert store.is_revoked("long", 1999)


def test_memory_store_is_bounded_and_drops_the_soonest_to_expire_first():
    store = MemoryRevocationStore(max_entries=3)
    for i, sid in enumerate("abcde"):
        store.add({sid: 1100 + i}, now=1000 + i)
    assert len(store) == 3
    assert [store.is_revoked(s, 1005) for s in "abcde"] == [False, False, True, True, True]


class BrokenStore:
    def __init__(self) -> None:
        self.reads = 0

    def add(self, ids, now):
        raise ConnectionError("down")

    def is_revoked(self, sid, now):
        self.reads += 1
        raise ConnectionError("down")


def test_a_failing_store_never_undoes_a_signout_and_a_failing_read_asks_the_database(
    app, auth, caplog
):
    auth.register()
    auth.logout()
    auth.login()
    with app.app_context():
        ended, live = _ended_and_live()
        store = BrokenStore()
        revocations = RevocationList(store, clock=lambda: 0.0, retry_interval=60)
        with caplog.at_level(logging.ERROR, logger="gatehouse.revocation"):
            revocations.revoke({"a": 60.0})  # logged, not raised
            assert "unavailable on write" in caplog.text
            caplog.clear()
            assert revocations.is_revoked(ended, 0.0) is True
            assert revocations.is_revoked(live, 0.0) is False
            assert revocations.is_revoked("no-such-session", 0.0) is True
    assert store.reads == 1  # the store is left alone until the retry interval has passed
    assert len(caplog.records) == 1 and "asking the database" in caplog.text


def _ended_and_live() -> tuple[str, str]:
    rows = db.session.execute(select(LoginSession.id, LoginSession.revoked_at)).all()
    ended = next(r.id for r in rows if r.revoked_at is not None)
    live = next(r.id for r in rows if r.revoked_at is None)
    return ended, live


# --- through the app ----------------------------------------------------------------------


def test_logout_kills_the_access_token_at_once(client, auth, count_sql):
    auth.register()
    access, refresh = auth.tokens()
    auth.logout()
    count_sql.statements.clear()
    response = request_with(client, "/", access=access)
    assert "person@example.com" not in response.text and "Log in" in response.text
    assert parse_set_cookies(response)["access_token"].expired
    assert count_sql.statements == []  # judged from memory alone
    assert request_with(client, "/account", access=access).status_code == 302


def test_revoked_access_beside_its_refresh_token_is_anonymous_without_sql(
    app, client, auth, count_sql
):
    auth.register()
    other, (access, refresh) = signed_in(app)
    with app.app_context():
        authority = get_authority()
        sid = authority.verify(access, TokenType.ACCESS, authority.now()).claims["sid"]
        get_session_store().end_sessions([sid], RevokeReason.LOGOUT, event=None)
    count_sql.statements.clear()
    response = request_with(client, "/account", access=access, refresh=refresh)
    assert response.status_code == 302 and response.location.startswith("/auth/login")
    cookies = parse_set_cookies(response)
    assert cookies["access_token"].expired and cookies["refresh_token"].expired
    assert count_sql.statements == []
    # The person's own browser is untouched.
    assert client.get("/account").status_code == 200


def test_bearer_token_of_a_revoked_session_is_401(client, auth):
    auth.register()
    access, _ = auth.tokens()
    auth.logout()
    response = request_with(
        client,
        "/account",
        headers={"Authorization": f"Bearer {access}", "Accept": "application/json"},
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_refresh_token_reuse_also_kills_the_access_tokens(client, clock, auth):
    auth.register()
    access0, refresh0 = auth.tokens()
    rotated = parse_set_cookies(request_with(client, refresh=refresh0))
    fresh_access = rotated["access_token"].value
    clock.advance(5)
    request_with(client, refresh=rotated["refresh_token"].value)  # the owner moves on
    assert request_with(client, refresh=refresh0).status_code == 302  # reuse: session revoked
    for token in (access0, fresh_access):
        assert request_with(client, "/account", access=token).status_code == 302


def test_entries_outlive_every_access_token_they_cover(app, client, clock, auth):
    auth.register()
    access, _ = auth.tokens()
    clock.advance(59)  # the token has one second left
    auth.logout()
    assert request_with(client, "/account", access=access).status_code == 302
    with app.app_context():
        revocations = get_revocation_list()
        sid = next(iter(revocations.store._expires))
        # Kept until the newest access token has expired (one second left) + leeway + 1 s.
        assert revocations.is_revoked(sid, clock.now + 1.5)
        assert not revocations.is_revoked(sid, clock.now + 2)


# --- Redis, shared by several workers -----------------------------------------------------


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis at 127.0.0.1:6379 is not running; the Redis store was not tested")
    prefix = f"gatehouse-test-{uuid.uuid4().hex}:revoked:"
    yield prefix
    keys = list(client.scan_iter(prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_redis_store_sets_expiring_keys(redis_prefix):
    store = RedisRevocationStore.from_url(REDIS_URL, prefix=redis_prefix, timeout=0.5)
    assert not store.is_revoked("s1", 0)
    store.add({"s1": 61, "s2": 30}, now=0)
    assert store.is_revoked("s1", 0) and store.is_revoked("s2", 0)
    assert 30 < store.client.ttl(redis_prefix + "s1") <= 61
    store.add({"s1": 10}, now=0)  # a shorter entry never cuts a longer one short
    assert 30 < store.client.ttl(redis_prefix + "s1") <= 61


def test_two_workers_share_revocations_through_redis(tmp_path, clock, redis_prefix):
    settings = dict(
        REVOCATION_STORE_URI=REDIS_URL, REVOCATION_KEY_PREFIX=redis_prefix, ACCESS_TOKEN_TTL=60
    )
    worker_a = create_app(base_config(tmp_path, clock, **settings))
    worker_b = create_app(base_config(tmp_path, clock, **settings))
    actions = AuthActions(worker_a.test_client())
    actions.register()
    access, refresh = actions.tokens()
    assert request_with(worker_b.test_client(), "/account", access=access).status_code == 200
    actions.logout()  # on worker A
    response = request_with(worker_b.test_client(), "/account", access=access)
    assert response.status_code == 302
    assert parse_set_cookies(response)["access_token"].expired


def test_without_redis_another_worker_keeps_trusting_the_token(tmp_path, clock):
    """What docs/architecture.md warns about: memory lists are per process."""
    worker_a = create_app(base_config(tmp_path, clock, ACCESS_TOKEN_TTL=60))
    worker_b = create_app(base_config(tmp_path, clock, ACCESS_TOKEN_TTL=60))
    actions = AuthActions(worker_a.test_client())
    actions.register()
    access, _ = actions.tokens()
    actions.logout()
    assert request_with(worker_a.test_client(), "/account", access=access).status_code == 302
    assert request_with(worker_b.test_client(), "/account", access=access).status_code == 200
    clock.advance(60)  # until the token expires by itself
    assert request_with(worker_b.test_client(), "/account", access=access).status_code == 302


def test_redis_down_keeps_people_signed_in_and_honours_logout(tmp_path, clock):
    app = create_app(
        base_config(
            tmp_path, clock, REVOCATION_STORE_URI="redis://127.0.0.1:1/0", REVOCATION_TIMEOUT=0.2
        )
    )
    actions = AuthActions(app.test_client())
    actions.register()  # the revocation list is not needed to sign up
    access, refresh = actions.tokens()
    response = request_with(app.test_client(), "/account", access=access, refresh=refresh)
    assert response.status_code == 200  # the database said the session is live
    cookies = parse_set_cookies(response)
    assert not any(c.expired for c in cookies.values())  # nobody is signed out by an outage
    assert actions.logout().status_code == 302
    refused = request_with(app.test_client(), "/account", access=access)
    assert refused.status_code == 302  # the database says it was signed out
