"""Compiled message catalogs: build ``messages.mo`` from ``messages.po`` when it is missing or stale.

Only the ``.po`` files are kept in version control. ``make translations`` compiles them, and the
app does the same at start-up for any catalog whose ``.mo`` is missing or older than its
``.po``, so a fresh checkout, a plain ``pip install -e .`` or a merge that brought new
translations never silently falls back to English. Fuzzy entries are left out, exactly as
``pybabel compile`` does.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger("gatehouse.i18n")

DOMAIN = "messages"


def stale_catalogs(directory: Path, domain: str = DOMAIN) -> list[Path]:
    """The ``.po`` files under ``directory`` whose ``.mo`` is missing or older."""
    stale = []
    for po in sorted(directory.glob(f"*/LC_MESSAGES/{domain}.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_catalog(po: Path) -> Path:
    """Write ``po``'s ``.mo`` beside it, atomically, so a parallel reader never sees half a file."""
    locale = po.parent.parent.name
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    mo = po.with_suffix(".mo")
    fd, tmp = tempfile.mkstemp(dir=po.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return mo


def compile_stale(directories: list[str], domain: str = DOMAIN) -> list[Path]:
    """Compile every stale catalog; a read-only install is logged, never fatal."""
    written = []
    for directory in directories:
        for po in stale_catalogs(Path(directory), domain):
            try:
                written.append(compile_catalog(po))
            except OSError as error:
                log.warning("could not compile %s: %s", po, type(error).__name__)
    return written
