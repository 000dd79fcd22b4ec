"""HC1 issuance and verification, forgeries, the official schema, names and UVCIs."""

from __future__ import annotations

import datetime as dt
import json
import zlib

import cbor2
import pytest
from jsonschema import Draft202012Validator

from signing import (KeyStore, b45decode, b45encode, check_dcc_structure, issue_hcert,
                     make_uvci, transliterate_icao, uvci_checksum, uvci_hash, verify_hcert)

from signing_builders import NOW, sample_payload
from tests.conftest import VECTORS

SCHEMA_DIR = (VECTORS / "dcc-schema")


@pytest.fixture(scope="module")
def schema_validator():
    schema = json.loads((SCHEMA_DIR / "DCC.combined-schema.json").read_text())
    Draft202012Validator.check_schema(schema)  # all $refs are local: no network fetch
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_vietnamese_names_are_transliterated_per_icao_9303():
    payload = sample_payload()
    assert payload["nam"] == {"fn": "Nguyễn", "fnt": "NGUYEN", "gn": "Văn Đức", "gnt": "VAN<DUC"}
    assert transliterate_icao("Trần Thị Ngọc Ánh") == "TRAN<THI<NGOC<ANH"
    assert transliterate_icao("Lưu Ơn") == "LUU<ON"
    assert transliterate_icao("Musterfrau-Gößinger") == "MUSTERFRAU<GOESSINGER"


def test_uvci_has_the_eu_luhn_mod_n_check_character():
    uvci = make_uvci(issuer_code="BYT", unique="0A1B2C3D4E5F6789")
    assert uvci.startswith("URN:UVCI:01:VN:BYT/0A1B2C3D4E5F6789#")
    # check characters published in the EU test vectors (AT, DK, FR, IS)
    for known in ("URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
                  "URN:UVCI:01:DK:B986830007345F99AE898FB82C6C61F2#A",
                  "URN:UVCI:01:FR:P4LU2647E8HN#/", "URN:UVCI:01:IS:VERA1234#F"):
        body, check = known.rsplit("#", 1)
        assert uvci_checksum(body) == check
    with pytest.raises(ValueError):
        make_uvci(issuer_code="byt", unique="x")


def test_our_payload_validates_against_the_official_schema(schema_validator):
    payload = sample_payload()
    assert list(schema_validator.iter_errors(payload)) == []
    assert check_dcc_structure(payload) is None


def test_our_structure_check_agrees_with_the_schema_on_its_own_cases(schema_validator):
    for path in sorted((SCHEMA_DIR / "tests").glob("*/*.json")):
        case = json.loads(path.read_text())
        assert (check_dcc_structure(case) is None) == schema_validator.is_valid(case), path.name


def test_issued_passport_verifies_with_holder_data(dsc, trust):
    text = issue_hcert(sample_payload(), dsc, now=NOW)
    assert text.startswith("HC1:")
    verdict = verify_hcert(text, trust, now=NOW + dt.timedelta(days=1))
    assert verdict.status == "valid"
    assert verdict.name == "Nguyễn Văn Đức" and verdict.dob == "1990-04-30"
    assert [(d.dose_number, d.series_doses, d.date) for d in verdict.doses] == [
        (2, 2, "2026-02-20")]


def _recompress(text: str, change) -> str:
    cose = cbor2.loads(zlib.decompress(b45decode(text[4:])))
    parts = list(cose.value)
    change(parts)
    return "HC1:" + b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, parts))))


def test_a_changed_payload_byte_is_an_invalid_signature(dsc, trust):
    text = issue_hcert(sample_payload(), dsc, now=NOW)

    def flip(parts):
        payload = bytearray(parts[2])
        payload[-5] ^= 0x01
        parts[2] = bytes(payload)
    assert verify_hcert(_recompress(text, flip), trust, now=NOW).status == "invalid_signature"


def test_a_signature_from_another_key_with_our_kid_is_invalid(dsc, trust, tmp_path):
    other = KeyStore(tmp_path / "other").current_dsc(now=NOW)
    forged = issue_hcert(sample_payload(), other, now=NOW)

    def steal_kid(parts):
        parts[0] = cbor2.dumps({1: -7, 4: dsc.kid})
        parts[3] = other.sign(cbor2.dumps(["Signature1", parts[0], b"", parts[2]]))
    assert verify_hcert(_recompress(forged, steal_kid), trust, now=NOW).status == \
        "invalid_signature"


def test_an_unknown_kid_is_an_unknown_signer(trust, tmp_path):
    other = KeyStore(tmp_path / "other").current_dsc(now=NOW)
    verdict = verify_hcert(issue_hcert(sample_payload(), other, now=NOW), trust, now=NOW)
    assert (verdict.status, verdict.name) == ("unknown_signer", None)


def test_expired_cwt_and_expired_certificate_are_expired(dsc, trust):
    text = issue_hcert(sample_payload(), dsc, now=NOW, valid_for=dt.timedelta(days=365))
    assert verify_hcert(text, trust, now=NOW + dt.timedelta(days=366)).reason == "exp"
    long_lived = issue_hcert(sample_payload(), dsc, now=NOW, valid_for=dt.timedelta(days=1000))
    verdict = verify_hcert(long_lived, trust, now=NOW + dt.timedelta(days=800))
    assert (verdict.status, verdict.reason) == ("expired", "signer_validity")
    assert verify_hcert(text, trust, now=NOW - dt.timedelta(days=1)).status == "expired"


def test_a_revoked_uvci_is_revoked(dsc, trust):
    payload = sample_payload()
    text = issue_hcert(payload, dsc, now=NOW)
    revoked = {uvci_hash(payload["v"][0]["ci"])}
    assert verify_hcert(text, trust, revoked, now=NOW).status == "revoked"


@pytest.mark.parametrize("garbage", ["", "hello", "HC1:", "HC1:abc", "HC2:6BFOXN",
                                     "HC1:" + b45encode(b"not zlib"),
                                     "HC1:" + b45encode(zlib.compress(b"\xa1\x01\x02")),
                                     "HC1:" + b45encode(zlib.compress(cbor2.dumps([1, 2, 3, 4]))),
                                     "SSK1:ABC", "shc:/5676"])
def test_non_passport_text_is_not_a_passport(garbage, trust):
    assert verify_hcert(garbage, trust, now=NOW).status == "not_a_passport"


def test_a_truncated_qr_is_not_a_passport(dsc, trust):
    text = issue_hcert(sample_payload(), dsc, now=NOW)
    for cut in (len(text) - 1, len(text) - 3, len(text) // 2):
        assert verify_hcert(text[:cut], trust, now=NOW).status == "not_a_passport"


def test_key_usage_is_enforced(dsc, trust):
    test_cert = sample_payload()
    entry = test_cert.pop("v")[0]
    test_cert["t"] = [{"tg": entry["tg"], "tt": "LP6464-4", "sc": "2026-02-20T10:00:00Z",
                       "tr": "260415000", "co": "VN", "is": entry["is"], "ci": entry["ci"]}]
    verdict = verify_hcert(issue_hcert(test_cert, dsc, now=NOW), trust, now=NOW)
    assert (verdict.status, verdict.reason) == ("unknown_signer", "key_usage")
