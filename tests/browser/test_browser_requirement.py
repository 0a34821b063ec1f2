"""Without Chromium the browser tests skip and say why; under REQUIRE_BROWSER=1 they fail."""

from __future__ import annotations

import pytest

from tests.browser import live


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "no-such-chromium"))


def test_a_missing_browser_is_a_skip_that_names_the_path(no_chromium, tmp_path):
    with pytest.raises(pytest.skip.Exception, match="no Chromium at .*no-such-chromium"):
        live.skip_or_fail_without_browser({})


def test_a_missing_browser_fails_when_one_is_required(no_chromium):
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_BROWSER=1 but no Chromium"):
        live.skip_or_fail_without_browser({"REQUIRE_BROWSER": "1"})


def test_an_executable_at_chromium_path_counts_as_present(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CHROMIUM_PATH", str(fake))
    assert live.chromium_path() == str(fake)
    assert live.missing_browser_reason() is None
    live.skip_or_fail_without_browser({"REQUIRE_BROWSER": "1"})  # neither skips nor fails
