"""What ``/healthz`` reports: each dependency as "ok", "unavailable" or "not_configured".

The database is required by default (``HEALTHZ_REQUIRED``): without it nobody can sign in, so
a load balancer should send people elsewhere. Redis is not: while it is down the throttle
counts in each process's memory and the revocation list is read from the database, so the
site keeps working; ``/healthz`` then says "degraded" with a 200, unless ``HEALTHZ_REQUIRED``
names "redis" too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from ..db.engine import ping
from ..extensions import db
from ..sessions.revocation import RedisRevocationStore, get_revocation_list
from ..web.throttle import limiter

log = logging.getLogger("gatehouse.health")

OK, UNAVAILABLE, NOT_CONFIGURED = "ok", "unavailable", "not_configured"
REDIS_SCHEMES = ("redis", "rediss", "redis+sentinel", "redis+cluster", "valkey")


def database_status() -> str:
    try:
        ping(db.engine)
    except SQLAlchemyError as error:
        orig = getattr(error, "orig", None)
        log.error("healthz: database unavailable (%s)", type(orig or error).__name__)
        return UNAVAILABLE
    return OK


def redis_status() -> str:
    """One answer for every Redis the site uses (revocation list, throttle storage)."""
    checks: list[tuple[str, Callable[[], bool]]] = []
    store = get_revocation_list().store
    if isinstance(store, RedisRevocationStore):
        checks.append(("revocation list", lambda: _ping(store)))
    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "")
    if limiter.enabled and uri.split("://", 1)[0] in REDIS_SCHEMES:
        checks.append(("throttle storage", _check_limiter_storage))
    if not checks:
        return NOT_CONFIGURED
    down = [name for name, check in checks if not check()]
    if down:
        log.error("healthz: redis unavailable (%s)", ", ".join(down))
        return UNAVAILABLE
    return OK


def report() -> tuple[dict[str, str], int]:
    """The JSON body and the status code of ``/healthz``."""
    found = {"database": database_status(), "redis": redis_status()}
    required = set(current_app.config["HEALTHZ_REQUIRED"])
    if any(found[name] == UNAVAILABLE for name in required if name in found):
        return {"status": UNAVAILABLE, **found}, 503
    status = "degraded" if UNAVAILABLE in found.values() else OK
    return {"status": status, **found}, 200


def _ping(store: RedisRevocationStore) -> bool:
    try:
        return bool(store.client.ping())
    except Exception:  # any failure of the client means: not usable now
        return False


def _check_limiter_storage() -> bool:
    try:
        return bool(limiter.storage.check())
    except Exception:
        return False
