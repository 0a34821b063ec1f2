"""Alembic environment for Flask-Migrate (``flask --app app db ...``) and the start-up upgrade.

Differences from the Flask-Migrate template, each for a reason:
- a connection passed in ``config.attributes["connection"]`` is used as it is, so the
  start-up upgrade runs inside the transaction that holds the schema lock;
- logging is configured from alembic.ini only for the command line, never inside a running
  app or test process whose logging is already set up;
- the app's ``UTCDateTime`` column type is written into migrations as ``sa.DateTime()``, so
  revision files import nothing from the app.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from app.db import models  # noqa: F401  (registers every table on the metadata)
from app.db.models import UTCDateTime

config = context.config

if (
    config.attributes.get("configure_logger", True)
    and config.config_file_name is not None
    and not logging.getLogger().handlers
):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    return target_db.engine


def get_engine_url() -> str:
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", get_engine_url())


def render_item(type_, obj, autogen_context):
    """Write app-specific column types as the plain SQLAlchemy type they store."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``flask db upgrade --sql``) instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context, revision, directives):
        # `flask db migrate` with no model change writes no empty revision file.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)

    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()
        return
    with get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
