"""The request's language and time zone are looked up once and kept on the request: a
``force_locale`` inside a request (a mail in the recipient's language) must still get its own
language, the page after it the page's again, and each request its own ``tz`` cookie."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template_string
from flask_babel import force_locale

from app.web.i18n import request_locale, request_translations

KOREAN_BROWSER = {"Accept-Language": "ko-KR,ko;q=0.9"}
PAGE = "{{ _('Account') }} {{ at|datetimeformat('HH:mm') }} {{ reader_zone_label() }}"
AT = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def test_a_forced_locale_inside_a_korean_request_gets_english_and_then_korean_again(app):
    with app.test_request_context("/account", headers=KOREAN_BROWSER):
        assert str(request_locale()) == "ko"
        assert request_translations().ugettext("Account") == "계정"
        assert render_template_string(PAGE, at=AT).startswith("계정")
        with force_locale("en"):
            assert str(request_locale()) == "en"
            assert request_translations().ugettext("Account") == "Account"
            assert render_template_string(PAGE, at=AT).startswith("Account")
        assert str(request_locale()) == "ko"
        assert render_template_string(PAGE, at=AT).startswith("계정")


def test_each_request_reads_its_own_time_zone_cookie(app):
    with app.test_request_context("/account", headers={"Cookie": "tz=Asia/Seoul"}):
        assert render_template_string(PAGE, at=AT).split()[1] == "12:00"
    with app.test_request_context("/account", headers={"Cookie": "tz=America/New_York"}):
        assert render_template_string(PAGE, at=AT).split()[1] == "22:00"
    with app.test_request_context("/account"):
        assert render_template_string(PAGE, at=AT).split()[1:] == ["03:00", "UTC"]


def test_a_page_label_with_a_percent_sign_is_still_formatted_as_jinja_does(app):
    with app.test_request_context("/account"):
        assert render_template_string("{{ _('100%% sure') }}") == "100% sure"
        assert render_template_string("{{ _('Hello %(name)s', name='<b>') }}") == (
            "Hello &lt;b&gt;"
        )
