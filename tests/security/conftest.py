"""Fixtures of the hostile-input tests: one victim app per module."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.helpers import HMAC_KEY
from tests.security.forge import Victim
from tests.security.helpers import VICTIM_EMAIL, build_app, sign_up


@pytest.fixture(scope="module")
def victim_app(tmp_path_factory):
    """An HS256 app with one registered person, shared by a module's read-only requests."""
    app = build_app(tmp_path_factory)
    _actions, claims = sign_up(app)
    victim = Victim(
        email=VICTIM_EMAIL,
        sub=claims["sub"],
        sid=claims["sid"],
        now=int(claims["iat"]),
        key=HMAC_KEY,
    )
    yield app, victim
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
