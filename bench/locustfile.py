"""The load run's people: each signs in once, then loads /account in a loop.

With ``ACCESS_TOKEN_TTL=5`` every person's access token runs out every five seconds, so the
loop keeps exercising the silent refresh. A response that sends a signed-in person to the
login page is counted as an unexpected sign-out (and the person signs in again).
"""

from __future__ import annotations

import json
import os
import re
from itertools import cycle
from pathlib import Path

from locust import FastHttpUser, constant, events, task

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
EMAILS = cycle(Path(os.environ["LOAD_EMAILS"]).read_text().split())
PASSWORD = os.environ["LOAD_PASSWORD"]
COUNTS = {"signed_out": 0, "refreshed": 0, "sign_ins": 0}


class Person(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.email = next(EMAILS)
        self.sign_in()

    def sign_in(self) -> None:
        page = self.client.get("/auth/login", name="sign in: GET /auth/login")
        match = CSRF_RE.search(page.text or "")
        if match is None:
            return
        with self.client.post(
            "/auth/login",
            name="sign in: POST /auth/login",
            allow_redirects=False,
            catch_response=True,
            data={"csrf_token": match.group(1), "email": self.email, "password": PASSWORD},
        ) as response:
            if response.status_code == 302 and response.headers.get("Location", "").endswith(
                "/account"
            ):
                COUNTS["sign_ins"] += 1
                response.success()
            else:
                response.failure(f"sign-in answered {response.status_code}")

    @task
    def account(self) -> None:
        with self.client.get("/account", allow_redirects=False, catch_response=True) as response:
            location = response.headers.get("Location", "") or ""
            if response.status_code == 200 and self.email in (response.text or ""):
                if response.headers.get("Set-Cookie"):
                    COUNTS["refreshed"] += 1
                response.success()
            elif response.status_code == 302 and "/auth/login" in location:
                COUNTS["signed_out"] += 1
                response.failure("signed out unexpectedly")
                self.sign_in()
            else:
                response.failure(f"status {response.status_code}")


@events.quitting.add_listener
def _write_counts(environment, **_kwargs) -> None:
    report = os.environ.get("LOAD_REPORT")
    if report:
        Path(report).write_text(json.dumps(COUNTS))
