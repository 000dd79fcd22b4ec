"""Compact JWS with ES256 (RFC 7515 §7.1, RFC 7518 §3.4): shared by SHC and the trust lists.

ES256 signatures are raw r||s (64 bytes), which is also what WebCrypto's ECDSA verify takes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .keys import Signer

__all__ = ["JwsError", "b64u", "b64u_decode", "sign_compact", "split_compact", "verify_es256"]


class JwsError(ValueError):
    """Not a well-formed compact JWS."""


def b64u(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Strict base64url without padding: other characters are an error, not silently skipped."""
    if not isinstance(text, str) or "=" in text or len(text) % 4 == 1:
        raise JwsError("invalid base64url")
    try:
        return base64.b64decode(text.encode("ascii") + b"=" * (-len(text) % 4), altchars=b"-_",
                                validate=True)
    except (ValueError, UnicodeEncodeError):
        raise JwsError("invalid base64url") from None


def sign_compact(header: dict[str, Any], payload: bytes, signer: Signer) -> str:
    """header.payload.signature, ES256 over the ASCII of the first two parts (RFC 7515 §5.1)."""
    signing_input = b64u(json.dumps(header, separators=(",", ":")).encode()) + "." + b64u(payload)
    return signing_input + "." + b64u(signer.sign(signing_input.encode("ascii")))


def split_compact(token: str) -> tuple[dict[str, Any], bytes, bytes, bytes]:
    """Return (header, payload bytes, signature, signing input) of a compact JWS.

    :raises JwsError: not three base64url parts, or a header that is not a JSON object.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise JwsError("a compact JWS has three parts")
    try:
        header = json.loads(b64u_decode(parts[0]))
    except (ValueError, UnicodeDecodeError):
        raise JwsError("JWS header is not JSON") from None
    if not isinstance(header, dict):
        raise JwsError("JWS header is not an object")
    return header, b64u_decode(parts[1]), b64u_decode(parts[2]), \
        (parts[0] + "." + parts[1]).encode("ascii")


def verify_es256(public_key: Any, signature: bytes, signing_input: bytes) -> bool:
    """RFC 7518 §3.4: a 64-byte r||s signature; a DER signature is a format error, not valid."""
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or len(signature) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
