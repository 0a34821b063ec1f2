"""The outbox: mail is queued in the database by the transaction that asks for it, and handed
to the mail server off the request path, with retries.

A view calls ``enqueue`` and commits; the mail is then one row of ``mail_outbox``. A sender
claims due rows one at a time (a compare-and-set on the attempt counter, behind
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL), so any number of processes may deliver
side by side and each row goes out once. A claim moves the row's ``next_attempt_at`` forward
by a lease: a sender that dies mid-send leaves the row to be retried when the lease ends. A
delivered row is deleted; a failed one is retried with exponential backoff; a row whose link
has expired (``expires_at``) is dropped, since the mail would only carry a dead link.

Who sends, by configuration:

- ``MAIL_EMBEDDED_WORKER`` (default on): a daemon thread in each server process, started
  lazily on the process's first request and woken at once by each commit that queued mail.
  ``make run`` and ``flask run`` need no second process.
- ``flask --app app mail-worker``: the same loop as a process of its own (production, with
  ``MAIL_EMBEDDED_WORKER=false`` for the site).
- ``MAIL_DELIVER_ON_COMMIT``: the committing thread itself delivers right after the commit.
  That puts the mail server back on the request path; it exists for the test suite.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import click
from flask import Flask, after_this_request, current_app, g, has_request_context
from flask.cli import with_appcontext
from sqlalchemy import Table, delete, event, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ..db.models import OutgoingMail, utc
from ..extensions import db
from ..sessions.authority import EXTENSION_KEY as AUTHORITY_KEY
from . import delivery
from .delivery import MailError, Message

log = logging.getLogger("gatehouse.mail")

SENDER_KEY = "gatehouse.mail.sender"
QUEUED_KEY = "gatehouse.mail.queued"  # in a session's info: this transaction queued mail


@dataclass
class Report:
    """What one pass over the outbox did."""

    sent: int = 0
    failed: int = 0
    expired: int = 0


def init_app(app: Flask) -> None:
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_soft_rollback", _after_rollback)
    if app.config["MAIL_EMBEDDED_WORKER"] and not app.config["MAIL_DELIVER_ON_COMMIT"]:
        sender = EmbeddedSender(app)
        app.extensions[SENDER_KEY] = sender
        app.before_request(sender.ensure_started)
    app.cli.add_command(mail_worker_command)


def enqueue(message: Message, *, ttl: int, execute: Callable[..., Any] | None = None) -> None:
    """Queue ``message`` in the current transaction; it is sent once the caller commits.

    ``ttl`` is how long the mail is worth sending (the life of the link in it). ``execute``
    runs the insert in a transaction of the caller's own (a refresh's connection, not the ORM
    session): the sender is then woken when the request ends, after that commit.
    """
    now = _now()
    row = {
        "kind": message.kind,
        "recipient": message.to,
        "subject": message.subject,
        "text_body": message.text,
        "html_body": message.html,
        "created_at": utc(now),
        "expires_at": utc(now + ttl),
        "next_attempt_at": utc(now),
        "attempts": 0,
    }
    if execute is None:
        db.session.add(OutgoingMail(**row))
        db.session.info[QUEUED_KEY] = True
        return
    execute(insert(OutgoingMail), row)
    if has_request_context():
        if not g.get(QUEUED_KEY):  # one wake-up per request, however many mails
            setattr(g, QUEUED_KEY, True)
            after_this_request(_wake_after_request)
    else:
        db.session.info[QUEUED_KEY] = True


def _wake_after_request(response):
    """Wake the sender for mail queued outside the ORM session during this request (only
    requests that queued such mail register it, with ``after_this_request``)."""
    g.pop(QUEUED_KEY, None)
    _queued(current_app._get_current_object())  # type: ignore[attr-defined]
    return response


def deliver_due(*, limit: int = 100) -> Report:
    """Send what is due now, oldest first, and stop at the first failure.

    A failure usually means the mail server is down or slow, so the rest waits for the next
    pass instead of each message spending the full timeout. Raises SQLAlchemyError when the
    database does not answer.
    """
    engine = db.engine
    table = cast(Table, OutgoingMail.__table__)
    config = current_app.config
    report = Report()
    now = _now()
    with engine.begin() as conn:
        report.expired = conn.execute(delete(table).where(table.c.expires_at <= utc(now))).rowcount
    if report.expired:
        log.warning("mail_dropped reason=expired count=%d", report.expired)
    lease = float(config["MAIL_TIMEOUT"]) * 3 + 30
    while report.sent + report.failed < limit:
        with engine.begin() as conn:
            row = _claim(conn, table, now, lease)
        if row is None:
            return report
        message = Message(
            to=row.recipient,
            subject=row.subject,
            text=row.text_body,
            html=row.html_body,
            kind=row.kind,
        )
        attempt = row.attempts  # counted by the claim
        try:
            delivery.send(message)
        except MailError as error:
            delay = retry_delay(attempt, config)
            with engine.begin() as conn:
                conn.execute(
                    update(table)
                    .where(table.c.id == row.id, table.c.attempts == attempt)
                    .values(next_attempt_at=utc(_now() + delay), last_error=str(error)[:64])
                )
            log.warning(
                "mail_retry kind=%s id=%s attempt=%d retry_in=%ds error=%s",
                row.kind,
                row.id,
                attempt,
                delay,
                error,
            )
            report.failed += 1
            return report
        with engine.begin() as conn:
            conn.execute(delete(table).where(table.c.id == row.id))
        log.info("mail_sent kind=%s id=%s attempt=%d", row.kind, row.id, attempt)
        report.sent += 1
        now = _now()
    return report


def retry_delay(attempt: int, config: Any) -> int:
    """Seconds before the next try after failed ``attempt`` (1, 2, …): doubling, capped."""
    base = int(config["MAIL_RETRY_DELAY"])
    return min(int(config["MAIL_RETRY_MAX_DELAY"]), base * 2 ** (attempt - 1))


def pending_count() -> int:
    """Mails waiting in the outbox (for tests and operators)."""
    return len(db.session.scalars(select(OutgoingMail.id)).all())


def _claim(conn: Connection, table: Table, now: float, lease: float) -> Any:
    """The next due row, claimed for this sender, or None when nothing is due."""
    while True:
        query = (
            select(table.c.id, table.c.attempts)
            .where(table.c.next_attempt_at <= utc(now))
            .order_by(table.c.next_attempt_at, table.c.id)
            .limit(1)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        candidate = conn.execute(query).first()
        if candidate is None:
            return None
        claimed = conn.execute(
            update(table)
            .where(table.c.id == candidate.id, table.c.attempts == candidate.attempts)
            .values(next_attempt_at=utc(now + lease), attempts=candidate.attempts + 1)
        )
        if claimed.rowcount == 1:
            return conn.execute(select(table).where(table.c.id == candidate.id)).one()
        # Another sender took it between the two statements: look for the next one.


def _now() -> float:
    return current_app.extensions[AUTHORITY_KEY].now()


def _after_commit(session) -> None:
    if not session.info.pop(QUEUED_KEY, False):
        return
    _queued(current_app._get_current_object())  # type: ignore[attr-defined]


def _queued(app: Flask) -> None:
    """Mail was committed to the outbox: deliver it now (tests) or wake the sender."""
    if app.config["MAIL_DELIVER_ON_COMMIT"]:
        deliver_pending(app)
        return
    sender = app.extensions.get(SENDER_KEY)
    if sender is not None:
        sender.wake()


def _after_rollback(session, previous_transaction) -> None:
    session.info.pop(QUEUED_KEY, None)


class OutboxHealth:
    """Says once that the outbox cannot be read, and once that it can again."""

    def __init__(self) -> None:
        self.down = False

    def failed(self, error: Exception) -> None:
        if not self.down:
            log.warning("mail_outbox_unavailable error=%s", type(error).__name__)
        self.down = True

    def ok(self) -> None:
        if self.down:
            log.info("mail_outbox_available")
        self.down = False


_HEALTH = OutboxHealth()


def deliver_pending(app: Flask, *, health: OutboxHealth = _HEALTH) -> Report | None:
    """One pass in ``app``'s context; None when the database did not answer (logged once)."""
    with app.app_context():
        try:
            report = deliver_due()
        except SQLAlchemyError as error:
            health.failed(error)
            return None
        health.ok()
        return report


