"""``python -m bench``: the per-request table, the scaling run, and bench/results.md.

Figures are medians over rounds in which the scenarios take turns every few dozen requests.
The primary figure is CPU time of this process per request (``time.process_time``), because
the machine may be shared and wall-clock time then also measures other people's work;
wall-clock medians are printed beside it.
"""

from __future__ import annotations

import argparse
import difflib
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from . import scaling
from .harness import SQLCounter, call, harness_overhead_ns
from .scenarios import SLICES, JwtRecovery, RefreshChain, Series, measure, steady_get
from .subjects import (
    Subject,
    flask_login_subject,
    floor_subject,
    gatehouse_sign_in,
    gatehouse_subject,
    jwt_extended_subject,
)

RESULTS = Path(__file__).resolve().parent / "results.md"
METHOD = """## How it is measured

- **Same page everywhere.** Every app renders the project's own `templates/account/index.html`
  (extending `base.html`: nav, logout buttons with their CSRF field, flashes, the "Recent
  activity" table, language footer) through the same endpoint names. The run checks that the
  pages are byte-for-byte identical apart from the CSRF token before it measures anything.
  The person's email is confirmed, so no app shows the confirmation banner.
- **Same data everywhere.** The activity rows (six events: sign-up, sign-ins, a failed
  attempt, a password change, a sign-out, with real browser strings) live in Gatehouse's
  SQLite file; every peer reads them from that same file with Gatehouse's own query function
  (`app/account/activity.py`), browser description and cached date formatting. Every peer
  runs Flask-WTF's `CSRFProtect`, since the page carries POST forms. Peers have no
  translations (Jinja's null gettext, a constant locale); Gatehouse pays for Flask-Babel,
  Flask-Limiter and its language cookie hook, as in production.
- **Peers.** Floor: plain Flask, nobody checked. Flask-Login: signed session cookie, the usual
  `user_loader` (`db.session.get(User, id)`) on SQLite. Flask-JWT-Extended: access and refresh
  JWTs in cookies, the documented implicit refresh in `after_request` (re-issue when under
  5 minutes are left of 15), email in the token's claims so the page reads no row (the most
  favourable set-up for it); its refresh endpoint checks no revocation list.
- **Gatehouse** runs with its defaults (throttling, CSRF, Babel, `Secure` cookie names) on a
  throw-away SQLite file; only argon2 is cheap, because signing in is set-up, never timed.
- **Steady requests** carry the cookies a browser holds after signing in and loading the page
  once (including Flask's session cookie for the CSRF token); no timed request sets a cookie.
- **Silent refresh**: an expired access token (signed by the app) and the session's current
  refresh token; the rotated refresh cookie of each response is fed into the next request
  (outside the timed call), so every request presents a valid, current token.
- **Flask-JWT-Extended recovery**: `GET /account` with an expired access cookie (401),
  `POST /auth/refresh` with the refresh cookie and its `X-CSRF-TOKEN` header, then the retried
  `GET /account`; the three calls together are one figure.
- **SQL/request**: statements seen by SQLAlchemy's `before_cursor_execute` during one request,
  split by what they read: the page's activity query ("page", the same one statement in every
  app) and everything else ("authentication": Flask-Login's `user_loader`, Gatehouse's
  compare-and-set on the session row).
- **Scaling**: filler login sessions (each one row, its refresh chain included) are
  bulk-inserted with sqlite3 `executemany` in one transaction (1,000 users); the same person's
  silent refresh is timed at each size.
- **Rows per session**: one session is rotated 10,000 times through the session store (direct
  calls, no HTTP); the rows of every table are counted before and after.
"""
PACKAGES = (
    "flask",
    "werkzeug",
    "jinja2",
    "pyjwt",
    "flask-wtf",
    "flask-babel",
    "flask-limiter",
    "flask-sqlalchemy",
    "sqlalchemy",
    "flask-login",
    "flask-jwt-extended",
)


