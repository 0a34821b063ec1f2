"""The known-browser cookie carries each account's known-browser epoch: a cookie written before
the account forgot its browsers no longer counts, and one written before epochs existed (no
``"e"``) counts for the accounts still at epoch 0, so nobody's browser is forgotten by the
upgrade."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response
from itsdangerous import URLSafeTimedSerializer

from app.web import known_browser


@dataclass
class Account:
    id: int
    known_browsers_epoch: int = 0


def _cookie(app, payload) -> str:
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=known_browser.SALT)
    return serializer.dumps(payload)


def _written(app, account, cookie=None) -> str:
    headers = {"Cookie": f"known_browser={cookie}"} if cookie else {}
    with app.test_request_context("/", headers=headers):
        response = Response()
        known_browser.remember(response, account)
        return response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]


def _known(app, cookie, account) -> bool:
    with app.test_request_context("/", headers={"Cookie": f"known_browser={cookie}"}):
        return known_browser.is_known(account)


def test_a_cookie_counts_only_at_the_epoch_it_was_written(app):
    cookie = _written(app, Account(7))
    assert _known(app, cookie, Account(7))
    assert not _known(app, cookie, Account(7, known_browsers_epoch=1))  # "This wasn't me"
    renewed = _written(app, Account(7, known_browsers_epoch=1), cookie)
    assert _known(app, renewed, Account(7, known_browsers_epoch=1))
    assert not _known(app, renewed, Account(7))


def test_a_cookie_from_before_epochs_counts_for_epoch_zero_only(app):
    old = _cookie(app, {"b": "browser-id-from-before", "u": [7, 8]})
    assert _known(app, old, Account(7)) and _known(app, old, Account(8))
    assert not _known(app, old, Account(7, known_browsers_epoch=1))


def test_each_account_keeps_its_own_epoch_in_one_cookie(app):
    cookie = _written(app, Account(7, known_browsers_epoch=2))
    cookie = _written(app, Account(8), cookie)
    assert _known(app, cookie, Account(7, known_browsers_epoch=2))
    assert _known(app, cookie, Account(8))
    assert not _known(app, cookie, Account(7))
    with app.test_request_context("/", headers={"Cookie": f"known_browser={cookie}"}):
        assert known_browser.budget_key(Account(8)) is not None
        assert known_browser.budget_key(Account(7)) is None
