"""COSE_Sign1 (RFC 9052 §4.2, algorithms RFC 9053 / RFC 8230) on cryptography + cbor2."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .keys import Signer

__all__ = ["ALG_ES256", "ALG_ES384", "ALG_ES512", "ALG_PS256", "COSE_SIGN1_TAG", "CoseError",
           "Sign1", "decode_sign1", "sign1", "verify_signature"]

COSE_SIGN1_TAG = 18  # RFC 9052 §4.2 / §2: CBOR tag of COSE_Sign1
CWT_TAG = 61  # RFC 8392 §6: a CWT may wrap the COSE message in tag 61 (EU vector CO28)
HDR_ALG = 1  # RFC 9052 §3.1 "alg"
HDR_KID = 4  # RFC 9052 §3.1 "kid"
ALG_ES256 = -7  # RFC 9053 §2.1
ALG_ES384 = -35
ALG_ES512 = -36
ALG_PS256 = -37  # RFC 8230 §2: RSASSA-PSS with SHA-256, MGF1 SHA-256, salt = 32 bytes
_EC_HASH = {ALG_ES256: hashes.SHA256, ALG_ES384: hashes.SHA384, ALG_ES512: hashes.SHA512}


class CoseError(ValueError):
    """The bytes are not a COSE_Sign1 message."""


@dataclass(frozen=True)
class Sign1:
    """A decoded (not yet verified) COSE_Sign1 message."""

    protected: bytes  # the serialised protected header, exactly as signed
    protected_header: dict
    unprotected_header: dict
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        return self.protected_header.get(HDR_ALG, self.unprotected_header.get(HDR_ALG))

    @property
    def kid(self) -> bytes | None:
        # RFC 9052 §3: a parameter in the protected bucket wins; EU DCC Vol. 1 §3.3.1 lets the kid
        # sit in the unprotected header when the protected one has none (vectors CO19 and CO22)
        if HDR_KID in self.protected_header:
            kid = self.protected_header[HDR_KID]
        else:
            kid = self.unprotected_header.get(HDR_KID)
        return kid if isinstance(kid, bytes) else None

    def to_be_signed(self) -> bytes:
        # RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload]
        return cbor2.dumps(["Signature1", self.protected, b"", self.payload])


@lru_cache(maxsize=64)
def _protected_es256(kid: bytes) -> bytes:
    return cbor2.dumps({HDR_ALG: ALG_ES256, HDR_KID: kid})


def sign1(payload: bytes, signer: Signer) -> bytes:
    """Sign ``payload`` with ES256; protected header {1: -7, 4: kid}; tagged 18."""
    protected = _protected_es256(signer.kid)
    signature = signer.sign(cbor2.dumps(["Signature1", protected, b"", payload]))
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def decode_sign1(data: bytes) -> Sign1:
    """Parse a COSE_Sign1 (tagged 18, untagged, or tag 61 around tag 18).

    :raises CoseError: not CBOR, or not a 4-element COSE_Sign1 with the right types.
    """
    try:
        obj = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several types on garbage
        raise CoseError(f"not CBOR: {exc}") from None
    if isinstance(obj, cbor2.CBORTag) and obj.tag == CWT_TAG:
        obj = obj.value
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != COSE_SIGN1_TAG:
            raise CoseError(f"CBOR tag {obj.tag} is not COSE_Sign1")
        obj = obj.value
    if not isinstance(obj, (list, tuple)) or len(obj) != 4:
        raise CoseError("COSE_Sign1 must be an array of 4")
    protected, unprotected, payload, signature = obj
    if not (isinstance(protected, bytes) and isinstance(payload, bytes)
            and isinstance(signature, bytes) and isinstance(unprotected, Mapping)):
        raise CoseError("COSE_Sign1 element of the wrong type")
    try:
        header = cbor2.loads(protected) if protected else {}
    except Exception:
        raise CoseError("protected header is not CBOR") from None
    if not isinstance(header, Mapping):
        raise CoseError("protected header is not a map")
    return Sign1(protected, dict(header), dict(unprotected), payload, signature)


def verify_signature(msg: Sign1, public_key: Any) -> bool:
    """True when the signature is valid for ``public_key`` under the message's algorithm."""
    alg = msg.alg
    data = msg.to_be_signed()
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey) and alg in _EC_HASH:
            size = (public_key.curve.key_size + 7) // 8
            sig = msg.signature
            if len(sig) != 2 * size:  # RFC 9053 §2.1: r||s, each the curve's size
                return False
            der = encode_dss_signature(int.from_bytes(sig[:size], "big"),
                                       int.from_bytes(sig[size:], "big"))
            public_key.verify(der, data, ec.ECDSA(_EC_HASH[alg]()))
            return True
        if isinstance(public_key, rsa.RSAPublicKey) and alg == ALG_PS256:
            public_key.verify(msg.signature, data,
                              padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                              hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False  # an algorithm we do not accept, or a key of the wrong type for it
