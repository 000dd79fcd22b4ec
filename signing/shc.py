"""SMART Health Cards (spec https://spec.smarthealth.cards, "SHC" below): issue and verify.

A card is a compact JWS (ES256, header ``zip: "DEF"``) whose payload is raw-DEFLATEd JSON
``{iss, nbf, [exp], vc: {type, credentialSubject: {fhirVersion, fhirBundle}}}``; its QR form
is ``shc:/`` followed by two digits per JWS character (``ord(c) - 45``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zlib
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from .jws import JwsError, b64u, b64u_decode, sign_compact, split_compact, verify_es256
from .keys import Signer
from .verdict import DoseSummary, Verdict

__all__ = ["HEALTH_CARD_TYPE", "build_shc_bundle", "check_jwks", "check_shc_payload",
           "issue_shc", "jwk_thumbprint", "jwks_for", "numeric_decode", "numeric_encode",
           "public_jwk", "verify_shc"]

HEALTH_CARD_TYPE = "https://smarthealth.cards#health-card"  # SHC "Health Cards are ... VCs"
FHIR_VERSION = "4.0.1"  # SHC: credentialSubject.fhirVersion
CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"  # FHIR R4 CVX code system URI
SHC_PREFIX = "shc:/"  # SHC "Encoding Chunks as QR codes"
NUMERIC_OFFSET = 45  # SHC: each JWS char c -> two digits of ord(c) - 45 ("-" is 45, "z" is 122)
MAX_SINGLE_QR_JWS = 1195  # SHC: the longest JWS that fits one version-22 QR (a warning, not fatal)
MAX_INFLATED = 256 * 1024  # refuse DEFLATE bombs: real cards inflate to a few KB
_NUMERIC = re.compile(r"^[0-9]*$")
_CHUNKED = re.compile(r"^shc:/(\d+)/(\d+)/")


def numeric_encode(jws: str) -> str:
    """``shc:/`` + two digits per character (SHC: ``ord(c) - 45``)."""
    return SHC_PREFIX + "".join(f"{ord(c) - NUMERIC_OFFSET:02d}" for c in jws)


def numeric_decode(text: str) -> str:
    """Inverse of ``numeric_encode``.

    :raises ValueError: an odd digit count, a non-digit, or a pair above 77 ("z" - 45).
    """
    digits = text[len(SHC_PREFIX):]
    if len(digits) % 2 or not _NUMERIC.match(digits):
        raise ValueError("numeric QR must be an even number of digits")
    pairs = [int(digits[i:i + 2]) for i in range(0, len(digits), 2)]
    if any(p > ord("z") - NUMERIC_OFFSET for p in pairs):
        raise ValueError("numeric QR pair above 77")
    return "".join(chr(p + NUMERIC_OFFSET) for p in pairs)


def public_jwk(signer_or_key: Signer | ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The EC P-256 public JWK with ``kid`` = its RFC 7638 thumbprint, ``use``/``alg`` as SHC wants."""
    key = signer_or_key
    if not isinstance(key, ec.EllipticCurvePublicKey):
        key = x509.load_der_x509_certificate(key.certificate).public_key()  # type: ignore[union-attr]
    assert isinstance(key, ec.EllipticCurvePublicKey)
    nums = key.public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "x": b64u(nums.x.to_bytes(32, "big")),
           "y": b64u(nums.y.to_bytes(32, "big"))}
    return {**jwk, "kid": jwk_thumbprint(jwk), "use": "sig", "alg": "ES256"}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 §3.2: SHA-256 over the required members in lexicographic order, no whitespace."""
    required = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]}
    return b64u(hashlib.sha256(json.dumps(required, separators=(",", ":"), sort_keys=True)
                               .encode()).digest())


def jwks_for(signers: Iterable[Signer]) -> dict[str, list[dict[str, str]]]:
    """The issuer's ``/.well-known/jwks.json`` document."""
    return {"keys": [public_jwk(s) for s in signers]}


def _key_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey | None:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        return None
    try:
        return ec.EllipticCurvePublicNumbers(int.from_bytes(b64u_decode(jwk["x"]), "big"),
                                             int.from_bytes(b64u_decode(jwk["y"]), "big"),
                                             ec.SECP256R1()).public_key()
    except (KeyError, ValueError):
        return None


