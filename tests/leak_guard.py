"""Watch every response and log record of the test run for secrets.

Secrets are the JWTs the site hands out (collected from ``Set-Cookie`` headers), the
passwords people type into forms (fields named like a password) and stored password hashes
(``$argon2``). None of them may appear in a page, a response header other than
``Set-Cookie`` (which carries the tokens by design) or a log line.

Responses are seen through Flask's ``request_finished`` signal, so every app and every test
client counts, including ``app.test_client()`` made inside a test and apps a test builds
itself. Log records are collected by one handler on the root logger at level DEBUG.
Checking is a single regular-expression scan for JWT-shaped strings per captured text, plus a
substring test for each password of the current test, so it costs little.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field

from flask import Flask, request, request_finished

PASSWORD_FIELDS = ("password", "new_password", "confirm", "current_password")
# Forms whose ``confirm`` field holds the account's email address, not a password.
EMAIL_CONFIRM_PATHS = frozenset({"/account/delete"})
# Anything shorter is refused by the site anyway, and short strings occur in pages by chance.
MIN_SECRET_PASSWORD = 8
HASH_MARKER = "$argon2"
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{16,}")
# Libraries whose DEBUG/INFO output is a developer tool that prints SQL parameters by design
# (SQLAlchemy's ``echo``); raising the root level must not switch it on.
QUIET_LOGGERS = ("sqlalchemy",)


@dataclass
class Capture:
    """What one test (and the fixtures set up just before it) produced."""

    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    passwords: set[str] = field(default_factory=set)


class LeakGuard:
    def __init__(self) -> None:
        self.issued: set[str] = set()  # every token handed out in this run
        self.signatures: set[str] = set()
        self.capture = Capture()
        self._lock = threading.Lock()
        self.handler = _Handler(self)

    # -- collection ---------------------------------------------------------------------
    def on_response(self, sender: Flask, response, **_extra) -> None:
        texts: list[tuple[str, str]] = []
        for name, value in response.headers.items():
            if name.lower() == "set-cookie":
                self._collect_tokens(value)
            else:
                texts.append((f"{request.path} header {name}", value))
        if not (response.is_streamed or response.direct_passthrough):
            texts.append(
                (f"{request.path} body", response.get_data().decode("utf-8", errors="replace"))
            )
        passwords = {
            value
            for value in _submitted_passwords()
            if isinstance(value, str) and len(value) >= MIN_SECRET_PASSWORD
        }
        with self._lock:
            self.capture.texts.extend(texts)
            self.capture.passwords.update(passwords)

    def on_record(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken format string is not our concern here
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        with self._lock:
            self.capture.texts.append((f"log {record.name} {record.levelname}", text))

    def _collect_tokens(self, set_cookie: str) -> None:
        value = set_cookie.split(";", 1)[0].partition("=")[2].strip('"')
        if JWT_SHAPE.fullmatch(value):
            with self._lock:
                self.issued.add(value)
                self.signatures.add(value.rsplit(".", 1)[1])

    # -- checking -------------------------------------------------------------------------
    def take(self) -> Capture:
        with self._lock:
            capture, self.capture = self.capture, Capture()
        return capture

    def leaks(
        self, capture: Capture, *, tokens: bool = True, passwords: bool = True, hashes: bool = True
    ) -> list[str]:
        found = []
        for where, text in capture.texts:
            if tokens:
                for match in JWT_SHAPE.findall(text):
                    if match in self.issued or match.rsplit(".", 1)[1] in self.signatures:
                        found.append(f"a token in {where}")
            if hashes and HASH_MARKER in text:
                found.append(f"a password hash in {where}")
            if passwords:
                found.extend(f"a password in {where}" for p in capture.passwords if p in text)
        return found

    # -- wiring ---------------------------------------------------------------------------
    def install(self) -> None:
        request_finished.connect(self.on_response, weak=False)
        root = logging.getLogger()
        root.addHandler(self.handler)
        root.setLevel(logging.DEBUG)
        for name in QUIET_LOGGERS:
            quiet = logging.getLogger(name)
            if quiet.level == logging.NOTSET:
                quiet.setLevel(logging.WARNING)


def _submitted_passwords() -> list:
    """Password fields of the form or JSON body, but only if the app already parsed them:
    reading the body here could raise (413) or consume a stream the view never wanted."""
    parsed = request._get_current_object().__dict__
    found = []
    form = parsed.get("form")
    if form:
        keys = PASSWORD_FIELDS
        if request.path in EMAIL_CONFIRM_PATHS:
            keys = tuple(key for key in keys if key != "confirm")
        found += [value for key in keys for value in form.getlist(key)]
    for body in parsed.get("_cached_json", ()):
        if isinstance(body, dict):
            found += [body.get(key) for key in PASSWORD_FIELDS]
    return found


class _Handler(logging.Handler):
    def __init__(self, guard: LeakGuard) -> None:
        super().__init__(logging.DEBUG)
        self._guard = guard

    def emit(self, record: logging.LogRecord) -> None:
        self._guard.on_record(record)


# The one guard of a test run: installed by tests/conftest.py, read after every test.
LEAK_GUARD = LeakGuard()
