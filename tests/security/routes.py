"""Walks over the URL map, so routes added later are covered without editing the tests."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from werkzeug.routing import FloatConverter, IntegerConverter, UUIDConverter

from app.extensions import db

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _sample_value(converter) -> object:
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, FloatConverter):
        return 1.0
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    items = getattr(converter, "items", None)  # AnyConverter
    return sorted(items)[0] if items else "x1"


def state_changing_routes(app) -> list[tuple[str, str]]:
    """(method, url) of every non-API rule that changes state, arguments filled in."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.endpoint == "static":
            continue
        values = {name: _sample_value(rule._converters[name]) for name in rule.arguments}
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            found.append((method, adapter.build(rule.endpoint, values, method=method)))
    return found


def get_routes(app) -> list[str]:
    """Every GET rule that needs no arguments (static files aside)."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and rule.endpoint != "static"
        and not (rule.arguments - set(rule.defaults or {}))
    )


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, as plain tuples."""
    with app.app_context():
        tables = {
            table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return tables
