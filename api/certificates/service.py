"""Trust list, revocation list, signing-key rotation, the server-side verifier and issuance.

What verifiers trust, in one place: our own document signers (DSCs) from the key store, plus the
foreign DSCs a national admin imported. Both lists are signed by the national root (formats in
signing/trustlist.py) and carry ``issued_at`` = the moment they were signed; their ETag is a hash
of the content only, so an unchanged list revalidates with a 304 however often it is re-signed.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import secrets
import weakref
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.audit import service as audit
from api.certificates.models import (CERTIFICATE_FORMATS, IssuedCertificate, RevokedCertificate,
                                     TrustedSigner)
from api.certificates.problems import (NoCertificate, OwnCountrySigner, SignerCertificateInvalid,
                                       SignerExists, UvciInvalid)
from api.certificates.valuesets import VALUE_SETS
from api.problems import NotFound
from signing import (KeyStore, RevocationList, TrustedKey, TrustList, Verdict,
                     build_dcc_vaccination, build_shc_bundle, issue_hcert, issue_shc,
                     make_uvci, public_jwk, uvci_checksum, uvci_hash, verify_hcert, verify_shc)
from signing.hcert import HC1_PREFIX
from signing.keys import DSC_KEY_USAGE_PERIOD

# A DSC stays in the trust list for a year after its certificate expires, so a passport it
# signed is reported as "expired" rather than as coming from an unknown signer. Its passports
# expired long before (a DSC signs only in its first year, passports last 12 months).
RETAIN_EXPIRED_SIGNER = dt.timedelta(days=365)
PASSPORT_VALIDITY = dt.timedelta(days=365)
WARN_AFTER_HOURS = 24  # the verifier warns when its lists are older than this
REFUSE_AFTER_HOURS = 72  # ... and never says "valid" past this
UVCI_ISSUER = "BYT"  # Bộ Y tế: the issuer part of our UVCIs (URN:UVCI:01:VN:BYT/<unique>#c)
_OUR_UVCI = re.compile(r"^URN:UVCI:01:VN:[A-Z0-9]+/[A-Z0-9]+#[A-Z0-9/:]$")
_UVCI_CHARS = re.compile(r"^[A-Za-z0-9:/#_\-.]+$")


# ---------------------------------------------------------------- what verifiers trust

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def national_signers(keys: KeyStore, *, now: dt.datetime) -> list[TrustedKey]:
    """Our DSCs: the current one and every rotated one still valid (or expired < a year ago)."""
    keys.current_dsc(now=now)  # made on first use (and rotated when due) before it is listed
    out = []
    for der in keys.dsc_certificates():
        key = TrustedKey.from_certificate(der, country=keys.country)
        if key.not_after is None or key.not_after + RETAIN_EXPIRED_SIGNER >= now:
            out.append(key)
    return out


def foreign_signers(session: so.Session) -> list[TrustedKey]:
    """The DSCs an admin imported (kept until an admin removes them)."""
    rows = session.execute(sa.select(TrustedSigner.certificate, TrustedSigner.country)
                           .order_by(TrustedSigner.country, TrustedSigner.added_at))
    return [TrustedKey.from_certificate(bytes(der), country=country) for der, country in rows]


def current_trust_list(session: so.Session, keys: KeyStore, *, now: dt.datetime) -> TrustList:
    return TrustList(national_signers(keys, now=now) + foreign_signers(session),
                     version=int(now.timestamp()), issued_at=now)


def trust_list_etag(trust: TrustList) -> str:
    """A weak ETag over the content (not the signature, which differs on every signing)."""
    digest = hashlib.sha256()
    for entry in sorted(trust, key=lambda e: e.certificate):
        digest.update(f"{entry.country}|{hashlib.sha256(entry.certificate).hexdigest()}\n".encode())
    return f'W/"t-{digest.hexdigest()[:32]}"'


def sign_trust_list(trust: TrustList, keys: KeyStore, *, now: dt.datetime) -> str:
    """The compact JWS verifiers download; ``version`` is its issue time in Unix seconds."""
    return trust.to_signed_json(keys.root_signer(now=now), now=now, version=int(now.timestamp()))


def revocation_list_etag(session: so.Session) -> str:
    """Revocations are append-only, so their count and the newest one's time name the content."""
    count, last = session.execute(sa.select(sa.func.count(RevokedCertificate.id),
                                            sa.func.max(RevokedCertificate.revoked_at))).one()
    stamp = int(last.timestamp() * 1_000_000) if last else 0
    return f'W/"r-{count}-{stamp}"'


