"""Flask-Login with Flask-SQLAlchemy: a signed session cookie and the usual ``user_loader``.

Every authenticated request loads the user row by primary key (one SELECT on the shared
database's ``users`` table), as the Flask-Login documentation's ``user_loader`` does.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from flask import Flask, make_response, redirect, render_template, request
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from sqlalchemy import select

from app.db.models import User
from app.extensions import db

from .common import make_app, recent_activity, register_pages


class Account(UserMixin):
    """Flask-Login's view of a ``users`` row."""

    def __init__(self, row: User) -> None:
        self.id = row.id
        self.email = row.email
        self.email_confirmed = row.email_confirmed_at is not None


def create_app(database_uri: str) -> Flask:
    app = make_app(__name__, "flask-login-secret-key-for-benchmarks-only", database_uri)
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def load_user(user_id: str) -> Account | None:
        row = db.session.get(User, int(user_id))
        return Account(row) if row is not None else None

    @login_required
    def account():
        response = make_response(
            render_template(
                "account/index.html", user=current_user, activity=recent_activity(current_user.id)
            )
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def login():
        if request.method == "POST":
            row = db.session.scalar(select(User).where(User.email == request.form["email"]))
            try:
                if row is not None and PasswordHasher().verify(
                    row.password_hash, request.form["password"]
                ):
                    login_user(Account(row))
                    return redirect("/account")
            except VerificationError:
                pass
        return "", 200

    def logout():
        logout_user()
        return redirect("/auth/login")

    app.extensions["csrf"].exempt(login)  # the benchmark signs in without a form page
    register_pages(
        app,
        account=account,
        current_user=lambda: current_user if current_user.is_authenticated else None,
        login=login,
        logout=logout,
    )
    return app