def machine() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or "unknown"
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in PACKAGES)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"- CPU: {model}, {os.cpu_count()} cores ({platform.machine()}), load average at start {load}",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        f"- Packages: {versions}",
    ]


def sql_per_request(subject: Subject, env: dict) -> SQLCounter:
    with SQLCounter(subject.engine) as counter:
        call(subject.app, env)
    return counter


CSRF_VALUE = re.compile(r'name="csrf_token" type="hidden" value="[^"]*"')


def same_page(subjects: list[Subject]) -> str:
    """Every app must print the same page, byte for byte, apart from its CSRF token."""
    pages = {}
    for subject in subjects:
        body = call(subject.app, subject.account_environ()).text
        pages[subject.name] = CSRF_VALUE.sub('name="csrf_token" type="hidden" value=""', body)
    first_name, first = next(iter(pages.items()))
    for name, body in pages.items():
        if body != first:
            diff = "\n".join(
                difflib.unified_diff(
                    first.splitlines(), body.splitlines(), first_name, name, lineterm="", n=1
                )
            )
            raise SystemExit(f"{name} prints a different /account page:\n{diff}")
    return f"{len(first.encode()):,} bytes"


def over_floor(series: Series, floor: Series) -> float:
    """Median, over the rounds, of the series' CPU µs minus the floor's in the same round.

    The rounds ran at the same time for both, so a round on a slow moment of the machine
    raises both alike; the difference of each round's pair is steadier than the difference of
    two medians taken apart.
    """
    return statistics.median(
        s.cpu_us - f.cpu_us for s, f in zip(series.samples, floor.samples, strict=True)
    )


