"""Throttling with Flask-Limiter's storage: logins, sign-ups, reset requests and the forms
that check passwords.

- A password attempt is counted *before* it is checked, with one atomic increment per budget
  (``count_attempt``), so parallel guesses cannot slip past a limit; a success gives its
  count back, so only failures use a budget up.
- Keys have a small fixed size (a hash of the normalised value) and input that cannot be an
  address never becomes a key.
- The per-account login budget is shared by unknown clients only; a browser that signed in
  to the account before has a budget of its own (``app.web.known_browser``).

Every window expires by itself, so an owner is slowed down at worst, never locked out for
good. Storage is in memory by default; ``RATELIMIT_STORAGE_URI`` (for example
``redis://127.0.0.1:6379``) shares it between workers. ``RATELIMIT_ENABLED=false`` turns it off.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from ..accounts.emails import normalize_email
from . import known_browser, limiter_internals

limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    _skip_when_idle(app)


def _skip_when_idle(app: Flask) -> None:
    """Run Flask-Limiter's per-request hooks only for requests that a limit can concern.

    Flask-Limiter resolves, for every request, which limits apply, then fills in headers and
    resets its bookkeeping after the response; on a page with no limit that costs about as
    much as a JWT decode. A view decorated with ``limiter.limit`` checks its own limits in
    the decorator's wrapper; the hooks matter only for such views and when default,
    application, blueprint or meta limits (or limits hinted for an endpoint) exist. Anything
    unexpected (a Flask-Limiter without these attributes) runs the hooks as before.
    """
    limiter_internals.wrap_request_hooks(app, limiter, _unless_idle)


IDLE_KEY = "_gatehouse_limiter_idle"


def _unless_idle(hook: Callable, passthrough: bool = False) -> Callable:
    @wraps(hook)
    def run(*args: Any) -> Any:
        if not _idle_for_this_request():
            return hook(*args)
        return args[0] if passthrough else None

    return run


def _idle_for_this_request() -> bool:
    """``limiter_idle()``, decided once per request for its three hooks (before, after and
    teardown), so the hooks of one request always agree."""
    idle = g.get(IDLE_KEY)
    if idle is None:
        idle = limiter_idle()
        setattr(g, IDLE_KEY, idle)
    return idle


def limiter_idle() -> bool:
    """True when no limit can apply to this request (its view has none and none is global)."""
    if limiter_internals.has_global_limits(limiter):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return view is None or not _has_own_limits(view)


_OWN_LIMITS: dict[Callable, bool] = {}


def _has_own_limits(view: Callable) -> bool:
    """Whether ``limiter.limit`` decorated this view (decoration happens before routing)."""
    known = _OWN_LIMITS.get(view)
    if known is None:
        marked = limiter_internals.marked_for_limiting(limiter)
        known = marked is None or get_qualified_name(view) in marked
        _OWN_LIMITS[view] = known
    return known


def _digest(value: str) -> str:
    """32 hex characters, whatever the length of ``value``: keys never pin memory."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def account_key(email: object) -> str | None:
    """The per-account key of a submitted address, the same for the form and the API.

    Normalised (``app.accounts.emails``), then hashed to a fixed size; None when the input
    cannot be an address, so such input never reaches the limiter's storage.
    """
    address = normalize_email(email)
    return "account:" + _digest(address) if address is not None else None


def address_key() -> str:
    """The per-client key: the remote address (as ProxyFix trusts it), hashed."""
    return "ip:" + _digest(request.remote_addr or "-")


def signed_in_user() -> str:
    """The throttling key for a signed-in person's own forms (runs after authentication)."""
    user = g.get("user")
    return f"user:{user.user_id}" if user is not None else "user:-"


# --- Counted attempts: counted before they are checked, atomically ---

NAMESPACE = "gatehouse"
COUNTERS_KEY = "gatehouse.throttle"
OUTAGE_RETRY = 30.0  # seconds of counting in memory before the shared storage is tried again

log = logging.getLogger("gatehouse.throttle")


