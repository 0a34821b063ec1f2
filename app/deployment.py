"""Start-up checks of how the site is deployed.

Several worker processes need shared state: the revocation list (else a sign-out is
honoured at once only by the worker that handled it) and the throttle's counters (else each
worker counts on its own and the limits multiply). With more than one worker and either of
them still in process memory, the site says so in one warning line per worker at start-up.

The number of workers comes from ``GATEHOUSE_WORKERS`` (set by ``deploy/gunicorn.conf.py``
in every worker it forks) or else ``WEB_CONCURRENCY`` (gunicorn's own default for ``-w``).
"""

from __future__ import annotations

import logging
import os

from flask import Flask

log = logging.getLogger("gatehouse.deployment")

WORKER_VARIABLES = ("GATEHOUSE_WORKERS", "WEB_CONCURRENCY")


def init_app(app: Flask) -> None:
    workers = worker_count()
    if workers <= 1:
        return
    cfg = app.config
    if not cfg["REVOCATION_STORE_URI"]:
        log.warning(
            "%d workers share no revocation list: a sign-out reaches the other workers only "
            "when their access tokens expire. Set REVOCATION_STORE_URI=redis://…",
            workers,
        )
    storage = str(cfg.get("RATELIMIT_STORAGE_URI") or "memory://")
    if cfg["RATELIMIT_ENABLED"] and storage.startswith("memory://"):
        log.warning(
            "%d workers keep their own throttle counters: every limit is %d times as "
            "generous. Set RATELIMIT_STORAGE_URI=redis://…",
            workers,
            workers,
        )


def worker_count() -> int:
    for name in WORKER_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1
