"""Log set-up: the site's own loggers (``gatehouse.*``) and Flask-Limiter's write one line per
event to stderr, as text or (``LOG_FORMAT=json``) as one JSON object per line.

Every line carries the request's id: the ``X-Request-ID`` header the proxy sent (nginx's
``$request_id``) when it is a plausible id, else one drawn for the request when it first
logs, so the lines of one request can be found together. Nothing here formats a request
body or cookie; callers log ids and reasons only, and a stack trace never reaches a line of
Flask-Limiter's (its storage errors are summed up as their exception's name).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LOGGERS = ("gatehouse", "flask-limiter")
FORMATS = ("text", "json")
REQUEST_ID_HEADER = "X-Request-ID"
PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def init_app(app: Flask) -> None:
    log_format = str(app.config["LOG_FORMAT"]).lower()
    if log_format not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}")
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if name == "gatehouse":
            logger.setLevel(app.config["LOG_LEVEL"])
        if name == "flask-limiter" and not any(isinstance(f, OneLine) for f in logger.filters):
            logger.addFilter(OneLine())
        if not logger.handlers or all(isinstance(h, logging.NullHandler) for h in logger.handlers):
            if app.testing:
                continue  # pytest's capture handler sees the records through propagation
            logger.addHandler(make_handler(log_format))
            logger.propagate = False


def make_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.addFilter(RequestId())
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    return handler


def request_id() -> str:
    """This request's id (taken from the proxy's header or drawn once), "-" outside requests."""
    if not has_request_context():
        return "-"
    found = g.get("request_id")
    if found is None:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        found = sent if PLAUSIBLE_ID.fullmatch(sent) else secrets.token_hex(8)
        g.request_id = found
    return found


class RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


class OneLine(logging.Filter):
    """A record with a traceback becomes one line ending in the exception's name."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "request_id", "message"}``, one object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = type(record.exc_info[1]).__name__
        return json.dumps(entry, ensure_ascii=False)