def current_revocation_list(session: so.Session, *, now: dt.datetime) -> RevocationList:
    hashes = frozenset(session.scalars(sa.select(RevokedCertificate.uvci_hash)))
    return RevocationList(hashes, version=int(now.timestamp()), issued_at=now)


def sign_revocation_list(revocations: RevocationList, keys: KeyStore, *, now: dt.datetime) -> str:
    return revocations.to_signed_json(keys.root_signer(now=now))


def issuer_jwks(keys: KeyStore, *, now: dt.datetime) -> dict:
    """``/.well-known/jwks.json``: SMART Health Card keys = our DSCs whose certificate is valid."""
    out = []
    for key in national_signers(keys, now=now):
        if key.valid_at(now) and isinstance(key.public_key, ec.EllipticCurvePublicKey):
            out.append(public_jwk(key.public_key))
    return {"keys": out}


@dataclass(frozen=True)
class VerifierConfig:
    """What a verifier pins once: the national root, and the staleness policy."""

    root_certificate: str  # base64 DER
    root_kid: str  # base64url, the JWS header "kid" of both lists
    root_sha256: str  # hex SHA-256 of the DER: compare out of band
    country: str
    issuer_url: str  # the SMART Health Card "iss" of our cards
    warn_after_hours: int
    refuse_after_hours: int


def verifier_config(keys: KeyStore, *, issuer_url: str, now: dt.datetime,
                    warn_after_hours: int = WARN_AFTER_HOURS,
                    refuse_after_hours: int = REFUSE_AFTER_HOURS) -> VerifierConfig:
    root = keys.root_signer(now=now)
    return VerifierConfig(
        root_certificate=_b64(root.certificate),
        root_kid=base64.urlsafe_b64encode(root.kid).rstrip(b"=").decode("ascii"),
        root_sha256=hashlib.sha256(root.certificate).hexdigest(), country=keys.country,
        issuer_url=issuer_url, warn_after_hours=warn_after_hours,
        refuse_after_hours=refuse_after_hours)


# ---------------------------------------------------------------- the server-side verifier

class _RevokedInDb:
    """A ``Container`` of revoked UVCI hashes that asks the database per lookup (one indexed
    row), instead of loading the whole revocation list for each verification."""

    def __init__(self, session: so.Session) -> None:
        self.session = session

    def __contains__(self, uvci_sha256_hex: object) -> bool:
        return self.session.scalar(sa.select(RevokedCertificate.id).where(
            RevokedCertificate.uvci_hash == uvci_sha256_hex)) is not None


def passport_format(text: str) -> str | None:
    if text.startswith("SSK1:"):  # DOMESTIC_PREFIX (before the SHC test: it is a JWS too)
        return "domestic"
    if text.startswith(HC1_PREFIX):
        return "hc1"
    if text.startswith("shc:/") or text.count(".") == 2:
        return "shc"
    return None


def verify_passport(session: so.Session, keys: KeyStore, text: str, *, issuer_url: str,
                    now: dt.datetime) -> tuple[str | None, Verdict]:
    """Verify a scanned QR text as the offline verifier would, with the lists as they are now.

    :returns: the format ("hc1", "shc" or None) and the verdict; never raises for bad input.
    """
    kind = passport_format(text)
    if kind == "hc1":
        return kind, verify_hcert(text, current_trust_list(session, keys, now=now),
                                  _RevokedInDb(session), now=now, value_sets=VALUE_SETS)
    if kind == "shc":
        return kind, verify_shc(text, {issuer_url: issuer_jwks(keys, now=now)}, now=now)
    if kind == "domestic":
        status, body = verify_domestic(text, current_trust_list(session, keys, now=now),
                                       _RevokedInDb(session), now=now)
        if status in ("valid", "expired", "revoked"):  # signature checked: holder data may show
            return kind, Verdict(status, "ok" if status == "valid" else status, body.get("n"),
                                 body.get("dob"))
        return kind, Verdict(status, status)
    return None, Verdict("not_a_passport", "prefix")


# ---------------------------------------------------------------- revocation

