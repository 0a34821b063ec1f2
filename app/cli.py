"""Operations commands: ``flask --app app <command>``.

Accounts and sessions: ``create-user``, ``revoke-sessions``, ``prune`` (retention, run it
daily; ``prune-tokens`` is its former name). Signing keys in the instance key file:
``rotate-key``, ``activate-key``, ``remove-key``. Session writes go through the session store
like every request's do, and ended sessions are recorded as security events.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from .accounts import events
from .accounts.emails import normalize_email
from .accounts.events import EventKind
from .accounts.passwords import get_passwords
from .auth.forms import RegisterForm
from .config import secrets_path
from .db.models import User, utc
from .extensions import db
from .sessions import keys
from .sessions.authority import get_authority
from .sessions.store import RevokeReason, get_session_store


def init_app(app: Flask) -> None:
    for command in (
        create_user_command,
        revoke_sessions_command,
        prune_command,
        prune_tokens_command,
        rotate_key_command,
        activate_key_command,
        remove_key_command,
    ):
        app.cli.add_command(command)


@click.command("create-user")
@click.argument("email")
@with_appcontext
def create_user_command(email: str) -> None:
    """Create an account; the password is asked for twice and never echoed."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    # The sign-up form's own validators, so the rules cannot drift apart. Flask-WTF forms
    # (and their translated messages) need a request context; CSRF has no meaning here.
    with current_app.test_request_context():
        form = RegisterForm(
            formdata=MultiDict({"email": email, "password": password, "confirm": password}),
            meta={"csrf": False},
        )
        if not form.validate():
            problems = [f"{field.label.text}: {error}" for field in form for error in field.errors]
            raise click.ClickException("\n".join(problems))
        email = form.email.data
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise click.ClickException(f"An account with the email {email} already exists.") from None
    authority = get_authority()
    user = User(
        email=email, password_hash=get_passwords().hash(password), created_at=utc(authority.now())
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException(f"An account with the email {email} already exists.") from None
    events.record(EventKind.REGISTER, authority=authority, user_id=user.id)
    click.echo(f"Created the account {email} (user id {user.id}).")


@click.command("revoke-sessions")
@click.argument("email")
@with_appcontext
def revoke_sessions_command(email: str) -> None:
    """Sign a person out everywhere: end every session of the account."""
    address = normalize_email(email)
    user_id = db.session.scalar(select(User.id).where(User.email == address)) if address else None
    if user_id is None:
        raise click.ClickException(f"There is no account with the email {email}.")
    ended = get_session_store().end_user_sessions(
        user_id, RevokeReason.ADMIN, event=EventKind.SESSIONS_SIGNED_OUT
    )
    shared = bool(current_app.config["REVOCATION_STORE_URI"])
    click.echo(
        f"Ended {ended} session(s) of {address}. "
        + (
            "Their access tokens stopped working at once on every worker."
            if shared
            else "Access tokens already issued stay valid on running workers until they "
            f"expire (at most {get_authority().access_ttl} seconds): this process does not "
            "share their revocation list (set REVOCATION_STORE_URI)."
        )
    )


def _prune() -> None:
    store = get_session_store()
    pruned = store.prune()
    days = store.activity_retention // 86_400
    click.echo(
        f"Deleted {pruned.sessions} ended session(s) and {pruned.events} security event(s) "
        f"older than {days} day(s)."
    )


@click.command("prune")
@with_appcontext
def prune_command() -> None:
    """Retention (run daily): delete ended sessions and activity older than
    ACTIVITY_RETENTION."""
    _prune()


@click.command("prune-tokens", hidden=True)
@with_appcontext
def prune_tokens_command() -> None:
    """The former name of ``prune``."""
    _prune()


def _key_file() -> Path:
    """The instance key file, provided the running config takes its keys from it."""
    path = secrets_path(current_app)
    try:
        stored = keys.read_key_file(path).get("JWT_KEYS")
    except keys.KeyFileError:
        stored = None
    if stored != current_app.config["JWT_KEYS"]:
        raise click.ClickException(
            f"The signing keys are set in the configuration (JWT_KEYS), not in {path}; "
            "change them where they are set."
        )
    return path


@click.command("rotate-key")
@click.option(
    "--no-activate",
    is_flag=True,
    help="Add the key for verification only; activate it later with activate-key.",
)
@with_appcontext
def rotate_key_command(no_activate: bool) -> None:
    """Add a new signing key; the older keys keep verifying the tokens they signed."""
    path = _key_file()
    try:
        kid = keys.add_key(path, current_app.config["JWT_ALGORITHM"], activate=not no_activate)
    except keys.KeyFileError as error:
        raise click.ClickException(str(error)) from None
    state = "verification only" if no_activate else "active: it signs new tokens"
    click.echo(f"Added key {kid} ({state}). Restart the app so that every worker loads it.")


@click.command("activate-key")
@click.argument("kid")
@with_appcontext
def activate_key_command(kid: str) -> None:
    """Make an existing key the one that signs new tokens."""
    try:
        keys.activate_key(_key_file(), kid)
    except keys.KeyFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Key {kid} is now active. Restart the app so that every worker uses it.")


@click.command("remove-key")
@click.argument("kid")
@with_appcontext
def remove_key_command(kid: str) -> None:
    """Remove a retired key: tokens it signed stop verifying after the restart."""
    try:
        keys.remove_key(_key_file(), kid)
    except keys.KeyFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Removed key {kid}. Restart the app; tokens signed with it no longer verify.")
