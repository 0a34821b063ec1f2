"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and link helpers.

Test modules import the fixtures they need (``from .mailbox import smtpd  # noqa: F401``).
"""

from __future__ import annotations

import re
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

LINK_RE = re.compile(r"http://localhost(/auth/(?:reset|confirm)/[A-Za-z0-9_\-]+)")


class Inbox:
    """aiosmtpd handler: every delivered message, and how many NOOP-only conversations."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.noops = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(parsed)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    async def handle_NOOP(self, server, session, envelope, arg):
        with self._lock:
            self.noops += 1
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def last_link(self, address: str) -> str:
        """The path of the link in the newest mail to ``address`` (from its text part)."""
        mails = self.to(address)
        assert mails, f"no mail to {address}"
        text = mails[-1].get_body(preferencelist=("plain",)).get_content()
        match = LINK_RE.search(text)
        assert match, "mail has no link"
        return match.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)


@pytest.fixture
def smtpd():
    server = SMTPServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


def mail_config(port: int, **extra) -> dict:
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_TIMEOUT": 5,
        **extra,
    }