def check_uvci(uvci: str) -> str:
    """A UVCI as the revocation list hashes it (EU DCC "UCI" hash: the string as in ``ci``).

    Our own (``URN:UVCI:01:VN:``) must carry a correct check character: a typo would otherwise
    revoke nothing and look like success. Foreign ones only need the UVCI character set.

    :raises UvciInvalid:
    """
    if not (1 <= len(uvci) <= 80) or not _UVCI_CHARS.match(uvci):
        raise UvciInvalid("A UVCI is 1-80 characters: letters, digits and : / # - _ .",
                          detail_vi="UVCI gồm 1-80 ký tự: chữ, số và : / # - _ .",
                          errors={"uvci": ["Not a UVCI."]}, errors_vi={"uvci": ["Không phải UVCI."]})
    if uvci.upper().startswith("URN:UVCI:01:VN:"):
        body, _, check = uvci.partition("#")
        if not _OUR_UVCI.match(uvci) or uvci_checksum(body) != check:
            raise UvciInvalid("The check character of this Vietnamese UVCI is wrong: a typo?",
                              detail_vi="Ký tự kiểm tra của UVCI Việt Nam này sai: có gõ nhầm không?",
                              errors={"uvci": ["Check character does not match."]},
                              errors_vi={"uvci": ["Ký tự kiểm tra không khớp."]})
    return uvci


def revoke_passport(session: so.Session, *, uvci: str, reason: str, actor_id: str | None,
                    now: dt.datetime, request_id: str = "") -> tuple[RevokedCertificate, bool]:
    """Put a passport on the revocation list; revoking it again returns the first revocation.

    :returns: the revocation and whether it is new.
    :raises UvciInvalid:
    """
    uvci = check_uvci(uvci)
    digest = uvci_hash(uvci)
    found = session.scalar(sa.select(RevokedCertificate).filter_by(uvci_hash=digest))
    if found:
        return found, False
    row = RevokedCertificate(uvci_hash=digest, uvci=uvci, reason=reason, revoked_by=actor_id,
                             revoked_at=now)
    session.add(row)
    session.flush()  # a concurrent twin fails here on the unique hash (a 409 at the edge)
    audit.record(session, actor=actor_id, action="passport_revoked", now=now, reason=reason,
                 request_id=request_id, uvci_hash=digest)
    return row, True


def revocations(session: so.Session, *, limit: int = 200) -> list[RevokedCertificate]:
    return list(session.scalars(sa.select(RevokedCertificate)
                                .order_by(RevokedCertificate.revoked_at.desc()).limit(limit)))


# ---------------------------------------------------------------- foreign signers

def read_certificate(text: str) -> bytes:
    """A certificate sent as PEM, or as base64 of the DER.

    :raises SignerCertificateInvalid: neither.
    """
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            return x509.load_pem_x509_certificate(text.encode("ascii")).public_bytes(
                serialization.Encoding.DER)
        except ValueError:
            # a certificate strict X.509 parsing rejects (seen in the field): take the DER as is
            body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
            text = body
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SignerCertificateInvalid("Send the certificate as PEM or as base64 of its DER.",
                                       detail_vi="Hãy gửi chứng thư dạng PEM hoặc base64 của DER.",
                                       errors={"certificate": ["Not PEM or base64."]},
                                       errors_vi={"certificate": ["Không phải PEM hay base64."]}
                                       ) from None


def _supported_key(key: object) -> bool:
    # EU DCC Vol. 1 §3.3.2: ES256 (P-256) primary, PS256 (RSA >= 2048) secondary; P-384/521 seen
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.name in ("secp256r1", "secp384r1", "secp521r1")
    return isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048


