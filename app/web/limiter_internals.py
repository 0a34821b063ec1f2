"""Everything the throttle's idle skip reads of Flask-Limiter that is not public API.

Flask-Limiter offers no public way to ask "can any limit concern this request?" nor to find
the three request hooks ``Limiter.init_app`` installs, so this module reads the names below
and nothing else does. They are those of the Flask-Limiter range pinned in ``pyproject.toml``;
``tests/web/test_limiter_internals.py`` fails as soon as an installed version lays them out
differently. Should one go missing anyway, every answer here falls back to "run the hooks as
Flask-Limiter would", so throttling is never skipped by mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Flask
from flask_limiter import Limiter

# The hooks ``Limiter.init_app`` installs: a bound method before the request, a partial of the
# name-mangled ``__inject_headers`` after it, and the bound ``__release_context`` at teardown.
BEFORE_HOOK = "_check_request_limit"
AFTER_HOOK = "_Limiter__inject_headers"
TEARDOWN_HOOK = "_Limiter__release_context"
# Limits that apply beyond the decorated views (on the limiter and on its limit manager).
LIMITER_GLOBALS = ("_meta_limits",)
MANAGER_GLOBALS = (
    "_default_limits",
    "_application_limits",
    "_blueprint_limits",
    "_endpoint_hints",
)
# Qualified names of the views ``limiter.limit`` decorated.
MARKED = "_marked_for_limiting"

Wrapper = Callable[[Callable[..., Any], bool], Callable[..., Any]]


def missing_names(limiter: Limiter) -> list[str]:
    """The private names this module reads that ``limiter`` (after ``init_app``) lacks."""
    wanted = [
        (Limiter, AFTER_HOOK),
        (Limiter, TEARDOWN_HOOK),
        (limiter, BEFORE_HOOK),
        (limiter, MARKED),
        *((limiter, name) for name in LIMITER_GLOBALS),
        *((limiter.limit_manager, name) for name in MANAGER_GLOBALS),
    ]
    return [name for owner, name in wanted if not hasattr(owner, name)]


def wrap_request_hooks(app: Flask, limiter: Limiter, wrap: Wrapper) -> int:
    """Replace ``limiter``'s before, after and teardown hooks on ``app`` with ``wrap(hook,
    passthrough)`` (``passthrough``: the hook returns its argument, the response).

    Returns how many hooks were wrapped (three, unless Flask-Limiter changed).
    """
    before_hook = getattr(limiter, BEFORE_HOOK, None)
    after_hook = getattr(Limiter, AFTER_HOOK, None)
    teardown_func = getattr(Limiter, TEARDOWN_HOOK, None)
    wrapped = 0
    before: list[Any] = app.before_request_funcs.get(None, [])
    for index, hook in enumerate(before):
        if before_hook is not None and hook == before_hook:
            before[index] = wrap(hook, False)
            wrapped += 1
    after: list[Any] = app.after_request_funcs.get(None, [])
    for index, hook in enumerate(after):
        if (
            isinstance(hook, partial)
            and hook.args[:1] == (limiter,)
            and after_hook is not None
            and hook.func is after_hook
        ):
            after[index] = wrap(hook, True)
            wrapped += 1
    teardown: list[Any] = app.teardown_request_funcs.get(None, [])
    for index, hook in enumerate(teardown):
        if (
            getattr(hook, "__self__", None) is limiter
            and teardown_func is not None
            and getattr(hook, "__func__", None) is teardown_func
        ):
            teardown[index] = wrap(hook, False)
            wrapped += 1
    return wrapped


def has_global_limits(limiter: Limiter) -> bool:
    """Whether default, application, blueprint or meta limits (or limits hinted for an
    endpoint) exist, i.e. limits that may apply to a view not decorated itself.

    True when Flask-Limiter is laid out differently, so that the hooks always run.
    """
    try:  # the names of LIMITER_GLOBALS and MANAGER_GLOBALS, read directly: once per request
        manager = limiter.limit_manager
        return bool(
            manager._default_limits
            or manager._application_limits
            or manager._blueprint_limits
            or manager._endpoint_hints
            or limiter._meta_limits
        )
    except AttributeError:
        return True


def marked_for_limiting(limiter: Limiter) -> set[str] | None:
    """Qualified names of the views ``limiter.limit`` decorated (None: unknown)."""
    marked = getattr(limiter, MARKED, None)
    return marked if isinstance(marked, set) else None
