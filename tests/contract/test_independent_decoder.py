"""Everything we issue verifies with an independent decoder that does not import `signing`."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from contract_decoder import decode_hc1, decode_shc

from signing import (KeyStore, build_dcc_vaccination, build_shc_bundle, issue_hcert, issue_shc,
                     jwks_for, make_uvci)

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
NAMES = [("Nguyễn", "Văn Đức"), ("Trần", "Thị Ngọc Ánh"), ("Lê", "Hoàng"), ("Phạm", "Ư Ơ")]


@pytest.fixture(scope="module")
def dsc(tmp_path_factory):
    return KeyStore(tmp_path_factory.mktemp("contract") / "keys").current_dsc(now=NOW)


@pytest.mark.parametrize("seed", range(8))
def test_every_hc1_we_issue_decodes_independently(dsc, seed):
    rng = random.Random(seed)
    fn, gn = NAMES[seed % len(NAMES)]
    payload = build_dcc_vaccination(
        family_name=fn, given_name=gn, dob=f"19{rng.randrange(30, 99)}-0{rng.randrange(1, 9)}-1{seed}",
        vaccine="J07BX03", product="EU/1/20/1528", manufacturer="ORG-100030215",
        dose_number=1 + seed % 3, series_doses=3, date=dt.date(2026, 1, 1 + seed),
        uvci=make_uvci(issuer_code="BYT", unique=f"{rng.getrandbits(64):016X}"))
    claims = decode_hc1(issue_hcert(payload, dsc, now=NOW), [dsc.certificate])
    assert claims[-260][1] == payload
    assert claims[1] == "VN" and claims[6] == int(NOW.timestamp())
    assert claims[4] - claims[6] == 365 * 86400


def test_every_shc_we_issue_decodes_independently(dsc):
    bundle = build_shc_bundle(family_name="Nguyễn", given_names=["Văn", "Đức"],
                              birth_date="1990-04-30", immunizations=[
                                  {"cvx": "208", "date": "2026-01-20", "lot": "EW0182",
                                   "performer": "Trạm Y tế Phường Bến Nghé"}])
    text = issue_shc(bundle, dsc, issuer_url="https://ssk.example.vn/shc", now=NOW)
    payload = decode_shc(text, jwks_for([dsc]))
    assert payload["vc"]["credentialSubject"]["fhirBundle"] == bundle
    assert payload["iss"] == "https://ssk.example.vn/shc"
