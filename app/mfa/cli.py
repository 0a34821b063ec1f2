"""``flask mfa-key rotate|retire``: rotate the key that encrypts authenticator-app keys."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..config import secrets_path
from ..extensions import db
from ..sessions.keys import KeyFileError, read_key_file
from .crypto import secret_box
from .keys import FILE_FIELD, retire_old_encryption_keys, rotate_encryption_key
from .models import TotpAuthenticator

mfa_key = AppGroup("mfa-key", help="Rotate the key that encrypts authenticator-app keys.")


def init_app(app: Flask) -> None:
    app.cli.add_command(mfa_key)


def _key_file() -> Path:
    """The instance key file, provided the running config takes its keys from it."""
    path = secrets_path(current_app)
    try:
        stored = read_key_file(path).get(FILE_FIELD)
    except KeyFileError:
        stored = None
    if stored != list(current_app.config[FILE_FIELD]):
        raise click.ClickException(
            f"The encryption keys are set in the configuration ({FILE_FIELD}), not in {path}; "
            "change them where they are set."
        )
    return path


@mfa_key.command("rotate")
def rotate_command() -> None:
    """Add a new active key; the older keys keep decrypting."""
    rotate_encryption_key(_key_file())
    click.echo(
        "Added a new encryption key. Restart the app so that every worker loads it, "
        "then run `flask mfa-key retire`."
    )


@mfa_key.command("retire")
def retire_command() -> None:
    """Re-encrypt every stored key with the active key, then drop the older keys."""
    path = _key_file()
    box = secret_box()
    rows = db.session.scalars(select(TotpAuthenticator)).all()
    for row in rows:
        if box.decrypt(row.secret_encrypted) is None:
            raise click.ClickException(
                f"No configured key opens the stored key of user {row.user_id}; nothing changed."
            )
        row.secret_encrypted = box.rotate(row.secret_encrypted)
    db.session.commit()
    try:
        dropped = retire_old_encryption_keys(path, box.active_key)
    except KeyFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Re-encrypted {len(rows)} stored key(s); removed {dropped} older key(s).")