def check_jwks(jwks: Mapping[str, Any]) -> list[str]:
    """Problems with an issuer key set, as the SHC spec requires keys (empty list = fine)."""
    problems = []
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") != "EC":
            problems.append("wrong_kty")
            continue
        if jwk.get("crv") != "P-256":
            problems.append("wrong_crv")
        if jwk.get("alg") != "ES256":
            problems.append("wrong_alg")
        if jwk.get("use") != "sig":
            problems.append("wrong_use")
        if "x" in jwk and "y" in jwk and jwk.get("crv") == "P-256" \
                and jwk.get("kid") != jwk_thumbprint(jwk):
            problems.append("wrong_kid")
    return problems


def build_shc_bundle(*, family_name: str, given_names: list[str], birth_date: str,
                     immunizations: Iterable[Mapping[str, str]]) -> dict[str, Any]:
    """A FHIR R4 Bundle (type collection) with one Patient and its Immunizations.

    ``immunizations``: mappings with ``cvx`` (CVX code), ``date`` (YYYY-MM-DD), ``lot`` and
    ``performer`` (the organisation's display name). References are ``resource:0`` etc., as the
    SHC spec requires (short ``fullUrl``s keep the QR small).
    """
    entries: list[dict[str, Any]] = [{"fullUrl": "resource:0", "resource": {
        "resourceType": "Patient",
        "name": [{"family": family_name, "given": list(given_names)}],
        "birthDate": birth_date}}]
    for i, imm in enumerate(immunizations, start=1):
        entries.append({"fullUrl": f"resource:{i}", "resource": {
            "resourceType": "Immunization", "status": "completed",
            "vaccineCode": {"coding": [{"system": CVX_SYSTEM, "code": imm["cvx"]}]},
            "patient": {"reference": "resource:0"},
            "occurrenceDateTime": imm["date"],
            "performer": [{"actor": {"display": imm["performer"]}}],
            "lotNumber": imm["lot"]}})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def issue_shc(fhir_bundle: dict[str, Any], signer: Signer, *, issuer_url: str,
              now: dt.datetime) -> str:
    """Sign a FHIR bundle as a SMART Health Card; returns the ``shc:/`` numeric QR text."""
    payload = {"iss": issuer_url, "nbf": int(now.timestamp()), "vc": {
        "type": [HEALTH_CARD_TYPE],
        "credentialSubject": {"fhirVersion": FHIR_VERSION, "fhirBundle": fhir_bundle}}}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)  # SHC: raw DEFLATE (RFC 1951), no header
    deflated = deflater.compress(raw) + deflater.flush()
    kid = public_jwk(signer)["kid"]
    return numeric_encode(sign_compact({"zip": "DEF", "alg": "ES256", "kid": kid}, deflated,
                                       signer))


def _holder(payload: Mapping[str, Any]) -> tuple[str | None, str | None, tuple[DoseSummary, ...]]:
    try:
        entries = payload["vc"]["credentialSubject"]["fhirBundle"]["entry"]
    except (KeyError, TypeError):
        return None, None, ()
    name = dob = None
    doses = []
    for e in entries if isinstance(entries, list) else ():
        r = e.get("resource", {}) if isinstance(e, dict) else {}
        if r.get("resourceType") == "Patient":
            n = (r.get("name") or [{}])[0]
            name = " ".join([n.get("family", "")] + list(n.get("given", []))).strip() or None
            dob = r.get("birthDate")
        elif r.get("resourceType") == "Immunization":
            coding = (r.get("vaccineCode", {}).get("coding") or [{}])[0]
            doses.append(DoseSummary(None, None, r.get("occurrenceDateTime"), coding.get("code")))
    return name, dob, tuple(doses)


def check_shc_payload(payload: Any, *, now: dt.datetime) -> Verdict | None:
    """The payload rules (SHC "Health Cards are encoded as Compact Serialization JSON Web
    Signatures"): None when they hold, else the failing verdict."""
    if not isinstance(payload, dict) or not isinstance(payload.get("iss"), str):
        return Verdict("not_a_passport", "schema")
    vc = payload.get("vc")
    if (not isinstance(vc, dict) or HEALTH_CARD_TYPE not in (vc.get("type") or [])
            or not isinstance(vc.get("credentialSubject", {}).get("fhirBundle"), dict)):
        return Verdict("not_a_passport", "schema")
    nbf, exp = payload.get("nbf"), payload.get("exp")
    if not isinstance(nbf, (int, float)):
        return Verdict("not_a_passport", "schema")
    ts = now.timestamp()
    if exp is not None:
        # RFC 7519 §4.1.4: NumericDate is seconds; a value in milliseconds is malformed
        if not isinstance(exp, (int, float)) or exp > 1e11:
            return Verdict("not_a_passport", "exp")
        if ts > exp:
            return Verdict("expired", "exp", *_holder(payload))
    if nbf > ts:
        return Verdict("expired", "nbf", *_holder(payload))
    return None


