"""Keep mailed link tokens out of the access log.

A reset or confirmation link carries its token in the path, and the development server logs
every request line. This filter rewrites such a line to ``/auth/reset/[redacted]`` before it
is written. Production servers and proxies keep their own access logs: configure them alike
(see docs/account-features.md).
"""

from __future__ import annotations

import logging
import re

TOKEN_PATH = re.compile(r"(/auth/(?:reset|confirm)/)(?!resend(?:[\s?\"']|$))[^\s/?\"']+")
ACCESS_LOGGERS = ("werkzeug",)


def redact(text: str) -> str:
    return TOKEN_PATH.sub(r"\1[redacted]", text)


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's business, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install() -> None:
    """Attach the filter once per process to the access loggers."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())
