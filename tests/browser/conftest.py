"""Fixtures for the browser tests: one server and one Chromium for the whole run, and a fresh
browser context (its own cookie jar) for every test.

Without Chromium (or Playwright) the tests are skipped with the reason; with
``REQUIRE_BROWSER=1`` (set by CI) a missing browser fails the run instead.
"""

from __future__ import annotations

import pytest

from tests.browser import live
from tests.browser.helpers import ACCESS_TOKEN_TTL, DESKTOP, THROTTLES


@pytest.fixture(scope="session")
def browser_available() -> None:
    live.skip_or_fail_without_browser()


@pytest.fixture(scope="session")
def live_server(browser_available, tmp_path_factory):
    """The site served over HTTP by ``flask run``, with a 2-second access token."""
    workdir = tmp_path_factory.mktemp("live-server")
    # The grace window must be shorter than the access token's life (the site checks it).
    overrides = {
        "FLASK_ACCESS_TOKEN_TTL": str(ACCESS_TOKEN_TTL),
        "FLASK_REFRESH_REUSE_GRACE": "1",
        **THROTTLES,
    }
    with live.live_server(workdir, overrides) as server:
        yield server


@pytest.fixture(scope="session")
def browser(browser_available):
    with live.chromium() as browser:
        yield browser


@pytest.fixture
def new_context(browser, live_server):
    """Open more browser contexts (separate cookie jars, like separate devices)."""
    opened = []

    def make(**options):
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    page = context.new_page()
    yield page
    page.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing browser test, add the end of the server's log to the report."""
    report = yield
    if report.failed and call.when == "call" and "live_server" in item.fixturenames:
        server = item.funcargs.get("live_server")
        if server is not None:
            report.sections.append(("server log (tail)", server.log_tail()))
    return report
