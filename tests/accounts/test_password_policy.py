"""The password policy (NIST SP 800-63B with zxcvbn), on sign-up and as a reusable validator."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from wtforms import Form, PasswordField, StringField

from app.accounts.policy import PasswordPolicy, local_part
from app.db.models import User
from app.extensions import db
from tests.helpers import PASSWORD

ACCEPTANCE_PASSWORD = "Tr0ub4dor&3-correct-horse"


class ResetLikeForm(Form):
    """A form of another page (e.g. a password reset) reusing the validator by field name."""

    address = StringField()
    new = PasswordField(validators=[PasswordPolicy(email_field="address")])


def errors(app, password, email="person@example.com"):
    with app.test_request_context():
        form = ResetLikeForm(data={"address": email, "new": password})
        form.validate()
        return [str(e) for e in form.new.errors]


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        ACCEPTANCE_PASSWORD,
        "gravel orchid lantern quietly",
        "all lowercase words without digits",  # no composition rules
        "비밀번호는-길고-기억하기-쉬운-문장",  # any Unicode character counts
    ],
)
def test_strong_passwords_pass(app, password):
    assert errors(app, password) == []


@pytest.mark.parametrize(
    "password,says",
    [
        ("short1", "Use at least 8 characters."),
        ("x" * 129, "Use at most 128 characters."),
        ("password", "one of the most common passwords"),
        ("password1234", "too easy to guess"),
        ("qwertyuiop", "too easy to guess"),
        ("aaaaaaaaaaaaaa", 'Repeated characters like "aaa" are easy to guess.'),
        ("abcdefgh1", "Sequences like"),
        ("Summer2024!", "too close to a common password"),
    ],
)
def test_weak_passwords_are_refused_in_plain_words(app, password, says):
    found = errors(app, password)
    assert len(found) == 1 and says in found[0]
    if password != "password":  # the word itself is part of every message
        assert password not in found[0]  # the message never repeats the password


def test_every_weak_message_says_what_to_do(app):
    (message,) = errors(app, "iloveyou99")
    assert message.startswith("This password is too easy to guess.")
    assert "a few unrelated words" in message


def test_a_password_with_the_email_name_part_is_refused_case_insensitively(app):
    (message,) = errors(app, "Lantern-JENNIFER.LEE-orchid-gravel", "Jennifer.Lee@example.com")
    assert "email address" in message


def test_a_short_email_name_part_is_not_a_reason(app):
    assert errors(app, "al-gravel-orchid-lantern", "al@example.com") == []


def test_the_minimum_score_is_configurable(tmp_path, clock):
    from app import create_app
    from tests.helpers import base_config

    lenient = create_app(base_config(tmp_path, clock, PASSWORD_MIN_SCORE=0))
    strict = create_app(base_config(tmp_path, clock, PASSWORD_MIN_SCORE=4, PASSWORD_MIN_LENGTH=10))
    assert errors(lenient, "password1234") == []
    assert errors(strict, "correcthorse1") != []
    assert errors(strict, "short-pass") != []  # 10 characters, but a common pattern
    assert errors(strict, "tiny") == ["Use at least 10 characters."]


def test_local_part():
    assert local_part("Ann.Lee@Example.org") == "ann.lee"
    assert local_part("no-at-sign") == ""


def test_sign_up_refuses_a_weak_password_and_creates_nothing(app, auth):
    response = auth.register("person@example.com", "password1234")
    assert response.status_code == 200 and "too easy to guess" in response.text
    response = auth.register("lantern@example.com", "lantern-gravel-orchid-x")
    assert response.status_code == 200 and "email address" in response.text
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_sign_up_accepts_the_acceptance_password(auth):
    assert auth.register("person@example.com", ACCEPTANCE_PASSWORD).status_code == 302
