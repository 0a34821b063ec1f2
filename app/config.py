"""Configuration: built-in defaults, instance/config.py, FLASK_* variables, then test_config.

Secrets that are not configured are generated once into ``instance/secrets.json`` (mode
0600) and reused on every later start, so a restart never signs anyone out and no key is
ever hard-coded.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
from flask import Flask

from .instance_files import PRIVATE_FILE, narrow, private_dir
from .mfa.keys import ensure_encryption_keys, new_encryption_key
from .sessions.keys import new_kid, new_signing_key

DEFAULTS: dict[str, Any] = {
    # Tokens (seconds)
    "ACCESS_TOKEN_TTL": 900,
    "REFRESH_TOKEN_TTL": 1_209_600,
    "SESSION_MAX_AGE": 2_592_000,
    "SESSION_MAX_AGE_SHORT": 86_400,
    "REFRESH_REUSE_GRACE": 10,
    "REFRESH_TOKEN_ROTATION": True,
    "ACTIVITY_RETENTION": 31_536_000,  # 365 days: ended sessions' events are kept this long
    "JWT_ALGORITHM": "HS256",
    "JWT_ISSUER": "gatehouse",
    "JWT_LEEWAY": 0,
    "JWT_KEYS": None,  # {kid: secret or PEM}; generated into the instance folder when unset
    "JWT_ACTIVE_KID": None,
    "VERIFIED_TOKEN_CACHE_SIZE": 4096,
    # Revocation list (revoked sessions, each until its newest access token has expired)
    "REVOCATION_STORE_URI": None,  # None: in process memory; "redis://127.0.0.1:6379/0"
    "REVOCATION_KEY_PREFIX": "gatehouse:revoked:",
    "REVOCATION_MAX_ENTRIES": 100_000,
    "REVOCATION_TIMEOUT": 0.5,  # seconds, Redis connect and read
    # Cookies
    "ACCESS_COOKIE_NAME": None,  # None: "access_token", "__Host-access_token" when secure
    "REFRESH_COOKIE_NAME": None,
    "COOKIE_SECURE": True,
    "COOKIE_SAMESITE": "Lax",
    "ALLOW_INSECURE_COOKIES": False,  # permits COOKIE_SECURE=false without debug (plain HTTP)
    # Accounts
    "PASSWORD_MIN_LENGTH": 8,
    "PASSWORD_MAX_LENGTH": 128,
    "PASSWORD_MIN_SCORE": 3,  # zxcvbn score 0-4
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65_536,  # KiB
    "ARGON2_PARALLELISM": 4,
    # Storage
    "SQLALCHEMY_DATABASE_URI": None,  # None: SQLite file in the instance folder
    "AUTO_CREATE_SCHEMA": True,  # upgrade once per process when the database answers
    "SCHEMA_RETRY_INTERVAL": 5,  # seconds between tries while the database is down
    "DATABASE_CONNECT_TIMEOUT": 5,  # seconds to open a connection or wait for a pooled one
    "DATABASE_STATEMENT_TIMEOUT": 10,  # seconds a statement may run (PostgreSQL); 0: no limit
    # Web
    "SECRET_KEY": None,
    "MAX_CONTENT_LENGTH": 1_048_576,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Throttle storage down (Redis): count in this process's memory meanwhile (one log line),
    # and never turn a storage error into a 500.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_STORAGE_TIMEOUT": 0.5,  # seconds, Redis connect and read
    "RATELIMIT_HEADERS_ENABLED": True,  # Retry-After on every 429
    "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
    "LOGIN_LIMIT_PER_EMAIL": "5 per 15 minutes",  # per account, shared by unknown clients
    "LOGIN_LIMIT_PER_KNOWN_BROWSER": "5 per 15 minutes",  # per account, each known browser
    "KNOWN_BROWSER_TTL": 15_552_000,  # seconds (180 days) a known-browser cookie is honoured
    "KNOWN_BROWSER_MAX_ACCOUNTS": 5,  # accounts one browser's cookie remembers
    "REGISTER_LIMIT_PER_ADDRESS": "20 per hour",
    "PASSWORD_CHANGE_LIMIT": "5 per 15 minutes",  # wrong current passwords per account
    "PASSWORD_CHECK_LIMIT": "20 per 15 minutes",  # new-password checks (change, reset)
    "LANGUAGES": ["en", "ko"],
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "text",  # or "json": one JSON object per line, with the request id
    "HEALTHZ_REQUIRED": ["database"],  # dependencies whose outage makes /healthz answer 503
    "BABEL_DEFAULT_LOCALE": "en",
    # Compiled catalogs (app/translations/<lang>/LC_MESSAGES/messages.mo), found by absolute path
    # so the working directory never matters.
    "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
    "WTF_CSRF_TIME_LIMIT": None,  # the CSRF token lives as long as the browser session
    # Email: password reset and confirmation
    "MAIL_BACKEND": None,  # "smtp" or "console"; None: console while MAIL_SERVER is unset
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,  # STARTTLS after connecting
    "MAIL_USE_SSL": False,  # TLS from the first byte (port 465)
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "Gatehouse <no-reply@localhost>",
    "MAIL_TIMEOUT": 10,  # seconds, per SMTP conversation (never on the request path)
    # The outbox (app/mail/outbox.py): who delivers, how often, and how retries back off
    "MAIL_EMBEDDED_WORKER": True,  # a sender thread in each server process
    "MAIL_DELIVER_ON_COMMIT": False,  # the committing thread sends at once (the test suite)
    "MAIL_POLL_INTERVAL": 5,  # seconds between looks at the outbox
    "MAIL_RETRY_DELAY": 10,  # seconds before the first retry; doubled for each further one
    "MAIL_RETRY_MAX_DELAY": 900,  # the longest wait between two tries
    "RESET_TOKEN_TTL": 1800,
    "CONFIRM_TOKEN_TTL": 172_800,
    "REQUIRE_CONFIRMED_EMAIL": False,
    "FORGOT_LIMIT_PER_EMAIL": "5 per hour",
    "FORGOT_LIMIT_PER_ADDRESS": "30 per hour",
    "CONFIRM_RESEND_LIMIT": "3 per hour",
    # The site's own address: every absolute link in a mail starts with it, and requests for
    # any other host get 400 (TRUSTED_HOSTS, derived from it unless set). Required with debug
    # off and mail sent over SMTP; without it (development, console mail) links point at
    # DEVELOPMENT_PUBLIC_URL and only loopback hosts, on any port, are served.
    "PUBLIC_URL": None,
    "TRUSTED_HOSTS": None,
    # Strong sign-in (passkeys, authenticator app, recovery codes, recent sign-in)
    "MFA_ENCRYPTION_KEYS": None,  # [active, older...] Fernet keys; generated when unset
    "MFA_STEP_TTL": 300,  # seconds a pending second step or WebAuthn challenge lives
    "MFA_LIMIT_PER_ACCOUNT": "5 per 15 minutes",  # wrong second-step codes per account
    "WEBAUTHN_RP_ID": None,  # None: the host of PUBLIC_URL (or, in debug/testing, the request's)
    "WEBAUTHN_ORIGIN": None,  # None: PUBLIC_URL's origin (or, in debug/testing, the request's)
    "WEBAUTHN_RP_NAME": "Gatehouse",
    "RECENT_AUTH_MAX_AGE": 600,  # seconds since the last interactive sign-in, for security changes
    # The account's life: email change, deletion, export, security mails
    "EMAIL_CHANGE_TOKEN_TTL": 86_400,  # the link to the new address
    "EMAIL_UNDO_TOKEN_TTL": 604_800,  # the old address's undo link: 7 days
    "LOCKDOWN_TOKEN_TTL": 2_592_000,  # a security mail's "This wasn't me" link: 30 days
    "EMAIL_CHANGE_LIMIT": "5 per hour",
    "EXPORT_LIMIT": "5 per hour",
    # Breached passwords: the Pwned Passwords range API (k-anonymity, padded)
    "PWNED_PASSWORDS_ENABLED": True,
    "PWNED_PASSWORDS_URL": "https://api.pwnedpasswords.com/range/",
    "PWNED_PASSWORDS_TIMEOUT": 2.0,  # seconds; past it the check is skipped
    "PWNED_PASSWORDS_RETRY_AFTER": 300,  # seconds without asking again after a failure
    "PWNED_PASSWORDS_CACHE_SIZE": 1024,  # hash prefixes remembered
    "PWNED_PASSWORDS_CACHE_TTL": 86_400,
    # Reverse proxies in front of the site whose X-Forwarded-* headers are trusted (0: none)
    "PROXY_FIX_X_FOR": 0,
    "PROXY_FIX_X_PROTO": 0,
    "PROXY_FIX_X_HOST": 0,
    "PROXY_FIX_X_PORT": 0,
    "PROXY_FIX_X_PREFIX": 0,
}

SECRETS_FILE = "secrets.json"
DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"  # what ``make run`` serves
LOOPBACK_HOSTS = ["localhost", "127.0.0.1"]  # werkzeug compares hosts without their port
MIN_HMAC_KEY_BYTES = 32


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill ``app.config`` in the documented order, later sources winning."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping(test_config)
    _finish(app)


def _finish(app: Flask) -> None:
    """Derive the values that depend on others, and fill in missing secrets."""
    cfg = app.config
    private_dir(Path(app.instance_path))
    narrow(secrets_path(app), PRIVATE_FILE)  # a key file copied in with a wider mode
    uri = cfg["SQLALCHEMY_DATABASE_URI"] or (
        "sqlite:///" + os.path.join(app.instance_path, "gatehouse.sqlite3")
    )
    cfg["SQLALCHEMY_DATABASE_URI"] = normalize_database_uri(uri)
    _limiter_storage_timeouts(cfg)
    if not cfg["SECRET_KEY"] or not cfg["JWT_KEYS"]:
        stored = load_or_create_secrets(secrets_path(app), cfg["JWT_ALGORITHM"])
        if not cfg["SECRET_KEY"]:
            cfg["SECRET_KEY"] = stored["SECRET_KEY"]
        if not cfg["JWT_KEYS"]:
            cfg["JWT_KEYS"] = stored["JWT_KEYS"]
            cfg["JWT_ACTIVE_KID"] = stored["JWT_ACTIVE_KID"]
    if not cfg["MFA_ENCRYPTION_KEYS"]:
        cfg["MFA_ENCRYPTION_KEYS"] = ensure_encryption_keys(secrets_path(app))
    if not cfg["JWT_ACTIVE_KID"]:
        cfg["JWT_ACTIVE_KID"] = next(iter(cfg["JWT_KEYS"]))
    secure = bool(cfg["COOKIE_SECURE"])
    prefix = "__Host-" if secure else ""
    cfg["ACCESS_COOKIE_NAME"] = cfg["ACCESS_COOKIE_NAME"] or prefix + "access_token"
    cfg["REFRESH_COOKIE_NAME"] = cfg["REFRESH_COOKIE_NAME"] or prefix + "refresh_token"
    # Flask's own session cookie (it carries only the CSRF token) follows the same policy.
    cfg["SESSION_COOKIE_NAME"] = prefix + "session"
    cfg["SESSION_COOKIE_SECURE"] = secure
    cfg["SESSION_COOKIE_SAMESITE"] = cfg["COOKIE_SAMESITE"]
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    if not secure and not cfg["DEBUG"] and not cfg["ALLOW_INSECURE_COOKIES"]:
        raise RuntimeError(
            "COOKIE_SECURE is false, so browsers would send the login cookies over plain "
            "HTTP. Serve the site over HTTPS and leave COOKIE_SECURE on; for a plain-HTTP "
            "development server set ALLOW_INSECURE_COOKIES=true (FLASK_ALLOW_INSECURE_COOKIES)."
        )
    _check_keys(cfg)
    _public_url(cfg)


def _public_url(cfg: Any) -> None:
    """Settle PUBLIC_URL and TRUSTED_HOSTS (SPEC section 9)."""
    public_url = cfg["PUBLIC_URL"]
    if public_url:
        parts = urlsplit(str(public_url).strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RuntimeError(
                "PUBLIC_URL must be the site's absolute address, like https://login.example.com"
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            raise RuntimeError("PUBLIC_URL must not carry a query, a fragment or credentials")
        cfg["PUBLIC_URL"] = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        default_hosts = [parts.hostname]
    else:
        backend = cfg["MAIL_BACKEND"] or ("smtp" if cfg["MAIL_SERVER"] else "console")
        if backend == "smtp" and not cfg["DEBUG"]:
            raise RuntimeError(
                "PUBLIC_URL is not set, so the links in mails would have no trustworthy "
                "address. Set PUBLIC_URL (FLASK_PUBLIC_URL) to the site's address, like "
                "https://login.example.com."
            )
        cfg["PUBLIC_URL"] = DEVELOPMENT_PUBLIC_URL
        default_hosts = list(LOOPBACK_HOSTS)
    hosts = cfg["TRUSTED_HOSTS"]
    if isinstance(hosts, str):  # FLASK_TRUSTED_HOSTS=a.example,b.example
        hosts = [host.strip() for host in hosts.split(",") if host.strip()]
    cfg["TRUSTED_HOSTS"] = list(hosts) if hosts else default_hosts


def _limiter_storage_timeouts(cfg: Any) -> None:
    """A Redis throttle storage that hangs must not hang the form: bound its socket waits."""
    if str(cfg.get("RATELIMIT_STORAGE_URI") or "").startswith(("redis", "rediss", "valkey")):
        options = dict(cfg.get("RATELIMIT_STORAGE_OPTIONS") or {})
        timeout = float(cfg["RATELIMIT_STORAGE_TIMEOUT"])
        options.setdefault("socket_timeout", timeout)
        options.setdefault("socket_connect_timeout", timeout)
        cfg["RATELIMIT_STORAGE_OPTIONS"] = options


def secrets_path(app: Flask) -> Path:
    """The instance key file (an absolute SECRETS_FILE is used as it is)."""
    return Path(app.instance_path) / SECRETS_FILE


def normalize_database_uri(uri: str) -> str:
    """Map the common ``postgres://`` spelling onto the psycopg 3 driver."""
    for old in ("postgres://", "postgresql://"):
        if uri.startswith(old):
            return "postgresql+psycopg://" + uri[len(old) :]
    return uri


