"""Exporting everything stored about a person as one JSON document, secrets left out.

The document is built from the schema itself: the user row, then every row of every table
with a foreign key to ``users.id`` (sessions, activity, mail links, and whatever later tables
reference the account), so a new table is exported without anyone remembering to add it.
Columns whose names say they hold a secret (hashes, keys, tokens, codes, secrets, salts,
nonces, challenges, ciphertexts) are left out, and so are pending second steps and WebAuthn
challenges, which are sign-in machinery living a few minutes (their ids are hashes).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Table, select

from ..db.models import User, utc
from ..extensions import db
from ..sessions.store import get_session_store
from .events import EventKind

FORMAT = "gatehouse-export/1"
SECRET_COLUMN = re.compile(
    r"hash|secret|key|token|code|otp|salt|nonce|challenge|encrypted|cipher|password", re.I
)
SKIPPED_TABLES = frozenset({"mfa_challenges"})
FRIENDLY_NAMES = {
    "login_sessions": "sessions",
    "security_events": "activity",
    "email_tokens": "mail_links",
    "totp_authenticators": "authenticator_apps",
}


def is_secret(column: Column) -> bool:
    return bool(SECRET_COLUMN.search(column.name))


def owned_tables() -> list[tuple[Table, Column]]:
    """Every table with a column that references ``users.id``, and that column."""
    users = User.__table__
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES or table is users:
            continue
        for column in table.columns:
            if any(fk.column is users.c.id for fk in column.foreign_keys):
                found.append((table, column))
                break
    return found


def export_account(user_id: int, *, session_id: str | None = None) -> dict[str, Any] | None:
    """The person's data as JSON-ready values; None when there is no such account. One
    transaction: what is read, and the activity row saying it was downloaded."""
    store = get_session_store()
    users = cast(Table, User.__table__)
    with store.transaction():
        account = db.session.execute(select(users).where(users.c.id == user_id)).mappings().first()
        if account is None:
            return None
        document: dict[str, Any] = {
            "format": FORMAT,
            "exported_at": _value(utc(store.authority.now())),
            "account": _row(users, account),
        }
        for table, owner in owned_tables():
            query = select(table).where(owner == user_id)
            order = [c for c in table.primary_key.columns]
            rows = db.session.execute(query.order_by(*order)).mappings().all()
            document[FRIENDLY_NAMES.get(table.name, table.name)] = [_row(table, r) for r in rows]
        store.events.add(EventKind.DATA_EXPORTED, user_id=user_id, session_id=session_id)
    return document


def _row(table: Table, row: Any) -> dict[str, Any]:
    return {
        column.name: _value(row[column.name])
        for column in table.columns
        if not is_secret(column) and not isinstance(row[column.name], bytes | bytearray)
    }


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value
