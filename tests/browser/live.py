"""A real Gatehouse server and a real Chromium, shared by the browser tests and the
screenshot script.

The server is the same ``flask run`` a person would start, in a subprocess on a free port, with
its own SQLite file and secrets passed through ``FLASK_*`` variables, so nothing is written to
``instance/``. Chromium is Debian's package (``/usr/bin/chromium``, or ``CHROMIUM_PATH``), driven by
Playwright; Playwright's own browser download is never used.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
STARTUP_TIMEOUT = 30.0


def chromium_path() -> str:
    """Where Chromium should be: ``CHROMIUM_PATH`` when set, else Debian's package."""
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


def missing_browser_reason() -> str | None:
    """Why no browser test can run here, or None when Playwright and Chromium are both present."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    path = chromium_path()
    if not os.access(path, os.X_OK):
        return f"no Chromium at {path} (apt-get install chromium, or set CHROMIUM_PATH)"
    return None


def skip_or_fail_without_browser(environ: Mapping[str, str] = os.environ) -> None:
    """Skip the calling test when no browser can run, saying why; under ``REQUIRE_BROWSER=1``
    (CI, where Chromium is installed first) fail instead, so the tests can never vanish quietly."""
    reason = missing_browser_reason()
    if reason is not None:
        fail_or_skip(reason, environ)


def fail_or_skip(reason: str, environ: Mapping[str, str] = os.environ) -> None:
    """Skip the calling test saying why, or fail under ``REQUIRE_BROWSER=1``."""
    import pytest

    if environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database: Path, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a plain-HTTP server on localhost with fresh, throw-away secrets."""
    env = dict(os.environ)
    env.update(
        {
            "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "FLASK_SECRET_KEY": secrets.token_urlsafe(32),
            "FLASK_JWT_KEYS": json.dumps({"browser": secrets.token_urlsafe(32)}),
            "FLASK_JWT_ACTIVE_KID": "browser",
            "FLASK_MFA_ENCRYPTION_KEYS": json.dumps(
                [base64.urlsafe_b64encode(os.urandom(32)).decode()]
            ),
            "FLASK_COOKIE_SECURE": "false",
            "FLASK_ALLOW_INSECURE_COOKIES": "true",
            "FLASK_RATELIMIT_ENABLED": "false",
            # Cheap hashing: these tests are about the browser, not about argon2's cost.
            "FLASK_ARGON2_TIME_COST": "1",
            "FLASK_ARGON2_MEMORY_COST": "8",
            "FLASK_ARGON2_PARALLELISM": "1",
        }
    )
    env["PYTHONUNBUFFERED"] = "1"  # the log file is current when a failing test shows it
    env.pop("DATABASE_URL", None)
    env.update(overrides or {})
    return env


@dataclass
class LiveServer:
    url: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait_healthy(url: str, process: subprocess.Popen, log: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.log_tail()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"the server did not answer /healthz in {STARTUP_TIMEOUT:.0f} s:\n{log.log_tail()}"
    )


@contextmanager
def live_server(
    workdir: Path, overrides: Mapping[str, str] | None = None, *, host: str = "127.0.0.1"
) -> Iterator[LiveServer]:
    """Serve the site from a subprocess until the block ends; its output goes to a log file.

    ``host`` is the name the browser uses (``localhost`` for passkeys: WebAuthn needs a
    secure context, which plain HTTP has only on localhost); the relying party follows it.
    """
    port = free_port()
    url = f"http://{host}:{port}"
    passkeys = {"FLASK_WEBAUTHN_RP_ID": host, "FLASK_WEBAUTHN_ORIGIN": url}
    server = LiveServer(url=url, log_path=workdir / "server.log")
    log: IO[bytes] = open(server.log_path, "wb")  # noqa: SIM115 (the server process owns it)
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "app",
                "run",
                "--no-reload",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=server_env(workdir / "site.sqlite3", {**passkeys, **(overrides or {})}),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_healthy(url, process, server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        log.close()


@contextmanager
def chromium() -> Iterator[object]:
    """One headless Chromium for the whole block (a Playwright ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gatehouse-browser-") as name:
        yield Path(name)
