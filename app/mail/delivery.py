"""Outgoing mail: plain text + HTML from templates, over SMTP (stdlib ``smtplib``) or the console.

``MAIL_BACKEND`` is ``smtp`` or ``console``; unset, it is ``console`` while ``MAIL_SERVER`` is
unset, so a developer running ``make run`` reads each mail (and clicks its link) in the
terminal. That is the console backend's only purpose; the SMTP backend never writes a link, a
token or a mail body to any log.

Nothing here runs on the request path: views queue mail in the outbox (``outbox.enqueue``) and
a sender hands it over with ``send``.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

import click
from flask import Flask, current_app, render_template

EXTENSION_KEY = "gatehouse.mail"
BACKENDS = ("smtp", "console")


class MailError(Exception):
    """The mail could not be handed to the mail server (down, refused, timed out)."""


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str
    kind: str = "mail"  # names the mail in log lines, never its content


@dataclass(frozen=True)
class MailSettings:
    backend: str
    server: str | None
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float

    @classmethod
    def from_config(cls, config: Any) -> MailSettings:
        backend = config["MAIL_BACKEND"] or ("smtp" if config["MAIL_SERVER"] else "console")
        if backend not in BACKENDS:
            raise RuntimeError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}")
        if backend == "smtp" and not config["MAIL_SERVER"]:
            raise RuntimeError("MAIL_BACKEND=smtp needs MAIL_SERVER")
        if config["MAIL_USE_TLS"] and config["MAIL_USE_SSL"]:
            raise RuntimeError("MAIL_USE_TLS (STARTTLS) and MAIL_USE_SSL exclude each other")
        return cls(
            backend=backend,
            server=config["MAIL_SERVER"],
            port=int(config["MAIL_PORT"]),
            use_tls=bool(config["MAIL_USE_TLS"]),
            use_ssl=bool(config["MAIL_USE_SSL"]),
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            sender=config["MAIL_DEFAULT_SENDER"],
            timeout=float(config["MAIL_TIMEOUT"]),
        )


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = MailSettings.from_config(app.config)


def settings() -> MailSettings:
    return current_app.extensions[EXTENSION_KEY]


def compose(kind: str, *, to: str, subject: str, **context: Any) -> Message:
    """Render ``templates/mail/<kind>.txt`` and ``.html`` into one message."""
    return Message(
        to=to,
        subject=subject,
        kind=kind,
        text=render_template(f"mail/{kind}.txt", **context),
        html=render_template(f"mail/{kind}.html", **context),
    )


def send(message: Message) -> None:
    """Hand the message to the configured backend; raises MailError (naming only the kind of
    failure, never the link or the body) when that fails."""
    cfg = settings()
    try:
        if cfg.backend == "console":
            _print(message, cfg)
        else:
            _smtp(message, cfg)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(type(error).__name__) from error


def build(message: Message, sender: str) -> EmailMessage:
    """The MIME message: a text/plain part and its text/html alternative."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime


def _smtp(message: Message, cfg: MailSettings) -> None:
    context = ssl.create_default_context()
    if cfg.use_ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            cfg.server or "", cfg.port, timeout=cfg.timeout, context=context
        )
    else:
        client = smtplib.SMTP(cfg.server or "", cfg.port, timeout=cfg.timeout)
    with client:
        client.ehlo()
        if cfg.use_tls:
            client.starttls(context=context)
            client.ehlo()
        if cfg.username:
            client.login(cfg.username, cfg.password or "")
        client.send_message(build(message, cfg.sender))


def _print(message: Message, cfg: MailSettings) -> None:
    """Development only: the whole text part, link included, on standard output."""
    click.echo(
        "\n".join(
            [
                "----- mail (console backend; set MAIL_SERVER to send real mail) -----",
                f"From: {cfg.sender}",
                f"To: {message.to}",
                f"Subject: {message.subject}",
                "",
                message.text.rstrip(),
                "----- end of mail -----",
            ]
        ),
        file=sys.stdout,
    )
