"""The JSON API: tokens for a password, refresh with rotation/grace/reuse, logout, the
account and its sessions; Bearer header only, no cookies read or set, JSON errors."""

from __future__ import annotations

import logging

import jwt
import pytest
from sqlalchemy import select

from app import create_app
from app.accounts.passwords import Passwords
from app.api.openapi import openapi_document
from app.db.models import LoginSession, SecurityEvent
from app.extensions import db
from app.sessions.tokens import hash_token
from tests.helpers import PASSWORD, AuthActions, base_config, session_holding

EMAIL = "person@example.com"
OTHER = "other@example.com"


@pytest.fixture
def config_overrides():
    return {"ACCESS_TOKEN_TTL": 60, "REFRESH_TOKEN_TTL": 600, "REFRESH_REUSE_GRACE": 10}


class Api:
    """A script's view of the API: JSON in, JSON out, and never a cookie either way."""

    def __init__(self, app) -> None:
        self.app = app

    def _checked(self, response):
        assert response.headers.getlist("Set-Cookie") == [], "the API set a cookie"
        return response

    def request(self, method, path, *, token=None, headers=None, **kwargs):
        client = self.app.test_client(use_cookies=False)
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self._checked(client.open(path, method=method, headers=headers, **kwargs))

    def token(self, email=EMAIL, password=PASSWORD):
        return self.request("POST", "/api/auth/token", json={"email": email, "password": password})

    def login(self, email=EMAIL, password=PASSWORD) -> dict:
        response = self.token(email, password)
        assert response.status_code == 200, response.json
        return response.json

    def refresh(self, refresh_token):
        return self.request("POST", "/api/auth/refresh", json={"refresh_token": refresh_token})

    def logout(self, refresh_token):
        return self.request("POST", "/api/auth/logout", json={"refresh_token": refresh_token})

    def me(self, token):
        return self.request("GET", "/api/me", token=token)

    def sessions(self, token) -> list[dict]:
        response = self.request("GET", "/api/sessions", token=token)
        assert response.status_code == 200, response.json
        return response.json["sessions"]


@pytest.fixture
def api(app) -> Api:
    return Api(app)


@pytest.fixture
def users(app, auth):
    """Two accounts made through the sign-up form, then signed out of the browser."""
    for email in (EMAIL, OTHER):
        auth.register(email)
        auth.logout()


def event_kinds(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)))


def session_row(app, sid) -> LoginSession:
    with app.app_context():
        return db.session.get(LoginSession, sid)


def sid_of(app, token: str) -> str:
    found = session_holding(app, token)
    return found.id if found is not None else None


def assert_error(response, status, code, challenge=None):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.json["error"] == code and response.json["message"]
    if challenge is not None:
        assert response.headers["WWW-Authenticate"] == challenge


# --- POST /api/auth/token -------------------------------------------------------------------


def test_token_for_email_and_password(app, api, users, clock):
    response = api.token(" Person@Example.COM ")
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 60
    assert body["access_token"] and body["refresh_token"]
    assert response.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["typ"] == "access" and claims["exp"] == int(clock.now) + 60
    session = session_row(app, claims["sid"])
    assert session.persistent and session.user_id == int(claims["sub"])
    assert api.me(body["access_token"]).json["email"] == EMAIL


def test_wrong_password_and_unknown_email_get_the_same_401(api, users):
    wrong = api.token(EMAIL, "wrong-password-x")
    unknown = api.token("nobody@example.com", "wrong-password-x")
    challenge = 'Bearer realm="gatehouse", error="invalid_grant"'
    for response in (wrong, unknown):
        assert_error(response, 401, "invalid_grant", challenge)
        assert "access_token" not in response.json
    assert wrong.json == unknown.json


def test_unknown_email_costs_one_password_check_like_a_known_one(api, users, monkeypatch):
    checked = []
    original = Passwords.check

    def spy(self, password_hash, password):
        checked.append(password_hash)
        return original(self, password_hash, password)

    monkeypatch.setattr(Passwords, "check", spy)
    api.token("nobody@example.com", "wrong-password-x")
    api.token(EMAIL, "wrong-password-x")
    assert checked[0] is None and checked[1].startswith("$argon2id$")  # dummy hash, then real


