"""Gunicorn settings for Gatehouse: ``gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'``.

Every value can be changed by the environment (the systemd unit's EnvironmentFile) without
editing this file. See docs/deployment.md.
"""

import multiprocessing
import os

from gunicorn.glogging import Logger

# Behind nginx on the same machine (deploy/nginx.conf); a socket path works too
# ("unix:/run/gatehouse/gunicorn.sock").
bind = os.environ.get("GATEHOUSE_BIND", "127.0.0.1:8000")

# Sync workers: password hashing is CPU-bound, so about one worker per core (plus one) keeps
# the cores busy without queueing requests behind each other's Argon2 runs.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"
# A request that takes longer than this is killed (the database and mail have their own,
# shorter timeouts: DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT, MAIL_TIMEOUT).
timeout = int(os.environ.get("GATEHOUSE_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5  # nginx keeps connections to us open between requests

# Each worker builds its own app after the fork: database pools, the Redis clients and the
# embedded mail sender are never shared between processes.
preload_app = False
# The app reads X-Forwarded-* through Werkzeug's ProxyFix (FLASK_PROXY_FIX_*); gunicorn's own
# handling of those headers stays off so that there is exactly one place that trusts them.
forwarded_allow_ips = os.environ.get("GATEHOUSE_FORWARDED_ALLOW_IPS", "")

# Logs to stderr (journald). The access log never shows a mailed link's token.
accesslog = os.environ.get("GATEHOUSE_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GATEHOUSE_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}i)s'


class RedactingLogger(Logger):
    """Gunicorn's logger with the app's filter on the access log: a reset or confirmation
    link's token becomes ``[redacted]`` before the line is written."""

    def setup(self, cfg):
        super().setup(cfg)
        from app.web.redact import RedactLinkTokens

        if not any(isinstance(f, RedactLinkTokens) for f in self.access_log.filters):
            self.access_log.addFilter(RedactLinkTokens())


logger_class = RedactingLogger


def post_fork(server, worker):
    """Tell the app how many workers serve it (it warns when they would need Redis)."""
    os.environ["GATEHOUSE_WORKERS"] = str(server.cfg.workers)
