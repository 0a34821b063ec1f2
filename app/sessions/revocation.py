"""The revocation list: sessions signed out in the last few minutes, checked without SQL.

An access token is trusted until it expires, without a database query. Revoking a session
stops its refresh tokens at once (they live in the database), but its access tokens would keep
working until they expire. To sign the session out at once, the ids of revoked sessions are
kept here, and the valid-access path asks ``is_revoked(sid)`` before it trusts a token. Each
entry carries its own expiry: the newest ``exp`` of any access token the session was given
(recorded on the session row by whichever worker issued it), plus the leeway. So a worker
running with a shorter ``ACCESS_TOKEN_TTL`` than another still keeps the entry long enough for
the other's tokens, and the list stays small.

Two stores:

- ``MemoryRevocationStore`` (default): a dict in this process, an O(1) lookup. Other worker
  processes do not see its entries, so with several workers a revoked session's access tokens
  keep working on the others until they expire.
- ``RedisRevocationStore`` (``REVOCATION_STORE_URI=redis://...``): one key per session with an
  ``EX`` expiry of its own, shared by every worker. Each check is one ``EXISTS`` round trip.

``SessionStore`` is the one place that feeds the list, so logout, "sign out
all other sessions", a password change and refresh-token reuse all use it.
"""

from __future__ import annotations

import heapq
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy import select

from .authority import EXTENSION_KEY as AUTHORITY_KEY

log = logging.getLogger("gatehouse.revocation")

EXTENSION_KEY = "gatehouse.revocation"


class RevocationStore(Protocol):
    def add(self, entries: Mapping[str, float], now: float) -> None:
        """Remember each session id until its own expiry (a Unix time)."""

    def is_revoked(self, session_id: str, now: float) -> bool: ...


class MemoryRevocationStore:
    """Session ids with the time they may be forgotten, in one process.

    Each entry carries its own expiry; a heap orders them, so expired entries are dropped
    in O(log n) each on every ``add``. Past ``max_entries`` the entries closest to their
    expiry are dropped first.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._expires: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def add(self, entries: Mapping[str, float], now: float) -> None:
        with self._lock:
            for sid, expires in entries.items():
                expires = max(expires, self._expires.get(sid, expires))
                self._expires[sid] = expires
                heapq.heappush(self._heap, (expires, sid))
            while self._heap:
                expires, sid = self._heap[0]
                if expires > now and len(self._expires) <= self.max_entries:
                    break
                heapq.heappop(self._heap)
                if self._expires.get(sid) == expires:
                    del self._expires[sid]

    def is_revoked(self, session_id: str, now: float) -> bool:
        expires = self._expires.get(session_id)
        return expires is not None and expires > now

    def __len__(self) -> int:
        return len(self._expires)


class RedisRevocationStore:
    """One Redis key per revoked session, expiring by itself at the entry's own expiry."""

    def __init__(self, client, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str, timeout: float) -> RedisRevocationStore:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return cls(client, prefix)

    def add(self, entries: Mapping[str, float], now: float) -> None:
        pipe = self.client.pipeline(transaction=False)
        for sid, expires in entries.items():
            seconds = math.ceil(expires - now)
            if seconds > 0:  # a shorter entry never cuts a longer one short (GT)
                pipe.set(self.prefix + sid, "1", ex=seconds, nx=True)
                pipe.expire(self.prefix + sid, seconds, gt=True)
        pipe.execute()

    def is_revoked(self, session_id: str, now: float) -> bool:
        return bool(self.client.exists(self.prefix + session_id))


class RevocationList:
    """The app's list: feeds and asks its store, and decides what a store failure means.

    A failed write is logged and otherwise ignored: the session is already revoked in the
    database, so at worst its access tokens live out their short lifetime. A failed read asks
    the database instead (one indexed query: is the session revoked?), so an outage of the
    store signs nobody out and trusts no revoked token; the store is tried again after
    ``retry_interval`` seconds, and the outage and the recovery are logged once each. When
    the database does not answer either, the request gets the 503 page.
    """

    def __init__(
        self, store: RevocationStore, clock: Callable[[], float], retry_interval: float = 2.0
    ) -> None:
        self.store = store
        self.clock = clock
        self.retry_interval = retry_interval
        self._store_down_until: float | None = None  # monotonic time of the next try

    def revoke(self, entries: Mapping[str, float]) -> None:
        """Revoke sessions until their given expiries (Unix times), which
        ``SessionStore`` computes from the newest access token each session was given."""
        if not entries:
            return
        try:
            self.store.add(entries, self.clock())
        except Exception as error:  # a store outage must not undo a committed sign-out
            log.error("revocation list unavailable on write: %s", type(error).__name__)

    def is_revoked(self, session_id: str, now: float) -> bool:
        down_until = self._store_down_until
        if down_until is None or time.monotonic() >= down_until:
            try:
                revoked = self.store.is_revoked(session_id, now)
            except Exception as error:
                if down_until is None:
                    log.error(
                        "revocation list unavailable on read: %s; asking the database",
                        type(error).__name__,
                    )
                self._store_down_until = time.monotonic() + self.retry_interval
            else:
                if down_until is not None:
                    log.warning("revocation list available again")
                    self._store_down_until = None
                return revoked
        return _revoked_in_database(session_id)


def _revoked_in_database(session_id: str) -> bool:
    """The database's word: revoked, or gone (pruned after it ended)."""
    from ..db.models import LoginSession  # here: the models are not needed otherwise
    from ..extensions import db

    row = db.session.execute(
        select(LoginSession.revoked_at).where(LoginSession.id == session_id)
    ).first()
    return row is None or row.revoked_at is not None


def init_app(app: Flask) -> None:
    """Build the list from config (after ``authority.init_app``, whose clock it uses)."""
    config = app.config
    uri = config["REVOCATION_STORE_URI"]
    if uri:
        store: RevocationStore = RedisRevocationStore.from_url(
            uri, config["REVOCATION_KEY_PREFIX"], float(config["REVOCATION_TIMEOUT"])
        )
    else:
        store = MemoryRevocationStore(int(config["REVOCATION_MAX_ENTRIES"]))
    clock = app.extensions[AUTHORITY_KEY].clock
    app.extensions[EXTENSION_KEY] = RevocationList(store, clock)


def get_revocation_list() -> RevocationList:
    return current_app.extensions[EXTENSION_KEY]
