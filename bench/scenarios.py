"""The timed scenarios: steady authenticated GETs, Gatehouse's silent refresh and
Flask-JWT-Extended's expired-token recovery. Every figure is per request, in microseconds,
as both CPU time of this process and wall-clock time."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from .harness import call, environ, loop_ns, with_cookies
from .peers.common import EMAIL
from .subjects import Subject, check_account, expired_access_token, gatehouse_cookie_names


@dataclass
class Sample:
    cpu_us: float
    wall_us: float


@dataclass
class Series:
    name: str
    samples: list[Sample] = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)


# A batch runs ``n`` requests of one scenario and returns the mean per request.
Batch = Callable[[int], Sample]


def steady_get(subject: Subject) -> Batch:
    """Authenticated GET /account with the same cookies (the hot path)."""
    env = subject.account_environ()

    def batch(n: int) -> Sample:
        cpu0 = time.process_time_ns()
        wall = loop_ns(subject.app, env, n)
        return Sample((time.process_time_ns() - cpu0) / n / 1000, wall / 1000)

    return batch


class RefreshChain:
    """Gatehouse silent refresh: expired access + the current refresh token, every time.

    Each response rotates the refresh token; the new one is fed back (outside the timed
    call), so every timed request presents a valid, current refresh token.
    """

    def __init__(self, subject: Subject, grant) -> None:
        self.subject = subject
        self.access_name, self.refresh_name = gatehouse_cookie_names(subject.app)
        self.expired = expired_access_token(subject.app, grant)
        self.refresh = grant.refresh_token
        self.base = environ("/account")
        self.session_cookie = {
            k: v
            for k, v in subject.jar.cookies.items()
            if k not in (self.access_name, self.refresh_name)
        }

    def one(self) -> tuple[int, int, str]:
        env = with_cookies(
            self.base,
            {
                **self.session_cookie,
                self.access_name: self.expired,
                self.refresh_name: self.refresh,
            },
        )
        cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
        response = call(self.subject.app, env)
        wall, cpu = time.perf_counter_ns() - wall0, time.process_time_ns() - cpu0
        check_account(response, "Gatehouse silent refresh")
        cookies = response.set_cookies()
        if not cookies.get(self.access_name) or not cookies.get(self.refresh_name):
            raise SystemExit("Gatehouse silent refresh did not set both cookies")
        self.refresh = cookies[self.refresh_name]
        return cpu, wall, response.text

    def batch(self, n: int) -> Sample:
        cpu = wall = 0
        for _ in range(n):
            c, w, _text = self.one()
            cpu += c
            wall += w
        return Sample(cpu / n / 1000, wall / n / 1000)


class JwtRecovery:
    """Flask-JWT-Extended after the access token expired: 401, POST /auth/refresh, retry."""

    def __init__(self, subject: Subject) -> None:
        from flask_jwt_extended import create_access_token

        self.subject = subject
        with subject.app.app_context():
            self.expired = create_access_token(
                identity="1",
                additional_claims={"email": EMAIL},
                expires_delta=timedelta(seconds=-60),
            )
        cookies = dict(subject.jar.cookies)
        cookies["access_token_cookie"] = self.expired
        self.expired_get = environ("/account", cookies=cookies)
        self.refresh_post = environ(
            "/auth/refresh",
            method="POST",
            cookies=cookies,
            headers={"X-CSRF-TOKEN": cookies["csrf_refresh_token"]},
        )
        self.retry_base = environ("/account")
        self.cookies = cookies

    def one(self) -> tuple[int, int]:
        cpu = wall = 0

        def timed(env):
            nonlocal cpu, wall
            cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
            response = call(self.subject.app, env)
            wall += time.perf_counter_ns() - wall0
            cpu += time.process_time_ns() - cpu0
            return response

        first = timed(self.expired_get)
        if first.status != 401:
            raise SystemExit(f"JWT-Extended: expired token answered {first.status}, not 401")
        refreshed = timed(self.refresh_post)
        new_access = refreshed.set_cookies().get("access_token_cookie")
        if refreshed.status != 200 or not new_access:
            raise SystemExit(f"JWT-Extended: POST /auth/refresh answered {refreshed.status}")
        retry_env = with_cookies(
            self.retry_base, {**self.cookies, "access_token_cookie": new_access}
        )
        check_account(timed(retry_env), "JWT-Extended retry")
        return cpu, wall

    def batch(self, n: int) -> Sample:
        cpu = wall = 0
        for _ in range(n):
            c, w = self.one()
            cpu += c
            wall += w
        return Sample(cpu / n / 1000, wall / n / 1000)


SLICES = 10


def measure(series: list[tuple[Series, Batch, int]], rounds: int, slices: int = SLICES) -> None:
    """Run ``rounds`` rounds of every scenario's ``n`` requests, one sample per round each.

    Within a round the scenarios take turns in ``slices`` slices (a few dozen requests, some
    tens of milliseconds each): on a shared machine a slow spell lasts a second or more, and
    taking turns this often bills it to every scenario alike instead of to whichever one was
    running. Garbage of the previous round is collected before each round.
    """
    for _ in range(rounds):
        gc.collect()
        cpu = [0.0] * len(series)
        wall = [0.0] * len(series)
        done = [0] * len(series)
        for turn in range(slices):
            for index, (_target, batch, n) in enumerate(series):
                k = n // slices + (1 if turn < n % slices else 0)
                if k:
                    sample = batch(k)
                    cpu[index] += sample.cpu_us * k
                    wall[index] += sample.wall_us * k
                    done[index] += k
        for index, (target, _batch, _n) in enumerate(series):
            target.add(Sample(cpu[index] / done[index], wall[index] / done[index]))
