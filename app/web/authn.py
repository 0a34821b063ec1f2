"""The ``before_request`` check: who is asking, from the two token cookies or a Bearer header.

| access   | refresh                                   | result                                   |
|----------|-------------------------------------------|------------------------------------------|
| valid    | valid or absent                           | signed in, no database query             |
| expired  | valid and current in the database         | signed in, new access (+ rotated refresh)|
| valid    | expired, same session, still current      | signed in, new refresh token             |
| expired  | expired, absent, unknown or revoked       | anonymous, both cookies expired          |

The hook only records what the response must say about the cookies (``app/web/cookies.py``
writes them once). Paths under ``/api/`` consider only the Authorization header: no token
cookie is read, set or expired there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, NamedTuple

from flask import Flask, current_app, g, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..accounts.events import EventKind
from ..db.models import User
from ..sessions.authority import EXTENSION_KEY as AUTHORITY_KEY
from ..sessions.authority import Authority, get_authority
from ..sessions.revocation import EXTENSION_KEY as REVOCATION_KEY
from ..sessions.revocation import RevocationList, get_revocation_list
from ..sessions.store import (
    DEFAULT_AMR,
    Grant,
    PresentedRefresh,
    RefreshRefused,
    get_session_store,
)
from ..sessions.tokens import TokenType, Verified
from . import cookies
from .cookies import CookiePolicy, token_cookies

API_PREFIX = "/api/"


class Principal(NamedTuple):
    """The signed-in person as the access token describes them (no database row).

    Immutable like a frozen dataclass, and built by ``tuple.__new__``: one per request.
    """

    user_id: int
    email: str
    session_id: str
    # From the token's "ecf" claim; for display only (the banner), never for access decisions.
    email_confirmed: bool = True
    auth_time: int = 0  # Unix time of the last interactive sign-in
    amr: tuple[str, ...] = ()

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        amr = claims.get("amr")
        auth_time = claims.get("auth_time")
        return cls(
            int(claims["sub"]),
            claims.get("email", ""),
            claims["sid"],
            bool(claims.get("ecf", True)),
            auth_time if isinstance(auth_time, int) else int(claims["iat"]),
            tuple(map(str, amr)) if isinstance(amr, list) else (),
        )

    @classmethod
    def from_grant(cls, grant: Grant) -> Principal:
        return cls(
            grant.user_id,
            grant.email,
            grant.session_id,
            grant.email_confirmed,
            grant.auth_time,
            grant.amr,
        )


@dataclass
class PresentedTokens:
    """What this request carried, kept for views such as logout and account changes."""

    access: Verified | None = None
    refresh: Verified | None = None
    bearer_error: str | None = None
    # The refresh token the client holds once this request is answered: the one it sent, or
    # the one the hook just rotated it to. Views that renew the session trade this one.
    current_refresh: PresentedRefresh | None = None

    @property
    def authentic(self) -> list[Mapping[str, Any]]:
        """Claims of the presented tokens that we signed, valid or expired."""
        return [
            t.claims
            for t in (self.access, self.refresh)
            if t is not None and t.authentic and t.claims is not None
        ]

    @property
    def session_ids(self) -> list[str]:
        return list(dict.fromkeys(claims["sid"] for claims in self.authentic))

    @property
    def user_id(self) -> int | None:
        found = self.authentic
        return int(found[0]["sub"]) if found else None


def init_app(app: Flask) -> None:
    cookies.init_app(app)
    app.before_request(authenticate)
    app.context_processor(_template_globals)


def no_token_reissue(view: Callable) -> Callable:
    """Mark a view (logout) whose request must never be given fresh tokens by the hook."""
    view.no_token_reissue = True  # type: ignore[attr-defined]
    return view


def authenticate() -> None:
    """The four-case check of the module docstring: sets ``g.user`` and ``g.tokens``."""
    # The request and app objects are looked up once here, not through their proxies at
    # every use: this runs for every request.
    req = request._get_current_object()  # type: ignore[attr-defined]
    ctx_g = g._get_current_object()
    ctx_g.user = None
    ctx_g.tokens = PresentedTokens()
    if req.endpoint == "static":
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    policy: CookiePolicy = app.extensions[cookies.EXTENSION_KEY]
    if req.path.startswith(API_PREFIX):  # the JSON API: the Authorization header only
        ctx_g.token_cookies = cookies.TokenCookies(policy, enabled=False)
        _authenticate_api()
        return
    authority: Authority = app.extensions[AUTHORITY_KEY]
    now = authority.now()
    # The header straight from the WSGI environ (what ``request.headers`` reads it from).
    header = req.environ.get("HTTP_AUTHORIZATION")
    if header is not None:
        ctx_g.token_cookies = cookies.TokenCookies(policy, enabled=False)
        _authenticate_bearer(header, authority, now)
        return
    cookie_jar = req.cookies
    access_raw = cookie_jar.get(policy.access_name)
    refresh_raw = cookie_jar.get(policy.refresh_name)
    if not access_raw and not refresh_raw:
        return
    access = authority.verify(access_raw, TokenType.ACCESS, now) if access_raw else None
    refresh = authority.verify(refresh_raw, TokenType.REFRESH, now) if refresh_raw else None
    presented = PresentedRefresh.of(refresh_raw, refresh) if refresh is not None else None
    ctx_g.tokens = PresentedTokens(access, refresh, current_refresh=presented)
    revoked = app.extensions[REVOCATION_KEY]
    view = app.view_functions.get(req.endpoint)
    if getattr(view, "no_token_reissue", False):
        if _live(access, now, revoked):
            ctx_g.user = Principal.from_claims(access.claims)  # type: ignore[union-attr, arg-type]
        return

    if _live(access, now, revoked):  # rows 1 and 3
        assert access is not None and access.claims is not None
        ctx_g.user = Principal.from_claims(access.claims)
        if refresh is None or refresh.valid:
            return
        if (
            presented is not None
            and refresh.authentic
            and presented.session_id == ctx_g.user.session_id
        ):
            grant = _try_refresh(presented, allow_expired=True)
            if grant is not None:
                if grant.refresh_token:
                    _issued(grant, now, access=False)
                return  # a parallel request inside the grace window: the cookies stay
        ctx_g.tokens.current_refresh = None
        token_cookies().expire(access=False)
        return

    if presented is not None and _live(refresh, now, revoked):  # row 2 (revoked sessions: no SQL)
        grant = _try_refresh(presented, allow_expired=False)
        if grant is not None:
            ctx_g.user = Principal.from_grant(grant)
            _issued(grant, now, access=True)
            return
    ctx_g.tokens.current_refresh = None
    token_cookies().expire()  # row 4: whatever was sent, the browser drops both


def is_api_request() -> bool:
    """Paths of the JSON API, which neither reads nor sets cookies (so it needs no CSRF token)."""
    return request.path.startswith(API_PREFIX)


def _authenticate_api() -> None:
    header = request.headers.get("Authorization")
    if header is not None:
        authority = get_authority()
        _authenticate_bearer(header, authority, authority.now())


def _authenticate_bearer(header: str, authority: Authority, now: float) -> None:
    """``Authorization: Bearer <access token>``: never reads or sets token cookies."""
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        g.tokens.bearer_error = "invalid_request"
        return
    verified = authority.verify(value, TokenType.ACCESS, now)
    if _live(verified, now, get_revocation_list()):
        g.user = Principal.from_claims(verified.claims)  # type: ignore[arg-type]
    else:
        g.tokens.bearer_error = "invalid_token"


def _live(token: Verified | None, now: float, revoked: RevocationList) -> bool:
    """Valid, and its session was not revoked since it was issued (one O(1) lookup, no SQL)."""
    return (
        token is not None
        and token.valid
        and token.claims is not None
        and not revoked.is_revoked(token.claims["sid"], now)
    )


def _try_refresh(presented: PresentedRefresh, *, allow_expired: bool) -> Grant | None:
    try:
        return get_session_store().refresh(presented, allow_expired=allow_expired)
    except RefreshRefused:
        return None


def _issued(grant: Grant, now: float, *, access: bool) -> None:
    """Record the grant's tokens for the response, and remember the client's new token."""
    token_cookies().issue(grant, now, access=access)
    if grant.refresh_token:
        g.tokens.current_refresh = PresentedRefresh.of_grant(grant)


def issue_tokens(grant: Grant) -> None:
    """The response sets this grant's cookies (a sign-in, or a renewal by a view); they are
    the response's last word on tokens. A Bearer or API request gets none."""
    _issued(grant, get_authority().now(), access=True)


