"""Many workers, one refresh token: 20 parallel requests under gunicorn rotate it exactly once.

The site runs as a real gunicorn server (2 worker processes with 4 threads each) on a new,
empty database, so the workers also race to migrate it at start-up. Every request carries
the same expired access token and the same valid refresh token, as a browser does when
several tabs wake up at once.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import create_app
from app.db.models import LoginSession, User, utc
from app.extensions import db
from app.sessions.store import get_session_store
from app.sessions.tokens import hash_token
from tests import databases
from tests.helpers import HMAC_KEY, FakeClock, base_config

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
EMAIL = "many@example.com"
PARALLEL = 20
WORKERS = 2
# Written next to the server's log: each worker leaves a file once the app has loaded.
READY_HOOK = """
import os, pathlib
def post_worker_init(worker):
    pathlib.Path(os.environ["GATEHOUSE_READY_DIR"], str(worker.pid)).touch()
"""


@dataclass
class Reply:
    status: int
    body: str
    cookies: dict[str, str]  # cookies set to a value; expired ones are left out
    expired: set[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, cookies: dict[str, str]) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        header = "; ".join(f"{name}={value}" for name, value in cookies.items())
        conn.request("GET", path, headers={"Cookie": header} if header else {})
        response = conn.getresponse()
        body = response.read().decode()
        set_cookies, expired = {}, set()
        for raw in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if value == "" or "Max-Age=0" in raw:
                expired.add(name)
            else:
                set_cookies[name] = value
        return Reply(response.status, body, set_cookies, expired)
    finally:
        conn.close()


@contextmanager
def gunicorn_site(
    tmp_path: Path,
    database_uri: str,
    *,
    name: str = "gunicorn",
    settings: dict[str, str] | None = None,
    workers: int = WORKERS,
    threads: int = 4,
):
    """Serve the site with gunicorn; stop it (by its own pid) when done. The workers' pids
    are the names of the files in ``tmp_path / (name + "-ready")``."""
    ready = tmp_path / f"{name}-ready"
    ready.mkdir()
    hook = tmp_path / f"{name}_hooks.py"
    hook.write_text(READY_HOOK)
    log_path = tmp_path / f"{name}.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FLASK_") and k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    env.update(
        GATEHOUSE_READY_DIR=str(ready),
        FLASK_SQLALCHEMY_DATABASE_URI=database_uri,
        FLASK_SECRET_KEY="concurrency-test-secret-key",
        FLASK_JWT_KEYS=json.dumps({"k1": HMAC_KEY}),
        FLASK_JWT_ACTIVE_KID="k1",
        FLASK_COOKIE_SECURE="false",
        FLASK_ALLOW_INSECURE_COOKIES="true",
        FLASK_RATELIMIT_ENABLED="false",
        FLASK_ARGON2_TIME_COST="1",
        FLASK_ARGON2_MEMORY_COST="8",
        FLASK_ARGON2_PARALLELISM="1",
    )
    env.update(settings or {})
    port = free_port()
    command = [
        str(GUNICORN),
        "--config",
        str(hook),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "5",
        "app:create_app()",
    ]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while len(list(ready.iterdir())) < workers:
            assert proc.poll() is None, "gunicorn exited:\n" + log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "workers not up:\n" + log_path.read_text()[-3000:]
            time.sleep(0.05)
        yield port, log_path
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def expired_access_and_valid_refresh(tmp_path: Path, database_uri: str):
    """Sign a person in an hour ago, with the site's keys: the access token has run out."""
    clock = FakeClock(time.time() - 3600)
    app = create_app(base_config(tmp_path, clock, SQLALCHEMY_DATABASE_URI=database_uri))
    with app.app_context():
        user = User(email=EMAIL, password_hash="not-used-here", created_at=utc(clock()))
        db.session.add(user)
        db.session.commit()
        grant = get_session_store().start_session(user, persistent=False)
    assert grant.access_token and grant.refresh_token
    return app, grant


def chain(app, session_id: str) -> tuple[int, str | None, bool]:
    """The session's generation, previous token hash, and whether it was revoked."""
    with app.app_context():
        row = db.session.get(LoginSession, session_id)
        found = (row.gen, row.previous_hash, row.revoked_at is not None)
        db.session.remove()
    return found


def run_the_race(tmp_path: Path, database_uri: str) -> None:
    with gunicorn_site(tmp_path, database_uri) as (port, log_path):
        app, grant = expired_access_and_valid_refresh(tmp_path, database_uri)
        sent = {"access_token": grant.access_token, "refresh_token": grant.refresh_token}
        start = threading.Barrier(PARALLEL)

        def one(_):
            start.wait()
            return get(port, "/account", sent)

        with ThreadPoolExecutor(PARALLEL) as pool:
            replies = list(pool.map(one, range(PARALLEL)))

        assert [r.status for r in replies] == [200] * PARALLEL, log_path.read_text()[-3000:]
        assert all(EMAIL in r.body for r in replies)
        assert all(r.cookies.get("access_token") for r in replies)
        assert not any(r.expired for r in replies)
        rotated = [r for r in replies if "refresh_token" in r.cookies]
        assert len(rotated) == 1, f"{len(rotated)} responses set a new refresh token"
        # Rotated exactly once: generation 1, the original is its previous token, not revoked.
        assert chain(app, grant.session_id) == (1, hash_token(grant.refresh_token), False)

        # Afterwards: the cookies each tab now holds keep it signed in.
        winner = rotated[0].cookies
        for reply in replies:
            tab = {
                "access_token": reply.cookies["access_token"],
                "refresh_token": reply.cookies.get("refresh_token", grant.refresh_token),
            }
            later = get(port, "/account", tab)
            assert later.status == 200 and EMAIL in later.body and not later.expired
        # Once the access token runs out, the new refresh token alone rotates again.
        alone = get(port, "/account", {"refresh_token": winner["refresh_token"]})
        assert alone.status == 200 and EMAIL in alone.body
        assert alone.cookies.get("refresh_token") not in (None, winner["refresh_token"])
        assert chain(app, grant.session_id) == (2, hash_token(winner["refresh_token"]), False)
        with app.app_context():
            db.engine.dispose()


def test_parallel_refresh_under_gunicorn_on_sqlite(tmp_path):
    """SQLite in WAL mode with a busy timeout: writers queue instead of failing."""
    path = tmp_path / "site.sqlite3"
    run_the_race(tmp_path, f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_parallel_refresh_under_gunicorn_on_postgresql(tmp_path, empty_database_uri):
    if databases.requested_url() is None:
        pytest.skip(f"gunicorn race on PostgreSQL: set {databases.ENV_VAR} to run it")
    run_the_race(tmp_path, empty_database_uri)