class Counters:
    """Fixed-window counters over Flask-Limiter's own storage: an increment is atomic, and a
    negative one gives an attempt back.

    When the shared storage (Redis) fails, counting goes on in process memory for
    ``OUTAGE_RETRY`` seconds, as Flask-Limiter's own in-memory fallback does, so an outage
    slows nobody down by a timeout per request and never turns a sign-in into a 500.
    """

    def __init__(self, storage: Any, *, fallback: bool) -> None:
        self.storage = storage
        self.primary = FixedWindowRateLimiter(storage)
        self.memory = FixedWindowRateLimiter(MemoryStorage()) if fallback else None
        self.down_until = 0.0

    def _active(self) -> FixedWindowRateLimiter:
        if self.memory is not None and time.monotonic() < self.down_until:
            return self.memory
        return self.primary

    def hit(
        self, item: RateLimitItem, key: str, cost: int = 1
    ) -> tuple[bool, FixedWindowRateLimiter]:
        strategy = self._active()
        try:
            return strategy.hit(item, NAMESPACE, key, cost=cost), strategy
        except (
            Exception
        ) as error:  # the storage's own errors (connection, timeout) differ by backend
            if self.memory is None or strategy is self.memory:
                raise
            log.warning(
                "throttle storage unavailable (%s): falling back to in-memory counting",
                type(error).__name__,
            )
            self.down_until = time.monotonic() + OUTAGE_RETRY
            return self.memory.hit(item, NAMESPACE, key, cost=cost), self.memory


@dataclass
class Attempt:
    """One attempt, already counted in each of its budgets; ``succeeded`` gives it back."""

    counted: list[tuple[FixedWindowRateLimiter, RateLimitItem, str]] = field(default_factory=list)

    def succeeded(self) -> None:
        """Only failures use a budget up: a success returns what it was counted as."""
        for strategy, item, key in self.counted:
            try:
                strategy.hit(item, NAMESPACE, key, cost=-1)
            except Exception as error:  # a refund lost to an outage only makes a window stricter
                log.warning("throttle refund lost (%s)", type(error).__name__)
        self.counted.clear()


def count_attempt(*budgets: tuple[str, str | None]) -> Attempt:
    """Count one attempt in every ``(limit, key)`` budget *before* it is checked.

    Each count is one atomic increment in the limiter's storage (memory or Redis), so however
    many attempts arrive at once, at most the limit of them get through: the others are
    answered 429 (with ``Retry-After``) without being checked, and what they were counted as
    elsewhere is given back. A budget whose key is None is skipped.
    """
    attempt = Attempt()
    if not limiter.enabled:
        return attempt
    counters = _counters()
    refused: list[tuple[FixedWindowRateLimiter, RateLimitItem, str]] = []
    for limit, key in budgets:
        if key is None:
            continue
        item = parse(limit)
        allowed, strategy = counters.hit(item, key)
        (attempt.counted if allowed else refused).append((strategy, item, key))
    if refused:
        attempt.succeeded()  # not checked, so it uses up nothing in the other budgets
        resets = []
        for strategy, item, key in refused:
            try:
                resets.append(strategy.get_window_stats(item, NAMESPACE, key).reset_time)
            except Exception:  # the storage went away meanwhile: say the whole window
                resets.append(time.time() + item.get_expiry())
        raise TooManyRequests(retry_after=max(1, math.ceil(max(resets) - time.time())))
    return attempt


def _counters() -> Counters:
    extensions = current_app.extensions
    counters = extensions.get(COUNTERS_KEY)
    if counters is None or counters.storage is not limiter.storage:
        fallback = bool(current_app.config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"))
        counters = extensions[COUNTERS_KEY] = Counters(limiter.storage, fallback=fallback)
    return counters


def login_attempt(email: object, user: known_browser.Account | None) -> Attempt:
    """Count a password login (form or API) before the password is checked.

    Budgets: the client's address; and the account, shared by every unknown client, or, for a
    browser that has signed in to this account before, a budget of that browser's own.
    """
    config = current_app.config
    browser = known_browser.budget_key(user)
    account = (
        (config["LOGIN_LIMIT_PER_KNOWN_BROWSER"], browser)
        if browser is not None
        else (config["LOGIN_LIMIT_PER_EMAIL"], account_key(email))
    )
    return count_attempt((config["LOGIN_LIMIT_PER_ADDRESS"], address_key()), account)


def password_check_attempt() -> None:
    """Count a form that checks a new password's strength (change, reset): every POST."""
    user = g.get("user")
    key = signed_in_user() if user is not None else address_key()
    count_attempt((current_app.config["PASSWORD_CHECK_LIMIT"], "check:" + key))


def current_password_attempt() -> Attempt:
    """Count a guess at the current password (change-password form) before it is checked."""
    return count_attempt((current_app.config["PASSWORD_CHANGE_LIMIT"], signed_in_user()))


# Every sign-up attempt counts: the form also tells whether an address has an account.
register_per_address = limiter.limit(
    lambda: current_app.config["REGISTER_LIMIT_PER_ADDRESS"],
    methods=["POST"],
)
