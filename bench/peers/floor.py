"""The floor: plain Flask renders the same /account page for whoever asks (no auth).

It still reads the page's activity list from the shared database, as every app does.
"""

from __future__ import annotations

from flask import Flask, make_response, redirect, render_template

from .common import USER_ID, Person, make_app, recent_activity, register_pages

PERSON = Person()


def create_app(database_uri: str) -> Flask:
    app = make_app(__name__, "floor-secret-key-for-benchmarks-only", database_uri)

    def account():
        response = make_response(
            render_template("account/index.html", user=PERSON, activity=recent_activity(USER_ID))
        )
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
