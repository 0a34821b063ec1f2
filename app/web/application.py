"""The Flask class the site runs on: Flask, with each hook's sync check made once.

Flask passes every hook, context processor and view through ``ensure_sync`` on every request,
and that asks ``inspect.iscoroutinefunction`` each time: with a dozen hooks that is a dozen
checks per request whose answer never changes. Flask documents ``ensure_sync`` as the method
to override; this one remembers the answer per function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

# Hooks and views are registered at start-up, so a few hundred entries cover them all; a
# function made afresh per request (none is, today) is checked each time instead of kept.
MAX_REMEMBERED = 512


class Gatehouse(Flask):
    """Flask, remembering which registered functions need an async wrapper."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_callables: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        known = self._sync_callables
        try:
            return known[func]
        except KeyError:
            pass
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        ready = super().ensure_sync(func)
        if len(known) < MAX_REMEMBERED:
            known[func] = ready
        return ready
