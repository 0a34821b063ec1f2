"""Item: the same password typed in another Unicode form (decomposed accents, full-width
letters) was refused. Passwords are NFKC-normalised before hashing and checking; hashes of
the raw form made before keep working and are upgraded at the next sign-in."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from sqlalchemy import select

from app.db.models import User, utc
from app.extensions import db
from tests.helpers import AuthActions

COMPOSED = "caf\u00e9-horse-battery-staple"
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)
FULL_WIDTH = "ｃａｆé-horse-battery-staple"
EMAIL = "person@example.com"


def _hash_of(app) -> str:
    with app.app_context():
        value = db.session.scalar(select(User.password_hash).where(User.email == EMAIL))
        db.session.remove()
    return value


def test_any_unicode_form_of_the_password_signs_in(app):
    assert DECOMPOSED != COMPOSED
    assert AuthActions(app.test_client()).register(EMAIL, COMPOSED).status_code == 302
    for typed in (COMPOSED, DECOMPOSED, FULL_WIDTH):
        assert AuthActions(app.test_client()).login(EMAIL, typed).status_code == 302, typed


def test_confirm_matches_in_another_form(app):
    response = AuthActions(app.test_client()).register(EMAIL, COMPOSED, confirm=DECOMPOSED)
    assert response.status_code == 302


def test_an_old_hash_of_the_raw_form_works_and_is_upgraded(app, clock):
    with app.app_context():
        old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(DECOMPOSED)
        db.session.add(User(email=EMAIL, password_hash=old, created_at=utc(clock())))
        db.session.commit()
        db.session.remove()
    assert AuthActions(app.test_client()).login(EMAIL, COMPOSED).status_code == 200
    assert AuthActions(app.test_client()).login(EMAIL, DECOMPOSED).status_code == 302
    upgraded = _hash_of(app)
    assert upgraded != old
    assert PasswordHasher().verify(upgraded, COMPOSED)  # the NFKC form is what is stored now
    assert AuthActions(app.test_client()).login(EMAIL, COMPOSED).status_code == 302
