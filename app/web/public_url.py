"""Absolute links for mails, built from ``PUBLIC_URL`` and never from the request.

A link in a mail is followed later, by the mailbox's owner, so it must point at the site
itself whatever the request that caused the mail said about its own ``Host`` (or its
``X-Forwarded-Host`` behind a proxy): a forged header would otherwise mail the real owner a
working reset link to another site. The path comes from the URL map bound without any
request, so no request value (host, script root, forwarded prefix) reaches the link.
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """``PUBLIC_URL`` followed by the path of ``endpoint`` (a full name, e.g. ``auth.login``)."""
    adapter = current_app.url_map.bind("public-url.invalid", script_name="/")
    return current_app.config["PUBLIC_URL"] + adapter.build(endpoint, values)
