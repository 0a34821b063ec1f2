"""``make load``: Gatehouse under gunicorn (2 workers), driven by locust on 127.0.0.1 only.

PostgreSQL when ``DATABASE_URL`` is set, else SQLite (WAL) in a temporary folder. 200 people
are created up front, sign in through the real login form, then load ``/account`` in a loop
for 60 s with ``ACCESS_TOKEN_TTL=5``. Throttling is off for the run (everyone signs in from
one address) and cookies go over plain HTTP. Prints req/s, p50/p95/p99, errors and people
unexpectedly signed out, and writes them to bench/load-results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "load-results.md"
PASSWORD = "load-test-password-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_environment(tmp: Path, ttl: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "FLASK_SECRET_KEY": secrets.token_urlsafe(32),
            "FLASK_JWT_KEYS": json.dumps({"load": secrets.token_urlsafe(32)}),
            "FLASK_JWT_ACTIVE_KID": "load",
            "FLASK_ACCESS_TOKEN_TTL": str(ttl),
            "FLASK_REFRESH_REUSE_GRACE": str(max(0, min(10, ttl - 1))),
            "FLASK_RATELIMIT_ENABLED": "false",
            "FLASK_COOKIE_SECURE": "false",
            "FLASK_ALLOW_INSECURE_COOKIES": "true",
            # Sign-in is set-up here, not what is measured: a cheaper argon2 for the 200 logins.
            "FLASK_ARGON2_TIME_COST": "1",
            "FLASK_ARGON2_MEMORY_COST": "8192",
            "FLASK_ARGON2_PARALLELISM": "1",
        }
    )
    if not os.environ.get("DATABASE_URL"):
        env["FLASK_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp / 'load.sqlite3'}"
    return env


def create_people(env: dict[str, str], count: int) -> list[str]:
    """The schema and ``count`` accounts, made before the workers start."""
    os.environ.update(env)
    from app import create_app
    from app.accounts.passwords import get_passwords
    from app.db.models import User, utc
    from app.extensions import db

    app = create_app()
    run = secrets.token_hex(4)
    emails = [f"load-{run}-{i}@example.com" for i in range(count)]
    with app.app_context():
        password_hash = get_passwords().hash(PASSWORD)
        now = utc(time.time())
        db.session.add_all(
            User(email=e, password_hash=password_hash, created_at=now) for e in emails
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return emails


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz in time")


def read_stats(path: Path) -> dict[str, dict]:
    """Locust's final per-request statistics (``--json-file``), by request name."""
    return {entry["name"]: entry for entry in json.loads(path.read_text())}


def percentile(entry: dict, fraction: float) -> int:
    """A latency percentile (ms) from locust's bucketed response times."""
    buckets = sorted((float(ms), count) for ms, count in entry["response_times"].items())
    wanted = fraction * sum(count for _, count in buckets)
    seen = 0
    for ms, count in buckets:
        seen += count
        if seen >= wanted:
            return round(ms)
    return round(buckets[-1][0]) if buckets else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--ttl", type=int, default=5, help="ACCESS_TOKEN_TTL for the run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="gatehouse-load-") as tmpdir:
        tmp = Path(tmpdir)
        env = site_environment(tmp, args.ttl)
        database = "PostgreSQL (DATABASE_URL)" if os.environ.get("DATABASE_URL") else "SQLite, WAL"
        emails = create_people(env, args.users)
        (tmp / "emails.txt").write_text("\n".join(emails))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        try:
            wait_until_up(url)
            print(
                f"gunicorn ({args.workers} workers, {database}) on {url}; "
                f"{args.users} people for {args.seconds} s, ACCESS_TOKEN_TTL={args.ttl}",
                flush=True,
            )
            locust_env = dict(
                env,
                LOAD_EMAILS=str(tmp / "emails.txt"),
                LOAD_PASSWORD=PASSWORD,
                LOAD_REPORT=str(tmp / "counts.json"),
            )
            subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(args.users),
                    "--run-time",
                    f"{args.seconds}s",
                    "--host",
                    url,
                    "--only-summary",
                    "--json-file",
                    str(tmp / "locust"),
                    "--loglevel",
                    "WARNING",
                    "--stop-timeout",
                    "10",
                ],
                cwd=ROOT,
                env=locust_env,
                check=False,
            )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        stats = read_stats(tmp / "locust.json")
        counts = json.loads((tmp / "counts.json").read_text())

    page = stats["/account"]
    failures = sum(entry["num_failures"] for entry in stats.values())
    errors = failures - counts["signed_out"]
    duration = max(page["last_request_timestamp"] - page["start_time"], 1e-9)
    p50, p95, p99 = (percentile(page, f) for f in (0.50, 0.95, 0.99))
    lines = [
        "# Load run",
        "",
        f"`make load` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: gunicorn, "
        f"{args.workers} sync workers, {database}; locust (headless) on the same machine, "
        f"{args.users} people signed in with `ACCESS_TOKEN_TTL={args.ttl}`, each loading "
        f"`/account` in a loop with no pause for {args.seconds} s (127.0.0.1 only).",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| GET /account requests | {page['num_requests']:,} |",
        f"| GET /account req/s | {page['num_requests'] / duration:,.1f} |",
        f"| p50 / p95 / p99 latency | {p50} / {p95} / {p99} ms |",
        f"| silent refreshes seen (200 with new cookies) | {counts['refreshed']:,} |",
        f"| errors (any other failure, all requests) | {errors} |",
        f"| people unexpectedly signed out (302 to /auth/login) | {counts['signed_out']} |",
        f"| sign-ins | {counts['sign_ins']} |",
        "",
    ]
    print("\n".join(lines))
    args.output.write_text("\n".join(lines))
    return 0 if errors == 0 and counts["signed_out"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
