"""Browser and operating system in words a person recognises, read from a User-Agent string."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from user_agents import parse

UNKNOWN_BROWSER = _l("Unknown browser")
UNKNOWN_SYSTEM = _l("Unknown system")


@dataclass(frozen=True)
class Device:
    browser: str
    os: str


@lru_cache(maxsize=512)
def _parsed(user_agent: str) -> tuple[str, str]:
    agent = parse(user_agent or "")
    browser_major = agent.browser.version_string.split(".")[0]
    return (
        _name(agent.browser.family, browser_major),
        _name(agent.os.family, agent.os.version_string),
    )


def _name(family: str, version: str) -> str:
    if not family or family == "Other":
        return ""
    return f"{family} {version}".strip()


def describe(user_agent: str | None) -> Device:
    """ "Chrome 120" on "Windows 10"; unknown parts say so in the reader's language."""
    browser, system = _parsed((user_agent or "")[:512])
    return Device(browser or str(UNKNOWN_BROWSER), system or str(UNKNOWN_SYSTEM))