def _issuer_of(jwks: Mapping[str, Any]) -> dict[str, tuple[str | None, Mapping[str, Any]]]:
    """kid -> (issuer URL or None for an unbound set, jwk)."""
    sets = {None: jwks} if "keys" in jwks else dict(jwks)
    out: dict[str, tuple[str | None, Mapping[str, Any]]] = {}
    for iss, keyset in sets.items():
        for jwk in keyset.get("keys", []):
            if isinstance(jwk.get("kid"), str):
                out.setdefault(jwk["kid"], (iss, jwk))
    return out


def verify_shc(text: str, jwks: Mapping[str, Any], *, now: dt.datetime,
               revoked_rids: Mapping[str, Collection[str]] | None = None) -> Verdict:
    """Verify a ``shc:/`` QR text or a bare compact JWS at ``now``.

    :param jwks: either one key set ``{"keys": [...]}`` (trusted for any ``iss``) or
        ``{issuer_url: {"keys": [...]}}``: then the signing key must belong to the card's ``iss``.
    :param revoked_rids: kid -> the ``rids`` of that key's CRL (SHC "Revocation": an entry
        ``rid.t`` revokes only cards whose ``nbf`` is before ``t``).
    """
    if not isinstance(text, str):
        return Verdict("not_a_passport", "prefix")
    if text != text.strip() or text.startswith("\ufeff"):
        return Verdict("not_a_passport", "trailing")
    if text.startswith(SHC_PREFIX):
        if chunk := _CHUNKED.match(text):
            if int(chunk.group(2)) <= 1:  # "shc:/1/1/" is a malformed header, not a chunk set
                return Verdict("not_a_passport", "prefix")
            return Verdict("not_a_passport", "chunked")  # SHC: chunking is deprecated
        try:
            jws = numeric_decode(text)
        except ValueError:
            return Verdict("not_a_passport", "numeric")
    elif text.startswith("shc:"):
        return Verdict("not_a_passport", "prefix")
    else:
        jws = text
    try:
        header, deflated, signature, signing_input = split_compact(jws)
    except JwsError:
        return Verdict("not_a_passport", "jws")
    if header.get("alg") != "ES256" or header.get("zip") != "DEF" \
            or not isinstance(header.get("kid"), str):
        return Verdict("not_a_passport", "header")  # SHC: all three are required
    # Structure first (bounded inflate + JSON parse: nothing is shown before the signature
    # verifies), so garbage is "not a passport" whoever signed it, as the official validator says
    try:
        inflater = zlib.decompressobj(-15)
        raw = inflater.decompress(deflated, MAX_INFLATED)
        if inflater.unconsumed_tail or not inflater.eof:
            return Verdict("not_a_passport", "deflate")
    except zlib.error:
        return Verdict("not_a_passport", "deflate")
    if raw.startswith(b"\xef\xbb\xbf"):
        return Verdict("not_a_passport", "trailing")
    try:
        payload = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Verdict("not_a_passport", "json")
    except json.JSONDecodeError as exc:
        return Verdict("not_a_passport", "trailing" if exc.msg == "Extra data" else "json")
    if not isinstance(payload, dict):  # e.g. a JSON string holding JSON (double-stringified)
        return Verdict("not_a_passport", "json")
    found = _issuer_of(jwks).get(header["kid"])
    if found is None:
        return Verdict("unknown_signer", "unknown_kid")
    key_iss, jwk = found
    key = _key_from_jwk(jwk)
    if key is None:
        return Verdict("unknown_signer", "unknown_kid")
    if len(signature) != 64:  # RFC 7518 §3.4: r||s; a DER signature is a format error
        return Verdict("invalid_signature", "signature_format")
    if not verify_es256(key, signature, signing_input):
        return Verdict("invalid_signature", "signature")
    if key_iss is not None and payload.get("iss") != key_iss:
        return Verdict("unknown_signer", "issuer_kid")  # a good key, but another issuer's
    if (bad := check_shc_payload(payload, now=now)) is not None:
        return bad
    rid = payload["vc"].get("rid")
    for entry in (revoked_rids or {}).get(header["kid"], ()):
        rid_part, _, until = entry.partition(".")
        if rid == rid_part and (not until or payload["nbf"] < int(until)):
            return Verdict("revoked", "revoked", *_holder(payload))
    return Verdict("valid", "ok", *_holder(payload))
