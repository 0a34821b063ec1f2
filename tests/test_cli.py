"""Operations commands run through Flask's CLI runner: create-user, revoke-sessions, prune."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from app.db.models import LoginSession, SecurityEvent, User
from app.extensions import db
from tests.helpers import (
    PASSWORD,
    AuthActions,
    live_refresh_tokens,
    parse_set_cookies,
    request_with,
)

EMAIL = "ops@example.com"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_create_user_asks_twice_hides_the_password_and_the_account_signs_in(app, runner, auth):
    result = runner.invoke(
        args=["create-user", "Ops@Example.com"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output
    assert f"Created the account {EMAIL}" in result.output
    response = auth.login(EMAIL)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_create_user_repeats_the_question_when_the_two_passwords_differ(app, runner):
    result = runner.invoke(
        args=["create-user", EMAIL],
        input=f"{PASSWORD}\nsomething-else-entirely\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert count(app, User) == 1


def test_create_user_applies_the_sign_up_rules(app, runner):
    short = runner.invoke(args=["create-user", EMAIL], input="short\nshort\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    bad_email = runner.invoke(
        args=["create-user", "not-an-email"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert bad_email.exit_code == 1 and "valid email address" in bad_email.output
    assert "Traceback" not in short.output + bad_email.output
    assert count(app, User) == 0


def test_create_user_refuses_an_existing_email_in_any_case(app, runner, auth):
    auth.register(EMAIL)
    result = runner.invoke(args=["create-user", EMAIL.upper()], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 1 and "already exists" in result.output
    assert count(app, User) == 1


def test_revoke_sessions_signs_the_person_out_everywhere(app, client, runner, auth, caplog):
    auth.register(EMAIL)
    phone = AuthActions(app.test_client())
    phone.login(EMAIL)
    refreshes = [auth.tokens()[1], phone.tokens()[1]]
    caplog.set_level(logging.INFO, logger="gatehouse.events")
    result = runner.invoke(args=["revoke-sessions", "OPS@example.com"])
    assert result.exit_code == 0, result.output
    assert f"Ended 2 session(s) of {EMAIL}" in result.output
    for refresh in refreshes:  # once the access token is gone, nobody is signed in
        response = request_with(client, refresh=refresh)
        assert response.status_code == 302 and response.headers["Location"].startswith(
            "/auth/login"
        )
        assert parse_set_cookies(response)["refresh_token"].expired
    assert "auth_event event=sessions_signed_out user=1 session=-" in caplog.text
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(LoginSession)
                .where(LoginSession.revoked_at.is_(None))
            )
            == 0
        )
        assert "sessions_signed_out" in db.session.scalars(select(SecurityEvent.kind)).all()


def test_revoke_sessions_for_an_unknown_email_says_so(runner):
    result = runner.invoke(args=["revoke-sessions", "nobody@example.com"])
    assert result.exit_code == 1 and "no account" in result.output


def test_prune_deletes_only_sessions_that_can_never_be_used_again(
    app, client, clock, runner, auth
):
    # A session that logs out (revoked), one that reaches its absolute end, one that lives on.
    auth.register("gone@example.com")
    auth.logout()
    assert (live_refresh_tokens(app), count(app, LoginSession)) == (0, 1)
    ended = AuthActions(app.test_client())
    ended.register("ended@example.com")
    clock.advance(app.config["SESSION_MAX_AGE_SHORT"] - 3600)
    alive = AuthActions(app.test_client())
    alive.register(EMAIL)
    first_refresh = alive.tokens()[1]
    rotated = parse_set_cookies(request_with(client, refresh=first_refresh))["refresh_token"].value
    clock.advance(3600)
    assert count(app, LoginSession) == 3

    result = runner.invoke(args=["prune"])

    assert result.exit_code == 0, result.output
    assert "Deleted 2 ended session(s) and 0 security event(s)" in result.output
    assert count(app, LoginSession) == 1
    assert request_with(client, refresh=rotated).status_code == 200
    again = runner.invoke(args=["prune-tokens"])  # the former name still works
    assert "Deleted 0 ended session(s)" in again.output


def test_prune_deletes_an_idle_session_once_its_tokens_ran_out(app, clock, runner, auth):
    auth.register(EMAIL)
    auth.logout()
    auth.login(EMAIL, remember=True)  # a 30-day session with a 14-day refresh token
    clock.advance(app.config["REFRESH_TOKEN_TTL"] - 1)
    assert "Deleted 1 ended session(s)" in runner.invoke(args=["prune"]).output  # the logout
    assert count(app, LoginSession) == 1
    clock.advance(2)  # the refresh token and every access token of the session ran out
    assert "Deleted 1 ended session(s)" in runner.invoke(args=["prune"]).output
    assert count(app, LoginSession) == 0


def test_prune_deletes_activity_older_than_the_retention(app, clock, runner, auth):
    auth.register(EMAIL)  # one "register" event now
    clock.advance(app.config["ACTIVITY_RETENTION"] - 10)
    auth.login(EMAIL)  # one "login" event, 10 s before the first one is due
    clock.advance(11)
    result = runner.invoke(args=["prune"])
    assert "and 1 security event(s) older than 365 day(s)" in result.output
    with app.app_context():
        assert db.session.scalars(select(SecurityEvent.kind)).all() == ["login"]
