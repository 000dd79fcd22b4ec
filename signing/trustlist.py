"""Trust lists (kid -> document signer) and revocation lists, signed by the national root.

Wire format (both lists), chosen so a browser verifies it with WebCrypto alone:
a compact JWS (RFC 7515) ``base64url(header).base64url(payload).base64url(r||s)`` with header
``{"alg":"ES256","typ":"ssk-trustlist+jws"|"ssk-revocation+jws","kid":<b64url root kid>}``,
signed by the root key; WebCrypto: ``crypto.subtle.verify({name:"ECDSA",hash:"SHA-256"},
rootKey, sig, ascii(header "." payload))``. Payloads (JSON, UTF-8):

* trust list: ``{"version": int, "issued_at": RFC 3339 UTC, "certificates": [{"kid": b64,
  "country": "VN", "certificate": b64 DER}]}``
* revocation list: ``{"version": int, "issued_at": ..., "hash_type": "UCI",
  "hashes": [hex SHA-256 of the UVCI, sorted]}``. EU DCC revocation ("UCI" hash type) hashes
  the UVCI string as it appears in ``ci``; we keep the full 32-byte hash in hex.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_der_public_key
from cryptography.x509.oid import NameOID

from . import keys
from .jws import JwsError, b64u, sign_compact, split_compact, verify_es256
from .keys import Signer, kid_for

__all__ = ["RevocationList", "TrustList", "TrustListInvalid", "TrustedKey", "uvci_hash"]

TRUSTLIST_TYP = "ssk-trustlist+jws"
REVOCATION_TYP = "ssk-revocation+jws"
_DCC_EKUS = (keys.EKU_TEST, keys.EKU_VACCINATION, keys.EKU_RECOVERY,
             keys.EKU_TEST_ALT, keys.EKU_VACCINATION_ALT, keys.EKU_RECOVERY_ALT)


class TrustListInvalid(ValueError):
    """A trust or revocation list that is malformed or not signed by the root."""


def uvci_hash(uvci: str) -> str:
    """EU DCC revocation, hash type UCI: SHA-256 over the UVCI (UTF-8), as hex."""
    return hashlib.sha256(uvci.encode("utf-8")).hexdigest()


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class TrustedKey:
    """One document signer: its key, country, validity and the DCC types it may sign."""

    kid: bytes
    public_key: Any
    country: str | None
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    key_usage: frozenset[str]  # DCC EKU OIDs (EU DCC Vol. 1 §5.1); empty = every type
    certificate: bytes

    @classmethod
    def from_certificate(cls, der: bytes, *, country: str | None = None) -> TrustedKey:
        """Read a DSC; falls back to a lenient DER reader for certificates that break strict
        X.509 parsing (seen in EU vectors: an explicitly encoded default, an empty EKU)."""
        try:
            cert = x509.load_der_x509_certificate(der)
            public_key = cert.public_key()
            try:
                eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
                usage = frozenset(o.dotted_string for o in eku) & frozenset(_DCC_EKUS)
            except x509.ExtensionNotFound:
                usage = frozenset()
            c = cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
            return cls(kid_for(der), public_key, country or (str(c[0].value) if c else None),
                       cert.not_valid_before_utc, cert.not_valid_after_utc, usage, der)
        except ValueError:
            return cls._lenient(der, country)

    @classmethod
    def _lenient(cls, der: bytes, country: str | None) -> TrustedKey:
        tbs = _tlv_children(_tlv(der, 0)[1])[0]  # Certificate ::= SEQUENCE {tbs, alg, sig}
        fields = _tlv_children(tbs[1])
        if fields[0][0] == 0xA0:  # [0] EXPLICIT version
            fields = fields[1:]
        validity, spki = fields[3], fields[5]  # serial, sigAlg, issuer, validity, subject, spki
        not_before, not_after = (_der_time(t, v) for t, v, _ in _tlv_children(validity[1]))
        tbs_bytes = tbs[2]
        usage = frozenset(o for o in _DCC_EKUS if _der_oid(o) in tbs_bytes)
        return cls(kid_for(der), load_der_public_key(spki[2]), country, not_before, not_after,
                   usage, der)

    def allows(self, cert_type: str) -> bool:
        """EU DCC Vol. 1 §5.1: a DSC with DCC EKUs may sign only those types ('v', 't', 'r')."""
        if not self.key_usage:
            return True
        want = {"t": (keys.EKU_TEST, keys.EKU_TEST_ALT),
                "v": (keys.EKU_VACCINATION, keys.EKU_VACCINATION_ALT),
                "r": (keys.EKU_RECOVERY, keys.EKU_RECOVERY_ALT)}.get(cert_type, ())
        return any(o in self.key_usage for o in want)

    def valid_at(self, now: dt.datetime) -> bool:
        return ((self.not_before is None or self.not_before <= now)
                and (self.not_after is None or now <= self.not_after))


class TrustList:
    """kid -> trusted document signers (several may share a kid: try each, EU DCC Vol. 1 §3.3.1)."""

    def __init__(self, entries: Iterable[TrustedKey] = (), *, version: int = 0,
                 issued_at: dt.datetime | None = None) -> None:
        self.version, self.issued_at = version, issued_at
        self._by_kid: dict[bytes, tuple[TrustedKey, ...]] = {}
        for e in entries:
            self._by_kid[e.kid] = self._by_kid.get(e.kid, ()) + (e,)

    @classmethod
    def from_certificates(cls, certificates: Iterable[bytes], *, country: str | None = None,
                          version: int = 0, issued_at: dt.datetime | None = None) -> TrustList:
        return cls((TrustedKey.from_certificate(d, country=country) for d in certificates),
                   version=version, issued_at=issued_at)

    def candidates(self, kid: bytes | None) -> tuple[TrustedKey, ...]:
        return self._by_kid.get(kid, ()) if kid is not None else ()

    def __iter__(self):
        return (e for group in self._by_kid.values() for e in group)

    def __len__(self) -> int:
        return sum(len(g) for g in self._by_kid.values())

    def to_signed_json(self, root: Signer, *, now: dt.datetime, version: int) -> str:
        """Serialise and sign with the root (format in the module docstring)."""
        body = {"version": version, "issued_at": _iso(now), "certificates": [
            {"kid": base64.b64encode(e.kid).decode(), "country": e.country,
             "certificate": base64.b64encode(e.certificate).decode()} for e in self]}
        return _sign(TRUSTLIST_TYP, body, root)

    @classmethod
    def from_signed_json(cls, token: str, root_certificate: bytes) -> TrustList:
        """Verify with the root certificate and load.

        :raises TrustListInvalid: malformed, wrong type, or not signed by this root.
        """
        body = _verify(token, TRUSTLIST_TYP, root_certificate)
        try:
            entries = [TrustedKey.from_certificate(base64.b64decode(c["certificate"]),
                                                   country=c.get("country"))
                       for c in body["certificates"]]
            return cls(entries, version=int(body["version"]),
                       issued_at=dt.datetime.fromisoformat(body["issued_at"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise TrustListInvalid(f"trust list content: {exc}") from None


@dataclass(frozen=True)
class RevocationList:
    """Revoked passports as UVCI hashes (``uvci_hash``), with a version and issue time."""

    hashes: frozenset[str]
    version: int
    issued_at: dt.datetime

    def __contains__(self, uvci_sha256_hex: object) -> bool:
        return uvci_sha256_hex in self.hashes

    def to_signed_json(self, root: Signer) -> str:
        body = {"version": self.version, "issued_at": _iso(self.issued_at), "hash_type": "UCI",
                "hashes": sorted(self.hashes)}
        return _sign(REVOCATION_TYP, body, root)

    @classmethod
    def from_signed_json(cls, token: str, root_certificate: bytes) -> RevocationList:
        """:raises TrustListInvalid: malformed, wrong type, or not signed by this root."""
        body = _verify(token, REVOCATION_TYP, root_certificate)
        try:
            if body["hash_type"] != "UCI":
                raise ValueError("unsupported hash_type")
            return cls(frozenset(str(h) for h in body["hashes"]), int(body["version"]),
                       dt.datetime.fromisoformat(body["issued_at"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise TrustListInvalid(f"revocation list content: {exc}") from None


def _sign(typ: str, body: dict, root: Signer) -> str:
    header = {"alg": "ES256", "typ": typ, "kid": b64u(root.kid)}
    return sign_compact(header, json.dumps(body, separators=(",", ":"), ensure_ascii=False)
                        .encode("utf-8"), root)


def _verify(token: str, typ: str, root_certificate: bytes) -> dict:
    try:
        header, payload, signature, signing_input = split_compact(token)
    except JwsError as exc:
        raise TrustListInvalid(str(exc)) from None
    if header.get("alg") != "ES256" or header.get("typ") != typ:
        raise TrustListInvalid(f"expected an ES256 {typ}")
    root_key = x509.load_der_x509_certificate(root_certificate).public_key()
    if not verify_es256(root_key, signature, signing_input):
        raise TrustListInvalid("signature does not verify with the root certificate")
    try:
        body = json.loads(payload)
    except ValueError:
        raise TrustListInvalid("payload is not JSON") from None
    if not isinstance(body, dict):
        raise TrustListInvalid("payload is not an object")
    return body


# -- a minimal DER reader, only for certificates strict X.509 parsing rejects ------------------
def _tlv(data: bytes, pos: int) -> tuple[int, bytes, bytes, int]:
    """(tag, value, whole TLV, next position) of the DER element at ``pos`` (X.690 §8.1)."""
    tag, length, i = data[pos], data[pos + 1], pos + 2
    if length & 0x80:
        n = length & 0x7F
        length, i = int.from_bytes(data[i:i + n], "big"), i + n
    if i + length > len(data):
        raise ValueError("truncated DER")
    return tag, data[i:i + length], data[pos:i + length], i + length


def _tlv_children(data: bytes) -> list[tuple[int, bytes, bytes]]:
    out, pos = [], 0
    while pos < len(data):
        tag, value, whole, pos = _tlv(data, pos)
        out.append((tag, value, whole))
    return out


def _der_time(tag: int, value: bytes) -> dt.datetime:
    text = value.decode("ascii").rstrip("Z")
    fmt = "%y%m%d%H%M%S" if tag == 0x17 else "%Y%m%d%H%M%S"  # UTCTime / GeneralizedTime
    return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)


def _der_oid(dotted: str) -> bytes:
    """DER encoding of an OBJECT IDENTIFIER (X.690 §8.19), tag and length included."""
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        body.extend(reversed(chunk))
    return bytes([0x06, len(body)]) + bytes(body)
