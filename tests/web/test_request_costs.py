"""The per-request shortcuts keep their behaviour: throttles, languages, the CSRF button
and the SQLite journal settings work as before."""

from __future__ import annotations

import base64
from datetime import UTC

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.web.throttle import limiter, limiter_idle
from tests.helpers import FakeClock, base_config, csrf_token


@pytest.fixture
def throttled_app(tmp_path):
    """An app whose every page has a default limit of two requests a minute."""
    app = create_app(
        base_config(
            tmp_path, FakeClock(), RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute"
        )
    )
    yield app
    limiter.limit_manager.set_default_limits([])  # the limiter object outlives this app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_default_limits_still_throttle_pages_without_their_own(throttled_app):
    client = throttled_app.test_client()
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]


def test_limiter_is_idle_only_where_no_limit_applies(app):
    with app.test_request_context("/account"):
        assert limiter_idle()
    with app.test_request_context("/auth/register", method="POST"):
        assert not limiter_idle()  # a view with a Flask-Limiter decorator


def test_login_throttle_still_counts_failures(tmp_path):
    app = create_app(
        base_config(
            tmp_path, FakeClock(), RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_EMAIL="2 per minute"
        )
    )
    client = app.test_client()
    statuses = []
    for _ in range(3):
        token = csrf_token(client.get("/auth/login").text)
        statuses.append(
            client.post(
                "/auth/login",
                data={
                    "csrf_token": token,
                    "email": "nobody@example.com",
                    "password": "wrong-password",
                },
            ).status_code
        )
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize(
    "header, lang",
    [
        ("ko-KR,ko;q=0.9,en;q=0.5", "ko"),
        ("fr-FR,fr;q=0.9", "en"),
        ("de;q=0.1," * 60 + "ko;q=0.9", "ko"),  # longer than the cached length
    ],
)
def test_accept_language_picks_the_page_language(client, header, lang):
    for _ in range(2):  # the second answer comes from the cache
        response = client.get("/auth/login", headers={"Accept-Language": header})
        assert f'<html lang="{lang}">' in response.text


def test_lang_choice_beats_accept_language(client):
    response = client.get("/auth/login?lang=ko", headers={"Accept-Language": "en"})
    assert '<html lang="ko">' in response.text


def test_logout_button_carries_a_working_csrf_token(auth, client):
    auth.register("person@example.com")
    page = client.get("/account")
    assert page.text.count('<input id="csrf_token" name="csrf_token" type="hidden" value="') >= 2
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert client.get("/account").status_code == 302


def test_sqlite_file_uses_wal_with_normal_sync(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite journal settings: this run uses another database")
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace(".", "=.", 1),  # padding on the header segment
        lambda t: "!" + t,  # a character outside base64url
        lambda t: "W10" + t[t.index(".") :],  # a header that is a JSON array
        lambda t: t.split(".", 1)[0],  # a header alone
        lambda t: base64.urlsafe_b64encode(b"[" * 3000).decode().rstrip("=") + t[t.index(".") :],
    ],
)
def test_malformed_header_is_no_token(client, auth, mangle):
    auth.register("person@example.com")
    access, _ = auth.tokens()
    response = client.application.test_client().get(
        "/account", headers={"Authorization": f"Bearer {mangle(access)}"}
    )
    assert response.status_code == 302
    assert "person@example.com" not in response.text


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_cached_date_filter_prints_what_flask_babel_prints(app, lang):
    from datetime import datetime

    from flask import render_template_string
    from flask_babel import format_datetime

    moments = [
        datetime(2026, 3, 1, 23, 59, 30, tzinfo=UTC),
        datetime(2026, 11, 2, 9, 5, tzinfo=UTC),
    ]
    with app.test_request_context(f"/?lang={lang}"):
        for moment in moments:
            for _ in range(2):  # the second answer comes from the cache
                shown = render_template_string("{{ at|datetimeformat('medium') }}", at=moment)
                assert shown == format_datetime(moment, "medium")
            assert render_template_string("{{ at|datetimeformat }}", at=moment) == format_datetime(
                moment
            )


def test_a_token_just_signed_is_trusted_only_until_it_expires(app, clock):
    from app.sessions.authority import get_authority
    from app.sessions.tokens import TokenStatus, TokenType

    with app.app_context():
        authority = get_authority()
        now = clock()
        token, _ = authority.mint(
            TokenType.ACCESS, user_id=7, session_id="s1", now=now, not_after=int(now) + 10_000
        )
        assert authority.verify(token, TokenType.ACCESS, now).valid
        assert authority.verify(token, TokenType.REFRESH, now).status is TokenStatus.INVALID
        later = now + authority.access_ttl + authority.leeway + 1
        assert authority.verify(token, TokenType.ACCESS, later).status is TokenStatus.EXPIRED
        assert (
            authority.verify(token[:-2] + "xx", TokenType.ACCESS, now).status
            is TokenStatus.INVALID
        )


def test_account_page_lists_activity_in_the_readers_language(client, auth):
    auth.register()
    english = client.get("/account")
    korean = client.get("/account?lang=ko")
    assert "Account created" in english.text
    assert "Account created" not in korean.text and 'class="events"' in korean.text
