"""The four rows of the before_request table, driven by a controllable clock."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import select

from app.db.models import LoginSession
from app.extensions import db
from app.sessions.tokens import hash_token
from tests.helpers import parse_set_cookies, request_with

EMAIL = "person@example.com"


@pytest.fixture
def config_overrides():
    return {
        "ACCESS_TOKEN_TTL": 60,
        "REFRESH_TOKEN_TTL": 600,
        "REFRESH_REUSE_GRACE": 5,
        "SESSION_MAX_AGE": 3600,
        "SESSION_MAX_AGE_SHORT": 3600,
    }


@pytest.fixture
def pair(auth):
    auth.register(EMAIL)
    return auth.tokens()


def signed_in(response) -> bool:
    return response.status_code == 200 and EMAIL in response.text


def test_row1_both_valid_signed_in_no_cookies(client, pair):
    access, refresh = pair
    response = request_with(client, access=access, refresh=refresh)
    assert signed_in(response)
    assert parse_set_cookies(response).keys().isdisjoint({"access_token", "refresh_token"})


def test_row1_valid_access_without_refresh(client, pair):
    response = request_with(client, access=pair[0])
    assert signed_in(response)
    assert "access_token" not in parse_set_cookies(response)


def test_row2_expired_access_valid_refresh_reissues_both(client, clock, pair):
    access, refresh = pair
    clock.advance(61)
    response = request_with(client, access=access, refresh=refresh)
    assert signed_in(response)
    cookies = parse_set_cookies(response)
    assert cookies["access_token"].value not in ("", access)
    assert cookies["refresh_token"].value not in ("", refresh)
    follow = request_with(
        client, access=cookies["access_token"].value, refresh=cookies["refresh_token"].value
    )
    assert signed_in(follow) and "access_token" not in parse_set_cookies(follow)


def test_missing_access_with_valid_refresh_reissues(client, pair):
    response = request_with(client, refresh=pair[1])
    assert signed_in(response)
    assert parse_set_cookies(response)["access_token"].value


def test_row2_refresh_must_match_the_database(app, client, clock, pair):
    access, refresh = pair
    with app.app_context():
        db.session.execute(db.update(LoginSession).values(current_hash=None, previous_hash=None))
        db.session.commit()
    clock.advance(61)
    response = request_with(client, access=access, refresh=refresh)
    assert response.status_code == 302 and response.location.startswith("/auth/login")
    cookies = parse_set_cookies(response)
    assert cookies["access_token"].expired and cookies["refresh_token"].expired


def test_row4_both_expired_is_anonymous_and_expires_cookies(client, clock, pair):
    access, refresh = pair
    clock.advance(3601)
    response = request_with(client, access=access, refresh=refresh)
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/account"
    cookies = parse_set_cookies(response)
    assert cookies["access_token"].expired and cookies["refresh_token"].expired


def test_row4_json_client_gets_401_with_bearer_challenge(client, clock, pair):
    clock.advance(3601)
    response = request_with(
        client, access=pair[0], refresh=pair[1], headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"]


def test_valid_access_beside_garbage_refresh_stays_signed_in_and_drops_it(client, pair):
    response = request_with(client, access=pair[0], refresh="garbage")
    assert signed_in(response)
    cookies = parse_set_cookies(response)
    assert cookies["refresh_token"].expired and "access_token" not in cookies


@pytest.mark.parametrize("bad", ["garbage", "a.b.c", ""])
def test_invalid_access_is_treated_as_absent(client, pair, bad):
    response = request_with(client, access=bad or "x", refresh=pair[1])
    assert signed_in(response)  # the refresh token carries the request


def test_invalid_tokens_alone_are_anonymous_not_errors(client):
    response = request_with(client, access="x.y.z", refresh="not-a-token")
    assert response.status_code == 302
    cookies = parse_set_cookies(response)
    assert cookies["access_token"].expired and cookies["refresh_token"].expired


def test_reissue_never_passes_the_session_absolute_expiry(app, client, clock, pair):
    _, refresh = pair
    latest = refresh
    for _ in range(5):
        clock.advance(590)  # keep the refresh token alive, session ends at +3600
        response = request_with(client, refresh=latest)
        if response.status_code != 200:
            break
        cookies = parse_set_cookies(response)
        latest = cookies["refresh_token"].value
        for name in ("access_token", "refresh_token"):
            exp = jwt.decode(cookies[name].value, options={"verify_signature": False})["exp"]
            assert exp <= 1_800_000_000 + 3600
    clock.now = 1_800_000_000 + 3600
    assert request_with(client, refresh=latest).status_code == 302


def test_static_files_skip_the_check(client, pair):
    response = request_with(client, "/static/style.css", refresh=pair[1])
    response.close()
    assert response.status_code == 200
    assert "access_token" not in parse_set_cookies(response)
    assert signed_in(request_with(client, refresh=pair[1]))  # not consumed


def test_bearer_header_authenticates_and_never_sets_token_cookies(client, pair):
    response = request_with(client, headers={"Authorization": f"Bearer {pair[0]}"})
    assert signed_in(response)
    assert parse_set_cookies(response).keys().isdisjoint({"access_token", "refresh_token"})


def test_bearer_refresh_token_is_refused(client, pair):
    response = request_with(
        client, headers={"Authorization": f"Bearer {pair[1]}", "Accept": "application/json"}
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_sessions_rows_exist_with_hash_only(app, pair):
    _, refresh = pair
    with app.app_context():
        rows = db.session.scalars(select(LoginSession)).all()
        assert [(r.current_hash, r.previous_hash) for r in rows] == [(hash_token(refresh), None)]
        assert all(refresh not in (r.id, r.current_hash) for r in rows)
