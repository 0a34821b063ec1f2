"""Production guards: insecure cookies need an explicit opt-in, proxies are trusted only by config."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.db.models import LoginSession
from app.extensions import db
from tests.helpers import AuthActions, base_config

CLIENT_ADDRESS = "203.0.113.7"


def test_insecure_cookies_without_debug_refuse_to_start(tmp_path, clock):
    config = base_config(tmp_path, clock, COOKIE_SECURE=False, ALLOW_INSECURE_COOKIES=False)
    with pytest.raises(RuntimeError, match="ALLOW_INSECURE_COOKIES=true"):
        create_app(config)


def test_insecure_cookies_are_refused_when_set_from_the_environment(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("FLASK_COOKIE_SECURE", "false")
    config = base_config(tmp_path, clock)
    del config["COOKIE_SECURE"], config["ALLOW_INSECURE_COOKIES"]
    with pytest.raises(RuntimeError, match="COOKIE_SECURE is false"):
        create_app(config)
    monkeypatch.setenv("FLASK_ALLOW_INSECURE_COOKIES", "true")
    assert create_app(config).config["COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    "overrides", [{"DEBUG": True}, {"ALLOW_INSECURE_COOKIES": True}, {"COOKIE_SECURE": True}]
)
def test_debug_or_the_opt_in_or_secure_cookies_start(tmp_path, clock, overrides):
    config = base_config(tmp_path, clock, ALLOW_INSECURE_COOKIES=False, COOKIE_SECURE=False)
    config.update(overrides)
    assert create_app(config).name == "app"


def session_address(app) -> str:
    with app.app_context():
        return db.session.scalar(select(LoginSession.ip))


def sign_up_through_proxy(app) -> None:
    client = app.test_client()
    client.environ_base.update(
        REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{CLIENT_ADDRESS}, 10.0.0.9"
    )
    assert AuthActions(client).register().status_code == 302


def test_forwarded_for_is_ignored_by_default(tmp_path, clock):
    app = create_app(base_config(tmp_path, clock))
    sign_up_through_proxy(app)
    assert session_address(app) == "10.0.0.2"


def test_forwarded_for_is_honoured_for_the_configured_number_of_proxies(tmp_path, clock):
    app = create_app(base_config(tmp_path, clock, PROXY_FIX_X_FOR=1))
    sign_up_through_proxy(app)
    assert session_address(app) == "10.0.0.9"  # one proxy trusted: the last hop it saw


def test_two_trusted_proxies_reach_the_client(tmp_path, clock):
    app = create_app(base_config(tmp_path, clock, PROXY_FIX_X_FOR=2))
    sign_up_through_proxy(app)
    assert session_address(app) == CLIENT_ADDRESS


# --- The wheel, installed outside the checkout and served by gunicorn ------------------------

WHEEL_VARIABLE = "RUN_WHEEL_TEST"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(*args, **kwargs):
    import subprocess

    result = subprocess.run(args, capture_output=True, text=True, timeout=240, **kwargs)
    assert result.returncode == 0, (
        f"{args[:3]} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
    )
    return result


@pytest.fixture(scope="module")
def installed_site(tmp_path_factory):
    """The project built as a wheel and installed (with gunicorn) into a fresh virtualenv."""
    import os
    import sys

    if os.environ.get(WHEEL_VARIABLE) != "1":
        reason = f"the wheel test builds and installs a package (~1 min): set {WHEEL_VARIABLE}=1"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    from app.paths import CHECKOUT

    home = tmp_path_factory.mktemp("wheel")
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        str(home / "dist"),
        str(CHECKOUT),
    )
    (wheel,) = (home / "dist").glob("gatehouse-*.whl")
    _run(sys.executable, "-m", "venv", str(home / "venv"))
    _run(str(home / "venv" / "bin" / "pip"), "install", "-q", str(wheel), "gunicorn")
    return home


def test_the_installed_wheel_serves_sign_up_sign_in_and_sign_out_under_gunicorn(installed_site):
    import os

    home = installed_site
    bin_dir = home / "venv" / "bin"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GATEHOUSE_"))}
    env.pop("PYTHONPATH", None)
    env.pop("DATABASE_URL", None)
    env.update(
        GATEHOUSE_INSTANCE_PATH=str(home / "instance"),
        DATABASE_URL=f"sqlite:///{home / 'site.sqlite3'}",
        FLASK_COOKIE_SECURE="false",
        FLASK_ALLOW_INSECURE_COOKIES="true",
        FLASK_RATELIMIT_ENABLED="true",
        WEB_CONCURRENCY="2",
    )
    where = _run(
        str(bin_dir / "python"), "-c", "import app; print(app.__file__)", cwd=home, env=env
    )
    assert where.stdout.startswith(str(home / "venv")), where.stdout  # not the checkout
    _run(str(bin_dir / "flask"), "--app", "app", "init-db", cwd=home, env=env)

    port = _free_port()
    env["GATEHOUSE_BIND"] = f"127.0.0.1:{port}"
    with (home / "gunicorn.log").open("w+") as log:
        _serve_and_browse(home, bin_dir, env, port, log)


def _serve_and_browse(home, bin_dir, env, port, log) -> None:
    import subprocess
    import time

    import requests

    from app.paths import CHECKOUT
    from tests.helpers import PASSWORD, csrf_token

    server = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "-c",
            str(CHECKOUT / "deploy" / "gunicorn.conf.py"),
            "app:create_app()",
        ],
        cwd=home,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, _tail(log)
            time.sleep(0.2)

        browser = requests.Session()
        page = browser.get(base + "/auth/register")
        assert page.status_code == 200 and "Create" in page.text
        email = "wheel@example.com"
        signed_up = browser.post(
            base + "/auth/register",
            data={
                "csrf_token": csrf_token(page.text),
                "email": email,
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
            allow_redirects=False,
        )
        assert signed_up.status_code == 302 and signed_up.headers["Location"] == "/account"
        account = browser.get(base + "/account")
        assert account.status_code == 200 and email in account.text
        assert browser.get(base + "/static/style.css").status_code == 200
        korean = requests.get(base + "/auth/login", headers={"Accept-Language": "ko"})
        assert korean.status_code == 200 and "로그인" in korean.text

        out = browser.post(
            base + "/auth/logout",
            data={"csrf_token": csrf_token(account.text)},
            allow_redirects=False,
        )
        assert out.status_code == 302
        assert browser.get(base + "/account", allow_redirects=False).status_code == 302

        page = browser.get(base + "/auth/login")
        signed_in = browser.post(
            base + "/auth/login",
            data={"csrf_token": csrf_token(page.text), "email": email, "password": PASSWORD},
            allow_redirects=False,
        )
        assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/account"
        assert email in browser.get(base + "/account").text
    finally:
        server.terminate()
        server.wait(30)
    text = _tail(log)
    assert "2 workers share no revocation list" in text
    assert "2 workers keep their own throttle counters" in text
    assert "Traceback" not in text
    assert '"GET /account HTTP/1.1" 200' in text  # gunicorn's access log


def _tail(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-5000:]


# --- Start-up warnings and engine timeouts -------------------------------------------------


def test_several_workers_without_shared_state_are_warned_about(
    tmp_path, clock, monkeypatch, caplog
):
    monkeypatch.setenv("GATEHOUSE_WORKERS", "3")
    create_app(base_config(tmp_path, clock, RATELIMIT_ENABLED=True))
    lines = [r.getMessage() for r in caplog.records if r.name == "gatehouse.deployment"]
    assert len(lines) == 2
    assert "3 workers share no revocation list" in lines[0] and "REVOCATION_STORE_URI" in lines[0]
    assert "3 times as generous" in lines[1] and "RATELIMIT_STORAGE_URI" in lines[1]


@pytest.mark.parametrize("workers", [None, "1"])
def test_one_worker_or_shared_stores_need_no_warning(
    tmp_path, clock, monkeypatch, caplog, workers
):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    if workers:
        monkeypatch.setenv("GATEHOUSE_WORKERS", workers)
    else:
        monkeypatch.delenv("GATEHOUSE_WORKERS", raising=False)
    create_app(base_config(tmp_path, clock, RATELIMIT_ENABLED=True))
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.delenv("GATEHOUSE_WORKERS", raising=False)
    create_app(
        base_config(
            tmp_path,
            clock,
            RATELIMIT_ENABLED=True,
            REVOCATION_STORE_URI="redis://127.0.0.1:1/0",
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/1",
        )
    )
    assert not [r for r in caplog.records if r.name == "gatehouse.deployment"]


def test_postgresql_connections_get_the_timeouts_and_keep_url_options():
    from app.db.engine import engine_options

    config = {"DATABASE_CONNECT_TIMEOUT": 1.5, "DATABASE_STATEMENT_TIMEOUT": 0.25}
    options = engine_options("postgresql+psycopg://u@h/db?options=-csearch_path%3Dt_1", config)
    args = options["connect_args"]
    assert args["connect_timeout"] == 2  # libpq counts whole seconds, two at least
    assert args["options"] == "-csearch_path=t_1 -c statement_timeout=250"
    assert args["tcp_user_timeout"] == 1750
    assert options["pool_timeout"] == 1.5 and options["pool_pre_ping"] is True
    off = engine_options(
        "postgresql+psycopg://u@h/db", {**config, "DATABASE_STATEMENT_TIMEOUT": 0}
    )
    assert "options" not in off["connect_args"]
