"""The ``before_request`` check: who is asking, from the two token cookies or a Bearer header.

| access   | refresh                                   | result                                   |
|----------|-------------------------------------------|------------------------------------------|
| valid    | valid or absent                           | signed in, no database query             |
| expired  | valid and current in the database         | signed in, new access (+ rotated refresh)|
| valid    | expired, same session, still current      | signed in, new refresh token             |
| expired  | expired, absent, unknown or revoked       | anonymous, both cookies expired          |

Reissued cookies are handed to the response with ``after_this_request``, so a request that
needs none pays nothing for them. Paths under ``/api/`` consider only the Authorization
header: no token cookie is read, set or expired there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import (
    Flask,
    Response,
    after_this_request,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    url_for,
)

from ..accounts import events
from ..accounts.events import EventKind
from ..db.models import User
from ..sessions import store as session_store
from ..sessions.authority import EXTENSION_KEY as AUTHORITY_KEY
from ..sessions.authority import Authority, get_authority
from ..sessions.revocation import get_revocation_list
from ..sessions.store import Grant, RefreshRefused
from ..sessions.tokens import TokenType, Verified
from .cookies import CookiePolicy
from .forms import PostButton

COOKIE_POLICY_KEY = "gatehouse.cookies"
API_PREFIX = "/api/"


@dataclass(frozen=True)
class Principal:
    """The signed-in person as the access token describes them (no database row)."""

    user_id: int
    email: str
    session_id: str
    # From the token's "ecf" claim; for display only (the banner), never for access decisions.
    email_confirmed: bool = True
    auth_time: int = 0  # Unix time of the last interactive sign-in ("auth_time" claim)
    amr: tuple[str, ...] = ()  # how that sign-in was made ("amr" claim, RFC 8176)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        auth_time, amr = claims.get("auth_time"), claims.get("amr")
        return cls(
            int(claims["sub"]),
            claims.get("email", ""),
            claims["sid"],
            bool(claims.get("ecf", True)),
            auth_time if isinstance(auth_time, int) else 0,  # absent: not recent
            tuple(str(v) for v in amr) if isinstance(amr, list) else (),
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
    """What this request carried, kept for views such as logout."""

    access: Verified | None = None
    refresh: Verified | None = None
    bearer_error: str | None = None

    @property
    def authentic(self) -> list[Mapping[str, Any]]:
        """Claims of the presented tokens that we signed, valid or expired."""
        return [t.claims for t in (self.access, self.refresh) if t is not None and t.authentic]

    @property
    def session_ids(self) -> list[str]:
        return list(dict.fromkeys(claims["sid"] for claims in self.authentic))

    @property
    def user_id(self) -> int | None:
        found = self.authentic
        return int(found[0]["sub"]) if found else None


def init_app(app: Flask) -> None:
    app.extensions[COOKIE_POLICY_KEY] = CookiePolicy.from_config(app.config)
    app.before_request(authenticate)
    app.context_processor(_template_globals)


def cookie_policy() -> CookiePolicy:
    return current_app.extensions[COOKIE_POLICY_KEY]


def no_token_reissue(view: Callable) -> Callable:
    """Mark a view (logout) whose request must never be given fresh tokens."""
    view.no_token_reissue = True  # type: ignore[attr-defined]
    return view


def authenticate() -> None:
    """The four-case check of the module docstring: sets ``g.user`` and ``g.tokens``."""
    # The request and app objects are looked up once here, not through their proxies at
    # every use: this runs for every request.
    req = request._get_current_object()  # type: ignore[attr-defined]
    g.user = None
    g.tokens = PresentedTokens()
    if req.endpoint == "static":
        return
    if req.path.startswith(API_PREFIX):  # the JSON API: the Authorization header only
        _authenticate_api()
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    authority: Authority = app.extensions[AUTHORITY_KEY]
    now = authority.now()
    header = req.headers.get("Authorization")
    if header is not None:
        _authenticate_bearer(header, authority, now)
        return
    policy: CookiePolicy = app.extensions[COOKIE_POLICY_KEY]
    cookies = req.cookies
    access_raw = cookies.get(policy.access_name)
    refresh_raw = cookies.get(policy.refresh_name)
    if not access_raw and not refresh_raw:
        return
    access = authority.verify(access_raw, TokenType.ACCESS, now) if access_raw else None
    refresh = authority.verify(refresh_raw, TokenType.REFRESH, now) if refresh_raw else None
    g.tokens = PresentedTokens(access, refresh)
    view = app.view_functions.get(req.endpoint)
    if getattr(view, "no_token_reissue", False):
        if _live(access, now):
            g.user = Principal.from_claims(access.claims)
        return

    if _live(access, now):  # rows 1 and 3
        g.user = Principal.from_claims(access.claims)
        if refresh is None or refresh.valid:
            return
        if refresh.authentic and refresh.claims["sid"] == g.user.session_id:
            grant = _try_refresh(refresh_raw, refresh.claims, authority, allow_expired=True)
            if grant is not None and grant.refresh_token:
                _reissue(grant, now, access=False)
                return
        _expire(refresh=True)
        return

    if _live(refresh, now):  # row 2 (a revoked session's refresh token is refused without SQL)
        grant = _try_refresh(refresh_raw, refresh.claims, authority, allow_expired=False)
        if grant is not None:
            g.user = Principal.from_grant(grant)
            _reissue(grant, now, access=True)
            return
    _expire(access=True, refresh=True)  # row 4: whatever was sent, the browser drops both


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
    if _live(verified, now):
        g.user = Principal.from_claims(verified.claims)
    else:
        g.tokens.bearer_error = "invalid_token"


def _live(token: Verified | None, now: float) -> bool:
    """Valid, and its session was not revoked since it was issued (one O(1) lookup, no SQL)."""
    return (
        token is not None
        and token.valid
        and not get_revocation_list().is_revoked(token.claims["sid"], now)
    )


def _try_refresh(
    token: str, claims: Mapping[str, Any], authority: Authority, allow_expired: bool
) -> Grant | None:
    try:
        return session_store.refresh(
            token, claims, authority=authority, allow_expired=allow_expired
        )
    except RefreshRefused:
        return None


def _reissue(grant: Grant, now: float, *, access: bool) -> None:
    """Hand the grant's new tokens to the response."""

    @after_this_request
    def set_cookies(response: Response) -> Response:
        set_grant_cookies(response, grant, now, access=access)
        return response


