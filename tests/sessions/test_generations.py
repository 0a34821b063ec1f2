"""The session row's refresh chain: the five findings against the old store, and SPEC section 4.

1. a lost answer (a response thrown away, a request delayed) is not theft;
2. an access token alone never buys a refresh token;
3. a password change interleaved with a refresh leaves exactly one chain;
4. revocation entries outlive the tokens of a worker on a longer ACCESS_TOKEN_TTL;
5. a session occupies the same rows after 10,000 rotations as after one.
"""

from __future__ import annotations

import threading
import time
import uuid

import jwt
import pytest
import redis
from alembic import command
from sqlalchemy import event, func, select, text

from app import create_app
from app.db.models import LoginSession, SecurityEvent, User, utc
from app.db.schema import alembic_config
from app.extensions import db
from app.sessions.authority import get_authority
from app.sessions.store import PresentedRefresh, RefreshRefused, get_session_store
from app.sessions.tokens import TokenType, hash_token
from tests.helpers import (
    PASSWORD,
    AuthActions,
    base_config,
    csrf_token,
    live_refresh_tokens,
    parse_set_cookies,
    request_with,
)

EMAIL = "person@example.com"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def config_overrides():
    return {"ACCESS_TOKEN_TTL": 60, "REFRESH_TOKEN_TTL": 600, "REFRESH_REUSE_GRACE": 10}


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def use(client, refresh, access=None, path="/account"):
    response = request_with(client, path, access=access, refresh=refresh)
    return response, parse_set_cookies(response)


def event_kinds(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)))


def session_row(app) -> LoginSession:
    with app.app_context():
        (row,) = db.session.scalars(select(LoginSession)).all()
        db.session.expunge(row)
        return row


@pytest.fixture
def refresh0(auth):
    auth.register(EMAIL)
    return auth.tokens()[1]


# --- 1. a lost answer is not theft ----------------------------------------------------------


def test_a_response_thrown_away_keeps_the_person_signed_in(app, client, clock, refresh0):
    lost, cookies = use(client, refresh0)  # the answer carrying R1 never reaches the browser
    discarded = cookies["refresh_token"].value
    clock.advance(61)  # past the grace window, and past the access token's life
    again, cookies = use(client, refresh0)
    assert again.status_code == 200 and EMAIL in again.text
    recovered = cookies["refresh_token"].value
    assert recovered not in (refresh0, discarded) and cookies["access_token"].value
    assert "refresh_token_reuse" not in event_kinds(app)
    assert session_row(app).revoked_at is None
    clock.advance(61)
    assert use(client, recovered)[0].status_code == 200  # the new chain goes on


def test_a_discarded_successor_presented_later_is_reuse(app, client, clock, refresh0):
    _, cookies = use(client, refresh0)
    discarded = cookies["refresh_token"].value
    clock.advance(11)
    _, cookies = use(client, refresh0)  # lost answer: R1 discarded, R2 issued
    current = cookies["refresh_token"].value
    thief, cookies = use(client, discarded)
    assert thief.status_code == 302 and cookies["refresh_token"].expired
    assert event_kinds(app)[-1] == "refresh_token_reuse"
    assert use(client, current)[0].status_code == 302  # the whole session ended


def test_a_request_delayed_past_the_grace_window_is_no_theft(app, client, clock, refresh0):
    """Two tabs wake up with R0; one request is answered at once, the other arrives late."""
    prompt, prompt_cookies = use(client, refresh0)
    clock.advance(11)  # the second request spent longer than the grace window on the way
    late, late_cookies = use(client, refresh0)
    assert prompt.status_code == late.status_code == 200
    # The browser keeps whatever arrived last: the late answer's tokens work on.
    clock.advance(61)
    assert use(client, late_cookies["refresh_token"].value)[0].status_code == 200
    assert "refresh_token_reuse" not in event_kinds(app)
    assert prompt_cookies["refresh_token"].value != late_cookies["refresh_token"].value


