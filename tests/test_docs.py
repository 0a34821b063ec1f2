"""The configuration reference (docs/configuration.md) says what app/config.py does.

Every key of ``DEFAULTS`` has a row with its actual default, and every row names a real key,
so neither can drift from the other. A default cell starts with the value as it would be
written in ``FLASK_<KEY>`` (JSON: ``true``, ``900``, ``["en", "ko"]``; strings bare; a path
inside the project relative to its root) in backticks; a ``None`` default reads "unset",
followed by what is derived instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION = ROOT / "docs" / "configuration.md"
ROW = re.compile(
    r"^\|\s*`(?P<key>[A-Z][A-Z0-9_]*)`\s*\|(?P<default>[^|]*)\|(?P<meaning>[^|]*)\|\s*$"
)
LEADING_CODE = re.compile(r"^`([^`]*)`")


def documented() -> dict[str, str]:
    """Key -> default cell of every row of the reference table."""
    rows: dict[str, str] = {}
    for line in CONFIGURATION.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            key = match["key"]
            assert key not in rows, f"{key} is documented twice"
            rows[key] = match["default"].strip()
    return rows


def shown(value: object) -> str:
    """A default as the reference writes it."""
    if isinstance(value, str):
        path = Path(value)
        if path.is_absolute() and path.is_relative_to(ROOT):
            return str(path.relative_to(ROOT))
        return value
    return json.dumps(value)


def test_the_reference_has_a_row_per_setting():
    assert len(documented()) >= len(DEFAULTS) > 0


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_default_is_documented_with_its_value(key):
    rows = documented()
    assert key in rows, f"{key} is missing from docs/configuration.md"
    cell, value = rows[key], DEFAULTS[key]
    if value is None:
        assert cell.startswith("unset"), f"{key}: the default is None, documented as {cell!r}"
        return
    code = LEADING_CODE.match(cell)
    assert code, f"{key}: the default cell {cell!r} does not start with `{shown(value)}`"
    assert code.group(1) == shown(value), f"{key}: documented {code.group(1)!r}, is {value!r}"


def test_no_documented_key_is_unknown():
    unknown = sorted(set(documented()) - set(DEFAULTS))
    assert not unknown, f"docs/configuration.md documents settings app/config.py lacks: {unknown}"


def test_a_changed_default_would_be_caught():
    """The comparison itself tells a wrong value from the right one."""
    assert shown(900) == "900" and shown(900) != "901"
    assert shown(True) == "true" and shown(["en", "ko"]) == '["en", "ko"]'
    assert shown(str(ROOT / "app" / "translations")) == "app/translations"
