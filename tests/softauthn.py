"""A software WebAuthn authenticator for API tests: independent of our code, built on
cryptography + cbor2 from the W3C WebAuthn Level 2 spec (§6.1 authenticator data, §6.5.1
attested credential data, §8.7 'none' attestation). The browser tests use Chromium's virtual
authenticator instead; this one lets the API suite run the real ceremonies without a browser.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


UP, UV, AT = 0x01, 0x04, 0x40  # flags: user present, user verified, attested data included


class SoftAuthenticator:
    def __init__(self, rp_id: str = "localhost", origin: str = "http://localhost:8000") -> None:
        self.rp_id, self.origin = rp_id, origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.counter = 0
        self.user_handle = b""

    def _rp_hash(self) -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest()

    def _client_data(self, kind: str, challenge_b64u: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge_b64u, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, public_key: dict, *, origin: str | None = None) -> dict:
        """Answer PublicKeyCredentialCreationOptions (JSON form) like credential.toJSON()."""
        self.user_handle = b64u_decode(public_key["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose_key = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                                -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose_key
        auth_data = self._rp_hash() + bytes([UP | UV | AT]) + struct.pack(">I", self.counter) + attested
        att_obj = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", public_key["challenge"], origin)
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(client_data), "attestationObject": b64u(att_obj),
                             "transports": ["internal"]},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}

    def get(self, public_key: dict, *, origin: str | None = None, counter: int | None = None) -> dict:
        """Answer PublicKeyCredentialRequestOptions (JSON form); the counter grows each use."""
        self.counter = self.counter + 1 if counter is None else counter
        auth_data = self._rp_hash() + bytes([UP | UV]) + struct.pack(">I", self.counter)
        client_data = self._client_data("webauthn.get", public_key["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(client_data), "authenticatorData": b64u(auth_data),
                             "signature": b64u(signature), "userHandle": b64u(self.user_handle)},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}
