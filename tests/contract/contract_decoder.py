"""An independent HC1 and shc:/ verifier: cbor2 + cryptography + the `base45` package + zlib.

Written from the specifications (HCERT v1.0.5, RFC 9052, SMART Health Cards) without looking
at or importing ``signing``: if our library and this file disagree, one of them misreads a spec.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def _der(sig: bytes) -> bytes:
    return encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))


def decode_hc1(text: str, certificates: list[bytes]) -> dict:
    """Return the CWT claims of a valid HC1 (raises on anything wrong; no clock checks)."""
    assert text.startswith("HC1:")
    cose = cbor2.loads(zlib.decompress(base45.b45decode(text[4:])))
    assert isinstance(cose, cbor2.CBORTag) and cose.tag == 18
    protected, unprotected, payload, signature = cose.value
    header = cbor2.loads(protected)
    assert header[1] == -7 and len(signature) == 64
    by_kid = {hashlib.sha256(c).digest()[:8]: c for c in certificates}
    cert = x509.load_der_x509_certificate(by_kid[header[4]])
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    cert.public_key().verify(_der(signature), to_be_signed, ec.ECDSA(hashes.SHA256()))
    claims = cbor2.loads(payload)
    assert set(claims) >= {1, 4, 6, -260}
    return claims


def _b64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_shc(text: str, jwks: dict) -> dict:
    """Return the payload of a valid shc:/ numeric QR (raises on anything wrong)."""
    assert text.startswith("shc:/")
    digits = text[5:]
    jws = "".join(chr(int(digits[i:i + 2]) + 45) for i in range(0, len(digits), 2))
    h, p, s = jws.split(".")
    header = json.loads(_b64u(h))
    assert header["alg"] == "ES256" and header["zip"] == "DEF"
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    thumb = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    assert base64.urlsafe_b64encode(hashlib.sha256(thumb.encode()).digest()).rstrip(b"=").decode() \
        == jwk["kid"]
    key = ec.EllipticCurvePublicNumbers(int.from_bytes(_b64u(jwk["x"]), "big"),
                                        int.from_bytes(_b64u(jwk["y"]), "big"),
                                        ec.SECP256R1()).public_key()
    key.verify(_der(_b64u(s)), f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(zlib.decompress(_b64u(p), -15))
