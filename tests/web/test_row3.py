"""Row 3: a valid access token beside an expired refresh token (refresh outlived by access)."""

from __future__ import annotations

import jwt
import pytest

from tests.helpers import AuthActions, parse_set_cookies, request_with

EMAIL = "person@example.com"


@pytest.fixture
def config_overrides():
    return {
        "ACCESS_TOKEN_TTL": 600,
        "REFRESH_TOKEN_TTL": 30,
        "SESSION_MAX_AGE": 3600,
        "SESSION_MAX_AGE_SHORT": 3600,
    }


def test_valid_access_expired_refresh_gets_a_new_refresh_token(client, clock, auth):
    auth.register(EMAIL)
    access, refresh = auth.tokens()
    clock.advance(31)
    response = request_with(client, access=access, refresh=refresh)
    assert response.status_code == 200 and EMAIL in response.text
    cookies = parse_set_cookies(response)
    new_refresh = cookies["refresh_token"].value
    assert new_refresh and new_refresh != refresh
    assert "access_token" not in cookies  # the access cookie is left alone
    assert jwt.decode(new_refresh, options={"verify_signature": False})["exp"] > clock()
    alone = request_with(client, refresh=new_refresh)
    assert alone.status_code == 200 and parse_set_cookies(alone)["access_token"].value


def test_expired_refresh_of_another_session_is_dropped_not_renewed(client, clock, auth):
    auth.register(EMAIL)
    access, _ = auth.tokens()
    other = client.application.test_client()
    AuthActions(other).login(EMAIL)
    other_refresh = other.get_cookie("refresh_token").value
    clock.advance(31)
    response = request_with(client, access=access, refresh=other_refresh)
    assert response.status_code == 200
    assert parse_set_cookies(response)["refresh_token"].expired


def test_expired_refresh_that_was_replaced_is_dropped(client, clock, auth):
    auth.register(EMAIL)
    access, refresh = auth.tokens()
    clock.advance(5)
    rotated = request_with(client, refresh=refresh)  # R0 -> R1
    assert parse_set_cookies(rotated)["refresh_token"].value
    clock.advance(30)
    response = request_with(client, access=access, refresh=refresh)
    assert response.status_code == 200  # the access token still carries the request
    assert parse_set_cookies(response)["refresh_token"].expired


def test_both_expired_signs_out(client, clock, auth):
    auth.register(EMAIL)
    access, refresh = auth.tokens()
    clock.advance(601)
    response = request_with(client, access=access, refresh=refresh)
    assert response.status_code == 302
    assert parse_set_cookies(response)["refresh_token"].expired