def _expire(*, access: bool = False, refresh: bool = False) -> None:
    @after_this_request
    def expire_cookies(response: Response) -> Response:
        expire_token_cookies(response, access=access, refresh=refresh)
        return response


def expire_token_cookies(response: Response, *, access: bool = True, refresh: bool = True) -> None:
    policy = cookie_policy()
    if access:
        policy.expire(response, policy.access_name)
    if refresh:
        policy.expire(response, policy.refresh_name)
    response.headers["Cache-Control"] = "no-store"


def set_grant_cookies(
    response: Response, grant: Grant, now: float, *, access: bool = True
) -> None:
    """The grant's tokens as cookies: persistent up to the session's end with "remember me",
    browser-session cookies without it. ``access=False`` leaves the access cookie alone."""
    policy = cookie_policy()
    max_age = max(0, int(grant.session_expires_at - now)) if grant.persistent else None
    if access:
        policy.set(response, policy.access_name, grant.access_token, max_age)
    if grant.refresh_token:
        policy.set(response, policy.refresh_name, grant.refresh_token, max_age)
    response.headers["Cache-Control"] = "no-store"


def sign_in(
    user: User,
    *,
    persistent: bool,
    event: EventKind,
    amr: Sequence[str] = session_store.DEFAULT_AMR,
) -> Grant:
    """Open a login session for the client of this request, and record how it began."""
    authority = get_authority()
    grant = session_store.start_session(
        user,
        authority=authority,
        persistent=persistent,
        user_agent=request.user_agent.string,
        ip=request.remote_addr or "",
        amr=amr,
    )
    events.record(event, authority=authority, user_id=user.id, session_id=grant.session_id)
    return grant


def wants_json() -> bool:
    return is_api_request() or (
        request.accept_mimetypes.best_match(["text/html", "application/json"])
        == "application/json"
    )


def unauthenticated() -> Response:
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
    return {"current_user": g.get("user"), "post_button_form": PostButton}


def renew_current_session() -> bool:
    """Replace this session's tokens with a fresh pair, read again from the database.

    For views that change the account (password, confirmed email): every older refresh token
    of the session stops working, and the new access token carries the new claims. The new
    cookies are the response's last word on tokens (a Bearer client gets none). Returns False,
    with both cookies expired, when the session has ended meanwhile.
    """
    try:
        grant = session_store.renew_session(g.user.session_id, authority=get_authority())
    except RefreshRefused:
        set_final_token_cookies(None)
        return False
    if "Authorization" not in request.headers:
        set_final_token_cookies(grant)
    return True


def set_final_token_cookies(grant: Grant | None) -> None:
    """Set this grant's cookies (or expire both) as the response's last word on tokens.

    The request may have been refreshed on its way in, and those cookies name a refresh token
    that the view has since deleted; they are dropped so the browser keeps only these.
    """
    policy = cookie_policy()
    names = (policy.access_name + "=", policy.refresh_name + "=")
    now = get_authority().now()

    @after_this_request
    def replace_cookies(response: Response) -> Response:
        kept = [v for v in response.headers.getlist("Set-Cookie") if not v.startswith(names)]
        response.headers.remove("Set-Cookie")
        for value in kept:
            response.headers.add("Set-Cookie", value)
        if grant is None:
            expire_token_cookies(response)
        else:
            set_grant_cookies(response, grant, now)
        return response