def import_signer(session: so.Session, keys: KeyStore, *, certificate: str, country: str,
                  actor_id: str | None, now: dt.datetime, request_id: str = "") -> TrustedSigner:
    """Trust a foreign document signer certificate for passports of ``country``.

    :raises SignerCertificateInvalid: not a certificate, or a key verifiers cannot use.
    :raises OwnCountrySigner: our own country's signers come from the key store only.
    :raises SignerExists: this certificate is already trusted.
    """
    if country == keys.country:
        raise OwnCountrySigner(f"{country} signers are issued by the key store (keys rotate).",
                               detail_vi=f"Chứng thư ký {country} do kho khóa cấp (keys rotate).",
                               errors={"country": ["Our own country."]},
                               errors_vi={"country": ["Là quốc gia của chúng ta."]})
    der = read_certificate(certificate)
    try:
        key = TrustedKey.from_certificate(der, country=country)
    except (ValueError, IndexError, TypeError, UnsupportedAlgorithm):
        raise SignerCertificateInvalid("This is not an X.509 certificate.",
                                       detail_vi="Đây không phải chứng thư X.509.",
                                       errors={"certificate": ["Not an X.509 certificate."]},
                                       errors_vi={"certificate": ["Không phải chứng thư X.509."]}
                                       ) from None
    if not _supported_key(key.public_key):
        raise SignerCertificateInvalid(
            "The key must be EC P-256/P-384/P-521 or RSA of 2048 bits or more.",
            detail_vi="Khóa phải là EC P-256/P-384/P-521 hoặc RSA từ 2048 bit.",
            errors={"certificate": ["Unsupported key."]},
            errors_vi={"certificate": ["Khóa không được hỗ trợ."]})
    fingerprint = hashlib.sha256(der).hexdigest()
    if session.scalar(sa.select(TrustedSigner.id).filter_by(certificate_sha256=fingerprint)):
        raise SignerExists(errors={"certificate": ["Already trusted."]},
                           errors_vi={"certificate": ["Đã có trong danh sách."]})
    row = TrustedSigner(country=country, kid=_b64(key.kid), certificate=der,
                        certificate_sha256=fingerprint, not_before=key.not_before,
                        not_after=key.not_after, added_by=actor_id, added_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor_id, action="trusted_signer_added", now=now,
                 request_id=request_id, country=country, kid=row.kid,
                 certificate_sha256=fingerprint)
    return row


def signers(session: so.Session) -> list[TrustedSigner]:
    return list(session.scalars(sa.select(TrustedSigner)
                                .order_by(TrustedSigner.country, TrustedSigner.added_at)))


def remove_signer(session: so.Session, signer_id: str, *, actor_id: str | None,
                  now: dt.datetime, request_id: str = "") -> None:
    """Stop trusting a foreign signer (compromised or withdrawn by its country).

    :raises NotFound:
    """
    row = session.get(TrustedSigner, signer_id)
    if row is None:
        raise NotFound("No such trusted signer.", detail_vi="Không có chứng thư ký này.")
    audit.record(session, actor=actor_id, action="trusted_signer_removed", now=now,
                 request_id=request_id, country=row.country, kid=row.kid,
                 certificate_sha256=row.certificate_sha256)
    session.delete(row)


# ---------------------------------------------------------------- keys

@dataclass(frozen=True)
class SignerInfo:
    kid: str  # base64
    subject: str
    not_before: dt.datetime
    not_after: dt.datetime
    signs_until: dt.datetime  # the key's usage period ends: it rotates then
    current: bool


def _info(der: bytes, current_kid: bytes) -> SignerInfo:
    cert = x509.load_der_x509_certificate(der)
    key = TrustedKey.from_certificate(der)
    return SignerInfo(_b64(key.kid), cert.subject.rfc4514_string(), cert.not_valid_before_utc,
                      cert.not_valid_after_utc, cert.not_valid_before_utc + DSC_KEY_USAGE_PERIOD,
                      key.kid == current_kid)


def rotate_signing_key(keys: KeyStore, *, now: dt.datetime) -> SignerInfo:
    """A new document signer for new passports; older DSCs stay in the trust list until they
    expire, so every passport already issued keeps verifying."""
    signer = keys.rotate_dsc(now=now)
    return _info(signer.certificate, signer.kid)


def signing_keys(keys: KeyStore, *, now: dt.datetime) -> list[SignerInfo]:
    current = keys.current_dsc(now=now).kid
    return sorted((_info(der, current) for der in keys.dsc_certificates()),
                  key=lambda i: (i.not_before, i.current))


# ---------------------------------------------------------------- issuance (dose records plug in)

@dataclass(frozen=True)
class DoseInput:
    """One dose as the passport needs it; the dose-record issue fills these from its records."""

    dose_number: int
    series_doses: int
    date: dt.date
    vaccine: str  # EU "vp" (e.g. J07BX03)
    product: str  # EU "mp" (e.g. EU/1/20/1528)
    manufacturer: str  # EU "ma" (e.g. ORG-100030215)
    cvx: str  # CDC CVX code for the SMART Health Card (e.g. 208)
    lot: str
    performer: str  # the site's name


