"""Item: reset and confirmation links come from PUBLIC_URL, never from the request's Host or
forwarded headers, and requests for any host but the site's own are refused with 400."""

from __future__ import annotations

import pytest

from app import create_app
from tests.helpers import AuthActions, base_config, csrf_token
from tests.mailbox import mail_config, smtpd  # noqa: F401

EMAIL = "person@example.com"
PUBLIC = "https://login.example.com"
SITE = "http://login.example.com"  # plain HTTP in tests: Flask-WTF wants a Referer on HTTPS


def _app(tmp_path, clock, **overrides):
    return create_app(base_config(tmp_path, clock, **overrides))


def _forgot(client, host: str, headers: dict | None = None):
    """The "Forgot password?" form, posted with a session and CSRF token valid for the site."""
    page = client.get("/auth/forgot", base_url=SITE)
    assert page.status_code == 200
    cookie = page.headers["Set-Cookie"].split(";")[0]
    return client.application.test_client(use_cookies=False).post(
        "/auth/forgot",
        base_url=f"http://{host}",
        headers={"Cookie": cookie, **(headers or {})},
        data={"csrf_token": csrf_token(page.text), "email": EMAIL},
    )


@pytest.fixture
def mailing_app(tmp_path, clock, smtpd):
    app = _app(tmp_path, clock, PUBLIC_URL=PUBLIC, **mail_config(smtpd.port))
    actions = AuthActions(app.test_client())
    page = actions._client.get("/auth/register", base_url=SITE)
    response = actions._client.post(
        "/auth/register",
        base_url=SITE,
        data={
            "csrf_token": csrf_token(page.text),
            "email": EMAIL,
            "password": "correct-horse-battery-staple",
            "confirm": "correct-horse-battery-staple",
        },
    )
    assert response.status_code == 302
    smtpd.inbox.messages.clear()
    return app


def _mailed_text(smtpd) -> str:
    assert smtpd.inbox.to(EMAIL), "no mail was sent"
    return smtpd.inbox.to(EMAIL)[-1].get_body(preferencelist=("plain",)).get_content()


def test_a_forged_host_is_refused_and_mails_nothing(mailing_app, smtpd):
    response = _forgot(mailing_app.test_client(), "evil.example")
    assert response.status_code == 400
    assert not smtpd.inbox.to(EMAIL)


def test_a_forwarded_host_behind_a_trusted_proxy_cannot_redirect_the_link(tmp_path, clock, smtpd):
    app = _app(tmp_path, clock, PUBLIC_URL=PUBLIC, PROXY_FIX_X_HOST=1, **mail_config(smtpd.port))
    response = _forgot(
        app.test_client(), "login.example.com", {"X-Forwarded-Host": "evil.example"}
    )
    assert response.status_code == 400


def test_links_come_from_public_url_even_for_another_trusted_host(tmp_path, clock, smtpd):
    app = _app(
        tmp_path,
        clock,
        PUBLIC_URL=PUBLIC + "/",
        TRUSTED_HOSTS=["login.example.com", "alias.example.com"],
        **mail_config(smtpd.port),
    )
    client = app.test_client()
    page = client.get("/auth/register", base_url=SITE)
    client.post(
        "/auth/register",
        base_url=SITE,
        data={
            "csrf_token": csrf_token(page.text),
            "email": EMAIL,
            "password": "correct-horse-battery-staple",
            "confirm": "correct-horse-battery-staple",
        },
    )
    smtpd.inbox.messages.clear()
    assert _forgot(app.test_client(), "alias.example.com").status_code == 200
    text = _mailed_text(smtpd)
    assert PUBLIC + "/auth/reset/" in text and "alias.example.com" not in text


def test_smtp_without_public_url_refuses_to_start(tmp_path, clock, smtpd):
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        _app(tmp_path, clock, PUBLIC_URL=None, **mail_config(smtpd.port))


def test_public_url_must_be_an_absolute_http_address(tmp_path, clock):
    for bad in ("login.example.com", "ftp://login.example.com", "https://x.example/?a=1"):
        with pytest.raises(RuntimeError, match="PUBLIC_URL"):
            _app(tmp_path, clock, PUBLIC_URL=bad)


def test_development_without_public_url_serves_loopback_on_any_port_only(tmp_path, clock):
    app = _app(tmp_path, clock, PUBLIC_URL=None)  # console mail, as ``make run``
    client = app.test_client()
    for host in ("127.0.0.1:5000", "127.0.0.1:41234", "localhost:8080", "localhost"):
        assert client.get("/auth/login", base_url=f"http://{host}").status_code == 200, host
    for host in ("evil.example", "127.0.0.1.evil.example:5000"):
        assert client.get("/auth/login", base_url=f"http://{host}").status_code == 400, host
