"""The strong sign-in operations. Each public operation is one transaction that records its
security event; the views only translate requests into these calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update

from ..accounts import events
from ..accounts.events import EventKind
from ..db.models import utc
from ..extensions import db
from ..sessions.authority import get_authority
from . import recovery, totp
from .crypto import secret_box
from .models import Passkey, RecoveryCode, TotpAuthenticator
from .webauthn_flows import NewPasskey, UsedPasskey

PASSKEY_NAME_MAX = 64

# RFC 8176 method references of each way in.
AMR_PASSWORD = ("pwd",)
AMR_PASSWORD_AND_CODE = ("pwd", "otp", "mfa")


def _execute(statement: Any) -> CursorResult:
    """Run a write statement in the request's transaction; its result tells ``rowcount``."""
    return cast(CursorResult, db.session.execute(statement))


def passkey_method(used: UsedPasskey) -> str:
    """``swk`` for a passkey that syncs between devices (a software key), else ``hwk``."""
    return "swk" if used.passkey.backup_eligible or used.backed_up else "hwk"


def passkey_amr(used: UsedPasskey, *, after_password: bool) -> tuple[str, ...]:
    if after_password:
        return ("pwd", passkey_method(used), "mfa")
    # Sign-in with a passkey alone requires user verification: the device and its lock.
    return (passkey_method(used), "user", "mfa") if used.user_verified else (passkey_method(used),)


class TotpAlreadyOn(Exception):
    """The account has an authenticator app already; turn it off before setting up another."""


@dataclass(frozen=True)
class Factors:
    passkeys: list[Passkey]
    totp_on: bool
    recovery_codes_left: int

    @property
    def second_step(self) -> bool:
        return self.totp_on or bool(self.passkeys)


def _now() -> float:
    return get_authority().now()


def _record(kind: EventKind, user_id: int, session_id: str | None) -> None:
    """Record the event and commit the operation's changes with it."""
    events.record(kind, authority=get_authority(), user_id=user_id, session_id=session_id)


def passkeys_of(user_id: int) -> list[Passkey]:
    return list(
        db.session.scalars(
            select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.created_at)
        )
    )


def _confirmed_totp(user_id: int) -> TotpAuthenticator | None:
    return db.session.scalar(
        select(TotpAuthenticator).where(
            TotpAuthenticator.user_id == user_id, TotpAuthenticator.confirmed_at.is_not(None)
        )
    )


def recovery_codes_left(user_id: int) -> int:
    return db.session.scalar(  # type: ignore[return-value]
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )


def factors(user_id: int) -> Factors:
    return Factors(
        passkeys_of(user_id), _confirmed_totp(user_id) is not None, recovery_codes_left(user_id)
    )


def needs_second_step(user_id: int) -> bool:
    """After the password: an account with an authenticator app or a passkey needs one more."""
    has_totp = _confirmed_totp(user_id) is not None
    return (
        has_totp
        or db.session.scalar(select(Passkey.id).where(Passkey.user_id == user_id).limit(1))
        is not None
    )


# Passkeys -----------------------------------------------------------------------------------


def clean_name(name: str | None, fallback: str) -> str:
    cleaned = " ".join((name or "").split())[:PASSKEY_NAME_MAX]
    return cleaned or fallback


def add_passkey(user_id: int, new: NewPasskey, name: str, session_id: str | None) -> Passkey:
    passkey = Passkey(
        user_id=user_id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        user_handle=new.user_handle,
        sign_count=new.sign_count,
        name=name,
        transports=new.transports,
        aaguid=new.aaguid,
        backup_eligible=new.backup_eligible,
        backed_up=new.backed_up,
        created_at=utc(_now()),
    )
    db.session.add(passkey)
    _record(EventKind.PASSKEY_ADDED, user_id, session_id)
    return passkey


def rename_passkey(user_id: int, passkey_id: int, name: str, session_id: str | None) -> bool:
    changed = _execute(
        update(Passkey)
        .where(Passkey.id == passkey_id, Passkey.user_id == user_id)
        .values(name=name)
    ).rowcount
    if not changed:
        db.session.rollback()
        return False
    _record(EventKind.PASSKEY_RENAMED, user_id, session_id)
    return True


def remove_passkey(user_id: int, passkey_id: int, session_id: str | None) -> bool:
    removed = _execute(
        delete(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user_id)
    ).rowcount
    if not removed:
        db.session.rollback()
        return False
    _drop_recovery_codes_without_factor(user_id)
    _record(EventKind.PASSKEY_REMOVED, user_id, session_id)
    return True


