"""Cross-site requests: every state-changing route wants this session's CSRF token, and no
GET changes the database. Routes are found by walking the URL map, so new ones are covered
as soon as they exist.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.helpers import PASSWORD, csrf_token
from tests.security.helpers import build_app, sign_up
from tests.security.routes import get_routes, snapshot, state_changing_routes

EMAIL = "person@example.com"
OTHER_EMAIL = "someone-else@example.com"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = build_app(tmp_path_factory)
    sign_up(app, EMAIL)
    sign_up(app, OTHER_EMAIL)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _client(app, signed_in: bool):
    """A browser: signed in as the person (through the real form) or anonymous."""
    client = app.test_client()
    if signed_in:
        page = client.get("/auth/login")
        response = client.post(
            "/auth/login",
            data={"csrf_token": csrf_token(page.text), "email": EMAIL, "password": PASSWORD},
        )
        assert response.status_code == 302
    client.get("/auth/login")  # every browser that has seen a form has a CSRF session
    return client


def _other_persons_token(app) -> str:
    other = app.test_client()
    page = other.get("/auth/login")
    return csrf_token(page.text)


def _wrong_token(app) -> str:
    real = _other_persons_token(app)
    return real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")


CSRF_VARIANTS = {
    "missing": lambda app: None,
    "wrong": _wrong_token,
    "other_persons": _other_persons_token,
    "empty": lambda app: "",
}


def test_the_walk_finds_the_known_forms(site):
    routes = state_changing_routes(site)
    for known in (("POST", "/auth/login"), ("POST", "/auth/register"), ("POST", "/auth/logout")):
        assert known in routes


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed_in"])
@pytest.mark.parametrize("variant", sorted(CSRF_VARIANTS))
def test_state_changing_routes_refuse_a_bad_csrf_token(site, variant, signed_in):
    """Everything else in the form is right (the person's own email and password), so only
    the CSRF check stands between the request and a change."""
    failures = []
    for method, url in state_changing_routes(site):
        client = _client(site, signed_in)
        token = CSRF_VARIANTS[variant](site)
        data = {
            "email": EMAIL,
            "password": PASSWORD,
            "confirm": PASSWORD,
            "current_password": PASSWORD,
            "new_password": PASSWORD + "-new",
            "remember": "y",
        }
        if token is not None:
            data["csrf_token"] = token
        before = snapshot(site)
        response = client.open(url, method=method, data=data)
        after = snapshot(site)
        if response.status_code != 400:
            failures.append(f"{method} {url}: {response.status_code}")
        elif "expired or was not sent from this site" not in response.text:
            failures.append(f"{method} {url}: a 400 that is not the CSRF page")
        if before != after:
            failures.append(f"{method} {url}: the database changed")
        if client.get("/account").status_code != (200 if signed_in else 302):
            failures.append(f"{method} {url}: the sign-in state changed")
    assert not failures, failures


def test_control_the_right_token_does_change_state(site):
    """The walk above would pass for a site that refused every POST; this one does not."""
    client = _client(site, signed_in=True)
    before = snapshot(site)
    page = client.get("/")
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302 and snapshot(site) != before


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed_in"])
def test_no_get_route_changes_the_database(site, signed_in):
    client = _client(site, signed_in)
    routes = get_routes(site)
    assert {"/", "/account", "/auth/login", "/auth/register", "/healthz"} <= set(routes)
    changed = []
    for path in routes:
        before = snapshot(site)
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        if snapshot(site) != before:
            changed.append(path)
    assert not changed, f"GET changed the database: {changed}"