@dataclass(frozen=True)
class PassportInput:
    family_name: str
    given_name: str
    date_of_birth: dt.date
    doses: tuple[DoseInput, ...]  # in order; the HC1 carries the latest (schema: one v entry)


@dataclass(frozen=True)
class IssuedPassport:
    uvci: str
    hc1: str
    shc: str
    kid: str  # base64 of the DSC kid that signed both
    issued_at: dt.datetime
    expires_at: dt.datetime


def split_vietnamese_name(full_name: str) -> tuple[str, str]:
    """'Nguyễn Văn An' -> ('Nguyễn', 'Văn An'): the family name comes first in Vietnamese."""
    parts = full_name.split()
    return (parts[0], " ".join(parts[1:])) if len(parts) > 1 else (full_name.strip(), "")


def new_uvci() -> str:
    # 64 random bits, uppercase hex: opaque (no ID number, no date), collisions negligible
    return make_uvci(issuer_code=UVCI_ISSUER, unique=secrets.token_hex(8).upper())


def issue_passport(keys: KeyStore, passport: PassportInput, *, issuer_url: str,
                   now: dt.datetime, uvci: str | None = None,
                   valid_for: dt.timedelta = PASSPORT_VALIDITY) -> IssuedPassport:
    """Sign one holder's doses as an EU DCC (``HC1:``) and a SMART Health Card (``shc:/``).

    No ID number goes in either (ARCHITECTURE.md: never more in a QR than its purpose needs).
    """
    if not passport.doses:
        raise ValueError("a passport needs at least one dose")
    signer = keys.current_dsc(now=now)
    uvci = uvci or new_uvci()
    last = passport.doses[-1]
    payload = build_dcc_vaccination(
        family_name=passport.family_name, given_name=passport.given_name,
        dob=passport.date_of_birth.isoformat(), vaccine=last.vaccine, product=last.product,
        manufacturer=last.manufacturer, dose_number=last.dose_number,
        series_doses=last.series_doses, date=last.date, uvci=uvci)
    hc1 = issue_hcert(payload, signer, issuer=keys.country, now=now, valid_for=valid_for)
    bundle = build_shc_bundle(
        family_name=passport.family_name, given_names=passport.given_name.split(),
        birth_date=passport.date_of_birth.isoformat(), immunizations=[
            {"cvx": d.cvx, "date": d.date.isoformat(), "lot": d.lot, "performer": d.performer}
            for d in passport.doses])
    shc = issue_shc(bundle, signer, issuer_url=issuer_url, now=now)
    issued_at = now.replace(microsecond=0)
    return IssuedPassport(uvci, hc1, shc, _b64(signer.kid), issued_at, issued_at + valid_for)


# ---------------------------------------------------------------- issuance from dose records
#
# What a person holds: one current row per format in ``issued_certificate`` (HC1, SHC and the
# domestic status token), all three from one signing with one UVCI. They are issued from the
# person's counted dose records the first time they are read, re-issued at once when a dose or
# the person's name/birth date changes (the old UVCI is revoked, the holder told), and renewed
# on read when fewer than RENEW_BEFORE days are left (the old one simply lapses: not revoked).

RENEW_BEFORE = dt.timedelta(days=30)
DOMESTIC_PREFIX = "SSK1:"  # the domestic status QR: SSK1:<compact JWS>, see docs/api-contract-issue5.md
DOMESTIC_TYP = "ssk-status+jws"


@dataclass(frozen=True)
class Issuer:
    """What issuing needs besides the database: the key store and our SHC issuer URL."""

    keys: KeyStore
    issuer_url: str


_ISSUERS: "weakref.WeakKeyDictionary[sa.Engine, Issuer]" = weakref.WeakKeyDictionary()


def register_issuer(engine: sa.Engine, issuer: Issuer) -> None:
    """Called once per app (the blueprint's registration): hooks get a session only, and find
    the app's issuer from the engine their session is bound to."""
    _ISSUERS[engine] = issuer


def issuer_for(session: so.Session) -> Issuer | None:
    bind = session.get_bind()
    return _ISSUERS.get(getattr(bind, "engine", bind))