class EmbeddedSender:
    """The server process's own sender: a daemon thread that polls and can be woken.

    Started lazily, after any fork (each gunicorn worker starts its own on its first request),
    so a process never inherits a thread that does not exist in it.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.interval = float(app.config["MAIL_POLL_INTERVAL"])
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._health = OutboxHealth()
        os.register_at_fork(after_in_child=self._forget_thread)

    def ensure_started(self) -> None:
        if self._thread is None:
            self._start()

    def wake(self) -> None:
        self.ensure_started()
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                thread = threading.Thread(target=self._run, name="gatehouse-mail", daemon=True)
                thread.start()
                self._thread = thread

    def _forget_thread(self) -> None:
        self._thread = None
        self._lock = threading.Lock()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                deliver_pending(self.app, health=self._health)
            except Exception as error:  # the thread must outlive any one bad pass
                log.error("mail_sender_error error=%s", type(error).__name__)
            self._wake.wait(self.interval)


@click.command("mail-worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option(
    "--interval", type=float, default=None, help="Seconds between passes (MAIL_POLL_INTERVAL)."
)
@with_appcontext
def mail_worker_command(once: bool, interval: float | None) -> None:
    """Deliver the outbox: a loop for a process of its own (or one pass with --once)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        report = deliver_pending(app)
        if report is None:
            raise click.ClickException("The database does not answer; nothing was sent.")
        click.echo(f"Sent {report.sent}, failed {report.failed}, expired {report.expired}.")
        return
    pause = interval if interval is not None else float(app.config["MAIL_POLL_INTERVAL"])
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("mail_worker_started interval=%ss", pause)
    while not stop.is_set():
        report = deliver_pending(app)
        busy = report is not None and report.sent > 0 and report.failed == 0
        if not busy:  # more may be due right away after a full batch; else wait
            stop.wait(pause)
    log.info("mail_worker_stopped")
