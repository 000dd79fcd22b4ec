"""Passkeys (WebAuthn) with py_webauthn: the only module that imports `webauthn`."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
import webauthn
from webauthn.helpers import options_to_json
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
                                      ResidentKeyRequirement, UserVerificationRequirement)

from api.auth.models import Account, Passkey, WebauthnChallenge
from api.auth.problems import PasskeyFailed, PasskeyUnknown
from api.problems import NotFound

CHALLENGE_TTL = timedelta(minutes=2)


@dataclass(frozen=True)
class RelyingParty:
    id: str  # a registrable domain: WebAuthn refuses IP addresses
    name: str
    origins: tuple[str, ...]


def _take_challenge(session: so.Session, challenge_id: str, purpose: str, now: datetime,
                    account_id: str | None = None) -> bytes:
    """Single use: the row is deleted whether or not the ceremony then succeeds."""
    row = session.get(WebauthnChallenge, challenge_id)
    if row is None or row.purpose != purpose or row.expires_at <= now or (
            account_id and row.account_id != account_id):
        raise PasskeyFailed("The passkey request expired; try again.",
                            detail_vi="Yêu cầu passkey đã hết hạn; hãy thử lại.")
    session.delete(row)
    return row.challenge


def registration_options(session: so.Session, rp: RelyingParty, account: Account, display_name: str,
                         *, now: datetime) -> tuple[str, dict]:
    existing = session.scalars(sa.select(Passkey.credential_id).filter_by(account_id=account.id)).all()
    options = webauthn.generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_id=account.id.encode(), user_name=account.phone,
        user_display_name=display_name or account.phone,
        # Discoverable credentials let a person sign in with the passkey alone (no phone typed).
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=c) for c in existing])
    row = WebauthnChallenge(account_id=account.id, purpose="register", challenge=options.challenge,
                            expires_at=now + CHALLENGE_TTL)
    session.add(row)
    session.flush()
    return row.id, json.loads(options_to_json(options))


def register(session: so.Session, rp: RelyingParty, account: Account, *, challenge_id: str,
             credential: dict, name: str, now: datetime) -> Passkey:
    challenge = _take_challenge(session, challenge_id, "register", now, account.id)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=list(rp.origins))
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyFailed(f"The passkey could not be registered: {exc}",
                            detail_vi="Không đăng ký được passkey.") from exc
    transports = ",".join(credential.get("response", {}).get("transports", []) or [])
    passkey = Passkey(account_id=account.id, credential_id=verified.credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count,
                      transports=transports[:120], name=(name or "Passkey")[:80], created_at=now)
    session.add(passkey)
    session.flush()
    return passkey


def authentication_options(session: so.Session, rp: RelyingParty, *, now: datetime) -> tuple[str, dict]:
    # No allowCredentials: the browser offers the discoverable passkeys it holds for this site.
    options = webauthn.generate_authentication_options(
        rp_id=rp.id, user_verification=UserVerificationRequirement.PREFERRED)
    row = WebauthnChallenge(purpose="login", challenge=options.challenge, expires_at=now + CHALLENGE_TTL)
    session.add(row)
    session.flush()
    return row.id, json.loads(options_to_json(options))


def authenticate(session: so.Session, rp: RelyingParty, *, challenge_id: str, credential: dict,
                 now: datetime) -> Account:
    """:raises PasskeyUnknown, PasskeyFailed:"""
    challenge = _take_challenge(session, challenge_id, "login", now)
    try:
        raw_id = webauthn.base64url_to_bytes(credential["rawId"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PasskeyFailed("Malformed passkey answer.", detail_vi="Dữ liệu passkey không hợp lệ.") from exc
    passkey = session.scalar(sa.select(Passkey).filter_by(credential_id=raw_id))
    if passkey is None:
        raise PasskeyUnknown()
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=list(rp.origins), credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count)
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        # py_webauthn also refuses a sign count that did not grow: a cloned authenticator.
        raise PasskeyFailed(f"The passkey could not be verified: {exc}",
                            detail_vi="Không xác minh được passkey.") from exc
    # The counter is the replay/clone defence: store it with a guard against a concurrent use.
    session.execute(sa.update(Passkey).where(Passkey.id == passkey.id).values(
        sign_count=verified.new_sign_count, last_used_at=now))
    return session.get_one(Account, passkey.account_id)


def list_passkeys(session: so.Session, account_id: str) -> list[Passkey]:
    return list(session.scalars(sa.select(Passkey).filter_by(account_id=account_id)
                                .order_by(Passkey.created_at)))


def revoke(session: so.Session, account_id: str, passkey_id: str) -> None:
    if not session.execute(sa.delete(Passkey).where(
            Passkey.id == passkey_id, Passkey.account_id == account_id)).rowcount:
        raise NotFound("No such passkey.", detail_vi="Không có passkey này.")
