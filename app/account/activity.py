"""The account page's "Recent activity": the newest security events of one person.

The statement is built once with a bound parameter and run on a pooled connection of its own
with only the four columns the page shows: building a select, loading full ORM objects from
it, and opening an ORM session (whose teardown then rolls it back) for one read cost more
than the indexed query itself on every load of the page. The read needs no transaction of the
request's: it runs on committed rows, as the session's first statement would.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import Row, bindparam, select

from ..db.models import SecurityEvent
from ..extensions import db

RECENT_EVENTS = 20


@lru_cache(maxsize=1)
def _statement():
    events = SecurityEvent.__table__
    return (
        select(events.c.kind, events.c.created_at, events.c.ip, events.c.user_agent)
        .where(events.c.user_id == bindparam("user_id"))
        .order_by(events.c.created_at.desc(), events.c.id.desc())
        .limit(RECENT_EVENTS)
    )


def recent_events(user_id: int) -> Sequence[Row]:
    """Up to ``RECENT_EVENTS`` rows (kind, created_at, ip, user_agent), newest first."""
    with db.engine.connect() as conn:
        return conn.execute(_statement(), {"user_id": user_id}).all()
