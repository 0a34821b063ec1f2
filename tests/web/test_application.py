"""The site's Flask class remembers each hook's sync check; what Flask decides must not change."""

from __future__ import annotations

import pytest

from app.web.application import MAX_REMEMBERED, Gatehouse


def test_the_app_runs_on_the_gatehouse_class(app):
    assert isinstance(app, Gatehouse)


def test_a_plain_function_is_returned_as_is_and_remembered(app):
    def hook():
        return None

    assert app.ensure_sync(hook) is hook
    assert app._sync_callables[hook] is hook


def test_an_async_function_still_goes_through_flask_and_is_not_taken_for_a_plain_one(
    app, monkeypatch
):
    async def hook():
        return None

    wrapped = []

    def fake_async_to_sync(func):
        wrapped.append(func)
        return lambda: "ran"

    monkeypatch.setattr(app, "async_to_sync", fake_async_to_sync)
    runner = app.ensure_sync(hook)
    assert runner() == "ran"
    assert wrapped == [hook]
    assert app.ensure_sync(hook) is runner  # the wrapper is made once


def test_an_unhashable_callable_is_checked_each_time(app):
    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        def __call__(self):
            return "ok"

    func = Unhashable()
    assert app.ensure_sync(func) is func


def test_functions_made_afresh_are_not_kept_past_the_bound(app):
    for _ in range(MAX_REMEMBERED + 50):
        app.ensure_sync(lambda: None)
    assert len(app._sync_callables) <= MAX_REMEMBERED


@pytest.mark.parametrize("path", ["/", "/auth/login"])
def test_pages_still_answer(client, path):
    assert client.get(path).status_code == 200
