"""Helpers of the strong sign-in tests: set up the authenticator app through the pages, read
the shown key and recovery codes, and pass the second step."""

from __future__ import annotations

import re

import pyotp

from tests.helpers import csrf_token

KEY_RE = re.compile(r'<code class="totp-key">([A-Z2-7 ]+)</code>')
CODE_RE = re.compile(r"<li><code>([a-z0-9-]{19})</code></li>")


def totp_code(secret: str, now: float) -> str:
    return pyotp.TOTP(secret).at(now)


def start_set_up(client):
    """Press "Set up the authenticator app"; returns the page with the new key."""
    security = client.get("/account/security")
    started = client.post(
        "/account/security/app/new", data={"csrf_token": csrf_token(security.text)}
    )
    assert started.status_code == 302, started.text
    page = client.get(started.headers["Location"])
    assert page.status_code == 200
    return page


def set_up_app(client, clock) -> tuple[str, list[str]]:
    """Turn the authenticator app on for the signed-in client; returns (key, recovery codes)."""
    page = start_set_up(client)
    secret = KEY_RE.search(page.text).group(1).replace(" ", "")
    done = client.post(
        "/account/security/app",
        data={"csrf_token": csrf_token(page.text), "code": totp_code(secret, clock.now)},
    )
    assert done.status_code == 200, done.text
    codes = CODE_RE.findall(done.text)
    assert len(codes) == 10
    return secret, codes


def post_code(client, code: str):
    page = client.get("/auth/login/verify")
    return client.post(
        "/auth/login/verify", data={"csrf_token": csrf_token(page.text), "code": code}
    )
