"""Breached passwords: the Pwned Passwords range API (k-anonymity).

Only the first five hex digits of the password's SHA-1 leave the server; the service answers
with every known suffix under that prefix (padded with fake ones, ``Add-Padding: true``, so the
answer's size tells nothing either), and the match is made here. Answers are cached per prefix
for a while. When the service cannot be reached in ``PWNED_PASSWORDS_TIMEOUT`` seconds the check
is skipped with a log line and nobody is blocked; after such a failure it is not asked again
for ``PWNED_PASSWORDS_RETRY_AFTER`` seconds, so an air-gapped site pays the timeout once, not
on every sign-up.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import Flask, current_app

log = logging.getLogger("gatehouse.breached")

EXTENSION_KEY = "gatehouse.breached"
PREFIX_LENGTH = 5
MAX_ANSWER_BYTES = 2_000_000  # a padded answer is about 30 kB


@dataclass
class PwnedPasswords:
    url: str
    timeout: float
    retry_after: float
    cache_size: int
    cache_ttl: float
    clock: object = time.monotonic
    _cache: OrderedDict[str, tuple[float, frozenset[str]]] = field(default_factory=OrderedDict)
    _down_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def is_breached(self, password: str) -> bool | None:
        """True when the password is in a known breach, False when not, None when unknown."""
        digest = hashlib.sha1(password.encode("utf-8")).hexdigest().upper()
        prefix, suffix = digest[:PREFIX_LENGTH], digest[PREFIX_LENGTH:]
        suffixes = self._suffixes(prefix)
        return None if suffixes is None else suffix in suffixes

    def _suffixes(self, prefix: str) -> frozenset[str] | None:
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            cached = self._cache.get(prefix)
            if cached is not None and cached[0] > now:
                self._cache.move_to_end(prefix)
                return cached[1]
            if now < self._down_until:
                return None
        try:
            suffixes = self._fetch(prefix)
        except (OSError, ValueError, urllib.error.URLError) as error:
            with self._lock:
                self._down_until = now + self.retry_after
            log.warning(
                "pwned_passwords_unavailable error=%s skipped_for=%ss",
                type(error).__name__,
                int(self.retry_after),
            )
            return None
        with self._lock:
            self._cache[prefix] = (now + self.cache_ttl, suffixes)
            self._cache.move_to_end(prefix)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return suffixes

    def _fetch(self, prefix: str) -> frozenset[str]:
        request = urllib.request.Request(
            self.url.rstrip("/") + "/" + prefix,
            headers={"Add-Padding": "true", "User-Agent": "Gatehouse"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            body = response.read(MAX_ANSWER_BYTES).decode("ascii")
        found = set()
        for line in body.splitlines():
            suffix, _, count = line.strip().partition(":")
            if suffix and count.strip().isdigit() and int(count) > 0:  # padding lines count 0
                found.add(suffix.upper())
        return frozenset(found)


def init_app(app: Flask) -> None:
    config = app.config
    if not config["PWNED_PASSWORDS_ENABLED"]:
        app.extensions[EXTENSION_KEY] = None
        return
    app.extensions[EXTENSION_KEY] = PwnedPasswords(
        url=str(config["PWNED_PASSWORDS_URL"]),
        timeout=float(config["PWNED_PASSWORDS_TIMEOUT"]),
        retry_after=float(config["PWNED_PASSWORDS_RETRY_AFTER"]),
        cache_size=int(config["PWNED_PASSWORDS_CACHE_SIZE"]),
        cache_ttl=float(config["PWNED_PASSWORDS_CACHE_TTL"]),
    )


def seen_in_breaches(password: str) -> bool:
    """Whether a new password is known from breaches (False when the check is off or down)."""
    checker: PwnedPasswords | None = current_app.extensions.get(EXTENSION_KEY)
    return bool(checker is not None and checker.is_breached(password))
