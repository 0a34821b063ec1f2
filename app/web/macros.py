"""Template macros every page may call without importing them.

``post_form`` (``templates/_forms.html``) draws a form that only POSTs, carrying Flask-WTF's
CSRF token: log out, revoke a session, send the confirmation again. Pages call it without a
``{% from %}`` import, because an import costs more than the macro itself (Jinja compares the
page's globals with the macro file's at every import): the macros are looked up once at
start-up and offered to every template as globals.
"""

from __future__ import annotations

from flask import Flask

MACROS_TEMPLATE = "_forms.html"
GLOBAL_MACROS = ("post_form",)


def init_app(app: Flask) -> None:
    module = app.jinja_env.get_template(MACROS_TEMPLATE).module
    for name in GLOBAL_MACROS:
        app.jinja_env.globals[name] = getattr(module, name)