def test_only_the_immediate_predecessor_recovers(app, client, clock, refresh0):
    _, first = use(client, refresh0)
    clock.advance(11)
    use(client, first["refresh_token"].value)  # the owner moves on: R0 is two back now
    clock.advance(11)
    replay, cookies = use(client, refresh0)
    assert replay.status_code == 302 and cookies["refresh_token"].expired
    assert event_kinds(app)[-1] == "refresh_token_reuse"


def test_parallel_row3_requests_inside_the_grace_window_keep_the_cookies(client, clock, auth):
    auth.register(EMAIL)
    access, refresh = auth.tokens()
    clock.advance(59)
    use(client, refresh)  # rotated by a parallel request that needed a new access token
    response, cookies = use(client, refresh, access=access)  # valid access beside R0
    assert response.status_code == 200 and "refresh_token" not in cookies


# --- 2. an access token alone never buys a refresh token ------------------------------------


def confirm_by_hand(app) -> None:
    with app.app_context():
        db.session.execute(db.update(User).values(email_confirmed_at=utc(get_authority().now())))
        db.session.commit()


def test_resend_with_only_an_access_token_mints_no_refresh_token(app, client, clock, auth):
    auth.register(EMAIL)
    access, refresh = auth.tokens()
    confirm_by_hand(app)
    thief = app.test_client()  # a copied access token and the CSRF session, nothing else
    thief.set_cookie("access_token", access)
    thief.set_cookie("session", client.get_cookie("session").value)
    page = thief.get("/account")
    response = thief.post("/auth/confirm/resend", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert "refresh_token" not in parse_set_cookies(response)
    # The owner's refresh token was not touched: it still refreshes, once the access runs out.
    clock.advance(61)
    _, cookies = use(client, refresh)
    assert cookies["refresh_token"].value
    assert live_refresh_tokens(app) == 1


def test_resend_with_the_current_refresh_token_renews_through_the_chain(app, client, auth):
    auth.register(EMAIL)
    _, refresh = auth.tokens()
    confirm_by_hand(app)
    page = client.get("/account")
    response = client.post("/auth/confirm/resend", data={"csrf_token": csrf_token(page.text)})
    cookies = parse_set_cookies(response)
    assert claims(cookies["access_token"].value)["ecf"] is True
    new_refresh = cookies["refresh_token"].value
    assert claims(new_refresh)["gen"] == claims(refresh)["gen"] + 1
    assert session_row(app).current_hash == hash_token(new_refresh)


# --- 3. a password change interleaved with a refresh ---------------------------------------


NEW_PASSWORD = "gravel-orchid-lantern-quietly"


def test_a_refresh_racing_a_password_change_does_not_survive_it(app, client, clock, auth):
    auth.register(EMAIL)
    _, refresh0 = auth.tokens()
    page = client.get("/account/password")
    raced = {}

    with app.app_context():
        engine = db.engine

    def refresh_first(conn, cursor, statement, parameters, context, executemany):
        # Just before the change writes anything, another tab refreshes the same session.
        if statement.startswith("UPDATE users SET password_hash") and not raced:
            tab = threading.Thread(target=lambda: raced.setdefault("reply", use(client, refresh0)))
            tab.start()  # a thread of its own: its own app context and connection
            tab.join()

    event.listen(engine, "before_cursor_execute", refresh_first)
    try:
        response = client.post(
            "/account/password",
            data={
                "csrf_token": csrf_token(page.text),
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
        )
    finally:
        event.remove(engine, "before_cursor_execute", refresh_first)
    racer = raced["reply"][1]["refresh_token"].value
    assert response.status_code == 302 and response.location == "/account"
    changed = parse_set_cookies(response)["refresh_token"].value
    clock.advance(61)
    # Exactly one chain lives: the change's. The racer's and the original are refused,
    # without anybody being taken for a thief.
    assert use(client, racer)[0].status_code == 302
    assert use(client, refresh0)[0].status_code == 302
    assert use(client, changed)[0].status_code == 200
    assert "refresh_token_reuse" not in event_kinds(app)
    assert live_refresh_tokens(app) == 1 and session_row(app).revoked_at is None


# --- 4. revocation entries carry their own expiry -------------------------------------------


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis at 127.0.0.1:6379 is not running")
    prefix = f"gatehouse-test:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(client.scan_iter(prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_a_short_ttl_worker_revokes_for_as_long_as_a_long_ttl_worker_issued(
    tmp_path, redis_prefix
):
    shared = dict(REVOCATION_STORE_URI=REDIS_URL, REVOCATION_KEY_PREFIX=redis_prefix)
    short = create_app(
        base_config(tmp_path, None, ACCESS_TOKEN_TTL=1, REFRESH_REUSE_GRACE=0, **shared)
    )
    long = create_app(base_config(tmp_path, None, ACCESS_TOKEN_TTL=30, **shared))
    browser = long.test_client()
    AuthActions(browser).register(EMAIL)  # tokens minted by the long-TTL worker
    access = browser.get_cookie("access_token").value
    on_short = short.test_client()
    on_short.set_cookie("access_token", access)
    on_short.set_cookie("session", browser.get_cookie("session").value)
    page = on_short.get("/")
    on_short.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})  # on the short one
    ttl = redis.Redis.from_url(REDIS_URL).ttl(redis_prefix + claims(access)["sid"])
    assert ttl > 20  # the entry lives as long as the access token, not the revoker's 1 s
    time.sleep(2.2)  # longer than the short worker's ACCESS_TOKEN_TTL + leeway + 1
    assert request_with(browser, "/account", access=access).status_code == 302


