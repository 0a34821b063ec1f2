"""Call WSGI apps in-process with as little in between as possible.

A timed request is one ``dict.copy()`` of an environ built once, ``app(environ,
start_response)``, joining the body and closing the iterator. ``harness_overhead_ns``
measures exactly that loop around an app that does nothing, so it can be reported.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from sqlalchemy import event
from werkzeug.test import EnvironBuilder

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]
BASE_URL = "https://localhost"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Benchmark/1.0"


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def set_cookies(self) -> dict[str, str | None]:
        """Cookies this response sets (None: the cookie is deleted)."""
        found: dict[str, str | None] = {}
        for key, value in self.headers:
            if key.lower() != "set-cookie":
                continue
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                deleted = morsel.value == "" or morsel["max-age"] == "0"
                found[name] = None if deleted else morsel.value
        return found


@dataclass
class Jar:
    """A browser's cookie jar, reduced to what a benchmark needs."""

    cookies: dict[str, str] = field(default_factory=dict)

    def update(self, response: Response) -> None:
        for name, value in response.set_cookies().items():
            if value is None:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def environ(
    path: str,
    *,
    method: str = "GET",
    cookies: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    data: Any = None,
) -> dict:
    """A complete WSGI environ, built once with Werkzeug and reused by copying."""
    all_headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,*/*;q=0.8",
        "Accept-Language": "en-US,en;q=0.9",
        **(headers or {}),
    }
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    builder = EnvironBuilder(
        path=path,
        method=method,
        base_url=BASE_URL,
        headers=all_headers,
        data=data,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def with_cookies(base: dict, cookies: Mapping[str, str]) -> dict:
    env = base.copy()
    env["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return env


def call(app: WSGIApp, env: dict) -> Response:
    """One request, keeping what came back (used outside the timed loops)."""
    captured: list = []

    def start_response(status, headers, exc_info=None):
        captured[:] = [status, headers]

    result = app(env.copy(), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return Response(int(captured[0].split(" ", 1)[0]), list(captured[1]), body)


def _start_response(status, headers, exc_info=None):
    return None


def loop_ns(app: WSGIApp, env: dict, n: int) -> float:
    """Mean nanoseconds per request over ``n`` requests with the same environ."""
    start_response = _start_response
    join = b"".join
    clock = time.perf_counter_ns
    t0 = clock()
    for _ in range(n):
        result = app(env.copy(), start_response)
        join(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return (clock() - t0) / n


def _noop_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def harness_overhead_ns(env: dict, n: int = 200_000, rounds: int = 5) -> float:
    """What the timed loop itself costs per request (median of ``rounds``)."""
    return statistics.median(loop_ns(_noop_app, env, n) for _ in range(rounds))


PAGE_TABLES = ("security_events",)  # what the account page itself reads


class SQLCounter:
    """Counts statements through SQLAlchemy's ``before_cursor_execute``.

    A statement that reads a table of the page's own content (the activity list) counts as
    "page"; every other statement was spent finding out who is asking ("authentication",
    including a silent refresh's token rotation).

    Only statements of the thread that counts are kept: Gatehouse's mail outbox polls its
    table from a thread of its own every few seconds, on the same engine, and that poll is
    no part of any request.
    """

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        self.thread = threading.get_ident()

    @property
    def count(self) -> int:
        return len(self.statements)

    @property
    def page(self) -> int:
        return sum(1 for s in self.statements if any(t in s for t in PAGE_TABLES))

    @property
    def authentication(self) -> int:
        return self.count - self.page

    def _on_execute(self, conn, cursor, statement, *args, **kwargs) -> None:
        if threading.get_ident() == self.thread:
            self.statements.append(statement)

    def __enter__(self) -> SQLCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
