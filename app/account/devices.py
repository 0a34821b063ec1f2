"""Devices in words a person recognises, read from a User-Agent string.

"Chrome 120 on Windows 10", "Mobile Safari 17 on iPhone", "curl 8 (a program, not a
browser)": the browser, then the device model when the string names one (else the system),
and a kind (phone, tablet, computer, program) for the icon beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from user_agents import parse

UNKNOWN_BROWSER = _l("Unknown browser")
UNKNOWN_SYSTEM = _l("Unknown system")
GENERIC_MODELS = {"", "Other", "Generic Smartphone", "Generic Tablet", "Generic Feature Phone"}


class Kind(StrEnum):
    PHONE = "phone"
    TABLET = "tablet"
    COMPUTER = "computer"
    PROGRAM = "program"
    UNKNOWN = "unknown"


KIND_LABELS = {
    Kind.PHONE: _l("Phone"),
    Kind.TABLET: _l("Tablet"),
    Kind.COMPUTER: _l("Computer"),
    Kind.PROGRAM: _l("Program or script"),
    Kind.UNKNOWN: _l("Unknown device"),
}


@dataclass(frozen=True)
class Device:
    browser: str
    os: str
    kind: Kind
    name: str

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass(frozen=True)
class _Parsed:
    browser: str
    system: str
    model: str
    kind: Kind


@lru_cache(maxsize=512)
def _parsed(user_agent: str) -> _Parsed:
    agent = parse(user_agent or "")
    browser = _name(agent.browser.family, agent.browser.version_string.split(".")[0])
    system = _name(agent.os.family, agent.os.version_string)
    model = agent.device.model if agent.device.family not in GENERIC_MODELS else ""
    if agent.is_tablet:
        kind = Kind.TABLET
    elif agent.is_mobile:
        kind = Kind.PHONE
    elif agent.is_pc:
        kind = Kind.COMPUTER
    elif browser and not system:
        kind = Kind.PROGRAM  # curl, scripts: a name and a version, no system at all
    else:
        kind = Kind.UNKNOWN
    return _Parsed(browser, system, model or "", kind)


def _name(family: str, version: str) -> str:
    if not family or family == "Other":
        return ""
    return f"{family} {version}".strip()


def describe(user_agent: str | None) -> Device:
    """The device of one User-Agent string, named in the reader's language."""
    found = _parsed((user_agent or "")[:512])
    browser = found.browser or str(UNKNOWN_BROWSER)
    system = found.system or str(UNKNOWN_SYSTEM)
    if found.kind is Kind.PROGRAM:
        name = _("%(program)s (a program, not a browser)", program=found.browser)
    elif found.browser and (found.model or found.system):
        name = _("%(browser)s on %(device)s", browser=found.browser, device=found.model or system)
    elif found.model or found.system:
        name = _("A browser on %(device)s", device=found.model or system)
    else:
        name = str(UNKNOWN_BROWSER)
    return Device(browser, system, found.kind, name)