def expire_tokens() -> None:
    """The response expires both token cookies (logout, a session that ended)."""
    g.tokens.current_refresh = None
    token_cookies().expire()


def current_refresh() -> PresentedRefresh | None:
    """The session's refresh token this request holds (None for Bearer and API requests)."""
    tokens = g.get("tokens")
    return tokens.current_refresh if tokens is not None else None


def sign_in(
    user: User,
    *,
    persistent: bool,
    event: EventKind,
    amr: tuple[str, ...] = DEFAULT_AMR,
) -> Grant:
    """Open a login session for the client of this request, recording how it began."""
    return get_session_store().start_session(
        user,
        persistent=persistent,
        user_agent=request.user_agent.string,
        ip=request.remote_addr or "",
        amr=amr,
        event=event,
    )


def wants_json() -> bool:
    return is_api_request() or (
        request.accept_mimetypes.best_match(["text/html", "application/json"])
        == "application/json"
    )


def unauthenticated() -> ResponseReturnValue:
    """401 with a Bearer challenge for JSON clients, a trip to the login page for people."""
    if wants_json():
        error = g.tokens.bearer_error if "tokens" in g else None
        challenge = 'Bearer realm="gatehouse"' + (f', error="{error}"' if error else "")
        response = jsonify(error=error or "unauthorized", message="Sign-in required.")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = challenge
        return response
    target = request.full_path.rstrip("?") if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            return unauthenticated()
        return view(*args, **kwargs)

    return wrapped


def anonymous_only(view: Callable) -> Callable:
    """Login and sign-up pages send a signed-in person to their account."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user is not None:
            return redirect(url_for("account.index"))
        return view(*args, **kwargs)

    return wrapped


def _template_globals() -> dict[str, Any]:
    return {"current_user": g.get("user")}
