"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and link helpers.

Test modules import the fixtures they need (``from .mailbox import smtpd  # noqa: F401``).
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

LINK_RE = re.compile(r"http://localhost(/auth/(?:reset|confirm)/[A-Za-z0-9_\-]+)")


class Inbox:
    """aiosmtpd handler: every delivered message, and how many conversations began (EHLO)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.greetings = 0
        self.delay = 0.0  # seconds the server takes to accept each message
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self._lock:
            self.greetings += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(parsed)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

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
    def __init__(self, port: int | None = None) -> None:
        self.inbox = Inbox()
        self.port = port or free_port()
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
