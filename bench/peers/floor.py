"""The floor: plain Flask renders the same /account page for whoever asks (no auth)."""
from __future__ import annotations

from flask import Flask, make_response, redirect, render_template

from .common import Person, make_app, register_pages

PERSON = Person()


def create_app() -> Flask:
    app = make_app(__name__, "floor-secret-key-for-benchmarks-only")

    def account():
        response = make_response(render_template("account/index.html", user=PERSON))
        response.headers["Cache-Control"] = "no-store"
        return response

    register_pages(
        app,
        account=account,
        current_user=lambda: PERSON,
        login=lambda: redirect("/account"),
        logout=lambda: redirect("/auth/login"),
    )
    return app
