"""Devices named so a person recognises them, and the confirmation step before signing out."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.account.devices import Kind, describe
from app.db.models import LoginSession
from app.extensions import db
from tests.helpers import AuthActions, csrf_token

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
PIXEL = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.71 Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("agent", "name", "kind"),
    [
        (IPHONE, "Mobile Safari 17 on iPhone", Kind.PHONE),
        (PIXEL, "Chrome Mobile 126 on Pixel 8", Kind.PHONE),
        (WINDOWS, "Chrome 120 on Windows 10", Kind.COMPUTER),
        (IPAD, "Mobile Safari 17 on iPad", Kind.TABLET),
        ("curl/8.5.0", "curl 8 (a program, not a browser)", Kind.PROGRAM),
        ("", "Unknown browser", Kind.UNKNOWN),
        (None, "Unknown browser", Kind.UNKNOWN),
    ],
)
def test_devices_are_named_the_way_a_person_knows_them(app, agent, name, kind):
    with app.test_request_context("/"):
        device = describe(agent)
    assert device.name == name and device.kind is kind
    assert "Unknown system" not in device.name


def test_device_names_in_korean(app):
    with app.test_request_context("/?lang=ko"):
        assert describe(WINDOWS).name == "Windows 10의 Chrome 120"
        assert describe("curl/8.5.0").name == "curl 8 (브라우저가 아닌 프로그램)"


def phone_session(app, email="person@example.com"):
    phone = app.test_client()
    phone.environ_base.update(HTTP_USER_AGENT=IPHONE)
    AuthActions(phone).login(email)
    with app.app_context():
        row = db.session.scalar(select(LoginSession).where(LoginSession.user_agent == IPHONE))
    return phone, row.id


def test_the_sessions_page_shows_an_icon_and_a_labelled_button_per_device(app, client, auth):
    auth.register()
    phone_session(app)
    page = client.get("/account/sessions")
    assert page.text.count('class="device-icon"') == 2
    assert 'role="img" aria-label="Phone"' in page.text
    labels = re.findall(r'aria-label="(Sign out [^"]+)"', page.text)
    assert labels == ["Sign out Mobile Safari 17 on iPhone (last active just now)"]


def test_signing_a_device_out_asks_first_and_the_question_changes_nothing(app, client, auth):
    auth.register()
    phone, sid = phone_session(app)
    page = client.get(f"/account/sessions/{sid}/confirm")
    assert page.status_code == 200
    assert "Sign out Mobile Safari 17 on iPhone?" in page.text
    assert f'action="/account/sessions/{sid}/revoke"' in page.text
    assert 'href="/account/sessions">Cancel' in page.text
    assert phone.get("/account").status_code == 200  # still signed in
    response = client.post(
        f"/account/sessions/{sid}/revoke", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302
    assert phone.get("/account").status_code == 302


def test_the_confirmation_of_someone_elses_session_is_404(app, client, auth):
    auth.register()
    stranger = app.test_client()
    AuthActions(stranger).register("stranger@example.com")
    with app.app_context():
        theirs = db.session.scalar(select(LoginSession.id).where(LoginSession.user_id == 2))
    assert client.get(f"/account/sessions/{theirs}/confirm").status_code == 404
    assert client.get("/account/sessions/nothing-here/confirm").status_code == 404


def test_sign_out_all_others_asks_first_and_counts_them(app, client, auth):
    auth.register()
    assert client.get("/account/sessions/revoke-others/confirm").location == "/account/sessions"
    phone, _ = phone_session(app)
    page = client.get("/account/sessions/revoke-others/confirm")
    assert "1 other device will be signed out" in page.text
    assert 'action="/account/sessions/revoke-others"' in page.text
    assert phone.get("/account").status_code == 200