def test_sign_in_and_failure_are_recorded_without_secrets(app, api, users, caplog):
    caplog.set_level(logging.INFO, logger="gatehouse.events")
    api.token(EMAIL, "wrong-password-x")
    tokens = api.login()
    assert event_kinds(app)[-2:] == ["login_failed", "login"]
    assert "event=login_failed user=1" in caplog.text and "event=login user=1" in caplog.text
    for secret in (tokens["access_token"], tokens["refresh_token"], PASSWORD):
        assert secret not in caplog.text


def test_no_csrf_token_is_needed_while_the_site_still_demands_one(client, api, users):
    form = client.post("/auth/login", data={"email": EMAIL, "password": PASSWORD})
    assert form.status_code == 400  # the form without its CSRF token
    assert api.token().status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "not json", "content_type": "application/json"},
        {"data": '{"email": "person@example.com", "password"', "content_type": "application/json"},
        {"json": ["person@example.com", PASSWORD]},
        {"json": {"email": "person@example.com"}},
        {"json": {"email": "", "password": PASSWORD}},
        {"json": {"email": 5, "password": PASSWORD}},
        {"json": {"email": ["person@example.com"], "password": PASSWORD}},
        {"json": {"email": "person@example.com", "password": None}},
        {
            "data": f"email=person%40example.com&password={PASSWORD}",
            "content_type": "application/x-www-form-urlencoded",
        },
        {"data": '{"email": "person@example.com"}', "content_type": "text/plain"},
        {},
        {"data": "[" * 100_000, "content_type": "application/json"},
    ],
    ids=[
        "garbage",
        "truncated",
        "array",
        "missing",
        "empty",
        "number",
        "list",
        "null",
        "form",
        "text-plain",
        "no-body",
        "too-deep",
    ],
)
def test_token_bad_bodies_get_400_json(api, users, kwargs):
    response = api.request("POST", "/api/auth/token", **kwargs)
    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize("path", ["/api/auth/refresh", "/api/auth/logout"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "{", "content_type": "application/json"},
        {"json": {}},
        {"json": {"refresh_token": 42}},
        {"data": "refresh_token=x", "content_type": "application/x-www-form-urlencoded"},
    ],
    ids=["garbage", "missing", "number", "form"],
)
def test_refresh_and_logout_bad_bodies_get_400_json(api, path, kwargs):
    assert_error(api.request("POST", path, **kwargs), 400, "invalid_request")


def test_odd_emails_are_just_wrong_credentials(api, users):
    for email in ("a\x00b@example.com", "x" * 400 + "@example.com", "not an email"):
        assert_error(api.token(email, PASSWORD), 401, "invalid_grant")


def test_wrong_method_unknown_path_and_huge_body_answer_json(api):
    assert_error(api.request("GET", "/api/auth/token"), 405, "method_not_allowed")
    assert_error(api.request("GET", "/api/nothing-here"), 404, "not_found")
    huge = api.request(
        "POST",
        "/api/auth/token",
        data=b"{" + b" " * 2_000_000 + b"}",
        content_type="application/json",
    )
    assert_error(huge, 413, "too_large")


# --- throttling ------------------------------------------------------------------------------


@pytest.fixture
def throttled(tmp_path, clock):
    app = create_app(
        base_config(
            tmp_path,
            clock,
            RATELIMIT_ENABLED=True,
            LOGIN_LIMIT_PER_EMAIL="3 per 15 minutes",
            LOGIN_LIMIT_PER_ADDRESS="6 per 15 minutes",
        )
    )
    actions = AuthActions(app.test_client())
    actions.register(EMAIL)
    actions.logout()
    yield app, Api(app), actions
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_failed_api_logins_per_email_end_in_429_json_with_retry_after(throttled):
    _, api, _ = throttled
    for _ in range(3):
        assert api.token(EMAIL, "wrong-password-x").status_code == 401
    blocked = api.token(EMAIL, PASSWORD)  # even the right password waits now
    assert_error(blocked, 429, "rate_limited")
    assert int(blocked.headers["Retry-After"]) > 0
    assert api.token(OTHER, "wrong-password-x").status_code == 401  # another email still may


def test_successful_api_logins_do_not_count(throttled):
    _, api, _ = throttled
    for _ in range(5):
        assert api.token().status_code == 200


def test_per_address_limit_covers_many_emails(throttled):
    _, api, _ = throttled
    for i in range(6):
        assert api.token(f"user{i}@example.com", "wrong-password-x").status_code == 401
    assert api.token("user9@example.com", "wrong-password-x").status_code == 429


