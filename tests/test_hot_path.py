"""A request with a valid access token runs no SQL; a silent refresh runs at most three."""
from __future__ import annotations

import pytest

from .conftest import request_with


@pytest.fixture
def pair(auth):
    auth.register("person@example.com")
    return auth.tokens()


@pytest.mark.parametrize("path", ["/account", "/"])
def test_valid_access_token_runs_zero_sql(client, pair, count_sql, path):
    response = request_with(client, path, access=pair[0], refresh=pair[1])
    assert response.status_code == 200 and "person@example.com" in response.text
    assert count_sql.statements == []


def test_bearer_request_runs_zero_sql(client, pair, count_sql):
    response = request_with(client, headers={"Authorization": f"Bearer {pair[0]}"})
    assert response.status_code == 200
    assert count_sql.statements == []


def test_silent_refresh_runs_at_most_three_statements(client, pair, count_sql):
    response = request_with(client, refresh=pair[1])
    assert response.status_code == 200
    assert len(count_sql.statements) <= 3, count_sql.statements


def test_verified_token_cache_does_not_skip_expiry(client, clock, pair):
    assert request_with(client, access=pair[0]).status_code == 200
    clock.advance(901)
    assert request_with(client, access=pair[0]).status_code == 302