@dataclass(frozen=True)
class Holder:
    person_id: str
    full_name: str
    date_of_birth: dt.date
    doses: tuple[DoseInput, ...]
    status: str  # green | yellow | none (the rules engine's series status)

    @property
    def fingerprint(self) -> str:
        text = repr((self.full_name, self.date_of_birth.isoformat(), self.status,
                     tuple((d.dose_number, d.series_doses, d.date.isoformat(), d.product, d.lot,
                            d.cvx, d.performer) for d in self.doses)))
        return hashlib.sha256(text.encode()).hexdigest()


def load_holder(session: so.Session, person_id: str) -> Holder | None:
    """The person and their counted COVID-19 doses, oldest first; None: no such person."""
    from api.catalog import service as catalog
    from api.catalog.models import VaccineProduct
    from api.catalog.rules import COVID19, GivenDose, series_status
    from api.people.models import Person
    from api.vaccination.models import COUNTED, DoseRecord

    person = session.get(Person, person_id)
    if person is None:
        return None
    rows = session.execute(
        sa.select(DoseRecord.dose_number, DoseRecord.administered_on, DoseRecord.lot_number,
                  DoseRecord.site_name, DoseRecord.product_code, VaccineProduct.eu_vp,
                  VaccineProduct.eu_mp, VaccineProduct.eu_ma, VaccineProduct.cvx,
                  VaccineProduct.doses_in_primary_series)
        .join(VaccineProduct, VaccineProduct.code == DoseRecord.product_code)
        .where(DoseRecord.person_id == person_id, DoseRecord.status.in_(COUNTED),
               DoseRecord.disease == COVID19)
        .order_by(DoseRecord.administered_on, DoseRecord.dose_number)).all()
    doses = tuple(DoseInput(
        dose_number=r.dose_number, series_doses=max(r.doses_in_primary_series, r.dose_number),
        date=r.administered_on, vaccine=r.eu_vp or "J07BX03", product=r.eu_mp or r.product_code,
        manufacturer=r.eu_ma or "", cvx=r.cvx or "213",  # CVX 213: SARS-COV-2, unspecified
        lot=r.lot_number or "", performer=r.site_name or "") for r in rows)
    status = series_status([GivenDose(r.product_code, r.dose_number, r.administered_on)
                            for r in rows], catalog.load_rule_set(session)).status
    return Holder(person.id, person.full_name, person.date_of_birth, doses, status)


def sign_domestic(keys: KeyStore, *, name: str, dob: dt.date, status: str, uvci: str,
                  now: dt.datetime, expires_at: dt.datetime) -> str:
    """The domestic status QR: ``SSK1:`` + a compact JWS (ES256) signed by the current DSC.

    Header ``{"alg":"ES256","kid":<base64 DSC kid, as in the trust list>,"typ":"ssk-status+jws"}``;
    payload ``{"v":1,"iss":"VN","n":name,"dob":"YYYY-MM-DD","st":"green|yellow","ci":UVCI,
    "iat":…,"exp":…}``. Verifiable offline with the trust list (kid → DSC public key) and the
    revocation list (the UVCI is the HC1's). No ID number.
    """
    from signing.jws import sign_compact

    signer = keys.current_dsc(now=now)
    body = {"v": 1, "iss": keys.country, "n": name, "dob": dob.isoformat(), "st": status,
            "ci": uvci, "iat": int(now.timestamp()), "exp": int(expires_at.timestamp())}
    header = {"alg": "ES256", "kid": _b64(signer.kid), "typ": DOMESTIC_TYP}
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return DOMESTIC_PREFIX + sign_compact(header, payload, signer)


def verify_domestic(text: str, trust: TrustList, revoked, *, now: dt.datetime) -> tuple[str, dict | None]:
    """('valid'|'invalid_signature'|'unknown_signer'|'expired'|'revoked'|'not_a_passport', body)."""
    from signing.jws import JwsError, split_compact, verify_es256

    if not text.startswith(DOMESTIC_PREFIX):
        return "not_a_passport", None
    try:
        header, payload, signature, signing_input = split_compact(text[len(DOMESTIC_PREFIX):])
        body = json.loads(payload)
    except (JwsError, ValueError):
        return "not_a_passport", None
    key = next((k for k in trust if _b64(k.kid) == header.get("kid")), None)
    if key is None:
        return "unknown_signer", body
    if header.get("alg") != "ES256" or not verify_es256(key.public_key, signature, signing_input):
        return "invalid_signature", body
    if body.get("exp", 0) < now.timestamp():
        return "expired", body
    if uvci_hash(body.get("ci", "")) in revoked:
        return "revoked", body
    return "valid", body