def test_odd_bodies_are_4xx_before_the_throttle_counts_them(throttled):
    _, api, _ = throttled
    deep = api.request(
        "POST", "/api/auth/token", data="[" * 100_000, content_type="application/json"
    )
    assert_error(deep, 400, "invalid_request")
    huge = api.request(
        "POST",
        "/api/auth/token",
        data=b"{" + b" " * 2_000_000 + b"}",
        content_type="application/json",
    )
    assert_error(huge, 413, "too_large")
    for _ in range(3):
        assert api.token(EMAIL, "wrong-password-x").status_code == 401


def test_form_and_api_share_one_budget(throttled):
    app, api, _ = throttled
    form = AuthActions(app.test_client())  # an unknown browser: the account's shared budget
    assert form.login(EMAIL, "wrong-password-x").status_code == 200
    assert form.login(EMAIL, "wrong-password-x").status_code == 200
    assert api.token(EMAIL, "wrong-password-x").status_code == 401
    assert api.token(EMAIL, "wrong-password-x").status_code == 429
    assert form.login(EMAIL, "wrong-password-x").status_code == 429


# --- POST /api/auth/refresh ----------------------------------------------------------------


def test_refresh_rotates_the_pair(app, api, users, clock):
    first = api.login()
    clock.advance(61)  # the access token has run out
    assert_error(api.me(first["access_token"]), 401, "invalid_token")
    response = api.refresh(first["refresh_token"])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    second = response.json
    assert second["token_type"] == "Bearer" and second["expires_in"] == 60
    assert second["refresh_token"] not in (None, first["refresh_token"])
    assert api.me(second["access_token"]).json["email"] == EMAIL
    row = session_holding(app, second["refresh_token"])
    assert row.current_hash == hash_token(second["refresh_token"])
    assert row.previous_hash == hash_token(first["refresh_token"]) and row.gen == 1


def test_previous_refresh_token_within_grace_gets_access_and_null_refresh(api, users, clock):
    first = api.login()
    second = api.refresh(first["refresh_token"]).json
    clock.advance(9)
    again = api.refresh(first["refresh_token"])
    assert again.status_code == 200 and again.json["refresh_token"] is None
    assert api.me(again.json["access_token"]).status_code == 200
    assert api.refresh(second["refresh_token"]).status_code == 200  # the session lives on


def test_reuse_after_grace_revokes_the_whole_session(app, api, users, clock, caplog):
    first = api.login()
    second = api.refresh(first["refresh_token"]).json
    clock.advance(11)
    # The owner moves on with the second token, so the first is two generations back (not
    # the previous token of a lost answer, which would be recovered).
    third = api.refresh(second["refresh_token"]).json
    with caplog.at_level(logging.WARNING, logger="gatehouse.events"):
        thief = api.refresh(first["refresh_token"])
    assert_error(thief, 401, "invalid_grant", 'Bearer realm="gatehouse", error="invalid_grant"')
    assert "event=refresh_token_reuse" in caplog.text
    assert_error(api.refresh(third["refresh_token"]), 401, "invalid_grant")  # victim's too
    sid = jwt.decode(first["refresh_token"], options={"verify_signature": False})["sid"]
    session = session_row(app, sid)
    assert session.revoked_at is not None and session.revoke_reason == "reused"
    assert "refresh_token_reuse" in event_kinds(app)
    assert session.id not in [s["id"] for s in api.sessions(api.login()["access_token"])]


def test_only_the_immediately_previous_token_gets_grace(api, users):
    first = api.login()
    second = api.refresh(first["refresh_token"]).json
    third = api.refresh(second["refresh_token"]).json
    assert api.refresh(first["refresh_token"]).status_code == 401  # two back, inside grace
    assert api.refresh(third["refresh_token"]).status_code == 401


@pytest.mark.parametrize("which", ["garbage", "access", "forged", "expired"])
def test_unusable_refresh_tokens_get_401(api, users, clock, which):
    tokens = api.login()
    claims = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})
    sent = {
        "garbage": "not.a.jwt",
        "access": tokens["access_token"],
        "forged": jwt.encode(claims, "x" * 48, algorithm="HS256", headers={"kid": "k1"}),
        "expired": tokens["refresh_token"],
    }[which]
    if which == "expired":
        clock.advance(601)
    assert_error(
        api.refresh(sent), 401, "invalid_grant", 'Bearer realm="gatehouse", error="invalid_grant"'
    )


def test_a_browser_session_can_be_refreshed_through_the_api(api, auth):
    auth.register(EMAIL)
    _, refresh = auth.tokens()
    response = api.refresh(refresh)
    assert response.status_code == 200 and response.json["refresh_token"] != refresh


