"""Signed trust lists and revocation lists: round trip, tampering, the wrong root."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from signing_builders import NOW

from signing import KeyStore, RevocationList, TrustList, TrustListInvalid, uvci_hash
from signing.jws import b64u, b64u_decode


def test_trust_list_round_trips_through_the_root_signature(store, dsc):
    root = store.root_signer(now=NOW)
    token = TrustList.from_certificates(store.dsc_certificates(), country="VN").to_signed_json(
        root, now=NOW, version=7)
    loaded = TrustList.from_signed_json(token, store.root_certificate(now=NOW))
    assert loaded.version == 7 and loaded.issued_at == NOW
    (entry,) = loaded.candidates(dsc.kid)
    assert entry.country == "VN" and entry.certificate == dsc.certificate
    body = json.loads(b64u_decode(token.split(".")[1]))
    assert set(body["certificates"][0]) == {"kid", "country", "certificate"}


def test_a_tampered_or_foreign_trust_list_is_refused(store, tmp_path):
    root = store.root_signer(now=NOW)
    token = TrustList.from_certificates(store.dsc_certificates()).to_signed_json(
        root, now=NOW, version=1)
    header, payload, sig = token.split(".")
    body = json.loads(b64u_decode(payload))
    body["certificates"] = []
    with pytest.raises(TrustListInvalid):
        TrustList.from_signed_json(".".join([header, b64u(json.dumps(body).encode()), sig]),
                                   store.root_certificate(now=NOW))
    foreign_root = KeyStore(tmp_path / "k").root_certificate(now=NOW)
    with pytest.raises(TrustListInvalid):
        TrustList.from_signed_json(token, foreign_root)
    with pytest.raises(TrustListInvalid):
        TrustList.from_signed_json("not.a.jws", store.root_certificate(now=NOW))


def test_revocation_list_round_trips_and_is_not_a_trust_list(store):
    root = store.root_signer(now=NOW)
    revoked = RevocationList(frozenset({uvci_hash("URN:UVCI:01:VN:BYT/1#X")}), 3,
                             NOW + dt.timedelta(hours=1))
    token = revoked.to_signed_json(root)
    loaded = RevocationList.from_signed_json(token, store.root_certificate(now=NOW))
    assert loaded == revoked and uvci_hash("URN:UVCI:01:VN:BYT/1#X") in loaded
    with pytest.raises(TrustListInvalid):
        TrustList.from_signed_json(token, store.root_certificate(now=NOW))
