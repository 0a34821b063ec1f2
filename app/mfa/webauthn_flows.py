"""Passkey ceremonies with py_webauthn: options for the browser, and checking its answers.

Credentials are discoverable (resident keys) so the login page can offer them with no email
typed; user verification is preferred when a passkey is added or used as a second step, and
required when a passkey alone signs someone in. Every challenge is a server-side single-use
step (challenges.py) that expires after ``MFA_STEP_TTL`` seconds.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..extensions import db
from .challenges import Purpose, open_step, take_step
from .models import Passkey

USER_HANDLE_BYTES = 32
KNOWN_TRANSPORTS = {t.value for t in AuthenticatorTransport}


class PasskeyError(Exception):
    """A ceremony that cannot succeed; the message is for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str
    name: str


def relying_party() -> RelyingParty | None:
    """The site as WebAuthn knows it: ``WEBAUTHN_RP_ID``/``WEBAUTHN_ORIGIN``, else
    ``PUBLIC_URL``, else (only in debug or testing) the host this request came to."""
    config = current_app.config
    rp_id, origin = config["WEBAUTHN_RP_ID"], config["WEBAUTHN_ORIGIN"]
    public = config.get("PUBLIC_URL")
    if public:
        parts = urlsplit(public)
        rp_id = rp_id or parts.hostname
        origin = origin or f"{parts.scheme}://{parts.netloc}"
    if (not rp_id or not origin) and (config["DEBUG"] or config["TESTING"]):
        rp_id = rp_id or (urlsplit(request.host_url).hostname or "")
        origin = origin or request.host_url.rstrip("/")
    if rp_id and not origin:
        origin = f"https://{rp_id}"
    if not rp_id:
        return None
    return RelyingParty(rp_id, origin.rstrip("/"), config["WEBAUTHN_RP_NAME"])


def _required_rp() -> RelyingParty:
    rp = relying_party()
    if rp is None:
        raise PasskeyError(_("Passkeys are not set up on this site."))
    return rp


def _timeout_ms() -> int:
    return int(current_app.config["MFA_STEP_TTL"]) * 1000


def _descriptors(passkeys: Sequence[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(p.credential_id),
            transports=[AuthenticatorTransport(t) for t in p.transports.split(",") if t],
        )
        for p in passkeys
    ]


def registration_options(user_id: int, email: str, existing: Sequence[Passkey]) -> dict[str, Any]:
    """Options for ``navigator.credentials.create()`` and the handle to send back with it."""
    rp = _required_rp()
    user_handle = (
        existing[0].user_handle
        if existing
        else bytes_to_base64url(secrets.token_bytes(USER_HANDLE_BYTES))
    )
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=email,
        user_id=base64url_to_bytes(user_handle),
        user_display_name=email,
        timeout=_timeout_ms(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    handle = open_step(
        Purpose.PASSKEY_REGISTER, user_id=user_id, challenge=options.challenge, context=user_handle
    )
    return {"handle": handle, "publicKey": json.loads(options_to_json(options))}


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str
    public_key: bytes
    user_handle: str
    sign_count: int
    transports: str
    aaguid: str
    backup_eligible: bool
    backed_up: bool


def verify_registration(handle: Any, credential: Any, user_id: int) -> NewPasskey:
    """Check the browser's answer to the registration options; raises PasskeyError."""
    rp = _required_rp()
    step = take_step(handle if isinstance(handle, str) else None, Purpose.PASSKEY_REGISTER)
    if step is None or step.user_id != user_id or step.challenge is None:
        raise PasskeyError(_("This passkey request has expired. Please try again."))
    try:
        verified = verify_registration_response(
            credential=credential if isinstance(credential, dict) else {},
            expected_challenge=step.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyError(_("The passkey could not be checked. Please try again.")) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    taken = db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id))
    if taken is not None:
        raise PasskeyError(_("This passkey is already registered."))
    response = credential.get("response") if isinstance(credential, dict) else None
    transports = response.get("transports") if isinstance(response, dict) else None
    return NewPasskey(
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        user_handle=step.context,
        sign_count=verified.sign_count,
        transports=",".join(
            t for t in (transports or []) if isinstance(t, str) and t in KNOWN_TRANSPORTS
        ),
        aaguid=verified.aaguid,
        backup_eligible=verified.credential_device_type is CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
    )


def authentication_options(
    purpose: Purpose, *, user_id: int | None = None, passkeys: Sequence[Passkey] = ()
) -> dict[str, Any]:
    """Options for ``navigator.credentials.get()``: any discoverable passkey of this site
    (sign-in), or one of ``passkeys`` (a known person's second step or re-authentication)."""
    rp = _required_rp()
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=_timeout_ms(),
        allow_credentials=_descriptors(passkeys),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    handle = open_step(purpose, user_id=user_id, challenge=options.challenge)
    return {"handle": handle, "publicKey": json.loads(options_to_json(options))}


@dataclass(frozen=True)
class UsedPasskey:
    passkey: Passkey
    new_sign_count: int
    backed_up: bool
    user_verified: bool


def verify_authentication(handle: Any, credential: Any, purpose: Purpose) -> UsedPasskey:
    """Check a signed challenge against the stored passkey; raises PasskeyError.

    The sign counter must grow whenever the authenticator keeps one (a cloned key is
    refused). With ``Purpose.PASSKEY_VERIFY`` the passkey must belong to the step's account.
    """
    rp = _required_rp()
    step = take_step(handle if isinstance(handle, str) else None, purpose)
    if step is None or step.challenge is None:
        raise PasskeyError(_("This passkey request has expired. Please try again."))
    credential_id = credential.get("id") if isinstance(credential, dict) else None
    passkey = None
    if isinstance(credential_id, str) and 0 < len(credential_id) <= 1400:
        query = select(Passkey).where(Passkey.credential_id == credential_id)
        if step.user_id is not None:
            query = query.where(Passkey.user_id == step.user_id)
        passkey = db.session.scalar(query)
    if passkey is None:
        raise PasskeyError(_("This passkey is not registered here."))
    response = credential.get("response")
    user_handle = response.get("userHandle") if isinstance(response, dict) else None
    if user_handle not in (None, "", passkey.user_handle):
        raise PasskeyError(_("This passkey is not registered here."))
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=step.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=purpose is Purpose.PASSKEY_SIGN_IN,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyError(_("The passkey could not be checked. Please try again.")) from None
    return UsedPasskey(
        passkey, verified.new_sign_count, verified.credential_backed_up, verified.user_verified
    )