# --- POST /api/auth/logout -----------------------------------------------------------------


def test_logout_ends_the_session(app, api, users):
    tokens = api.login()
    kept = api.login()
    response = api.logout(tokens["refresh_token"])
    assert response.status_code == 204 and response.data == b""
    assert_error(api.refresh(tokens["refresh_token"]), 401, "invalid_grant")
    sid = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})["sid"]
    session = session_row(app, sid)
    assert session.revoked_at is not None and session.revoke_reason == "logout"
    assert event_kinds(app)[-1] == "logout"
    assert api.refresh(kept["refresh_token"]).status_code == 200  # only that session


def test_logout_is_idempotent_and_an_invalid_token_changes_nothing(app, api, users):
    tokens = api.login()
    claims = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "x" * 48, algorithm="HS256", headers={"kid": "k1"})
    for sent in ("not.a.jwt", forged, tokens["access_token"]):
        assert api.logout(sent).status_code == 204
    assert session_row(app, claims["sid"]).revoked_at is None
    assert api.logout(tokens["refresh_token"]).status_code == 204
    assert api.logout(tokens["refresh_token"]).status_code == 204
    assert event_kinds(app).count("logout") == 2 + 1  # two browser sign-outs, then this one


def test_logout_with_an_expired_refresh_token_still_ends_its_session(app, api, users, clock):
    tokens = api.login()
    clock.advance(601)
    assert api.logout(tokens["refresh_token"]).status_code == 204
    sid = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})["sid"]
    assert session_row(app, sid).revoked_at is not None


# --- GET /api/me ----------------------------------------------------------------------------


def test_me_with_a_bearer_token(api, users, clock):
    response = api.me(api.login()["access_token"])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.json == {
        "id": 1,
        "email": EMAIL,
        "created_at": "2027-01-15T08:00:00Z",
    }  # FakeClock's start


@pytest.mark.parametrize(
    "header,code,challenge",
    [
        (None, "unauthorized", 'Bearer realm="gatehouse"'),
        ("Bearer not.a.jwt", "invalid_token", 'Bearer realm="gatehouse", error="invalid_token"'),
        (
            "Basic cGVyc29uOnB3",
            "invalid_request",
            'Bearer realm="gatehouse", error="invalid_request"',
        ),
        ("Bearer", "invalid_request", 'Bearer realm="gatehouse", error="invalid_request"'),
    ],
)
@pytest.mark.parametrize("path", ["/api/me", "/api/sessions"])
def test_missing_or_bad_authorization_gets_401_json(api, path, header, code, challenge):
    headers = {"Authorization": header} if header is not None else {}
    assert_error(api.request("GET", path, headers=headers), 401, code, challenge)


def test_refresh_token_as_bearer_and_expired_access_token_are_refused(api, users, clock):
    tokens = api.login()
    assert_error(api.me(tokens["refresh_token"]), 401, "invalid_token")
    clock.advance(61)
    assert_error(api.me(tokens["access_token"]), 401, "invalid_token")


# --- no cookies ------------------------------------------------------------------------------


def test_token_cookies_do_not_authenticate_the_api(app, client, auth):
    auth.register(EMAIL)  # the browser now holds both token cookies
    for path in ("/api/me", "/api/sessions"):
        response = client.get(path)
        assert_error(response, 401, "unauthorized", 'Bearer realm="gatehouse"')
        assert response.headers.getlist("Set-Cookie") == []
    assert client.get("/account").status_code == 200  # the same cookies on the site