def load_or_create_secrets(path: Path, algorithm: str = "HS256") -> dict[str, Any]:
    """Read the instance secrets, creating them (0600, exclusively) on first start."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        pass
    kid = new_kid()
    data = {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "JWT_KEYS": {kid: new_signing_key(algorithm)},
        "JWT_ACTIVE_KID": kid,
        "MFA_ENCRYPTION_KEYS": [new_encryption_key()],
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race: use its secrets
        return json.loads(path.read_text())
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    return data


def _check_keys(cfg: Any) -> None:
    """Refuse to start with a signing key that is short or reuses SECRET_KEY."""
    keys = cfg["JWT_KEYS"]
    if not isinstance(keys, dict) or not keys:
        raise RuntimeError("JWT_KEYS must map key ids to keys")
    if cfg["JWT_ACTIVE_KID"] not in keys:
        raise RuntimeError("JWT_ACTIVE_KID names no key in JWT_KEYS")
    algorithm = cfg["JWT_ALGORITHM"]
    if algorithm.startswith("HS"):
        for kid, secret in keys.items():
            if len(str(secret).encode()) < MIN_HMAC_KEY_BYTES:
                raise RuntimeError(f"JWT key {kid!r} is shorter than 256 bits")
            if secret == cfg["SECRET_KEY"]:
                raise RuntimeError(f"JWT key {kid!r} must not be SECRET_KEY")
        return
    for kid, material in keys.items():
        try:  # PyJWT checks that the PEM holds the kind of key the algorithm needs
            jwt.get_algorithm_by_name(algorithm).prepare_key(str(material))
        except (jwt.PyJWTError, ValueError, TypeError, RuntimeError):
            raise RuntimeError(f"JWT key {kid!r} is not a PEM key for {algorithm}") from None
    if "PRIVATE KEY" not in str(keys[cfg["JWT_ACTIVE_KID"]]):
        raise RuntimeError("the active JWT key must be a private key: it signs new tokens")
