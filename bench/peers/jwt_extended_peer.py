"""Flask-JWT-Extended in cookie mode with its documented implicit-refresh pattern.

An ``after_request`` hook re-issues the access cookie when the token is close to expiry
(the "Implicit Refreshing With Cookies" recipe). Once the access token has expired, the page
answers 401 and the client must ``POST /auth/refresh`` with the refresh cookie (and the
double-submit CSRF header) before retrying. The email travels in the token's claims, so the
page reads no user row, the most favourable set-up for this peer; the page's activity list
comes from the shared database, as in every app.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, Flask, jsonify, make_response, redirect, render_template
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt,
    get_jwt_identity,
    jwt_required,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
)

from .common import EMAIL, USER_ID, make_app, recent_activity, register_pages

ACCESS_TTL = timedelta(seconds=900)  # the same 15 minutes as Gatehouse's default
REFRESH_WINDOW = timedelta(minutes=5)  # re-issue when less than this is left


class Claims:
    """The signed-in person as the token describes them."""

    email_confirmed = True

    def __init__(self, email: str) -> None:
        self.email = email


def create_app(database_uri: str) -> Flask:
    app = make_app(__name__, "jwt-extended-secret-key-for-benchmarks-only", database_uri)
    app.config.update(
        JWT_SECRET_KEY="jwt-extended-signing-key-for-benchmarks-only-0123456789",
        JWT_TOKEN_LOCATION=["cookies"],
        JWT_COOKIE_SECURE=False,
        JWT_COOKIE_CSRF_PROTECT=True,
        JWT_ACCESS_TOKEN_EXPIRES=ACCESS_TTL,
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=14),
    )
    JWTManager(app)

    @app.after_request
    def refresh_expiring_jwts(response):
        try:
            exp_timestamp = get_jwt()["exp"]
            target_timestamp = datetime.timestamp(datetime.now(UTC) + REFRESH_WINDOW)
            if target_timestamp > exp_timestamp:
                access_token = create_access_token(
                    identity=get_jwt_identity(), additional_claims={"email": get_jwt()["email"]}
                )
                set_access_cookies(response, access_token)
            return response
        except (RuntimeError, KeyError):
            return response  # no valid JWT in this request

    def current_user():
        try:  # the claims that @jwt_required already verified in this request, never a second decode
            return Claims(get_jwt()["email"])
        except (RuntimeError, KeyError):
            return None

    @jwt_required()
    def account():
        user = Claims(get_jwt()["email"])
        activity = recent_activity(int(get_jwt_identity()))
        response = make_response(
            render_template("account/index.html", user=user, activity=activity)
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def login():
        response = redirect("/account")
        claims = {"email": EMAIL}
        identity = str(USER_ID)
        set_access_cookies(response, create_access_token(identity, additional_claims=claims))
        set_refresh_cookies(response, create_refresh_token(identity, additional_claims=claims))
        return response

    def logout():
        response = redirect("/auth/login")
        unset_jwt_cookies(response)
        return response

    @jwt_required(refresh=True)
    def refresh():
        claims = get_jwt()
        response = jsonify(refresh=True)
        set_access_cookies(
            response,
            create_access_token(
                identity=get_jwt_identity(), additional_claims={"email": claims["email"]}
            ),
        )
        return response

    def extra(auth: Blueprint) -> None:
        auth.add_url_rule("/refresh", "refresh", refresh, methods=["POST"])

    app.extensions["csrf"].exempt(login)
    app.extensions["csrf"].exempt(refresh)  # guarded by the library's double-submit header
    register_pages(
        app,
        account=account,
        current_user=current_user,
        login=login,
        logout=logout,
        extra_auth_routes=extra,
    )
    return app
