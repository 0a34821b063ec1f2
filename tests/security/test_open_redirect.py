"""``next`` after login: whatever an attacker puts there, the person stays on this site."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.extensions import db
from app.web.safe_next import safe_next
from tests.helpers import PASSWORD, csrf_token
from tests.security.helpers import build_app, sign_up
from tests.security.test_fuzz import FUZZ

DEFAULT = "/account"
EMAIL = "person@example.com"

EVIL_NEXT = [
    "//evil.example",
    "//evil.example/account",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/%2f%2fevil.example",
    "%2f%2fevil.example",
    "/%5cevil.example",
    "%2F%2Fevil.example",
    "https://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "HTTPS://evil.example",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/%0a/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    " /account",
    "\x00//evil.example",
    "/\u2215evil.example",
    "/\u2215\u2215evil.example",
    "\u2215\u2215evil.example",
    "/\uff0fevil.example",
    "\uff0f\uff0fevil.example",
    "//account@evil.example",
    "/@evil.example",
    "https://gatehouse.example@evil.example",
    "@evil.example",
    "evil.example",
    "./../evil.example",
    "/.//evil.example",
    "/%252f%252fevil.example",
    "//%65vil.example",
    "/account\\@evil.example",
    "ftp://evil.example",
    "//evil.example:443",
    "/..\\/evil.example",
]

# Paths on this site that only look odd: a browser sends them back to this host verbatim
# (it never decodes %2f or %09 in a path), so they may be kept.
KEPT_AS_PATHS = {
    "/%2f%2fevil.example",
    "/%5cevil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/@evil.example",
    "/.//evil.example",
    "/%252f%252fevil.example",
}
REFUSED = [target for target in EVIL_NEXT if target not in KEPT_AS_PATHS]

BROWSER_STRIPPED = re.compile(r"[\t\n\r\x00-\x1f ]")


def assert_same_site(location: str) -> None:
    """What a browser would do with the Location header keeps it on this origin."""
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    # Browsers drop tab/newline anywhere, trim control characters and spaces, treat "\" as "/".
    browser = BROWSER_STRIPPED.sub("", location).replace("\\", "/")
    assert browser.startswith("/") and not browser.startswith("//"), location
    assert urlsplit("https://gatehouse.example" + browser).netloc == "gatehouse.example", location


def test_the_list_is_long_enough():
    assert len(EVIL_NEXT) >= 15


@pytest.mark.parametrize("target", REFUSED)
def test_safe_next_refuses(target):
    assert safe_next(target, DEFAULT) == DEFAULT


@pytest.mark.parametrize("target", sorted(KEPT_AS_PATHS))
def test_safe_next_keeps_odd_paths_on_this_site(target):
    assert_same_site(safe_next(target, DEFAULT))


@pytest.mark.parametrize(
    "target", ["/account", "/", "/account?tab=1", "/a/b?x=%2F#frag", "/account;v=1", "/@me"]
)
def test_safe_next_keeps_same_site_paths(target):
    assert safe_next(target, DEFAULT) == target


@pytest.mark.parametrize("target", [None, ""])
def test_safe_next_default_for_nothing(target):
    assert safe_next(target, DEFAULT) == DEFAULT


@FUZZ
@given(target=st.text(max_size=80) | st.from_regex(r"[/\\%@:.a-z0-9\t\n ]{0,20}", fullmatch=True))
def test_safe_next_never_returns_anything_unsafe(target):
    assert_same_site(safe_next(target, DEFAULT))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app with one registered person; every test logs in with a fresh client."""
    app = build_app(tmp_path_factory)
    sign_up(app, EMAIL)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _login_with_next(app, target: str):
    client = app.test_client()
    page = client.get("/auth/login", query_string={"next": target})
    assert page.status_code == 200
    return client.post(
        "/auth/login",
        query_string={"next": target},
        data={
            "csrf_token": csrf_token(page.text),
            "email": EMAIL,
            "password": PASSWORD,
            "next": target,
        },
    )


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_login_form_lands_on_a_same_site_path(site, target):
    response = _login_with_next(site, target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert_same_site(location)
    assert location == (DEFAULT if target in REFUSED else target)


def test_login_form_keeps_a_good_next(site):
    response = _login_with_next(site, "/account?tab=security")
    assert response.status_code == 302 and response.headers["Location"] == "/account?tab=security"


def test_the_next_from_the_query_string_travels_only_as_form_data(site):
    client = site.test_client()
    page = client.get("/auth/login", query_string={"next": "//evil.example"})
    assert 'value="//evil.example"' in page.text
    response = client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token(page.text),
            "email": EMAIL,
            "password": PASSWORD,
            "next": "//evil.example",
        },
    )
    assert response.headers["Location"] == DEFAULT


@FUZZ
@given(target=st.text(max_size=60))
def test_login_with_any_next_lands_on_this_site(site, target):
    """A full sign-in per example: the redirect is the one the browser follows."""
    response = _login_with_next(site, target)
    assert response.status_code == 302
    assert_same_site(response.headers["Location"])
