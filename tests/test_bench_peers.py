"""The benchmark's peers render the project's own account page, so a link added to that page
needs its endpoint in bench/peers/common.py; without it every peer answers 500 and
``make bench`` measures nothing. The floor needs only Flask, so the suite can build it."""

from __future__ import annotations

import re

from app.extensions import db
from bench.peers import floor
from bench.peers.common import ROOT

# The templates the account page is made of: its own and the layout around it, whose
# navigation links go through its nav_link macro.
PAGE_TEMPLATES = ("account/index.html", "base.html")
URL_FOR = re.compile(r"""(?:url_for|nav_link)\(\s*['"]([\w.]+)['"]""")


def _floor_app(tmp_path):
    app = floor.create_app(f"sqlite:///{tmp_path / 'bench.sqlite'}")
    app.config["TESTING"] = True
    with app.app_context():
        db.create_all()
    return app


def test_every_link_of_the_account_page_has_an_endpoint_in_the_peers(tmp_path):
    app = _floor_app(tmp_path)
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    linked = {
        name
        for template in PAGE_TEMPLATES
        for name in URL_FOR.findall((ROOT / "templates" / template).read_text(encoding="utf-8"))
    }
    assert linked, "no url_for() found: the pattern no longer matches the templates"
    assert linked - registered == set()
    with app.app_context():
        db.engine.dispose()


def test_the_floor_renders_the_account_page(tmp_path):
    app = _floor_app(tmp_path)
    response = app.test_client().get("/account")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "person@example.com" in page
    for href in ("/account/sessions", "/account/email", "/account/export", "/account/delete"):
        assert f'href="{href}"' in page
    with app.app_context():
        db.engine.dispose()


def test_the_bench_counts_only_the_statements_of_its_own_thread(tmp_path):
    """The mail outbox polls on a thread of its own; its statements are no request's."""
    import threading

    from sqlalchemy import create_engine, text

    from bench.harness import SQLCounter

    engine = create_engine(f"sqlite:///{tmp_path / 'count.sqlite'}")
    with SQLCounter(engine) as counter:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

        def elsewhere():
            with engine.connect() as conn:
                conn.execute(text("SELECT 2"))

        other = threading.Thread(target=elsewhere)
        other.start()
        other.join()
    engine.dispose()
    assert counter.statements == ["SELECT 1"]
