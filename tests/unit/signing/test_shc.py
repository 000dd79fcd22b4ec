"""SMART Health Card issuance and verification, the bundle shape, JWKS and forgeries."""

from __future__ import annotations

import datetime as dt
import json
import zlib

import pytest
from signing_builders import ISSUER_URL, NOW, sample_bundle

from signing import KeyStore, issue_shc, jwk_thumbprint, jwks_for, verify_shc
from signing.jws import b64u, b64u_decode
from signing.shc import numeric_decode, numeric_encode


@pytest.fixture(scope="module")
def card(dsc) -> str:
    return issue_shc(sample_bundle(), dsc, issuer_url=ISSUER_URL, now=NOW)


def test_the_bundle_is_a_fhir_collection_with_resource_references():
    bundle = sample_bundle()
    assert bundle["type"] == "collection"
    assert [e["fullUrl"] for e in bundle["entry"]] == ["resource:0", "resource:1", "resource:2"]
    imm = bundle["entry"][1]["resource"]
    assert imm["status"] == "completed" and imm["patient"] == {"reference": "resource:0"}
    assert imm["vaccineCode"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/cvx"
    assert imm["lotNumber"] == "EW0182"
    assert imm["performer"][0]["actor"]["display"].startswith("Trạm Y tế")


def test_the_card_is_a_numeric_qr_of_a_deflated_es256_jws(card, dsc):
    jws = numeric_decode(card)
    header = json.loads(b64u_decode(jws.split(".")[0]))
    assert header == {"zip": "DEF", "alg": "ES256", "kid": jwks_for([dsc])["keys"][0]["kid"]}
    payload = json.loads(zlib.decompress(b64u_decode(jws.split(".")[1]), -15))
    assert payload["iss"] == ISSUER_URL and payload["nbf"] == int(NOW.timestamp())
    assert payload["vc"]["type"] == ["https://smarthealth.cards#health-card"]
    assert payload["vc"]["credentialSubject"]["fhirVersion"] == "4.0.1"
    assert numeric_encode(jws) == card


def test_jwks_has_the_rfc_7638_thumbprint_as_kid(dsc):
    (jwk,) = jwks_for([dsc])["keys"]
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256"
    assert (jwk["use"], jwk["alg"]) == ("sig", "ES256")
    assert jwk["kid"] == jwk_thumbprint(jwk)
    # RFC 7638 §3.1 example key and its published thumbprint
    rfc = {"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
           "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
    assert len(jwk_thumbprint(rfc)) == 43


def test_our_card_verifies_with_holder_data(card, dsc):
    verdict = verify_shc(card, {ISSUER_URL: jwks_for([dsc])}, now=NOW + dt.timedelta(days=1))
    assert verdict.status == "valid"
    assert verdict.name == "Nguyễn Văn Đức" and verdict.dob == "1990-04-30"
    assert [d.date for d in verdict.doses] == ["2026-01-20", "2026-02-20"]


def test_a_changed_payload_is_an_invalid_signature(card, dsc):
    header, payload, sig = numeric_decode(card).split(".")
    raw = json.loads(zlib.decompress(b64u_decode(payload), -15))
    raw["vc"]["credentialSubject"]["fhirBundle"]["entry"][0]["resource"]["birthDate"] = "1970-01-01"
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    forged = ".".join([header, b64u(c.compress(json.dumps(raw).encode()) + c.flush()), sig])
    verdict = verify_shc(forged, jwks_for([dsc]), now=NOW)
    assert (verdict.status, verdict.name) == ("invalid_signature", None)


def test_an_unknown_key_and_another_issuers_key_are_unknown_signers(card, dsc, tmp_path):
    other = KeyStore(tmp_path / "k").current_dsc(now=NOW)
    assert verify_shc(card, jwks_for([other]), now=NOW).status == "unknown_signer"
    verdict = verify_shc(card, {"https://elsewhere.example": jwks_for([dsc])}, now=NOW)
    assert (verdict.status, verdict.reason) == ("unknown_signer", "issuer_kid")


def test_before_nbf_is_not_valid(card, dsc):
    assert verify_shc(card, jwks_for([dsc]), now=NOW - dt.timedelta(hours=1)).status == "expired"


@pytest.mark.parametrize("cut", [1, 2, 101])
def test_a_truncated_qr_is_not_a_passport(card, dsc, cut):
    assert verify_shc(card[:-cut], jwks_for([dsc]), now=NOW).status in (
        "not_a_passport", "invalid_signature")


def test_a_truncated_qr_by_an_even_count_never_verifies(card, dsc):
    for cut in range(2, 40, 2):
        assert not verify_shc(card[:-cut], jwks_for([dsc]), now=NOW).valid


@pytest.mark.parametrize("garbage", ["", "shc:/", "shc:/12a4", "HC1:NCF", "x.y.z", "shc:/99"])
def test_non_cards_are_not_passports(garbage, dsc):
    assert verify_shc(garbage, jwks_for([dsc]), now=NOW).status == "not_a_passport"
