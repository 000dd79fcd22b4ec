"""The VAPID key pair (RFC 8292) that signs our Web Push requests; no Flask here.

The browser subscribes with the public key (`applicationServerKey`); the worker signs with the
private key (`SSK_VAPID_PRIVATE_KEY`, raw 32 bytes base64url, what notifications/channels/
webpush.py takes). Production passes the key in the environment, the same on every node;
embedded and test modes make one on first use and keep it under instance/ (0600).
"""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_FILE = "vapid_private_key"
DEFAULT_SUBJECT = "mailto:admin@so-suc-khoe.local"


@dataclass(frozen=True)
class VapidKeys:
    private_key: str  # raw P-256 scalar, 32 bytes, base64url without padding
    public_key: str  # uncompressed point (65 bytes, 0x04‖X‖Y), base64url: applicationServerKey
    subject: str


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    """base64url with or without padding; raises ValueError on anything else."""
    text = text.strip()
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789-_=" for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _private(text: str) -> ec.EllipticCurvePrivateKey:
    raw = unb64u(text)
    if len(raw) == 32:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    key = serialization.load_der_private_key(raw, password=None)  # what `vapid --gen` writes
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("VAPID needs a P-256 key")
    return key


def keys_from(private_text: str, subject: str = DEFAULT_SUBJECT) -> VapidKeys:
    """The pair from a private key given as raw or DER base64url."""
    key = _private(private_text)
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(private_key=b64u(raw), public_key=b64u(public), subject=subject)


def load_or_create(instance_path: Path, subject: str = DEFAULT_SUBJECT) -> VapidKeys:
    """The embedded key pair: made on first use, atomically (two processes may race)."""
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(b64u(raw.to_bytes(32, "big")))
        try:
            os.link(tmp, path)  # fails if another process made the key first: keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return keys_from(path.read_text().strip(), subject)
