"""A request with a valid access token runs no SQL; a silent refresh runs at most three.

The landing page and an error page need no data of their own, so every statement counted there
would come from the sign-in check. /account shows recent activity and runs exactly that query.
"""

from __future__ import annotations

import pytest

from tests.helpers import request_with


@pytest.fixture
def pair(auth):
    auth.register("person@example.com")
    return auth.tokens()


@pytest.mark.parametrize("path,status", [("/", 200), ("/no-such-page", 404)])
def test_valid_access_token_runs_zero_sql(client, pair, count_sql, path, status):
    """Pages that need no data of their own: the sign-in check adds no statement either."""
    response = request_with(client, path, access=pair[0], refresh=pair[1])
    assert response.status_code == status
    if status == 200:
        assert "person@example.com" in response.text
    assert count_sql.statements == []


def test_account_page_runs_only_its_own_activity_query(client, pair, count_sql):
    response = request_with(client, "/account", access=pair[0], refresh=pair[1])
    assert response.status_code == 200 and "person@example.com" in response.text
    assert len(count_sql.statements) == 1
    assert "FROM security_events" in count_sql.statements[0]


def test_bearer_request_runs_zero_sql(client, pair, count_sql):
    response = request_with(client, "/", headers={"Authorization": f"Bearer {pair[0]}"})
    assert response.status_code == 200 and "person@example.com" in response.text
    assert count_sql.statements == []


def test_silent_refresh_runs_at_most_three_statements(client, pair, count_sql):
    response = request_with(client, "/", refresh=pair[1])
    assert response.status_code == 200 and "person@example.com" in response.text
    assert len(count_sql.statements) <= 3, count_sql.statements


def test_verified_token_cache_does_not_skip_expiry(client, clock, pair):
    assert request_with(client, access=pair[0]).status_code == 200
    clock.advance(901)
    assert request_with(client, access=pair[0]).status_code == 302
