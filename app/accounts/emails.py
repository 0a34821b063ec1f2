"""The one spelling of an email address that accounts are stored and looked up by.

Sign-up, login, "Forgot password?", the JSON API, the CLI and the throttle all call
``normalize_email``, so one mailbox can never become two accounts and a throttle counts one
account under one key, however the address was typed:

- the whole address is Unicode NFKC-normalised first, so full-width letters, a full-width
  ``＠`` and composed/decomposed accents collapse to one form;
- the domain goes through IDNA (UTS 46 mapping, via ``email_validator``/``idna``) and is
  kept in its ASCII form: ``bücher.de``, ``BÜCHER.de`` and ``xn--bcher-kva.de`` are one
  domain, stored as ``xn--bcher-kva.de``, the form every mail server accepts;
- the local part is lower-cased (the site always compared addresses case-insensitively);
  nothing more aggressive (no dot or ``+tag`` removal), since those differ between providers.

Anything that cannot be an address (too long, no ``@``, bad syntax, a domain IDNA refuses)
is None: it matches no account and never becomes a key anywhere.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 320  # RFC 5321: 64 for the local part + "@" + 255 for the domain


def normalize_email(value: object) -> str | None:
    """The stored form of ``value``, or None when it cannot be an email address."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    # Bounded before any Unicode work: NFKC can expand a string, but never past 18x.
    if not value or len(value) > MAX_EMAIL_LENGTH:
        return None
    value = unicodedata.normalize("NFKC", value)
    try:
        parsed = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    address = f"{parsed.local_part.lower()}@{parsed.ascii_domain.lower()}"
    return address if len(address) <= MAX_EMAIL_LENGTH else None
