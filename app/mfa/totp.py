"""The authenticator app (RFC 6238: 6 digits, 30 seconds, SHA-1, as every app expects).

pyotp computes the codes; this module adds the one rule it leaves to us: a code is accepted
once. The accepted step is remembered and only a later step passes, so a code seen over a
shoulder or in a proxy log cannot be used again within its window.
"""

from __future__ import annotations

import hmac

import pyotp
import segno
from markupsafe import Markup

DIGITS = 6
INTERVAL = 30
VALID_WINDOW = 1  # one step either side, for clocks a little off


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, the size RFC 4226 recommends


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str, title: str) -> Markup:
    """The QR code as inline SVG (no image request, nothing sent to another site)."""
    return Markup(
        segno.make(uri, error="m").svg_inline(scale=5, border=2, title=title, svgclass="qr")
    )


def grouped(secret: str) -> str:
    """The key in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalize(code: str) -> str:
    return "".join(code.split())


def is_code_shaped(code: str) -> bool:
    code = normalize(code)
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, code: str, now: float, last_used_step: int) -> int | None:
    """The time step whose code this is, if it is newer than ``last_used_step``; else None."""
    code = normalize(code)
    if not is_code_shaped(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = int(now // INTERVAL)
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        # Every candidate is compared, so the time taken does not tell which one matched.
        if hmac.compare_digest(totp.at(step * INTERVAL), code) and step > last_used_step:
            found = step
    return found
