"""The mail module: backend choice, the console backend, settings checks, log redaction."""

from __future__ import annotations

import logging

import pytest

from app import create_app
from app.web.redact import RedactLinkTokens, redact
from tests.helpers import base_config, csrf_token


def test_console_is_the_default_without_a_mail_server_and_prints_the_link(client, auth, capsys):
    auth.register("person@example.com")
    printed = capsys.readouterr().out
    assert "To: person@example.com" in printed
    assert "Subject: Confirm your email address" in printed
    assert "http://localhost/auth/confirm/" in printed


def test_console_prints_nothing_for_an_unknown_address(client, capsys):
    page = client.get("/auth/forgot")
    response = client.post(
        "/auth/forgot", data={"csrf_token": csrf_token(page.text), "email": "nobody@example.com"}
    )
    assert response.status_code == 200
    assert "nobody@example.com" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"MAIL_BACKEND": "carrier-pigeon"}, "MAIL_BACKEND"),
        ({"MAIL_BACKEND": "smtp"}, "MAIL_SERVER"),
        ({"MAIL_SERVER": "127.0.0.1", "MAIL_USE_TLS": True, "MAIL_USE_SSL": True}, "MAIL_USE_SSL"),
    ],
)
def test_bad_mail_settings_stop_the_start(tmp_path, clock, settings, message):
    with pytest.raises(RuntimeError, match=message):
        create_app(base_config(tmp_path, clock, **settings))


def test_mail_server_setting_selects_smtp(tmp_path, clock):
    from app.mail.delivery import EXTENSION_KEY

    app = create_app(base_config(tmp_path, clock, MAIL_SERVER="smtp.example.com"))
    assert app.extensions[EXTENSION_KEY].backend == "smtp"


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            '"GET /auth/reset/abcDEF_-123 HTTP/1.1" 200 -',
            '"GET /auth/reset/[redacted] HTTP/1.1" 200 -',
        ),
        (
            '"POST /auth/reset/abc?x=1 HTTP/1.1" 302 -',
            '"POST /auth/reset/[redacted]?x=1 HTTP/1.1" 302 -',
        ),
        (
            '"GET /auth/confirm/abc HTTP/1.1" 302 -',
            '"GET /auth/confirm/[redacted] HTTP/1.1" 302 -',
        ),
        (
            '"POST /auth/confirm/resend HTTP/1.1" 302 -',
            '"POST /auth/confirm/resend HTTP/1.1" 302 -',
        ),
        ('"GET /account HTTP/1.1" 200 -', '"GET /account HTTP/1.1" 200 -'),
    ],
)
def test_access_log_lines_lose_link_tokens(line, expected):
    assert redact(line) == expected
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, "%s - - %s", ("127.0.0.1", line), None
    )
    assert RedactLinkTokens().filter(record)
    assert record.getMessage() == f"127.0.0.1 - - {expected}"


def test_the_dev_server_logger_carries_the_filter(app):
    assert any(isinstance(f, RedactLinkTokens) for f in logging.getLogger("werkzeug").filters)
