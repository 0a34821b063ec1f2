"""Log set-up: the site's own loggers (``gatehouse.*``) write one line per event to stderr.

Nothing here formats a request body or cookie; callers log ids and reasons only.
"""

from __future__ import annotations

import logging

from flask import Flask

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def init_app(app: Flask) -> None:
    logger = logging.getLogger("gatehouse")
    logger.setLevel(app.config["LOG_LEVEL"])
    if not logger.handlers and not app.testing:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
