"""Private servers for the fault tests: a PostgreSQL cluster (``initdb`` on a free port) and a
``redis-server``, each started and stopped by the test itself, never the machine's shared ones.

Missing binaries skip the tests with a printed reason; ``REQUIRE_FAULT_SERVERS=1`` (CI) turns
that skip into a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REQUIRE_VARIABLE = "REQUIRE_FAULT_SERVERS"


def missing(reason: str) -> None:
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{reason} ({REQUIRE_VARIABLE}=1)")
    print(f"SKIPPED: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, seconds: float = 15.0, step: float = 0.05) -> float:
    """Seconds it took for ``condition()`` to hold; fails after ``seconds``."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(step)
    return time.monotonic() - started


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A throw-away cluster: trust auth, no fsync, listening on 127.0.0.1:<free port>."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.home = Path(tempfile.mkdtemp(prefix="gatehouse-pg-"))
        self.data = self.home / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self._as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.home, account.pw_uid, account.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.home / "log"),
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def freeze(self, frozen: bool) -> None:
        """Stop (or resume) the postmaster: new connections hang, open ones still answer."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGSTOP if frozen else signal.SIGCONT)

    def destroy(self) -> None:
        if self.running():
            try:
                self.freeze(False)
                self.stop()
            except (subprocess.CalledProcessError, OSError, ValueError):
                pass
        shutil.rmtree(self.home, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)


class PrivateRedis:
    """``redis-server`` on a free port, without persistence."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, seconds=10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def private_postgres():
    bin_dir = postgres_bin()
    if bin_dir is None:
        missing("PostgreSQL fault tests need initdb and pg_ctl (/usr/lib/postgresql/*/bin)")
    if os.geteuid() == 0 and (shutil.which("runuser") is None or not _has_user("postgres")):
        missing("running as root, the private PostgreSQL needs runuser and a postgres account")
    server = PrivatePostgres(bin_dir)
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def private_redis():
    binary = shutil.which("redis-server")
    if binary is None:
        missing("Redis fault tests need redis-server")
    server = PrivateRedis(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
