"""Where the app finds its templates, static files and instance folder.

From a checkout (``make run``, an editable install) the templates and static files are the
repository's top-level folders; an installed wheel carries them inside the package
(``app/templates``, ``app/static``; see setup.py). The instance folder (configuration,
secrets, the SQLite database) is ``GATEHOUSE_INSTANCE_PATH`` when set, else ``instance/`` of
the checkout, else Flask's default for an installed package (``<prefix>/var/app-instance``).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent
INSTANCE_VARIABLE = "GATEHOUSE_INSTANCE_PATH"


def site_folder(name: str) -> str:
    """``templates`` or ``static``: the packaged copy if there is one, else the checkout's."""
    packaged = PACKAGE / name
    return str(packaged if packaged.is_dir() else CHECKOUT / name)


def is_checkout() -> bool:
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "templates").is_dir()


def instance_path() -> str | None:
    """None lets Flask choose (the installed-package default)."""
    configured = os.environ.get(INSTANCE_VARIABLE, "").strip()
    if configured:
        return str(Path(configured).resolve())
    return str(CHECKOUT / "instance") if is_checkout() else None