# --- 5. constant storage per session -------------------------------------------------------


def test_rows_per_session_are_constant_after_10000_rotations(app, clock, refresh0):
    presented = PresentedRefresh(refresh0, claims(refresh0))
    with app.app_context():
        store = get_session_store()
        tables = ("users", "login_sessions", "security_events", "email_tokens")

        def rows() -> dict[str, int]:
            return {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}

        before = rows()
        for _ in range(10_000):
            grant = store.refresh(presented)
            presented = PresentedRefresh.of_grant(grant)
            assert presented is not None
        assert rows() == before
        row = db.session.scalar(select(LoginSession))
        assert row.gen == 10_000 and row.current_hash == hash_token(presented.token)
        db.session.remove()


def test_a_silent_refresh_is_one_statement(client, clock, auth, count_sql):
    auth.register(EMAIL)
    _, refresh = auth.tokens()
    clock.advance(61)
    count_sql.statements.clear()
    response = request_with(client, "/", refresh=refresh)
    assert response.status_code == 200 and parse_set_cookies(response)["refresh_token"].value
    assert len(count_sql.statements) <= 2
    assert count_sql.statements[0].lstrip().upper().startswith("UPDATE LOGIN_SESSIONS")


# --- settings, auth_time and amr, re-authentication ---------------------------------------


def test_a_grace_window_as_long_as_the_access_token_refuses_to_start(tmp_path, clock):
    with pytest.raises(RuntimeError, match="REFRESH_REUSE_GRACE must be shorter"):
        create_app(base_config(tmp_path, clock, ACCESS_TOKEN_TTL=10, REFRESH_REUSE_GRACE=10))


def test_auth_time_and_amr_are_set_by_sign_in_and_kept_by_refresh(client, clock, auth):
    signed_in_at = int(clock())
    auth.register(EMAIL)
    access, refresh = auth.tokens()
    assert (claims(access)["auth_time"], claims(access)["amr"]) == (signed_in_at, ["pwd"])
    clock.advance(61)
    _, cookies = use(client, refresh)
    later = claims(cookies["access_token"].value)
    assert later["auth_time"] == signed_in_at and later["amr"] == ["pwd"]
    assert later["iat"] > signed_in_at