def record_passkey_use(used: UsedPasskey) -> None:
    """Store what the authenticator reported (counter, backup state) and when."""
    _execute(
        update(Passkey)
        .where(Passkey.id == used.passkey.id)
        .values(
            sign_count=used.new_sign_count,
            backed_up=used.backed_up,
            last_used_at=utc(_now()),
        )
    )
    db.session.commit()


# The authenticator app ----------------------------------------------------------------------


def begin_totp_setup(user_id: int) -> str:
    """A new key waiting for its first code (it replaces any earlier unconfirmed one)."""
    if _confirmed_totp(user_id) is not None:
        raise TotpAlreadyOn()
    secret = totp.new_secret()
    _execute(delete(TotpAuthenticator).where(TotpAuthenticator.user_id == user_id))
    db.session.add(
        TotpAuthenticator(
            user_id=user_id,
            secret_encrypted=secret_box().encrypt(secret),
            created_at=utc(_now()),
            last_used_step=0,
        )
    )
    db.session.commit()
    return secret


def pending_totp_secret(user_id: int) -> str | None:
    row = db.session.get(TotpAuthenticator, user_id)
    if row is None or row.confirmed_at is not None:
        return None
    return secret_box().decrypt(row.secret_encrypted)


def _accept_code(row: TotpAuthenticator, code: str) -> bool:
    """Whether ``code`` is the app's current code, used for the first time (compare-and-set)."""
    secret = secret_box().decrypt(row.secret_encrypted)
    if secret is None:
        return False
    step = totp.matching_step(secret, code, _now(), row.last_used_step)
    if step is None:
        return False
    claimed = _execute(
        update(TotpAuthenticator)
        .where(
            TotpAuthenticator.user_id == row.user_id,
            TotpAuthenticator.last_used_step < step,
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


@dataclass(frozen=True)
class TotpConfirmed:
    recovery_codes: list[str] | None  # a first set, when the account had none


def confirm_totp(user_id: int, code: str, session_id: str | None) -> TotpConfirmed | None:
    """Turn the app on with its first code; None when the code is wrong."""
    row = db.session.get(TotpAuthenticator, user_id)
    if row is None or row.confirmed_at is not None or not _accept_code(row, code):
        db.session.rollback()
        return None
    row.confirmed_at = utc(_now())
    codes = None
    if recovery_codes_left(user_id) == 0:
        codes = _replace_recovery_codes(user_id)
        events.record(
            EventKind.RECOVERY_CODES_GENERATED,
            authority=get_authority(),
            user_id=user_id,
            session_id=session_id,
            commit=False,
        )
    _record(EventKind.TOTP_ENABLED, user_id, session_id)
    return TotpConfirmed(codes)


def disable_totp(user_id: int, session_id: str | None) -> bool:
    removed = _execute(
        delete(TotpAuthenticator).where(
            TotpAuthenticator.user_id == user_id, TotpAuthenticator.confirmed_at.is_not(None)
        )
    ).rowcount
    if not removed:
        db.session.rollback()
        return False
    _drop_recovery_codes_without_factor(user_id)
    _record(EventKind.TOTP_DISABLED, user_id, session_id)
    return True


# Recovery codes -----------------------------------------------------------------------------


def _replace_recovery_codes(user_id: int) -> list[str]:
    codes = recovery.new_codes()
    now = utc(_now())
    _execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.add_all(
        RecoveryCode(user_id=user_id, code_hash=recovery.hash_code(code), created_at=now)
        for code in codes
    )
    return codes


def _drop_recovery_codes_without_factor(user_id: int) -> None:
    """With no app and no passkey left there is no second step, so no codes to recover it."""
    db.session.flush()
    if not needs_second_step(user_id):
        _execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def generate_recovery_codes(user_id: int, session_id: str | None) -> list[str]:
    """A new set of codes, shown once; every older code stops working."""
    codes = _replace_recovery_codes(user_id)
    _record(EventKind.RECOVERY_CODES_GENERATED, user_id, session_id)
    return codes


# The second step ----------------------------------------------------------------------------


def check_code(user_id: int, code: str, session_id: str | None = None) -> str | None:
    """A 6-digit app code or a recovery code for this account: "otp", "recovery", or None.

    A used recovery code is spent at once; a wrong code is recorded for the activity list.
    """
    code = code or ""
    if totp.is_code_shaped(code):
        row = _confirmed_totp(user_id)
        if row is not None and _accept_code(row, code):
            db.session.commit()
            return "otp"
    elif recovery.looks_like_recovery_code(code):
        spent = _execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == recovery.hash_code(code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utc(_now()))
        ).rowcount
        if spent == 1:
            _record(EventKind.RECOVERY_CODE_USED, user_id, session_id)
            return "recovery"
    db.session.rollback()
    _record(EventKind.SECOND_STEP_FAILED, user_id, session_id)
    return None
