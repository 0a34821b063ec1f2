"""Log lines: one per security event, refreshes at DEBUG, JSON lines with a request id."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app import create_app
from app.logs import JsonFormatter, OneLine, RequestId, make_handler
from tests.helpers import AuthActions, base_config, request_with


def test_a_refresh_logs_at_debug_and_a_sign_in_at_info(app, client, auth, caplog):
    auth.register()
    refresh = auth.tokens()[1]
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="gatehouse")
    assert request_with(client, "/", refresh=refresh).status_code == 200
    events = [r for r in caplog.records if r.name == "gatehouse.events"]
    assert [(r.levelno, "event=refresh" in r.getMessage()) for r in events] == [
        (logging.DEBUG, True)
    ]
    caplog.clear()
    AuthActions(app.test_client()).login()
    events = [r for r in caplog.records if r.name == "gatehouse.events"]
    assert [r.levelno for r in events] == [logging.INFO]


def json_lines(app, path="/", headers=None) -> list[dict]:
    stream = io.StringIO()
    handler = make_handler("json")
    handler.stream = stream
    logger = logging.getLogger("gatehouse.test")
    logger.addHandler(handler)
    try:
        with app.test_request_context(path, headers=headers or {}):
            logger.warning("first %s", "line")
            logger.warning("second")
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_one_request_id_per_request(app):
    first, second, outside = json_lines(app)
    assert first["message"] == "first line" and first["level"] == "WARNING"
    assert first["logger"] == "gatehouse.test" and first["time"].endswith("+00:00")
    assert first["request_id"] == second["request_id"] != "-"
    assert outside["request_id"] == "-"
    assert json_lines(app)[0]["request_id"] != first["request_id"]


@pytest.mark.parametrize(
    "sent, kept", [("0123456789abcdef", True), ("short", False), ("not an id {}", False)]
)
def test_the_proxy_request_id_is_used_when_plausible(app, sent, kept):
    line = json_lines(app, headers={"X-Request-ID": sent})[0]
    assert (line["request_id"] == sent) is kept


def test_log_format_is_checked(tmp_path, clock):
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app(base_config(tmp_path, clock, LOG_FORMAT="xml"))


def test_limiter_errors_become_one_line_without_a_trace():
    record = logging.LogRecord(
        "flask-limiter", logging.ERROR, __file__, 1, "Failed %s", ("x",), None
    )
    try:
        raise ConnectionError("redis down")
    except ConnectionError:
        import sys

        record.exc_info = sys.exc_info()
    assert OneLine().filter(record) and RequestId().filter(record)
    assert record.getMessage() == "Failed x (ConnectionError)" and record.exc_info is None
    assert "\n" not in JsonFormatter().format(record)