def test_reauthenticate_renews_this_session_with_a_new_auth_time(app, client, clock, refresh0):
    sid = claims(refresh0)["sid"]
    clock.advance(100)
    with app.app_context():
        grant = get_session_store().reauthenticate(sid, ["pwd", "otp", "mfa"])
    access = claims(grant.access_token)
    assert access["sid"] == sid and access["auth_time"] == int(clock())
    assert access["amr"] == ["pwd", "otp", "mfa"]
    assert claims(grant.refresh_token)["sid"] == sid
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1
    clock.advance(61)
    # Older tokens are refused without signing the session out or crying theft.
    assert use(client, refresh0)[0].status_code == 302
    _, cookies = use(client, grant.refresh_token)
    assert claims(cookies["access_token"].value)["auth_time"] == int(clock()) - 61
    assert "refresh_token_reuse" not in event_kinds(app)


def test_start_session_records_the_methods_used(app, clock, refresh0):
    with app.app_context():
        user = db.session.scalar(select(User))
        grant = get_session_store().start_session(user, persistent=False, amr=["hwk"])
        assert claims(grant.access_token)["amr"] == ["hwk"]
        with pytest.raises(RefreshRefused):
            get_session_store().reauthenticate("no-such-session", ["pwd"])


# --- the migration carries existing sessions over ------------------------------------------


def test_sessions_from_before_generations_refresh_after_the_upgrade(
    tmp_path, clock, empty_database_uri
):
    database = dict(SQLALCHEMY_DATABASE_URI=empty_database_uri)  # unmigrated: built to 0002 here
    old = create_app(base_config(tmp_path, clock, AUTO_CREATE_SCHEMA=False, **database))
    with old.app_context():
        authority = get_authority()
        now = int(clock())

        def old_token() -> str:  # as the old store signed them: no gen, no sxp claim
            token, _ = authority.mint(
                TokenType.REFRESH, user_id=1, session_id="s1", now=now, not_after=now + 86_400
            )
            return token

        previous, current = old_token(), old_token()
        with db.engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0002_email_tokens")
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, created_at) "
                    "VALUES (1, :email, 'x', :at)"
                ),
                {"email": EMAIL, "at": utc(now).replace(tzinfo=None)},
            )
            conn.execute(
                text(
                    "INSERT INTO login_sessions (id, user_id, created_at, expires_at, "
                    "persistent, user_agent, ip) VALUES ('s1', 1, :at, :end, :persistent, '', '')"
                ),
                {
                    "at": utc(now).replace(tzinfo=None),
                    "end": utc(now + 86_400).replace(tzinfo=None),
                    "persistent": False,  # a boolean on PostgreSQL, 0 on SQLite
                },
            )
            for jti, token, replaced, by in (
                ("t0", previous, utc(now).replace(tzinfo=None), "t1"),
                ("t1", current, None, None),
            ):
                conn.execute(
                    text(
                        "INSERT INTO refresh_tokens (id, token_hash, session_id, user_id, "
                        "issued_at, expires_at, replaced_at, replaced_by) "
                        "VALUES (:id, :hash, 's1', 1, :at, :exp, :replaced, :by)"
                    ),
                    {
                        "id": jti,
                        "hash": hash_token(token),
                        "at": utc(now).replace(tzinfo=None),
                        "exp": utc(now + 3600).replace(tzinfo=None),
                        "replaced": replaced,
                        "by": by,
                    },
                )
        db.engine.dispose()
    app = create_app(base_config(tmp_path, clock, **database))  # start-up upgrades to head
    row = session_row(app)
    assert (row.gen, row.current_hash, row.previous_hash) == (
        0,
        hash_token(current),
        hash_token(previous),
    )
    response, cookies = use(app.test_client(), current)  # nobody is signed out
    assert response.status_code == 200 and EMAIL in response.text
    assert claims(cookies["refresh_token"].value)["gen"] == 1
    with app.app_context():
        assert "refresh_tokens" not in db.inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
