"""The key store: generation on first use, 0600 private keys, reload, rotation, EU DCC kid."""

from __future__ import annotations

import datetime as dt
import hashlib
import stat

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from signing import KeyStore, TrustList, issue_hcert, verify_hcert
from signing.keys import DSC_KEY_USAGE_PERIOD, EKU_VACCINATION, EKU_VACCINATION_ALT, Signer

from signing_builders import NOW, sample_payload


def test_first_use_creates_root_and_dsc_with_private_keys_0600(tmp_path):
    store = KeyStore(tmp_path / "keys")
    signer = store.current_dsc(now=NOW)
    keys = list((tmp_path / "keys").rglob("*.key.pem"))
    assert len(keys) == 2
    for path in keys:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert isinstance(signer, Signer)
    assert signer.kid == hashlib.sha256(signer.certificate).digest()[:8]


def test_root_is_a_ca_and_the_dsc_is_issued_by_it_with_the_vaccination_eku(tmp_path):
    store = KeyStore(tmp_path / "keys")
    dsc = x509.load_der_x509_certificate(store.current_dsc(now=NOW).certificate)
    root = x509.load_der_x509_certificate(store.root_certificate(now=NOW))
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not dsc.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    dsc.verify_directly_issued_by(root)
    ekus = {o.dotted_string for o in dsc.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value}
    assert ekus == {EKU_VACCINATION, EKU_VACCINATION_ALT}
    assert dsc.not_valid_after_utc - dsc.not_valid_before_utc == dt.timedelta(days=730)
    assert isinstance(dsc.public_key(), ec.EllipticCurvePublicKey)


def test_a_second_store_on_the_same_directory_reloads_the_same_keys(tmp_path):
    first = KeyStore(tmp_path / "keys").current_dsc(now=NOW)
    again = KeyStore(tmp_path / "keys").current_dsc(now=NOW + dt.timedelta(days=1))
    assert again.kid == first.kid
    assert again.sign(b"x") != b"" and len(again.sign(b"x")) == 64


def test_rotation_keeps_old_certificates_so_old_passports_still_verify(tmp_path):
    store = KeyStore(tmp_path / "keys")
    old = store.current_dsc(now=NOW)
    passport = issue_hcert(sample_payload(), old, now=NOW)
    new = store.rotate_dsc(now=NOW + dt.timedelta(days=30))
    assert new.kid != old.kid
    assert store.current_dsc(now=NOW + dt.timedelta(days=31)).kid == new.kid
    assert not (tmp_path / "keys" / "dsc" / f"{old.kid.hex()}.key.pem").exists()
    trust = TrustList.from_certificates(store.dsc_certificates())
    assert len(trust) == 2
    assert verify_hcert(passport, trust, now=NOW + dt.timedelta(days=40)).status == "valid"


def test_the_dsc_rotates_itself_after_its_key_usage_period(tmp_path):
    store = KeyStore(tmp_path / "keys")
    first = store.current_dsc(now=NOW)
    later = store.current_dsc(now=NOW + DSC_KEY_USAGE_PERIOD)
    assert later.kid != first.kid


def test_token_key_is_separate_from_passport_keys_and_rotates(tmp_path):
    store = KeyStore(tmp_path / "keys")
    token = store.token_signer(now=NOW)
    assert token.kid != store.current_dsc(now=NOW).kid
    rotated = store.rotate_token_key(now=NOW + dt.timedelta(days=1))
    assert set(store.token_public_keys()) == {token.kid, rotated.kid}
