"""Trust X-Forwarded-* headers only from as many reverse proxies as the config names.

Behind nginx or a load balancer every request comes from the proxy's address, and the
client's address (used for login throttling, session records and event logs) travels in
``X-Forwarded-For``. That header is trusted only when ``PROXY_FIX_X_FOR`` says how many
proxies set it; with the default 0 it is ignored, so a client cannot forge its address.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

HEADERS = ("for", "proto", "host", "port", "prefix")


def init_app(app: Flask) -> None:
    counts = {f"x_{name}": int(app.config[f"PROXY_FIX_X_{name.upper()}"]) for name in HEADERS}
    if any(counts.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)  # type: ignore[method-assign]
