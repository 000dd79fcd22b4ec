"""ES256 keys, the national root CA, document signer certificates (DSC) and their rotation.

Embedded mode keeps everything in one directory (``instance/keys/`` by default in the app):

    root.key.pem  root.crt.pem              national root CA (self-signed, CA=true)
    dsc/<kid>.crt.pem  dsc/<kid>.key.pem    document signers; old ones keep only the .crt.pem
    dsc/current                             hex kid of the signer in use
    token/...                               the same layout for the personal-QR key

Private keys are PEM files with 0600 permissions. A production deployment implements
``Signer`` on an HSM instead: callers only ever see ``kid``, ``certificate`` and ``sign()``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

__all__ = [
    "DSC_VALIDITY", "DSC_KEY_USAGE_PERIOD", "ROOT_VALIDITY", "EKU_VACCINATION",
    "EKU_VACCINATION_ALT", "EKU_TEST", "EKU_TEST_ALT", "EKU_RECOVERY", "EKU_RECOVERY_ALT",
    "KeyStore", "LocalSigner", "Signer", "kid_for",
]

# EU DCC Technical Specifications Vol. 1 §5.1 "Certificate types": the document signer's extended
# key usage says which certificate types it may sign. Both OID families appear in the field
# (the second, with the extra ".0", was the one published first by mistake; verifiers accept both).
EKU_TEST = "1.3.6.1.4.1.1847.2021.1.1"
EKU_VACCINATION = "1.3.6.1.4.1.1847.2021.1.2"
EKU_RECOVERY = "1.3.6.1.4.1.1847.2021.1.3"
EKU_TEST_ALT = "1.3.6.1.4.1.0.1847.2021.1.1"
EKU_VACCINATION_ALT = "1.3.6.1.4.1.0.1847.2021.1.2"
EKU_RECOVERY_ALT = "1.3.6.1.4.1.0.1847.2021.1.3"

ROOT_VALIDITY = dt.timedelta(days=15 * 365)  # national CSCA: long-lived, kept offline in production
DSC_VALIDITY = dt.timedelta(days=2 * 365)  # EU DCC Vol. 1 §5: a DSC is valid for at most 2 years
# A DSC signs only during its first year, so every passport (valid 12 months) expires before the
# certificate that verifies it does: KeyStore.current_dsc() rotates once this period has passed.
DSC_KEY_USAGE_PERIOD = dt.timedelta(days=365)


def kid_for(certificate_der: bytes) -> bytes:
    """EU DCC Vol. 1 §3.3.1: the key id is the first 8 bytes of SHA-256 over the DSC (DER)."""
    return hashlib.sha256(certificate_der).digest()[:8]


@runtime_checkable
class Signer(Protocol):
    """Anything that signs with ES256 and knows its certificate: a local key or an HSM."""

    kid: bytes  # EU DCC: first 8 bytes of SHA-256 over the signer certificate (DER)
    certificate: bytes  # the signer's X.509 certificate, DER

    def sign(self, message: bytes) -> bytes:  # raw r||s, 64 bytes: what COSE and JWS want
        ...


@dataclass(frozen=True)
class LocalSigner:
    """An ES256 signer whose P-256 private key lives in this process."""

    key: ec.EllipticCurvePrivateKey = field(repr=False)
    certificate: bytes
    kid: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kid", kid_for(self.certificate))

    def sign(self, message: bytes) -> bytes:
        # cryptography returns DER; RFC 9053 §2.1 and RFC 7518 §3.4 want r||s, 32 bytes each
        r, s = decode_dss_signature(self.key.sign(message, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.key.public_key()


def _name(country: str, organisation: str, common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret file with 0600 from the first byte (no window with wider permissions)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o600)  # in case the file pre-existed with other permissions
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class KeyStore:
    """Root CA, document signers and the personal-token key in one directory (embedded mode).

    Safe for several processes (gunicorn workers) on one machine: generation and rotation hold an
    exclusive ``flock`` on ``.lock``; every process re-reads ``current`` when its mtime changes.
    """

    def __init__(self, directory: str | os.PathLike[str], *, country: str = "VN",
                 organisation: str = "Bo Y te Viet Nam") -> None:
        self.directory = Path(directory)
        self.country = country
        self.organisation = organisation
        self._cache: dict[tuple[str, int], LocalSigner] = {}

    # -- locking and the root ------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _root(self, *, now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key_path, crt_path = self.directory / "root.key.pem", self.directory / "root.crt.pem"
        if not crt_path.exists():
            with self._locked():
                if not crt_path.exists():
                    self._generate_root(key_path, crt_path, now=now)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key, x509.load_pem_x509_certificate(crt_path.read_bytes())

    def _generate_root(self, key_path: Path, crt_path: Path, *, now: dt.datetime) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name(self.country, self.organisation, f"CSCA {self.country} Health Certificates")
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (x509.CertificateBuilder()
                .subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + ROOT_VALIDITY)
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(ski, critical=False)
                .sign(key, hashes.SHA256()))
        _write_private(key_path, _pem_key(key))
        _write_public(crt_path, cert.public_bytes(serialization.Encoding.PEM))

    def root_certificate(self, *, now: dt.datetime) -> bytes:
        """The national root certificate (DER), created on first use."""
        return self._root(now=now)[1].public_bytes(serialization.Encoding.DER)

    def root_signer(self, *, now: dt.datetime) -> LocalSigner:
        """The root's signer: signs trust lists and revocation lists."""
        key, cert = self._root(now=now)
        return LocalSigner(key, cert.public_bytes(serialization.Encoding.DER))

    # -- document signers and the token key ----------------------------------------------
    def _issue(self, role: str, *, now: dt.datetime) -> LocalSigner:
        """Issue a new signer certificate for ``role`` under the root and make it current."""
        root_key, root_cert = self._root(now=now)
        key = ec.generate_private_key(ec.SECP256R1())
        label = {"dsc": "DSC", "token": "Personal QR"}[role]
        builder = (x509.CertificateBuilder()
                   .subject_name(_name(self.country, self.organisation,
                                       f"{label} {self.country} {now:%Y%m%d%H%M%S}"))
                   .issuer_name(root_cert.subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + DSC_VALIDITY)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(
                       digital_signature=True, content_commitment=False, key_encipherment=False,
                       data_encipherment=False, key_agreement=False, key_cert_sign=False,
                       crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       root_key.public_key()), critical=False))
        if role == "dsc":
            # EU DCC Vol. 1 §5.1: this DSC signs vaccination certificates only
            builder = builder.add_extension(x509.ExtendedKeyUsage([
                x509.ObjectIdentifier(EKU_VACCINATION),
                x509.ObjectIdentifier(EKU_VACCINATION_ALT)]), critical=False)
        der = builder.sign(root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        signer = LocalSigner(key, der)
        folder = self.directory / role
        folder.mkdir(exist_ok=True, mode=0o700)
        kid = signer.kid.hex()
        _write_private(folder / f"{kid}.key.pem", _pem_key(key))
        _write_public(folder / f"{kid}.crt.pem",
                      x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM))
        previous = folder / "current"
        if previous.exists():  # the retired key never signs again; its certificate stays
            (folder / f"{previous.read_text().strip()}.key.pem").unlink(missing_ok=True)
        _write_public(previous, kid.encode())
        return signer

    def _current(self, role: str, *, now: dt.datetime) -> LocalSigner:
        pointer = self.directory / role / "current"
        try:
            stamp = pointer.stat().st_mtime_ns
        except FileNotFoundError:
            self._root(now=now)  # outside our lock: _root takes it itself (flock is not re-entrant)
            with self._locked():
                if not pointer.exists():
                    self._issue(role, now=now)
            stamp = pointer.stat().st_mtime_ns
        signer = self._cache.get((role, stamp))
        if signer is None:
            kid = pointer.read_text().strip()
            key = serialization.load_pem_private_key(
                (self.directory / role / f"{kid}.key.pem").read_bytes(), password=None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            cert = x509.load_pem_x509_certificate(
                (self.directory / role / f"{kid}.crt.pem").read_bytes())
            signer = LocalSigner(key, cert.public_bytes(serialization.Encoding.DER))
            self._cache = {k: v for k, v in self._cache.items() if k[0] != role}
            self._cache[(role, stamp)] = signer
        return signer

    def current_dsc(self, *, now: dt.datetime) -> LocalSigner:
        """The document signer in use, created on first use and rotated after its usage period."""
        signer = self._current("dsc", now=now)
        not_before = x509.load_der_x509_certificate(signer.certificate).not_valid_before_utc
        if now - not_before >= DSC_KEY_USAGE_PERIOD:
            return self.rotate_dsc(now=now)
        return signer

    def rotate_dsc(self, *, now: dt.datetime) -> LocalSigner:
        """Issue a new current DSC; older certificates stay so their passports still verify."""
        self._root(now=now)
        with self._locked():
            return self._issue("dsc", now=now)

    def token_signer(self, *, now: dt.datetime) -> LocalSigner:
        """The key that signs personal QR tokens (separate from passports: different audience)."""
        return self._current("token", now=now)

    def rotate_token_key(self, *, now: dt.datetime) -> LocalSigner:
        """Issue a new personal-token key; tokens made with older keys stay readable."""
        self._root(now=now)
        with self._locked():
            return self._issue("token", now=now)

    def _certificates(self, role: str) -> list[bytes]:
        folder = self.directory / role
        if not folder.exists():
            return []
        return [x509.load_pem_x509_certificate(p.read_bytes()).public_bytes(
            serialization.Encoding.DER) for p in sorted(folder.glob("*.crt.pem"))]

    def dsc_certificates(self) -> list[bytes]:
        """Every document signer certificate ever issued here (DER), current and retired."""
        return self._certificates("dsc")

    def token_public_keys(self) -> dict[bytes, ec.EllipticCurvePublicKey]:
        """kid -> public key for every personal-token key (for ``read_personal_token``)."""
        out = {}
        for der in self._certificates("token"):
            key = x509.load_der_x509_certificate(der).public_key()
            assert isinstance(key, ec.EllipticCurvePublicKey)
            out[kid_for(der)] = key
        return out
