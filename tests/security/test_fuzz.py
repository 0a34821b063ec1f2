"""Property tests: whatever arrives in a cookie, a header or a form, the answer is never a 5xx."""

from __future__ import annotations

import base64
import os

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.db.models import User
from app.extensions import db
from tests.helpers import PASSWORD, csrf_token
from tests.security.helpers import assert_not_signed_in, build_app, sign_up
from tests.security.routes import get_routes

# Modest by default: the whole suite runs on two shared cores. GATEHOUSE_FUZZ=thorough runs
# many more examples. Nothing is written into the repository (no example database).
settings.register_profile(
    "gatehouse",
    max_examples=75,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
settings.register_profile(
    "gatehouse-thorough", settings.get_profile("gatehouse"), max_examples=2000
)
FUZZ = settings.get_profile(
    "gatehouse-thorough" if os.environ.get("GATEHOUSE_FUZZ") == "thorough" else "gatehouse"
)
HEAVY_FUZZ = settings(FUZZ, max_examples=max(40, FUZZ.max_examples // 2))

# Header bytes as a WSGI server hands them over (latin-1 strings); CR and LF cannot occur
# inside one header line.
header_bytes = st.binary(max_size=1024).map(
    lambda b: b.replace(b"\r", b"").replace(b"\n", b"").decode("latin-1")
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    app = build_app(tmp_path_factory)
    actions, _claims = sign_up(app, "owner@example.com")
    access, refresh = actions.tokens()
    yield app, access, refresh
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _get(app, headers):
    return app.test_client(use_cookies=False).get("/account", headers=headers)


@FUZZ
@given(access=header_bytes, refresh=header_bytes, authorization=st.none() | header_bytes)
def test_arbitrary_bytes_in_token_places_never_5xx(fuzz_app, access, refresh, authorization):
    app, _access, _refresh = fuzz_app
    names = app.config["ACCESS_COOKIE_NAME"], app.config["REFRESH_COOKIE_NAME"]
    headers = {"Cookie": f"{names[0]}={access}; {names[1]}={refresh}"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = _get(app, headers)
    assert response.status_code in (302, 401), response.status_code
    assert "owner@example.com" not in response.text


@FUZZ
@given(value=header_bytes, scheme=st.sampled_from(["Bearer ", "bearer ", "BEARER\t", ""]))
def test_arbitrary_bearer_values_never_5xx(fuzz_app, value, scheme):
    app, _access, _refresh = fuzz_app
    response = _get(app, {"Authorization": scheme + value, "Accept": "application/json"})
    assert_not_signed_in(app, response, "owner@example.com", json=True)


def _decoded(segment: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (ValueError, TypeError):
        return None


@FUZZ
@given(data=st.data(), where=st.sampled_from(["access", "bearer"]))
def test_a_changed_real_token_signs_in_only_when_it_is_the_same_token(fuzz_app, data, where):
    """Splice bytes into a real access token: the result is refused unless it decodes to the
    very same header, payload and signature (base64 leaves a few spare bits at the end)."""
    app, access, _refresh = fuzz_app
    at = data.draw(st.integers(0, len(access)), label="at")
    cut = data.draw(st.integers(0, 4), label="cut")
    insert = data.draw(
        st.text(alphabet=st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=4),
        label="insert",
    )
    token = access[:at] + insert + access[at + cut :]
    if where == "bearer":
        response = _get(app, {"Authorization": "Bearer " + token})
    else:
        response = _get(app, {"Cookie": f"{app.config['ACCESS_COOKIE_NAME']}={token}"})
    assert response.status_code < 500
    if response.status_code == 200:
        original, changed = access.split("."), token.strip().split(".")
        assert len(changed) == 3 and changed[:2] == original[:2]
        assert _decoded(changed[2]) == _decoded(original[2])
    else:
        assert response.status_code == 302


@FUZZ
@given(
    data=st.data(),
    query=st.dictionaries(
        st.sampled_from(["next", "lang", "tab", "q", ""]), st.text(max_size=100), max_size=3
    ),
    lang=header_bytes,
    accept=header_bytes,
    accept_language=header_bytes,
)
def test_arbitrary_query_and_headers_on_any_get_route_never_5xx(
    fuzz_app, data, query, lang, accept, accept_language
):
    app, access, refresh = fuzz_app
    path = data.draw(st.sampled_from(get_routes(app)), label="path")
    signed_in = data.draw(st.booleans(), label="signed_in")
    names = app.config["ACCESS_COOKIE_NAME"], app.config["REFRESH_COOKIE_NAME"]
    cookie = f"lang={lang}" + (f"; {names[0]}={access}; {names[1]}={refresh}" if signed_in else "")
    response = app.test_client(use_cookies=False).get(
        path,
        query_string=query,
        headers={"Cookie": cookie, "Accept": accept, "Accept-Language": accept_language},
    )
    assert response.status_code < 500, (path, response.status_code)


# --- forms -------------------------------------------------------------------------------


def _big(draw_char: st.SearchStrategy) -> st.SearchStrategy:
    """Up to about 1 MB of one repeated character (any plane of unicode)."""
    return st.builds(lambda ch, n: ch * n, draw_char, st.integers(0, 262_144))


any_text = st.text(max_size=200) | _big(st.characters())
plausible_email = st.from_regex(
    r"[A-Za-z0-9._%+\-]{1,20}@[A-Za-z0-9\-]{1,20}\.(com|org|KR|Io)", fullmatch=True
)
plausible_password = st.text(min_size=8, max_size=40)
email_like = (
    plausible_email
    | plausible_email.map(lambda e: f" {e.upper()}\t")
    | st.emails()
    | st.builds(lambda a, b: f"{a}@{b}", st.text(max_size=40), st.text(max_size=40))
    | any_text
)


def _stored_emails(app) -> list[str]:
    with app.app_context():
        emails = list(db.session.scalars(select(User.email)))
        db.session.remove()
    return emails


def _assert_every_stored_email_is_valid(app) -> None:
    for email in _stored_emails(app):
        assert email == email.lower(), email
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as error:  # pragma: no cover - the failure report
            pytest.fail(f"stored an invalid email {email!r}: {error}")


def _post_form(app, path, data):
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_token(page.text), **data})


@pytest.mark.no_leak_check("passwords", reason="fuzzed passwords collide with echoed emails")
@HEAVY_FUZZ
@given(
    email=email_like,
    password=plausible_password | plausible_password | any_text,
    confirm=st.none() | st.none() | any_text,
)
def test_arbitrary_sign_up_input_never_5xx_nor_stores_a_bad_email(
    fuzz_app, email, password, confirm
):
    app, _access, _refresh = fuzz_app
    before = len(_stored_emails(app))
    response = _post_form(
        app,
        "/auth/register",
        {
            "email": email,
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302, 400, 413), response.status_code
    after = len(_stored_emails(app))
    assert after - before == (1 if response.status_code == 302 else 0)
    _assert_every_stored_email_is_valid(app)


@pytest.mark.no_leak_check("passwords", reason="fuzzed passwords collide with echoed emails")
@HEAVY_FUZZ
@given(
    email=email_like,
    password=any_text,
    remember=st.sampled_from(["", "y", "\x00", "on"]),
    next_=any_text,
)
def test_arbitrary_login_input_never_5xx_nor_signs_in(fuzz_app, email, password, remember, next_):
    app, _access, _refresh = fuzz_app
    response = _post_form(
        app,
        "/auth/login",
        {"email": email, "password": password, "remember": remember, "next": next_},
    )
    event(f"status {response.status_code}")
    assert response.status_code in (200, 400, 413), response.status_code


def test_sign_up_normalizes_a_mixed_case_email(fuzz_app):
    """The property above needs a positive case: stored lower-cased, valid."""
    app, _access, _refresh = fuzz_app
    response = _post_form(
        app,
        "/auth/register",
        {"email": "  Mixed.Case@Example.COM ", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 302
    assert "mixed.case@example.com" in _stored_emails(app)
    _assert_every_stored_email_is_valid(app)


# --- size ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register"])
@pytest.mark.parametrize("extra", [1, 500_000])
def test_a_body_over_max_content_length_is_413(fuzz_app, path, extra):
    app, _access, _refresh = fuzz_app
    limit = app.config["MAX_CONTENT_LENGTH"]
    before = _stored_emails(app)
    client = app.test_client()
    token = csrf_token(client.get(path).text)
    body = f"csrf_token={token}&email=".encode()
    body += b"a" * (limit + extra - len(body))
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "too large" in response.text
    assert _stored_emails(app) == before


def test_an_oversized_upload_is_413_as_json_for_json_clients(fuzz_app):
    app, _access, _refresh = fuzz_app
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = app.test_client().post(
        "/auth/login",
        headers={"Accept": "application/json"},
        data={"email": "x@example.com", "password": "x" * (limit + 1)},
    )
    assert response.status_code == 413 and response.json["error"] == "too_large"


def test_a_body_just_under_the_limit_is_not_413(fuzz_app):
    app, _access, _refresh = fuzz_app
    limit = app.config["MAX_CONTENT_LENGTH"]
    client = app.test_client()
    token = csrf_token(client.get("/auth/login").text)
    body = f"csrf_token={token}&password=x&email=".encode()
    body += b"a" * (limit - len(body))
    response = client.post(
        "/auth/login", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and "Invalid email or password." in response.text


def test_one_address_in_two_unicode_spellings_is_one_account(fuzz_app):
    """``é`` as one code point (NFC) or as ``e`` plus a combining accent (NFD) is the same
    mailbox: the second sign-up is refused, and either spelling logs in."""
    app, _access, _refresh = fuzz_app
    composed, decomposed = "jos\u00e9@example.com", "jose\u0301@example.com"
    first = _post_form(
        app, "/auth/register", {"email": decomposed, "password": PASSWORD, "confirm": PASSWORD}
    )
    assert first.status_code == 302
    second = _post_form(
        app,
        "/auth/register",
        {"email": composed.upper(), "password": PASSWORD, "confirm": PASSWORD},
    )
    assert second.status_code == 200 and "already exists" in second.text
    assert composed in _stored_emails(app) and decomposed not in _stored_emails(app)
    login = _post_form(app, "/auth/login", {"email": composed, "password": PASSWORD})
    assert login.status_code == 302
