"""The Flask-Limiter internals the throttle's idle skip reads are still where it reads them.

Each test fails when an installed Flask-Limiter renames or moves one of them, before the idle
skip could quietly stop skipping (slower pages) or, worse, skip a limit it no longer sees.
"""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address

from app.web import limiter_internals
from app.web.throttle import limiter


def fresh_app(**limiter_options) -> tuple[Flask, Limiter]:
    app = Flask(__name__)
    own = Limiter(get_remote_address, app=app, storage_uri="memory://", **limiter_options)
    return app, own


def test_every_private_name_read_exists_on_the_installed_flask_limiter(app):
    assert limiter_internals.missing_names(limiter) == []


def test_the_three_request_hooks_are_found_and_still_run_through_the_wrapper():
    app, own = fresh_app()
    ran: list[str] = []

    def wrap(hook, passthrough):
        def run(*args):
            ran.append("after" if passthrough else "hook")
            return hook(*args)

        return run

    assert limiter_internals.wrap_request_hooks(app, own, wrap) == 3

    @app.get("/")
    @own.limit("1 per minute")
    def index():
        return "ok"

    client = app.test_client()
    assert client.get("/").status_code == 200
    assert ran == ["hook", "after", "hook"]  # before, after, teardown
    assert client.get("/").status_code == 429  # the wrapped hooks still let the limit work


def test_no_global_limits_on_a_limiter_with_decorated_views_only():
    app, own = fresh_app()

    @app.get("/")
    @own.limit("1 per minute")
    def index():
        return "ok"

    assert not limiter_internals.has_global_limits(own)
    assert limiter_internals.marked_for_limiting(own) == {get_qualified_name(index)}


@pytest.mark.parametrize(
    "options",
    [
        {"default_limits": ["5 per minute"]},
        {"application_limits": ["5 per minute"]},
        {"meta_limits": ["5 per hour"]},
    ],
    ids=["default", "application", "meta"],
)
def test_default_application_and_meta_limits_count_as_global(options):
    _, own = fresh_app(**options)
    assert limiter_internals.has_global_limits(own)


def test_a_blueprint_limit_counts_as_global():
    app, own = fresh_app()
    pages = Blueprint("pages", __name__)
    own.limit("5 per minute")(pages)
    app.register_blueprint(pages)
    assert limiter_internals.has_global_limits(own)


def test_a_limiter_laid_out_differently_never_skips_a_limit():
    class Renamed:
        limit_manager = object()

    assert limiter_internals.has_global_limits(Renamed())  # type: ignore[arg-type]
    assert limiter_internals.marked_for_limiting(Renamed()) is None  # type: ignore[arg-type]
