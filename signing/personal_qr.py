"""The personal QR token: opaque, signed, rotatable; no name or ID number inside.

Wire format (our own, version 1)::

    "SSK1:" + Base45( CBOR([1, kid, token_id, issued_at]) || r||s )

``kid`` is the 8-byte key id of the token key, ``token_id`` 16 random bytes chosen by the server
(it maps token_id -> person and revokes by forgetting the mapping), ``issued_at`` epoch seconds.
The ES256 signature covers ``b"SSK1" + CBOR(...)`` so it can never be replayed as any other
signed object of ours. About 150 characters: a version 6-7 QR at error correction Q.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .base45 import b45decode, b45encode
from .keys import Signer

__all__ = ["TOKEN_PREFIX", "PersonalToken", "TokenInvalid", "make_personal_token",
           "read_personal_token", "read_personal_token_details"]

TOKEN_PREFIX = "SSK1:"
_DOMAIN = b"SSK1"  # domain separation for the signature
_VERSION = 1
_SIG_LEN = 64  # ES256 raw r||s (RFC 7518 §3.4)
TOKEN_ID_LEN = 16


class TokenInvalid(ValueError):
    """The text is not a personal token we signed: malformed, forged, or an unknown key."""


class PersonalToken:
    """A verified token (returned by ``read_personal_token_details``)."""

    __slots__ = ("issued_at", "kid", "token_id")

    def __init__(self, token_id: bytes, kid: bytes, issued_at: dt.datetime) -> None:
        self.token_id, self.kid, self.issued_at = token_id, kid, issued_at


def make_personal_token(token_id: bytes, signer: Signer, *, now: dt.datetime) -> str:
    """Sign ``token_id`` (16 random bytes from the caller) into the QR text."""
    if len(token_id) != TOKEN_ID_LEN:
        raise ValueError("token_id must be 16 bytes")
    body = cbor2.dumps([_VERSION, signer.kid, token_id, int(now.timestamp())])
    return TOKEN_PREFIX + b45encode(body + signer.sign(_DOMAIN + body))


def read_personal_token_details(text: str, keys: Mapping[bytes, Any]) -> PersonalToken:
    """Verify a token against ``keys`` (kid -> P-256 public key).

    :raises TokenInvalid: wrong prefix, bad Base45/CBOR, unknown kid, or a bad signature.
    """
    if not isinstance(text, str) or not text.startswith(TOKEN_PREFIX):
        raise TokenInvalid("not a personal token")
    try:
        raw = b45decode(text[len(TOKEN_PREFIX):])
    except ValueError:
        raise TokenInvalid("malformed token (Base45)") from None
    body, signature = raw[:-_SIG_LEN], raw[-_SIG_LEN:]
    try:
        version, kid, token_id, issued_at = cbor2.loads(body)
    except Exception:  # cbor2 raises several types; and unpacking a wrong shape
        raise TokenInvalid("malformed token (CBOR)") from None
    if (version != _VERSION or not isinstance(kid, bytes) or not isinstance(token_id, bytes)
            or len(token_id) != TOKEN_ID_LEN or not isinstance(issued_at, int)
            or len(signature) != _SIG_LEN):
        raise TokenInvalid("malformed token (fields)")
    key = keys.get(kid)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise TokenInvalid("token signed by an unknown key")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, _DOMAIN + body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise TokenInvalid("token signature does not verify") from None
    return PersonalToken(token_id, kid, dt.datetime.fromtimestamp(issued_at, dt.UTC))


def read_personal_token(text: str, keys: Mapping[bytes, Any]) -> bytes:
    """Verify a token and return its token_id.

    :raises TokenInvalid: see ``read_personal_token_details``.
    """
    return read_personal_token_details(text, keys).token_id
