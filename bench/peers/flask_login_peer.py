"""Flask-Login with Flask-SQLAlchemy: a signed session cookie and the usual ``user_loader``.

Every authenticated request loads the user row by primary key (one SELECT), as the
Flask-Login documentation's ``user_loader`` does.
"""
from __future__ import annotations

from flask import Flask, make_response, redirect, render_template, request
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from .common import EMAIL, PASSWORD, make_app, register_pages


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))


def create_app(database_uri: str) -> Flask:
    app = make_app(__name__, "flask-login-secret-key-for-benchmarks-only")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri
    db.init_app(app)
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id))

    @login_required
    def account():
        response = make_response(render_template("account/index.html", user=current_user))
        response.headers["Cache-Control"] = "no-store"
        return response

    def login():
        if request.method == "POST":
            user = db.session.scalar(select(User).where(User.email == request.form["email"]))
            if user and check_password_hash(user.password_hash, request.form["password"]):
                login_user(user)
                return redirect("/account")
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
    with app.app_context():
        db.create_all()
        if db.session.scalar(select(User.id).where(User.email == EMAIL)) is None:
            db.session.add(User(email=EMAIL, password_hash=generate_password_hash(PASSWORD)))
            db.session.commit()
    return app