def _current_rows(session: so.Session, person_id: str) -> dict[str, "IssuedCertificate"]:
    rows = session.scalars(sa.select(IssuedCertificate).where(
        IssuedCertificate.person_id == person_id, IssuedCertificate.superseded_at.is_(None)))
    return {r.format: r for r in rows}


def _issue_rows(session: so.Session, issuer: Issuer, holder: Holder, *,
                now: dt.datetime) -> dict[str, "IssuedCertificate"]:
    family, given = split_vietnamese_name(holder.full_name)
    passport = issue_passport(issuer.keys, PassportInput(family, given, holder.date_of_birth,
                                                         holder.doses),
                              issuer_url=issuer.issuer_url, now=now)
    domestic = sign_domestic(issuer.keys, name=holder.full_name, dob=holder.date_of_birth,
                             status=holder.status, uvci=passport.uvci, now=passport.issued_at,
                             expires_at=passport.expires_at)
    out = {}
    for fmt, text in (("hc1", passport.hc1), ("shc", passport.shc), ("domestic", domestic)):
        row = IssuedCertificate(person_id=holder.person_id, format=fmt, uvci=passport.uvci,
                                payload=text, kid=passport.kid, status=holder.status,
                                fingerprint=holder.fingerprint, issued_at=passport.issued_at,
                                expires_at=passport.expires_at, revoked=False)
        session.add(row)
        out[fmt] = row
    session.flush()
    return out


def _retire(session: so.Session, rows: dict, *, revoke: bool, reason: str,
            now: dt.datetime) -> None:
    for row in rows.values():
        row.superseded_at = now
        row.revoked = revoke
    session.flush()  # before the new rows: the partial UNIQUE allows one current per format
    if revoke and rows:
        revoke_passport(session, uvci=next(iter(rows.values())).uvci, reason=reason,
                        actor_id=None, now=now)


def reissue_after_change(session: so.Session, person_id: str, *, now: dt.datetime,
                         reason: str) -> dict | None:
    """A dose record or the person changed: when what the certificate says changed, revoke the
    current one and issue a new one at once, and tell the holder and guardians (this session).

    :returns: the new rows by format, or None when nothing had to change.
    """
    holder = load_holder(session, person_id)
    if holder is None:
        return None
    current = _current_rows(session, person_id)
    if current and all(r.fingerprint == holder.fingerprint for r in current.values()):
        return None
    if not current and not holder.doses:
        return None
    _retire(session, current, revoke=True, reason=reason, now=now)
    issuer = issuer_for(session)
    new = None
    if holder.doses and issuer is not None:  # without an issuer (a bare CLI): issued on next read
        new = _issue_rows(session, issuer, holder, now=now)
    from api.notify.service import notify

    template = "certificate_reissued" if current else "certificate_ready"
    notify(session, person_id=person_id, template=template,
           params={"person_name": holder.full_name},
           dedupe_key=f"{template}:{new['hc1'].uvci if new else person_id + now.isoformat()}",
           now=now)
    return new


_SUPERSEDE = (sa.update(IssuedCertificate.__table__)
              .where(IssuedCertificate.person_id == sa.bindparam("holder"),
                     IssuedCertificate.superseded_at.is_(None))
              .values(superseded_at=sa.bindparam("at")))


def supersede_after_new_dose(session: so.Session, person_id: str, *, dose_id: str, now: dt.datetime,
                             person_name: str, person_phone: str | None) -> None:
    """A new counted dose: the current certificates are superseded, not revoked (they stay true
    for the doses they list; a holder may keep showing one), and `current_passports` issues new
    ones on the next read. The holder and guardians hear that a certificate is ready (the
    caller read the person's name and phone with its own rows: two fewer statements)."""
    # On the session's connection: through Session.execute this UPDATE of a mapped table takes
    # the ORM's bulk-update path (~7 % of a dose request's CPU, measured with py-spy); the
    # hot path loads no certificate objects that would need synchronising.
    superseded = session.connection().execute(_SUPERSEDE, {"holder": person_id, "at": now}).rowcount
    from api.notify.service import notify

    template = "certificate_updated" if superseded else "certificate_ready"
    notify(session, person_id=person_id, template=template, params={"person_name": person_name},
           dedupe_key=f"{template}:{dose_id}", now=now, person_phone=person_phone)


