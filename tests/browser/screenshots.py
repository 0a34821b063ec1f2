"""Save screenshots of the main pages at desktop and phone widths (``make screenshots``).

Starts its own server on a throw-away database, signs a demo person up on the "desktop" and in
on two phones, one in Korean (so the sessions page lists three devices) before shooting, and
writes ``docs/screenshots/<page>-<desktop|phone|phone-ko>.png``. A page that answers 404 is
skipped with a note.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.browser import live
from tests.browser.helpers import DESKTOP, PASSWORD, PHONE, sign_up

OUT = live.ROOT / "docs" / "screenshots"
EMAIL = "ada@example.com"


@dataclass(frozen=True)
class Device:
    name: str
    options: dict
    lang: str = "en"


DEVICES = (
    Device(
        "desktop",
        {
            "viewport": DESKTOP,
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/156.0.0.0 Safari/537.36",
        },
    ),
    Device(
        "phone",
        {
            "viewport": PHONE,
            "is_mobile": True,
            "has_touch": True,
            "device_scale_factor": 2,
            "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
            "timezone_id": "Europe/London",
        },
    ),
    Device(
        "phone-ko",
        {
            "viewport": PHONE,
            "is_mobile": True,
            "has_touch": True,
            "device_scale_factor": 2,
            "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "locale": "ko-KR",
            "timezone_id": "Asia/Seoul",
        },
        lang="ko",
    ),
)
ANONYMOUS_PAGES = (("landing", "/"), ("login", "/auth/login"))
SIGNED_IN_PAGES = (
    ("account", "/account"),
    ("sessions", "/account/sessions"),
    ("password", "/account/password"),
    ("security", "/account/security"),
)


def sign_in(page, *, first: bool) -> None:
    """Sign the demo person up on the first device, and in (remembered) on the others."""
    if first:
        sign_up(page, EMAIL)
    else:
        page.goto("/auth/login")
        page.locator("[name=email]").fill(EMAIL)
        page.locator("[name=password]").fill(PASSWORD)
        page.locator("[name=remember]").check()
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/account")


def shoot(page, name: str, path: str, device: Device, out: Path) -> bool:
    response = page.goto(path)
    if response is None or response.status == 404:
        print(f"skipped {name}-{device.name} ({path} answers 404 on this build)")
        return False
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    target = out / f"{name}-{device.name}.png"
    page.screenshot(path=str(target), full_page=True, animations="disabled")
    print(f"saved {target.relative_to(live.ROOT) if target.is_relative_to(live.ROOT) else target}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    args = parser.parse_args(argv)
    reason = live.missing_browser_reason()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        live.scratch_dir() as workdir,
        live.live_server(workdir) as server,
        live.chromium() as browser,
    ):
        contexts = [browser.new_context(base_url=server.url, **d.options) for d in DEVICES]
        try:
            pages = [context.new_page() for context in contexts]
            for device, page in zip(DEVICES, pages, strict=False):
                page.goto(f"/?lang={device.lang}")  # remembered in the lang cookie
            for device, page in zip(DEVICES, pages, strict=False):
                for name, path in ANONYMOUS_PAGES:
                    shoot(page, name, path, device, args.out)
            for index, page in enumerate(pages):  # every device signed in before any is shot
                sign_in(page, first=index == 0)
            for device, page in zip(DEVICES, pages, strict=False):
                for name, path in SIGNED_IN_PAGES:
                    shoot(page, name, path, device, args.out)
        finally:
            for context in contexts:
                context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
