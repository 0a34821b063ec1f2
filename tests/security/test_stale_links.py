"""Item: a link mailed before the password changed must not work afterwards (it would
replace the new password); reset and confirmation links alike die with every change."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, csrf_token
from tests.mailbox import LINK_RE, mail_config, smtpd  # noqa: F401

EMAIL = "person@example.com"
NEW_PASSWORD = "a-brand-new-passphrase-42"
OTHER_PASSWORD = "yet-another-long-passphrase-7"


@pytest.fixture
def config_overrides(smtpd):
    return mail_config(smtpd.port)


def _links(smtpd) -> list[str]:
    found = []
    for mail in smtpd.inbox.to(EMAIL):
        match = LINK_RE.search(mail.get_body(preferencelist=("plain",)).get_content())
        assert match
        found.append(match.group(1))
    return found


def _ask_for_reset(client) -> None:
    page = client.get("/auth/forgot")
    response = client.post(
        "/auth/forgot", data={"csrf_token": csrf_token(page.text), "email": EMAIL}
    )
    assert response.status_code == 200


def _set_password(client, link: str, password: str):
    page = client.get(link)
    if page.status_code != 200:
        return page
    return client.post(
        link,
        data={"csrf_token": csrf_token(page.text), "password": password, "confirm": password},
    )


def _change_password(client, new: str):
    page = client.get("/account/password")
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.text),
            "current_password": PASSWORD,
            "new_password": new,
            "confirm": new,
        },
    )


def test_a_password_change_kills_mailed_reset_and_confirmation_links(app, auth, smtpd):
    auth.register(EMAIL)  # mails a confirmation link
    stranger = app.test_client()
    _ask_for_reset(stranger)  # mails a reset link
    confirm_link, reset_link = _links(smtpd)
    assert "/confirm/" in confirm_link and "/reset/" in reset_link
    assert _change_password(auth._client, NEW_PASSWORD).status_code == 302
    assert _set_password(stranger, reset_link, OTHER_PASSWORD).status_code == 410
    assert stranger.get(confirm_link).status_code == 410
    auth.logout()
    assert auth.login(password=NEW_PASSWORD).status_code == 302


def test_a_reset_kills_every_other_outstanding_link(app, auth, smtpd):
    auth.register(EMAIL)
    auth.logout()
    first, second = app.test_client(), app.test_client()
    _ask_for_reset(first)
    confirm_link, reset_link = _links(smtpd)
    assert _set_password(first, reset_link, NEW_PASSWORD).status_code == 302
    assert second.get(confirm_link).status_code == 410