def test_api_neither_refreshes_nor_expires_cookies(app, client, auth, clock):
    auth.register(EMAIL)
    _, refresh = auth.tokens()
    clock.advance(61)  # on the site this pair would be refreshed silently
    response = client.get("/api/me")
    assert response.status_code == 401 and response.headers.getlist("Set-Cookie") == []
    row = session_holding(app, refresh)
    assert row.gen == 0 and row.current_hash == hash_token(refresh)  # not even looked at
    tokens = Api(app).login()
    with_cookies = client.get(
        "/api/me?lang=ko", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert with_cookies.status_code == 200
    assert with_cookies.headers.getlist("Set-Cookie") == []  # not even the language cookie


def test_bearer_authentication_itself_runs_no_sql(client, api, users, count_sql):
    tokens = api.login()
    count_sql.statements.clear()
    assert api.me(tokens["access_token"]).status_code == 200
    assert len(count_sql.statements) == 1  # the view's own read of created_at
    assert "FROM users" in count_sql.statements[0]
    count_sql.statements.clear()
    assert api.request("GET", "/api/me", token="not.a.jwt").status_code == 401
    assert client.get("/api/me").status_code == 401
    assert count_sql.statements == []


# --- GET /api/sessions, DELETE /api/sessions/<sid> -----------------------------------------


def test_sessions_lists_the_accounts_active_sessions(app, api, users, clock):
    older = api.login()
    clock.advance(30)
    api.refresh(older["refresh_token"])
    clock.advance(5)
    newer = api.login()
    api.login(OTHER)
    ended = api.login()
    api.logout(ended["refresh_token"])
    listed = api.sessions(newer["access_token"])
    assert [s["id"] for s in listed] == [
        sid_of(app, newer["refresh_token"]),
        sid_of(app, older["refresh_token"]),
    ]
    assert [s["current"] for s in listed] == [True, False]
    first, second = listed
    assert first["created_at"] == first["last_seen_at"] == "2027-01-15T08:00:35Z"
    assert second["created_at"] == "2027-01-15T08:00:00Z"
    assert second["last_seen_at"] == "2027-01-15T08:00:30Z"
    assert first["ip"] == "127.0.0.1" and first["user_agent"].startswith("Werkzeug")


def test_idle_sessions_are_not_listed(app, api, users, clock):
    idle = api.login()
    clock.advance(601)
    fresh = api.login()
    assert [s["id"] for s in api.sessions(fresh["access_token"])] == [
        sid_of(app, fresh["refresh_token"])
    ]
    assert api.refresh(idle["refresh_token"]).status_code == 401


def test_delete_ends_one_of_my_sessions(app, api, users):
    mine = api.login()
    phone = api.login()
    sid = sid_of(app, phone["refresh_token"])
    response = api.request("DELETE", f"/api/sessions/{sid}", token=mine["access_token"])
    assert response.status_code == 204 and response.data == b""
    assert_error(api.refresh(phone["refresh_token"]), 401, "invalid_grant")
    assert sid not in [s["id"] for s in api.sessions(mine["access_token"])]
    assert event_kinds(app)[-1] == "session_revoked"
    again = api.request("DELETE", f"/api/sessions/{sid}", token=mine["access_token"])
    assert_error(again, 404, "not_found")


def test_someone_elses_session_is_not_found_and_stays(app, api, users):
    mine = api.login()
    theirs = api.login(OTHER)
    sid = sid_of(app, theirs["refresh_token"])
    response = api.request("DELETE", f"/api/sessions/{sid}", token=mine["access_token"])
    unknown = api.request(
        "DELETE", "/api/sessions/AAAAAAAAAAAAAAAAAAAAAA", token=mine["access_token"]
    )
    assert_error(response, 404, "not_found")
    assert response.json == unknown.json  # no hint that the id exists
    assert api.refresh(theirs["refresh_token"]).status_code == 200


@pytest.mark.parametrize("sid", ["..", "%00", "a%20b", "x" * 300, "%E2%98%83"])
def test_odd_session_ids_are_not_found(api, users, sid):
    mine = api.login()
    response = api.request("DELETE", f"/api/sessions/{sid}", token=mine["access_token"])
    assert response.status_code == 404 and response.mimetype == "application/json"


def test_ending_a_session_needs_a_bearer_token(app, api, users):
    theirs = api.login()
    sid = sid_of(app, theirs["refresh_token"])
    assert_error(api.request("DELETE", f"/api/sessions/{sid}"), 401, "unauthorized")
    assert api.refresh(theirs["refresh_token"]).status_code == 200


# --- /api/openapi.json -----------------------------------------------------------------------


def test_openapi_document_describes_every_operation(api):
    response = api.request("GET", "/api/openapi.json")
    assert response.status_code == 200 and response.json == openapi_document()
    document = response.json
    assert document["openapi"].startswith("3.1")
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert operations == {
        ("/api/auth/token", "post"),
        ("/api/auth/token/mfa", "post"),
        ("/api/auth/refresh", "post"),
        ("/api/auth/logout", "post"),
        ("/api/me", "get"),
        ("/api/me", "delete"),
        ("/api/me/export", "get"),
        ("/api/sessions", "get"),
        ("/api/sessions/{sid}", "delete"),
        ("/api/openapi.json", "get"),
    }
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for path, method in operations:
        assert "500" not in document["paths"][path][method]["responses"]
    assert '"cookie"' not in response.text  # no operation takes a cookie