def median(series: Series, attr: str) -> float:
    return statistics.median(getattr(s, attr) for s in series.samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=9, help="rounds per scenario (median)")
    parser.add_argument(
        "--seconds", type=float, default=0.3, help="target length of one timed round of GETs"
    )
    parser.add_argument("--refreshes", type=int, default=100, help="refresh requests per round")
    parser.add_argument(
        "--sizes",
        default="1000,100000,1000000",
        help="login_sessions row counts for the scaling run ('' to skip)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    log = lambda *a, **k: print(*a, **k, flush=True)  # noqa: E731
    started = time.perf_counter()
    header = machine()
    log("Machine:", *header, sep="\n")

    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as tmpdir:
        tmp = Path(tmpdir)
        # Gatehouse's database holds the person and the page's activity rows; the peers
        # read the same rows from the same file.
        shared_db = f"sqlite:///{tmp / 'gatehouse.sqlite3'}"
        gatehouse = gatehouse_subject("Gatehouse", shared_db)
        subjects = [
            floor_subject(shared_db),
            flask_login_subject(shared_db),
            jwt_extended_subject(shared_db),
            gatehouse,
            gatehouse_subject(
                "Gatehouse, verified-token cache off",
                f"sqlite:///{tmp / 'gatehouse-nocache.sqlite3'}",
                VERIFIED_TOKEN_CACHE_SIZE=0,
            ),
        ]
        floor, login, jwt_ext, gatehouse, nocache = subjects
        page_size = same_page(subjects)
        log(f"Every app prints the same /account page ({page_size}, CSRF token aside)")
        overhead = harness_overhead_ns(floor.account_environ()) / 1000
        log(f"\nHarness overhead (copy environ, call, join, close) per request: {overhead:.2f} µs")

        # Size each round to roughly --seconds of work.
        steady = []
        for subject in subjects:
            batch = steady_get(subject)
            probe = batch(50)
            n = max(50, int(args.seconds * 1e6 / max(probe.wall_us, 1)))
            steady.append((Series(subject.name), batch, n))

        chain_app = gatehouse
        chain = RefreshChain(chain_app, gatehouse_sign_in(chain_app.app, 1))
        recovery = JwtRecovery(jwt_ext)
        refresh_series = Series("Gatehouse silent refresh (expired access + valid refresh)")
        recovery_series = Series("Flask-JWT-Extended recovery (401, POST /auth/refresh, retry)")
        for _ in range(5):  # warm-up of both multi-step scenarios
            chain.one()
            recovery.one()
        log(f"Measuring {args.rounds} interleaved rounds ...")
        measure(
            steady
            + [
                (refresh_series, chain.batch, args.refreshes),
                (recovery_series, recovery.batch, args.refreshes),
            ],
            args.rounds,
        )

        sql = {s.name: sql_per_request(s, s.account_environ()) for s in subjects}
        with SQLCounter(gatehouse.engine) as counter:
            chain.one()
        sql[refresh_series.name] = counter
        with SQLCounter(jwt_ext.engine) as counter:
            recovery.one()
        sql[recovery_series.name] = counter

        rows = [(series, sql[series.name]) for series, _batch, _n in steady]
        rows += [
            (refresh_series, sql[refresh_series.name]),
            (recovery_series, sql[recovery_series.name]),
        ]
        floor_cpu = median(steady[0][0], "cpu_us")
        table = [
            "| scenario | CPU µs/request | req/s (CPU) | × floor | over floor µs | wall µs/request "
            "| SQL: authentication | SQL: page |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for series, statements in rows:
            cpu, wall = median(series, "cpu_us"), median(series, "wall_us")
            table.append(
                f"| {series.name} | {cpu:,.0f} | {1e6 / cpu:,.0f} | "
                f"{cpu / floor_cpu:.2f} | {over_floor(series, steady[0][0]):+,.0f} | {wall:,.0f} | "
                f"{statements.authentication} | {statements.page} |"
            )
        log("", *table, sep="\n")

        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
        scale_rows: list[dict] = []
        if sizes:
            log("\nScaling: silent refresh against the number of login sessions")
            scale_rows = scaling.run(tmp, sizes, rounds=5, per_round=args.refreshes, log=log)
        scale_table = [
            "| rows in login_sessions | CPU µs/refresh | wall µs/refresh | × smallest | insert time |",
            "|---:|---:|---:|---:|---:|",
        ]
        for row in scale_rows:
            scale_table.append(
                f"| {row['rows']:,} | {row['cpu_us']:,.0f} | {row['wall_us']:,.0f} | "
                f"{row['cpu_us'] / scale_rows[0]['cpu_us']:.2f} | {row['build_s']:.1f} s |"
            )
        if scale_rows:
            log("", *scale_table, sep="\n")
        log("\nRows per session: 10,000 rotations through the store")
        rotated = scaling.rotations(tmp)
        rotation_table = [
            "| table | rows before | rows after 10,000 rotations |",
            "|---|---:|---:|",
            *(
                f"| {name} | {rotated['before'][name]:,} | {rotated['after'][name]:,} |"
                for name in scaling.TABLES
            ),
            "",
            f"10,000 rotations took {rotated['seconds']:.1f} s "
            f"({rotated['seconds'] / rotated['count'] * 1e6:,.0f} µs each, store calls on SQLite).",
        ]
        log("", *rotation_table, sep="\n")

    g = median(steady[3][0], "cpu_us")
    g_over, jwt_over, login_over = (over_floor(steady[i][0], steady[0][0]) for i in (3, 2, 1))
    targets = [
        ("Gatehouse within 1.5× of the floor", g / floor_cpu, "≤ 1.50", g / floor_cpu <= 1.5),
        (
            "≥ 1.5× faster than Flask-JWT-Extended",
            median(steady[2][0], "cpu_us") / g,
            "≥ 1.50",
            median(steady[2][0], "cpu_us") / g >= 1.5,
        ),
        (
            "≥ 3× faster than Flask-Login",
            median(steady[1][0], "cpu_us") / g,
            "≥ 3.00",
            median(steady[1][0], "cpu_us") / g >= 3,
        ),
        (
            "0 SQL to authenticate a valid access token",
            sql[gatehouse.name].authentication,
            "0",
            sql[gatehouse.name].authentication == 0,
        ),
        (
            "≤ 2 SQL to authenticate on the refresh path",
            sql[refresh_series.name].authentication,
            "≤ 2",
            sql[refresh_series.name].authentication <= 2,
        ),
        (
            "silent refresh ≥ 2× faster than JWT-Extended's 401 + refresh + retry",
            median(recovery_series, "cpu_us") / median(refresh_series, "cpu_us"),
            "≥ 2.00",
            median(recovery_series, "cpu_us") >= 2 * median(refresh_series, "cpu_us"),
        ),
        (
            "over the floor ≤ 1/3 of Flask-JWT-Extended's over the floor",
            g_over / jwt_over,
            "≤ 0.33",
            3 * g_over <= jwt_over,
        ),
        (
            "over the floor ≤ 1/4 of Flask-Login's over the floor",
            g_over / login_over,
            "≤ 0.25",
            4 * g_over <= login_over,
        ),
        (
            "rows per session after 10,000 rotations: constant",
            rotated["after"]["login_sessions"] - rotated["before"]["login_sessions"],
            "0 more",
            rotated["after"] == rotated["before"],
        ),
    ]
    if len(scale_rows) > 1:
        ratio = scale_rows[-1]["cpu_us"] / scale_rows[0]["cpu_us"]
        targets.append(
            (
                f"refresh at {scale_rows[-1]['rows']:,} rows within 1.5× of "
                f"{scale_rows[0]['rows']:,}",
                ratio,
                "≤ 1.50",
                ratio <= 1.5,
            )
        )
    target_table = ["| target | measured | wanted | met |", "|---|---:|---:|:---:|"]
    for name, value, wanted, ok in targets:
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        target_table.append(f"| {name} | {shown} | {wanted} | {'yes' if ok else 'NO'} |")
    jwt_cpu, login_cpu = median(steady[2][0], "cpu_us"), median(steady[1][0], "cpu_us")
    ceiling = (
        f"On this page even an app that adds nothing to the floor would be only "
        f"{jwt_cpu / floor_cpu:.2f}× faster than Flask-JWT-Extended and "
        f"{login_cpu / floor_cpu:.2f}× faster than Flask-Login (their times over the "
        f"floor's {floor_cpu:,.0f} µs), the most any authentication could reach."
    )
    target_table += ["", ceiling]
    log("", *target_table, sep="\n")
    elapsed = time.perf_counter() - started
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    invocation = " ".join(["python -m bench", *sys.argv[1:]])
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Written by `make bench` (`{invocation}`) on "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {elapsed:.0f} s.",
            "",
            "## Machine",
            "",
            *header,
            f"- Load average at the end: {load}",
            "",
            "## Per request: authenticated `GET /account`",
            "",
            f"Median of {args.rounds} rounds, each app called in-process as a WSGI "
            f"callable with an environ built once (harness overhead {overhead:.2f} µs per "
            f"request, included in every figure). Within a round the scenarios take turns in "
            f"{SLICES} slices of a few dozen requests, so a slow spell of the machine is billed "
            'to all of them alike; "over floor" is the median of each round\'s difference to '
            "the floor's figure in the same round. CPU µs is this process's CPU time per request; "
            "req/s (CPU) is its inverse, what one core would serve. Every app renders the "
            "project's own `account/index.html` and `base.html` with the same activity rows from "
            f"the same database; the pages were checked to be identical apart from the CSRF token "
            f"({page_size}). SQL statements per request are split into those that find out who "
            "is asking (authentication, including a refresh's rotation) and the page's own "
            "activity query.",
            "",
            *table,
            "",
            "## Scaling: silent refresh against the number of login sessions",
            "",
            *(scale_table if scale_rows else ["(skipped)"]),
            "",
            "## Rows per session: 10,000 rotations",
            "",
            *rotation_table,
            "",
            "## Targets",
            "",
            *target_table,
            "",
            METHOD,
        ]
    )
    args.output.write_text(text)
    log(f"\nWrote {args.output} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
