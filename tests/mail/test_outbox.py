"""The outbox: mail leaves the request path, survives a dead mail server and is sent once.

These tests turn off the suite's deliver-on-commit setting, so they see the outbox the way a
running site does: a request only writes a row, and a sender (the embedded thread, the
``mail-worker`` command, or a pass called here) talks to the mail server.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import select

from app import create_app
from app.db.models import OutgoingMail
from app.extensions import db
from app.mail import outbox
from tests import databases
from tests.helpers import AuthActions, base_config, csrf_token
from tests.mailbox import SMTPServer, free_port, mail_config, smtpd  # noqa: F401

EMAIL = "person@example.com"
SENT = "If an account exists for that address, we sent a link"


def outbox_app(tmp_path, clock, port: int, **extra):
    config = mail_config(port, MAIL_DELIVER_ON_COMMIT=False, MAIL_EMBEDDED_WORKER=False)
    config.update(extra)
    return create_app(base_config(tmp_path, clock, **config))


def rows(app) -> list[OutgoingMail]:
    with app.app_context():
        found = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
        db.session.expunge_all()
        return list(found)


def ask_for_link(client, email=EMAIL):
    page = client.get("/auth/forgot")
    return client.post("/auth/forgot", data={"csrf_token": csrf_token(page.text), "email": email})


def wait_for(condition, seconds=10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_no_smtp_conversation_on_the_request_path(tmp_path, clock, smtpd, runner):
    """Sign-up and both "Forgot password?" answers only write (or skip) a row."""
    app = outbox_app(tmp_path, clock, smtpd.port)
    client = app.test_client()
    assert AuthActions(client).register(EMAIL).status_code == 302
    known = ask_for_link(client, EMAIL)
    unknown = ask_for_link(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200 and SENT in known.text
    assert smtpd.inbox.greetings == 0 and smtpd.inbox.messages == []
    assert [(r.kind, r.recipient) for r in rows(app)] == [("confirm", EMAIL), ("reset", EMAIL)]

    result = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0 and "Sent 2, failed 0, expired 0." in result.output
    assert [m["Subject"] for m in smtpd.inbox.to(EMAIL)] == [
        "Confirm your email address",
        "Reset your password",
    ]
    assert rows(app) == []  # delivered rows (and the links in them) are gone


def test_a_slow_mail_server_delays_no_page_and_the_embedded_sender_delivers(
    tmp_path, clock, smtpd
):
    """The default set-up: the server process itself sends, within seconds, off the request."""
    smtpd.inbox.delay = 1.5
    app = outbox_app(tmp_path, clock, smtpd.port, MAIL_EMBEDDED_WORKER=True)
    sender = app.extensions[outbox.SENDER_KEY]
    try:
        assert sender._thread is None  # nothing runs until the process serves a request
        client = app.test_client()
        started = time.monotonic()
        response = ask_for_link(client, "nobody@example.com")
        assert response.status_code == 200
        assert sender._thread is not None and sender._thread.is_alive()
        AuthActions(client).register(EMAIL)
        started = time.monotonic()
        response = ask_for_link(client, EMAIL)
        answered = time.monotonic() - started
        assert response.status_code == 200 and answered < 1.0, answered
        assert wait_for(lambda: len(smtpd.inbox.to(EMAIL)) == 2)
        assert wait_for(lambda: rows(app) == [])
    finally:
        sender.stop()
    assert not sender._thread.is_alive()


def test_the_embedded_sender_can_be_turned_off(tmp_path, clock, smtpd):
    app = outbox_app(tmp_path, clock, smtpd.port, MAIL_EMBEDDED_WORKER=False)
    AuthActions(app.test_client()).register(EMAIL)
    assert outbox.SENDER_KEY not in app.extensions
    assert not [t for t in threading.enumerate() if t.name == "gatehouse-mail" and t.is_alive()]
    assert len(rows(app)) == 1 and smtpd.inbox.greetings == 0


def test_a_dead_mail_server_keeps_the_mail_with_backoff_until_it_returns(tmp_path, clock, caplog):
    port = free_port()  # nothing listens there yet
    app = outbox_app(tmp_path, clock, port)
    client = app.test_client()
    assert AuthActions(client).register(EMAIL).status_code == 302
    caplog.set_level(logging.INFO, logger="gatehouse.mail")

    waits = []
    for _ in range(3):
        report = outbox.deliver_pending(app)
        assert report is not None and (report.sent, report.failed) == (0, 1)
        [row] = rows(app)
        waits.append(row.next_attempt_at.timestamp() - clock.now)
        assert outbox.deliver_pending(app).failed == 0  # not due again before its time
        clock.advance(waits[-1])
    assert waits == [10, 20, 40] and row.attempts == 3
    assert row.last_error == "ConnectionRefusedError"
    lines = [r.getMessage() for r in caplog.records if r.name == "gatehouse.mail"]
    assert len(lines) == 3 and all(line.startswith("mail_retry kind=confirm") for line in lines)
    assert not any(EMAIL in line or "/auth/confirm/" in line for line in lines)

    server = SMTPServer(port)
    server.controller.start()
    try:
        report = outbox.deliver_pending(app)
        assert report is not None and report.sent == 1
        link = server.inbox.last_link(EMAIL)
    finally:
        server.controller.stop()
    assert rows(app) == []
    assert client.get(link).status_code == 302  # the link still works: nothing was lost


def test_backoff_is_capped(app):
    config = {"MAIL_RETRY_DELAY": 10, "MAIL_RETRY_MAX_DELAY": 900}
    assert [outbox.retry_delay(n, config) for n in (1, 2, 3, 7, 30)] == [10, 20, 40, 640, 900]


def test_a_mail_whose_link_has_expired_is_dropped(tmp_path, clock, caplog):
    app = outbox_app(tmp_path, clock, free_port(), CONFIRM_TOKEN_TTL=3600)
    AuthActions(app.test_client()).register(EMAIL)
    assert outbox.deliver_pending(app).failed == 1
    clock.advance(3600)
    report = outbox.deliver_pending(app)
    assert report is not None and (report.expired, report.failed) == (1, 0)
    assert rows(app) == []
    assert "mail_dropped reason=expired count=1" in caplog.text


def test_two_senders_side_by_side_send_each_mail_once(tmp_path, clock, smtpd):
    smtpd.inbox.delay = 0.05
    app = outbox_app(tmp_path, clock, smtpd.port)
    for n in range(6):
        AuthActions(app.test_client()).register(f"person{n}@example.com")
    reports = []
    senders = [
        threading.Thread(target=lambda: reports.append(outbox.deliver_pending(app)))
        for _ in range(3)
    ]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(30)
    assert sum(r.sent for r in reports) == 6
    assert sorted(m["To"] for m in smtpd.inbox.messages) == [
        f"person{n}@example.com" for n in range(6)
    ]
    assert rows(app) == []


def test_a_sender_that_died_mid_send_is_retried_after_its_lease(tmp_path, clock, smtpd):
    app = outbox_app(tmp_path, clock, smtpd.port, MAIL_TIMEOUT=5)
    AuthActions(app.test_client()).register(EMAIL)
    with app.app_context(), db.engine.begin() as conn:  # claimed, then the sender vanished
        assert outbox._claim(conn, OutgoingMail.__table__, clock.now, 45) is not None
    assert outbox.deliver_pending(app).sent == 0
    clock.advance(45)
    assert outbox.deliver_pending(app).sent == 1 and len(smtpd.inbox.to(EMAIL)) == 1


def test_mail_worker_says_when_the_database_does_not_answer(tmp_path, clock):
    if databases.STATE["uri"]:
        pytest.skip("breaks the SQLite file; tests/test_faults.py stops a PostgreSQL server")
    app = outbox_app(tmp_path, clock, free_port())
    with app.app_context():
        db.engine.dispose()
    (tmp_path / "test.sqlite3").unlink()
    (tmp_path / "test.sqlite3").mkdir()  # a directory where the database file was
    result = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 1 and "The database does not answer" in result.output
