"""Breached passwords, against a local server that speaks the Pwned Passwords range API."""

from __future__ import annotations

import hashlib
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from app.db.models import User
from app.extensions import db
from tests.account.life import post_form
from tests.helpers import PASSWORD, AuthActions
from tests.mailbox import free_port

BREACHED = "correct horse battery staple"  # long, rated strong by zxcvbn, and in every list
NEW_PASSWORD = "a-brand-new-passphrase-42"
REFUSED = "This password has appeared in a data breach"


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode()).hexdigest().upper()


class RangeAPI:
    """``GET /range/<5 hex>``: suffixes and counts, padded with zero-count lines."""

    def __init__(self, breached: list[str]) -> None:
        self.breached = [sha1(p) for p in breached]
        self.requests: list[tuple[str, str | None]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api.requests.append((self.path, self.headers.get("Add-Padding")))
                prefix = self.path.rsplit("/", 1)[-1].upper()
                lines = [
                    f"{h[5:]}:{1000 + i}" for i, h in enumerate(api.breached) if h[:5] == prefix
                ]
                lines += [f"{'0' * 30}{i:05X}:0" for i in range(50)]  # padding
                body = "\r\n".join(lines).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/range/"

    def __enter__(self) -> RangeAPI:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def range_api():
    with RangeAPI([BREACHED, "another leaked passphrase 77"]) as api:
        yield api


@pytest.fixture
def config_overrides(range_api):
    return {"PWNED_PASSWORDS_ENABLED": True, "PWNED_PASSWORDS_URL": range_api.url}


def users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_a_breached_password_is_refused_at_sign_up_with_a_reason(app, auth, range_api):
    answer = auth.register("person@example.com", BREACHED)
    assert answer.status_code == 200 and REFUSED in answer.text
    assert users(app) == 0
    # Only the first five hex digits left, with padding asked for.
    assert range_api.requests == [(f"/range/{sha1(BREACHED)[:5]}", "true")]
    assert sha1(BREACHED)[5:] not in "".join(path for path, _ in range_api.requests)
    assert auth.register("person@example.com", PASSWORD).status_code == 302


def test_change_and_reset_check_too(app, client, auth, range_api):
    auth.register("person@example.com", PASSWORD)
    answer = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": BREACHED, "confirm": BREACHED},
    )
    assert answer.status_code == 200 and REFUSED in answer.text
    assert AuthActions(app.test_client()).login("person@example.com", PASSWORD).status_code == 302


def test_answers_are_cached_per_prefix(app, auth, range_api):
    auth.register("a@example.com", BREACHED)
    auth.register("b@example.com", BREACHED)
    assert len(range_api.requests) == 1


def test_padding_lines_never_count_as_breached(app):
    from app.accounts.breached import PwnedPasswords

    with RangeAPI([]) as api:
        checker = PwnedPasswords(api.url, timeout=2, retry_after=60, cache_size=4, cache_ttl=60)
        assert checker.is_breached(BREACHED) is False


def test_an_unreachable_service_is_skipped_logged_and_not_asked_again(tmp_path, clock, caplog):
    from app import create_app
    from tests.helpers import base_config

    dead = f"http://127.0.0.1:{free_port()}/range/"  # nothing listens there
    app = create_app(
        base_config(tmp_path, clock, PWNED_PASSWORDS_ENABLED=True, PWNED_PASSWORDS_URL=dead)
    )
    auth = AuthActions(app.test_client())
    with caplog.at_level(logging.WARNING, logger="gatehouse.breached"):
        assert auth.register("person@example.com", BREACHED).status_code == 302
    assert [r.getMessage() for r in caplog.records if r.name == "gatehouse.breached"] == [
        "pwned_passwords_unavailable error=URLError skipped_for=300s"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gatehouse.breached"):
        assert (
            AuthActions(app.test_client()).register("b@example.com", BREACHED).status_code == 302
        )
    assert [r for r in caplog.records if r.name == "gatehouse.breached"] == []
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_default_test_configuration_never_asks(app_without_check):
    assert app_without_check.extensions["gatehouse.breached"] is None


@pytest.fixture
def app_without_check(tmp_path, clock):
    from app import create_app
    from tests.helpers import base_config

    app = create_app(base_config(tmp_path, clock))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
