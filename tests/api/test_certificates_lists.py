"""Issuer keys, the signed trust and revocation lists, rotation, and foreign signers (issue 5).

Everything a verifier downloads is checked the way a verifier would: the JWS against the root
pinned from /verifier-config, with the signing library's own reader (signing.TrustList)."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signing import KeyStore, RevocationList, TrustList, public_jwk, uvci_hash
from tests.api.certificate_builders import make_passport, verify
from tests.api.staffing import staff_client
from tests.conftest import FIXED_NOW


def root_of(client) -> bytes:
    config = client.get("/verifier-config").json
    root = base64.b64decode(config["root_certificate"])
    assert hashlib.sha256(root).hexdigest() == config["root_sha256"]
    return root


def trust_list(client) -> TrustList:
    r = client.get("/trust-list")
    assert r.status_code == 200 and r.mimetype == "application/jose"
    return TrustList.from_signed_json(r.get_data(as_text=True), root_of(client))


def revocation_list(client) -> RevocationList:
    r = client.get("/revocation-list")
    assert r.status_code == 200 and r.mimetype == "application/jose"
    return RevocationList.from_signed_json(r.get_data(as_text=True), root_of(client))


def admin(app):
    return staff_client(app, "0901000099", "national_admin", "VN")


def foreign_certificate(country: str = "DE", *, now=FIXED_NOW, days=365, curve=ec.SECP256R1()):
    key = ec.generate_private_key(curve)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(x509.NameOID.COMMON_NAME, f"DSC {country} test")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
            .sign(key, hashes.SHA256()))
    return key, cert


def test_the_verifier_config_pins_the_root_and_the_staleness_limits(client):
    r = client.get("/verifier-config")
    assert r.status_code == 200
    body = r.json
    assert body["warn_after_hours"] == 24 and body["refuse_after_hours"] == 72
    assert body["country"] == "VN" and body["issuer_url"] == "http://localhost:8000"
    root = x509.load_der_x509_certificate(base64.b64decode(body["root_certificate"]))
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_the_trust_list_is_signed_by_the_root_and_holds_our_signer(app, client):
    trust = trust_list(client)
    dsc = app.extensions["ssk_keys"].current_dsc(now=FIXED_NOW)
    assert [e.country for e in trust.candidates(dsc.kid)] == ["VN"]
    assert trust.issued_at == FIXED_NOW and trust.version == int(FIXED_NOW.timestamp())


def test_a_list_signed_by_another_root_is_refused_by_the_reader(app, client, tmp_path):
    token = client.get("/trust-list").get_data(as_text=True)
    stranger = KeyStore(tmp_path / "other").root_certificate(now=FIXED_NOW)
    try:
        TrustList.from_signed_json(token, stranger)
    except ValueError as exc:
        assert "root" in str(exc)
    else:
        raise AssertionError("a list signed by our root verified with another root")


def test_an_unchanged_trust_list_revalidates_with_304(client, clock):
    first = client.get("/trust-list")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and "max-age" in first.headers["Cache-Control"]
    assert "stale-while-revalidate" in first.headers["Cache-Control"]
    clock.advance(hours=2)  # re-signed at another time: same content, same ETag
    again = client.get("/trust-list", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert client.get("/trust-list", headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_rotation_adds_a_signer_and_keeps_the_old_one(app, client, clock):
    before = make_passport(app)
    etag = client.get("/trust-list").headers["ETag"]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "new document signer" in result.output
    listing = runner.invoke(args=["keys", "list"]).output.splitlines()
    assert len(listing) == 2 and listing[1].startswith("* ") and listing[0].startswith("  ")
    # the list changed: the verifier's conditional request gets the new one
    r = client.get("/trust-list", headers={"If-None-Match": etag})
    assert r.status_code == 200
    assert len([e for e in trust_list(client) if e.country == "VN"]) == 2
    after = make_passport(app)
    assert before.kid != after.kid
    clock.advance(days=30)
    assert verify(client, before.hc1)["status"] == "valid"  # signed before the rotation
    assert verify(client, after.hc1)["status"] == "valid"
    assert verify(client, before.shc)["status"] == "valid"
    keys = client.http.get("/.well-known/jwks.json").json["keys"]
    assert len(keys) == 2


def test_a_signer_stays_a_year_past_its_certificate_then_leaves(app, client, clock):
    passport = make_passport(app)
    old = base64.b64decode(passport.kid)
    clock.advance(days=2 * 365 + 1)  # the DSC certificate (2 years) has expired, the passport too
    assert verify(client, passport.hc1)["status"] == "expired"
    (listed,) = trust_list(client).candidates(old)  # still listed: "expired", not "unknown signer"
    jwks = client.http.get("/.well-known/jwks.json").json["keys"]
    assert public_jwk(listed.public_key)["kid"] not in [k["kid"] for k in jwks]  # signs no cards
    clock.advance(days=366)
    assert trust_list(client).candidates(old) == ()
    assert verify(client, passport.hc1)["status"] == "unknown_signer"


def test_the_issuer_jwks_is_public_and_cacheable(app, client):
    r = client.http.get("/.well-known/jwks.json")
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    (jwk,) = r.json["keys"]
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256" and jwk["alg"] == "ES256"
    assert "d" not in jwk  # public keys only
    assert "max-age" in r.headers["Cache-Control"]


def test_a_revocation_reaches_the_revocation_list(app, client, clock):
    passport = make_passport(app)
    empty = client.get("/revocation-list")
    assert revocation_list(client).hashes == frozenset()
    etag = empty.headers["ETag"]
    assert client.get("/revocation-list", headers={"If-None-Match": etag}).status_code == 304
    boss = admin(app)
    r = boss.post("/certificates/revocations", {"uvci": passport.uvci, "reason": "dose corrected"})
    assert r.status_code == 201, r.json
    assert r.json["uvci_hash"] == uvci_hash(passport.uvci)
    clock.advance(minutes=1)
    assert client.get("/revocation-list", headers={"If-None-Match": etag}).status_code == 200
    revoked = revocation_list(client)
    assert uvci_hash(passport.uvci) in revoked and revoked.issued_at == clock.at
    assert verify(client, passport.hc1)["status"] == "revoked"
    # revoking again is harmless: the first revocation stands, the list does not grow
    again = boss.post("/certificates/revocations", {"uvci": passport.uvci, "reason": "twice"})
    assert again.status_code == 201 and again.json["id"] == r.json["id"]
    assert len(revocation_list(client).hashes) == 1
    assert [x["uvci"] for x in boss.get("/certificates/revocations").json] == [passport.uvci]


def test_a_foreign_signer_imported_by_an_admin_enters_the_trust_list(app, client):
    boss = admin(app)
    _, cert = foreign_certificate("DE")
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    r = boss.post("/trusted-signers", {"certificate": pem, "country": "de"})
    assert r.status_code == 201, r.json
    der = cert.public_bytes(serialization.Encoding.DER)
    assert r.json["kid"] == base64.b64encode(hashlib.sha256(der).digest()[:8]).decode()
    assert r.json["country"] == "DE"
    entries = [e for e in trust_list(client) if e.country == "DE"]
    assert [e.certificate for e in entries] == [der]
    # the same certificate as base64 DER is the same signer: a conflict
    dup = boss.post("/trusted-signers", {"certificate": base64.b64encode(der).decode(), "country": "DE"})
    assert dup.status_code == 409 and dup.json["type"] == "/problems/signer-exists"
    assert [s["id"] for s in boss.get("/trusted-signers").json] == [r.json["id"]]
    assert boss.delete(f"/trusted-signers/{r.json['id']}").status_code == 204
    assert not [e for e in trust_list(client) if e.country == "DE"]
    assert boss.delete(f"/trusted-signers/{r.json['id']}").status_code == 404


def test_bad_signer_imports_are_problems_in_both_languages(app):
    boss = admin(app)
    r = boss.post("/trusted-signers", {"certificate": "not a certificate!", "country": "DE"})
    assert r.status_code == 422 and r.json["type"] == "/problems/signer-certificate-invalid"
    assert r.json["errors"]["certificate"]
    boss.lang = "vi"
    r = boss.post("/trusted-signers", {"certificate": base64.b64encode(b"junk").decode(), "country": "DE"})
    assert r.status_code == 422 and r.json["title"] == "Chứng thư này không dùng được làm chứng thư ký văn bản"
    _, cert = foreign_certificate("VN")
    r = boss.post("/trusted-signers", {"certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
                                       "country": "VN"})
    assert r.status_code == 422 and r.json["type"] == "/problems/own-country-signer"
    r = boss.post("/trusted-signers", {"certificate": "x", "country": "Germany"})
    assert r.status_code == 422 and "country" in r.json["errors"]
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COUNTRY_NAME, "FR")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(weak.public_key())
            .serial_number(1).not_valid_before(FIXED_NOW).not_valid_after(FIXED_NOW + dt.timedelta(days=9))
            .sign(weak, hashes.SHA256()))
    r = boss.post("/trusted-signers", {"certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
                                       "country": "FR"})
    assert r.status_code == 422 and r.json["errors"]["certificate"] == ["Khóa không được hỗ trợ."]


def test_bad_revocations_are_problems_in_both_languages(app):
    boss = admin(app)
    r = boss.post("/certificates/revocations", {"uvci": "URN:UVCI:01:VN:BYT/0A1B2C3D4E5F6789#Z",
                                                "reason": "typo"})
    assert r.status_code == 422 and r.json["type"] == "/problems/uvci-invalid"
    assert "check character" in r.json["detail"]
    boss.lang = "vi"
    r = boss.post("/certificates/revocations", {"uvci": "khong phai uvci", "reason": "x"})
    assert r.status_code == 422 and r.json["title"].startswith("Đây không phải mã định danh")
    r = boss.post("/certificates/revocations", {"uvci": "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B"})
    assert r.status_code == 422 and r.json["errors"]["reason"] == ["Thiếu dữ liệu bắt buộc."]
    # a foreign UVCI needs no check character of ours
    r = boss.post("/certificates/revocations", {"uvci": "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
                                                "reason": "reported stolen"})
    assert r.status_code == 201


def test_only_national_admins_revoke_or_import(app, citizen):
    officer = staff_client(app, "0901000098", "checkpoint_officer", None)
    for c in (citizen, officer):
        assert c.post("/certificates/revocations", {"uvci": "x", "reason": "y"}).status_code == 403
        assert c.post("/trusted-signers", {"certificate": "x", "country": "DE"}).status_code == 403