def current_passports(session: so.Session, issuer: Issuer, person_id: str, *,
                      now: dt.datetime) -> dict[str, "IssuedCertificate"]:
    """The person's current certificates; issued now if missing, stale, or within RENEW_BEFORE
    of lapsing (renewed: the old one is superseded, not revoked).

    :raises NoCertificate: no counted dose.
    """
    current = _current_rows(session, person_id)
    if len(current) == len(CERTIFICATE_FORMATS) and all(
            r.expires_at - now > RENEW_BEFORE for r in current.values()):
        return current
    holder = load_holder(session, person_id)
    if holder is None or not holder.doses:
        raise NoCertificate("Certificates are made from recorded doses; there are none yet.",
                            detail_vi="Chứng nhận được lập từ các mũi tiêm đã ghi nhận; chưa có mũi nào.")
    changed = any(r.fingerprint != holder.fingerprint for r in current.values())
    _retire(session, current, revoke=changed, reason="superseded: certificate data changed",
            now=now)
    return _issue_rows(session, issuer, holder, now=now)


def passport_view(holder_name: str, rows: dict) -> dict:
    hc1 = rows["hc1"]
    return {"full_name": holder_name, "status": hc1.status, "uvci": hc1.uvci,
            "issued_at": hc1.issued_at, "expires_at": hc1.expires_at, "kid": hc1.kid,
            "hc1": hc1.payload, "shc": rows["shc"].payload, "domestic": rows["domestic"].payload}


# ---------------------------------------------------------------- what the routes call

def get_passports(sessions: so.sessionmaker, principal, person_id: str, *, issuer: Issuer,
                  now: dt.datetime) -> dict:
    """The person's current HC1, SHC and domestic status QR texts (issued or renewed if due).

    :raises NotGuardian: not the holder nor a guardian. :raises NoCertificate: no counted dose.
    """
    from api.people import service as people

    for attempt in (1, 2):
        try:
            with sessions.begin() as session:
                people.check_can_act_for(session, principal, person_id)
                rows = current_passports(session, issuer, person_id, now=now)
                holder_name = _holder_name(session, person_id)
                return passport_view(holder_name, rows) | {
                    "person_id": person_id, "ids": {f: r.id for f, r in rows.items()}}
        except sa.exc.IntegrityError:
            # a concurrent first read issued them (the partial UNIQUE): read theirs
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


_HOLDER_NAME = None


def _holder_name(session: so.Session, person_id: str) -> str:
    global _HOLDER_NAME
    if _HOLDER_NAME is None:  # built once: the dose hook runs on the site's hot path
        from api.people.models import Person

        _HOLDER_NAME = sa.select(Person.full_name).where(Person.id == sa.bindparam("person_id"))
    return session.scalar(_HOLDER_NAME, {"person_id": person_id})


def passport_download(sessions: so.sessionmaker, principal, person_id: str, *, issuer: Issuer,
                      now: dt.datetime, cache_dir, kind: str, lang: str = "vi") -> bytes:
    """The QR of one format as 'svg'/'png' (kind = 'hc1.svg' …) or the PDF (kind = 'pdf')."""
    from api.certificates import documents
    from api.people.models import Person
    from api.vaccination.models import COUNTED, DoseRecord

    view = get_passports(sessions, principal, person_id, issuer=issuer, now=now)
    if kind == "pdf":
        with sessions.begin() as session:
            dob = session.scalar(sa.select(Person.date_of_birth).where(Person.id == person_id))
            doses = session.scalar(sa.select(sa.func.count()).select_from(DoseRecord).where(
                DoseRecord.person_id == person_id, DoseRecord.status.in_(COUNTED)))
        return documents.pdf(cache_dir, view, view["ids"], lang=lang, dob=dob, doses=doses)
    fmt, ext = kind.split(".")
    return documents.qr_image(cache_dir, view["ids"][fmt], view[fmt], ext)
