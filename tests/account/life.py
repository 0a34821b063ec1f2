"""Helpers of the account's-life tests: mails by kind and the links in them."""

from __future__ import annotations

import re

from tests.helpers import csrf_token

LINK_RE = re.compile(
    r"http://localhost(/auth/(?:email/confirm|email/undo|lockdown|reset)/[A-Za-z0-9_\-]+)"
)


def text_of(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def html_of(mail) -> str:
    return mail.get_body(preferencelist=("html",)).get_content()


def links(mail, kind: str) -> list[str]:
    """Paths of the links of ``kind`` ("email/confirm", "email/undo", "lockdown", "reset")."""
    return [m for m in LINK_RE.findall(text_of(mail)) if m.startswith(f"/auth/{kind}/")]


def link(mail, kind: str) -> str:
    found = links(mail, kind)
    assert len(found) == 1, f"expected one {kind} link in {text_of(mail)!r}"
    return found[0]


def post_form(client, page_path: str, data: dict | None = None, action: str | None = None):
    """Open a page, then post its form (with its CSRF token) to ``action`` or the same path."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text
    return client.post(
        action or page_path, data={"csrf_token": csrf_token(page.text), **(data or {})}
    )
