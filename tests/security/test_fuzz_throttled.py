"""Hostile form input with throttling on: the limiter reads the submitted email before any view.

A module of its own because the one Flask-Limiter object of the process follows the settings
of the app built last, so a throttled app must not share a module with unthrottled ones.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given

from app.extensions import db
from tests.security.helpers import build_app, sign_up
from tests.security.test_fuzz import HEAVY_FUZZ, _post_form, any_text, email_like


@pytest.fixture(scope="module")
def throttled_app(tmp_path_factory):
    app = build_app(tmp_path_factory, RATELIMIT_ENABLED=True)
    sign_up(app, "owner@example.com")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.no_leak_check("passwords", reason="fuzzed passwords collide with echoed emails")
@HEAVY_FUZZ
@given(email=email_like, password=any_text)
def test_arbitrary_login_input_with_throttling_on_never_5xx(throttled_app, email, password):
    """The throttle reads the submitted email before the view does: it must cope too."""
    response = _post_form(throttled_app, "/auth/login", {"email": email, "password": password})
    event(f"status {response.status_code}")
    assert response.status_code in (200, 400, 413, 429), response.status_code


def test_the_per_email_throttle_counts_both_unicode_spellings_together(throttled_app):
    from app.web.throttle import account_key

    keys = {
        account_key(spelling) for spelling in ("jos\u00e9@example.com", "JOSE\u0301@example.com ")
    }
    assert len(keys) == 1 and None not in keys
