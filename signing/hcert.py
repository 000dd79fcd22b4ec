"""EU DCC / HCERT ("HC1:"): build the payload, issue, verify (HCERT spec v1.0.5, EU DCC schema 1.3).

Pipeline (HCERT spec §3): JSON -> CBOR CWT (cwt.py) -> COSE_Sign1 (cose.py) -> zlib -> Base45
(base45.py) -> "HC1:" -> QR (qr.py). Verification runs the stages backwards and verifies the
signature before it trusts anything in the payload.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zlib
from collections.abc import Collection, Container, Mapping
from typing import Any

from .base45 import b45decode, b45encode
from .cose import CoseError, decode_sign1, sign1, verify_signature
from .cwt import CwtError, decode_claims, encode_claims
from .keys import Signer
from .trustlist import TrustList, uvci_hash
from .verdict import DoseSummary, Verdict

__all__ = ["HC1_PREFIX", "build_dcc_vaccination", "check_dcc_structure", "issue_hcert",
           "make_uvci", "transliterate_icao", "uvci_checksum", "verify_hcert"]

HC1_PREFIX = "HC1:"  # HCERT spec §4.1 (context identifier, version 1)
DCC_VERSION = "1.3.0"  # EU DCC JSON schema version we emit
TG_COVID19 = "840539006"  # EU DCC value sets §2.1: SNOMED CT "COVID-19"
MAX_DECOMPRESSED = 64 * 1024  # a passport is < 1 KB; refuse zlib bombs long before memory hurts

# ICAO Doc 9303 Part 3 §6 (transliteration of multinational Latin characters) for the letters
# NFD decomposition does not reduce to A-Z by dropping combining marks
_ICAO_SPECIAL = {"Đ": "D", "đ": "D", "Ð": "D", "ð": "D", "Ä": "AE", "ä": "AE", "Ö": "OE",
                 "ö": "OE", "Ü": "UE", "ü": "UE", "ß": "SS", "Å": "AA", "å": "AA", "Æ": "AE",
                 "æ": "AE", "Ø": "OE", "ø": "OE", "Œ": "OE", "œ": "OE", "Þ": "TH", "þ": "TH",
                 "Ł": "L", "ł": "L", "Ħ": "H", "ħ": "H", "Ĳ": "IJ", "ĳ": "IJ"}
_SEPARATORS = re.compile(r"[\s\-'‐’,.]+")


def transliterate_icao(name: str) -> str:
    """ICAO 9303 Part 3 machine-readable form: A-Z and '<' ("Văn Đức" -> "VAN<DUC").

    Diacritics are dropped (Vietnamese tones and hats reduce to the base letter), the special
    letters above are spelled out, separators become one '<', anything else is removed.
    """
    out = []
    for ch in _SEPARATORS.sub("<", name.strip()):
        ch = _ICAO_SPECIAL.get(ch, ch)
        for c in unicodedata.normalize("NFD", ch).upper():
            if "A" <= c <= "Z" or c == "<":
                out.append(c)
    return "".join(out)[:80]  # DCC schema: fnt/gnt maxLength 80


# EU UVCI (eHealth Network guidelines, Annex 2; DCC schema FAQ "UVCI checksum"): Luhn mod N over
# the whole UVCI "URN:UVCI:..." with this 38-character set (N = 38), appended after '#'
_UVCI_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"
_UVCI_PART = re.compile(r"^[A-Z0-9]+$")


def uvci_checksum(uvci: str) -> str:
    """The Luhn mod N check character of a UVCI (without its '#' part)."""
    n, factor, total = len(_UVCI_CHARSET), 2, 0
    for ch in reversed(uvci):
        addend = factor * _UVCI_CHARSET.index(ch)
        factor = 3 - factor
        total += addend // n + addend % n
    return _UVCI_CHARSET[(n - total % n) % n]


def make_uvci(country: str = "VN", *, issuer_code: str, unique: str, version: str = "01") -> str:
    """``URN:UVCI:01:VN:<issuer>/<unique>#<check>`` (UVCI option 3: issuer + opaque unique id).

    :raises ValueError: parts not in A-Z0-9, or the result longer than 72 characters
        (guidelines: 72 + '#' + check = at most 80, the schema's ci maxLength).
    """
    for part in (country, issuer_code, unique, version):
        if not _UVCI_PART.match(part):
            raise ValueError(f"UVCI parts are uppercase A-Z and 0-9 only: {part!r}")
    uvci = f"URN:UVCI:{version}:{country}:{issuer_code}/{unique}"
    if len(uvci) > 72:
        raise ValueError("UVCI longer than 72 characters")
    return f"{uvci}#{uvci_checksum(uvci)}"


def build_dcc_vaccination(*, family_name: str, given_name: str, dob: str, vaccine: str,
                          product: str, manufacturer: str, dose_number: int, series_doses: int,
                          date: dt.date | str, uvci: str, issuer: str = "Ministry of Health of Viet Nam",
                          country: str = "VN") -> dict[str, Any]:
    """An EU DCC 1.3.0 vaccination payload (one ``v`` entry, schema ``maxItems: 1``).

    :param vaccine: ``vp`` (EU value set §2.2, e.g. "J07BX03" or SNOMED "1119349007")
    :param product: ``mp`` (value set §2.3, e.g. "EU/1/20/1528")
    :param manufacturer: ``ma`` (value set §2.4, e.g. "ORG-100030215")
    """
    nam = {"fn": family_name, "fnt": transliterate_icao(family_name),
           "gn": given_name, "gnt": transliterate_icao(given_name)}
    return {"ver": DCC_VERSION, "nam": nam, "dob": dob, "v": [{
        "tg": TG_COVID19, "vp": vaccine, "mp": product, "ma": manufacturer,
        "dn": dose_number, "sd": series_doses,
        "dt": date.isoformat() if isinstance(date, dt.date) else date,
        "co": country, "is": issuer, "ci": uvci}]}


def issue_hcert(payload: dict[str, Any], signer: Signer, *, issuer: str = "VN", now: dt.datetime,
                valid_for: dt.timedelta = dt.timedelta(days=365)) -> str:
    """Sign a DCC payload and return the QR text ``HC1:<base45(zlib(COSE_Sign1))>``."""
    iat = int(now.timestamp())
    claims = encode_claims(issuer=issuer, issued_at=iat,
                           expires_at=iat + int(valid_for.total_seconds()), dcc=payload)
    # HCERT spec §3.2: zlib (RFC 1950) at level 9 keeps the QR as small as it can be
    return HC1_PREFIX + b45encode(zlib.compress(sign1(claims, signer), 9))


# schema 1.3 "format: date", which validators do not assert by default; 1.0.x used date-times
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DOB = re.compile(r"^((19|20)\d\d(-\d\d){0,2}){0,1}$")  # schema 1.3.x "dob"
_VER = re.compile(r"^\d+.\d+.\d+$")
_COUNTRY = re.compile(r"[A-Z]{1,10}")  # schema "country_vt" (unanchored, as published)
_TRANSLIT = re.compile(r"^[A-Z<]*$")
_REQUIRED = {"v": ("tg", "vp", "mp", "ma", "dn", "sd", "dt", "co", "is", "ci"),
             "t": ("tg", "tt", "sc", "tr", "co", "is", "ci"),
             "r": ("tg", "fr", "co", "is", "df", "du", "ci")}
_DATES = {"v": ("dt",), "t": (), "r": ("fr", "df", "du")}
_STRINGS_80 = ("is", "ci", "nm", "tc")
# value-set fields checked when the caller passes value sets (EU DCC value sets §2.1-2.9)
_VALUE_SET_FIELDS = {"v": ("tg", "vp", "mp", "ma", "co"), "t": ("tg", "tt", "ma", "tr", "co"),
                     "r": ("tg", "co")}


def check_dcc_structure(dcc: Any, value_sets: Mapping[str, Collection[str]] | None = None
                        ) -> str | None:
    """The DCC JSON schema 1.3.x rules that matter to a verifier, without a schema engine.

    Returns None when the payload conforms, else a short description. With ``value_sets``
    (field name -> allowed codes) it also checks value-set membership for the fields present.
    The full schema is checked against this in tests/unit/signing/test_hcert.py.
    """
    if not isinstance(dcc, dict):
        return "payload is not an object"
    if not isinstance(dcc.get("ver"), str) or not _VER.match(dcc["ver"]):
        return "ver"
    nam = dcc.get("nam")
    if not isinstance(nam, dict) or not ("fnt" in nam or "gnt" in nam):
        return "nam"
    for k in ("fn", "fnt", "gn", "gnt"):
        if k in nam and (not isinstance(nam[k], str) or len(nam[k]) > 80
                         or (k.endswith("t") and not _TRANSLIT.match(nam[k]))):
            return f"nam.{k}"
    if not isinstance(dcc.get("dob"), str) or not _DOB.match(dcc["dob"]):
        return "dob"
    groups = [g for g in ("v", "t", "r") if g in dcc]
    if len(groups) != 1:  # schema oneOf: exactly one of v / t / r
        return "exactly one of v, t, r"
    group = groups[0]
    entries = dcc[group]
    if not isinstance(entries, list) or len(entries) != 1 or not isinstance(entries[0], dict):
        return f"{group}: exactly one entry"  # minItems 1, maxItems 1
    entry = entries[0]
    for k in _REQUIRED[group]:
        if k not in entry:
            return f"{group}.{k} missing"
    for k, v in entry.items():
        if k in ("dn", "sd"):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:  # dose_posint
                return f"{group}.{k}"
        elif not isinstance(v, str):
            return f"{group}.{k} not a string"
    for k in _DATES[group]:
        if not _DATE.match(entry[k]):
            return f"{group}.{k} not a date"
    if not _COUNTRY.search(entry["co"]):
        return f"{group}.co"
    for k in _STRINGS_80:
        if len(entry.get(k, "")) > 80:
            return f"{group}.{k} too long"
    if value_sets:
        for k in _VALUE_SET_FIELDS[group]:
            allowed = value_sets.get(k)
            if allowed is not None and k in entry and entry[k] not in allowed:
                return f"{group}.{k} not in its value set"
    return None


def _holder(dcc: dict[str, Any]) -> tuple[str | None, str | None, tuple[DoseSummary, ...]]:
    nam = dcc.get("nam") if isinstance(dcc.get("nam"), dict) else {}
    parts = [nam.get("fn") or nam.get("fnt"), nam.get("gn") or nam.get("gnt")]
    name = " ".join(p for p in parts if isinstance(p, str) and p) or None
    doses = tuple(DoseSummary(e.get("dn"), e.get("sd"), e.get("dt"), e.get("mp"))
                  for e in dcc.get("v") or () if isinstance(e, dict))
    dob = dcc.get("dob")
    return name, dob if isinstance(dob, str) else None, doses


def _cert_type(dcc: dict[str, Any]) -> str | None:
    return next((g for g in ("v", "t", "r") if g in dcc), None)


def verify_hcert(text: str, trust: TrustList, revoked: Container[str] = frozenset(), *,
                 now: dt.datetime,
                 value_sets: Mapping[str, Collection[str]] | None = None) -> Verdict:
    """Verify an ``HC1:`` string at ``now`` against a trust list and revoked UVCI hashes.

    Order: structure, then kid and signature, and only then the payload (time window, key usage,
    revocation, schema), so nothing unsigned is ever shown.
    """
    if not isinstance(text, str) or not text.startswith(HC1_PREFIX):
        return Verdict("not_a_passport", "prefix")
    try:
        compressed = b45decode(text[len(HC1_PREFIX):])
    except ValueError:
        return Verdict("not_a_passport", "base45")
    try:
        inflater = zlib.decompressobj()
        cose_bytes = inflater.decompress(compressed, MAX_DECOMPRESSED)
        if inflater.unconsumed_tail or not inflater.eof:
            return Verdict("not_a_passport", "zlib")
    except zlib.error:
        return Verdict("not_a_passport", "zlib")
    try:
        msg = decode_sign1(cose_bytes)
    except CoseError:
        return Verdict("not_a_passport", "cose")
    candidates = trust.candidates(msg.kid)
    if not candidates:
        return Verdict("unknown_signer", "unknown_kid")
    signer = next((c for c in candidates if verify_signature(msg, c.public_key)), None)
    if signer is None:
        return Verdict("invalid_signature", "signature")
    try:
        claims = decode_claims(msg.payload)
    except CwtError:
        return Verdict("not_a_passport", "cwt")  # signed, but not a health certificate CWT
    dcc = claims.dcc
    name, dob, doses = _holder(dcc)
    holder = {"name": name, "dob": dob, "doses": doses}
    cert_type = _cert_type(dcc)
    if cert_type is not None and not signer.allows(cert_type):
        return Verdict("unknown_signer", "key_usage", **holder)
    ts = now.timestamp()
    if ts > claims.expires_at:  # valid up to and including exp (EU vectors DK 1, IE 1)
        return Verdict("expired", "exp", **holder)
    if ts < claims.issued_at:
        return Verdict("expired", "iat", **holder)  # not valid yet: a clock or a forgery issue
    if not signer.valid_at(now):
        return Verdict("expired", "signer_validity", **holder)
    if check_dcc_structure(dcc, value_sets) is not None:
        return Verdict("not_a_passport", "schema")
    for entry in dcc[cert_type]:
        if isinstance(entry.get("ci"), str) and uvci_hash(entry["ci"]) in revoked:
            return Verdict("revoked", "revoked", **holder)
    return Verdict("valid", "ok", **holder)
