"""Item: a throttle key has a small fixed size whatever was submitted, and input that cannot
be an address never reaches the limiter (a 1 MB "address" once pinned 1 MB for an hour)."""

from __future__ import annotations

import pytest

from app.web.throttle import limiter
from tests.helpers import csrf_token

HUGE = "a" * 900_000 + "@example.com"  # under the 1 MB body limit
MAX_KEY = 160  # "LIMITER/<namespace>/<kind>:<32 hex>/<amount>/<multiples>/<granularity>"


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": True}


def _keys() -> list[str]:
    storage = limiter.storage
    return [*storage.storage.keys(), *storage.expirations.keys()]  # the memory storage's dicts


def _post(client, path: str, **data):
    page = client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(page.text), **data})


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/auth/forgot", {}),
        ("/auth/login", {"password": "wrong-password-x"}),
        ("/auth/register", {"password": "wrong-password-x", "confirm": "wrong-password-x"}),
    ],
)
def test_a_huge_address_creates_no_large_key(client, path, fields):
    for _ in range(3):
        response = _post(client, path, email=HUGE, **fields)
        assert response.status_code in (200, 400, 429)
    keys = _keys()
    assert keys, "the per-address budget was counted"
    assert max(len(key) for key in keys) <= MAX_KEY, max(keys, key=len)[:200]


def test_an_impossible_address_never_becomes_a_key(client):
    for junk in ("not an address", "a" * 400, "x@y", "\x00@example.com"):
        _post(client, "/auth/login", email=junk, password="wrong-password-x")
        _post(client, "/auth/forgot", email=junk)
    assert all("account:" not in key for key in _keys())


def test_every_spelling_of_an_address_is_one_fixed_size_key(client):
    for spelling in ("Ann@Bücher.de", "ann@xn--bcher-kva.de", "ａｎｎ＠ｂüｃｈｅｒ．ｄｅ"):
        _post(client, "/auth/login", email=spelling, password="wrong-password-x")
    account_keys = {key for key in _keys() if "account:" in key}
    assert len(account_keys) == 1
    assert "ann" not in next(iter(account_keys)).split("account:")[1]  # hashed, not stored
