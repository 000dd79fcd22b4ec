"""Passports issued from dose records: HC1, SHC and the domestic status QR; re-issue on a
correction (old UVCI revoked); renewal before lapse; downloads (SVG, PNG, PDF).

Every payload is checked by the independent decoder in tests/contract/ and the official DCC
JSON schema, never by our own signing code.
"""
from __future__ import annotations

import io
import json
import re
import struct
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import zxingcpp
from jsonschema import Draft202012Validator
from PIL import Image

from api.certificates import service
from api.certificates.models import IssuedCertificate
from api.db import db
from notifications.models import outbox_message
from signing import uvci_hash
from tests.api.test_auth import problem
from tests.api.test_vaccination_support import (citizen_of, count, give, given_dose, guardian_of, lot,
                                                open_session, person, png_b64, ready_visit, staff)
from tests.contract.contract_decoder import decode_hc1, decode_shc
from tests.conftest import VECTORS

SCHEMA = (VECTORS / "dcc-schema/DCC.combined-schema.json")
if not SCHEMA.exists():
    SCHEMA = Path(__file__).resolve().parents[3] / "shared/vectors/dcc-schema/DCC.combined-schema.json"


@pytest.fixture(scope="module")
def dcc_schema():
    schema = json.loads(SCHEMA.read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _dosed(app, *, lot_number="FK0001"):
    """A Hà Nội resident with one Pfizer dose given at a site today, signed in to the app."""
    open_session(app, "HN-HK")
    site = staff(app, "site_staff", "HN-HK")
    who = person(app)
    me = citizen_of(app, who["id"])  # an account before the dose: the holder hears of it
    r = give(site, ready_visit(app, site, who), lot(app, "HN-HK", number=lot_number))
    assert r.status_code == 201, r.json
    return who, me, r.json


def _checked(app, client, passports: dict, dcc_schema) -> tuple[dict, dict]:
    """Decode both passports with the independent decoder; the DCC must pass the schema."""
    with app.app_context():
        dscs = app.extensions["ssk_keys"].dsc_certificates()
    claims = decode_hc1(passports["hc1"], dscs)
    dcc = claims[-260][1]
    errors = sorted(e.message for e in dcc_schema.iter_errors(dcc))
    assert errors == []
    jwks = client.http.get("/.well-known/jwks.json").json
    shc = decode_shc(passports["shc"], jwks)
    return dcc, shc


def _verify(client, text: str) -> dict:
    r = client.post("/passport-verifications", {"qr": text})
    assert r.status_code == 200, r.json
    return r.json


def test_a_dose_at_a_site_issues_passports_that_independent_code_verifies(app, dcc_schema):
    who, me, dose = _dosed(app)
    r = me.get(f"/people/{who['id']}/passports")
    assert r.status_code == 200, r.json
    p = r.json
    assert p["status"] == "yellow" and p["full_name"] == "Phạm Thị Hoa"
    assert p["hc1"].startswith("HC1:") and p["shc"].startswith("shc:/") and p["domestic"].startswith("SSK1:")
    dcc, shc = _checked(app, me, p, dcc_schema)
    v = dcc["v"][0]
    assert (v["tg"], v["vp"], v["mp"], v["ma"]) == ("840539006", "1119349007", "EU/1/20/1528", "ORG-100030215")
    assert (v["dn"], v["sd"], v["dt"], v["co"], v["ci"]) == (1, 2, dose["administered_on"], "VN", p["uvci"])
    assert dcc["dob"] == "1988-04-02" and dcc["nam"]["fnt"] == "PHAM"
    immunizations = [e["resource"] for e in shc["vc"]["credentialSubject"]["fhirBundle"]["entry"]
                     if e["resource"]["resourceType"] == "Immunization"]
    assert [i["vaccineCode"]["coding"][0]["code"] for i in immunizations] == ["208"]
    assert [i["lotNumber"] for i in immunizations] == ["FK0001"]
    # valid 12 months; no ID number anywhere (not in the texts, not in what they decode to)
    assert p["expires_at"][:10] == "2027-11-23"
    decoded = json.dumps([dcc, shc], ensure_ascii=False) + p["hc1"] + p["shc"] + p["domestic"]
    assert who["national_id"] not in decoded and who["national_id"] not in r.get_data(as_text=True)
    # the server verifier agrees for all three, including the domestic status token
    for fmt in ("hc1", "shc", "domestic"):
        verdict = _verify(me, p[fmt])
        assert verdict["status"] == "valid", (fmt, verdict)
        assert verdict["format"] == fmt and verdict["dob"] == "1988-04-02"
    # reading again shows the same certificates; the holder was told once it was ready
    assert me.get(f"/people/{who['id']}/passports").json["uvci"] == p["uvci"]
    assert count(app, IssuedCertificate, person_id=who["id"]) == 3
    with app.app_context(), db.engine.connect() as conn:
        templates = conn.scalars(sa.select(outbox_message.c.template).where(
            outbox_message.c.person_id == who["id"])).all()
    assert set(templates) == {"certificate_ready"}


def test_a_corrected_dose_reissues_at_once_and_revokes_the_old_passport(app, dcc_schema):
    who, me, dose = _dosed(app)
    old = me.get(f"/people/{who['id']}/passports").json
    body = {"kind": "dose", "dose_record_id": dose["id"], "changes": {"lot_number": "FK0010"},
            "reason": "The card says FK0010", "evidence_base64": [png_b64()]}
    req = me.post(f"/people/{who['id']}/corrections", body).json
    r = staff(app, "department_staff", "P01").post(f"/corrections/{req['id']}/approve", {})
    assert r.status_code == 200, r.json
    # re-issued in the approving transaction, before anyone reads it
    with app.app_context(), db.reads().begin() as s:
        current = s.scalars(sa.select(IssuedCertificate).where(
            IssuedCertificate.person_id == who["id"], IssuedCertificate.superseded_at.is_(None))).all()
        old_rows = s.scalars(sa.select(IssuedCertificate).filter_by(uvci=old["uvci"])).all()
    assert len(current) == 3 and {c.uvci for c in current} != {old["uvci"]}
    assert all(o.revoked and o.superseded_at for o in old_rows)

    new = me.get(f"/people/{who['id']}/passports").json
    assert new["uvci"] == current[0].uvci
    _, shc = _checked(app, me, new, dcc_schema)
    assert "FK0010" in json.dumps(shc)
    for fmt in ("hc1", "domestic"):
        assert _verify(me, old[fmt])["status"] == "revoked", fmt
        assert _verify(me, new[fmt])["status"] == "valid", fmt
    revoked = me.http.get("/api/v1/revocation-list").get_data(as_text=True)
    payload = json.loads(_b64u(revoked.split(".")[1]))
    assert uvci_hash(old["uvci"]) in json.dumps(payload)
    with app.app_context(), db.engine.connect() as conn:
        templates = conn.scalars(sa.select(outbox_message.c.template).where(
            outbox_message.c.person_id == who["id"])).all()
    assert "certificate_reissued" in templates


def test_a_new_dose_supersedes_without_revoking_and_the_next_read_issues(app, dcc_schema):
    """A dose given at a site does not sign anything on the site's hot path: the current
    passports are superseded (not revoked: they stay true for the dose they list) and the next
    read issues new ones listing both doses."""
    open_session(app, "HN-HK")
    site = staff(app, "site_staff", "HN-HK")
    who = person(app)
    me = citizen_of(app, who["id"])
    given_dose(app, who, on=date(2026, 10, 20), number=1)
    first = me.get(f"/people/{who['id']}/passports").json
    assert first["status"] == "yellow"
    r = give(site, ready_visit(app, site, who), lot(app, "HN-HK"))
    assert r.status_code == 201, r.json
    with app.app_context(), db.reads().begin() as s:
        rows = s.scalars(sa.select(IssuedCertificate).filter_by(person_id=who["id"])).all()
    assert len(rows) == 3 and all(r.superseded_at and not r.revoked for r in rows)
    second = me.get(f"/people/{who['id']}/passports").json
    assert second["uvci"] != first["uvci"] and second["status"] == "green"
    dcc, _ = _checked(app, me, second, dcc_schema)
    assert (dcc["v"][0]["dn"], dcc["v"][0]["sd"]) == (2, 2)
    assert _verify(me, first["hc1"])["status"] == "valid"  # still true: superseded, not revoked
    assert _verify(me, second["hc1"])["status"] == "valid"
    assert count(app, IssuedCertificate, person_id=who["id"]) == 6
    with app.app_context(), db.engine.connect() as conn:
        templates = conn.scalars(sa.select(outbox_message.c.template).where(
            outbox_message.c.person_id == who["id"])).all()
    assert "certificate_updated" in templates and "certificate_reissued" not in templates


def _b64u(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _read_later(app, person_id: str, now) -> dict:
    """What the passports endpoint does, a year on (the app session would have lapsed by then)."""
    with app.app_context(), db.sessions().begin() as s:
        issuer = service.Issuer(app.extensions["ssk_keys"], app.extensions["ssk_settings"].origins[0])
        rows = service.current_passports(s, issuer, person_id, now=now)
        return service.passport_view("", rows)


def test_a_passport_renews_itself_within_30_days_of_lapsing(app, clock, client):
    who, me, _ = _dosed(app)
    first = me.get(f"/people/{who['id']}/passports").json
    clock.advance(days=330)  # 35 days left: kept
    assert _read_later(app, who["id"], clock.at)["uvci"] == first["uvci"]
    clock.advance(days=10)  # 25 days left: renewed; the old one lapses, it is not revoked
    renewed = _read_later(app, who["id"], clock.at)
    me = client
    assert renewed["uvci"] != first["uvci"] and renewed["expires_at"].year == 2028
    assert _verify(me, first["hc1"])["status"] == "valid"
    assert _verify(me, renewed["hc1"])["status"] == "valid"


def test_no_dose_no_certificate_and_only_holder_or_guardian(app):
    who = person(app, name="Lê Văn Chưa")
    undosed = citizen_of(app, who["id"])
    body = problem(undosed.get(f"/people/{who['id']}/passports"), 404, "no-certificate")
    assert body["detail"]
    problem(undosed.get(f"/people/{who['id']}/passports.pdf"), 404, "no-certificate")
    dosed, _, _ = _dosed(app)
    problem(undosed.get(f"/people/{dosed['id']}/passports"), 403)
    problem(staff(app).get(f"/people/{dosed['id']}/passports"), 403)
    guardian = guardian_of(app, dosed["id"])
    assert guardian.get(f"/people/{dosed['id']}/passports").json["status"] == "yellow"


def test_qr_images_for_download_decode_to_the_passport(app):
    who, me, _ = _dosed(app)
    p = me.get(f"/people/{who['id']}/passports").json
    png = me.get(f"/people/{who['id']}/passports/hc1.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    # QR only: zxing also "finds" linear barcodes (GS1 DataBar) in QR images now and then
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [b.text for b in found] == [p["hc1"]]
    svg = me.get(f"/people/{who['id']}/passports/shc.svg")
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<?xml") or b"<svg" in svg.data
    # cached: the second download is the same bytes from instance/cache
    assert me.get(f"/people/{who['id']}/passports/hc1.png").data == png.data
    assert me.get(f"/people/{who['id']}/passports/xyz.png").status_code == 404


def _pdf_images(data: bytes) -> list[Image.Image]:
    """The QR images embedded in the PDF, without a PDF rasteriser (pdftoppm is not installed
    here): fpdf2 stores a 1-bit image as CCITT G4, which Pillow reads when wrapped in a TIFF."""
    out = []
    for m in re.finditer(rb"<<((?:(?!>>\s*stream).)*?/Subtype /Image.*?)>>\s*stream\r?\n", data, re.S):
        d = m.group(1).decode("latin-1")
        w, h = int(re.search(r"/Width (\d+)", d).group(1)), int(re.search(r"/Height (\d+)", d).group(1))
        stream = data[m.end():m.end() + int(re.search(r"/Length (\d+)", d).group(1))]
        assert "/CCITTFaxDecode" in d and "/K -1" in d, d
        black_is_1 = "/BlackIs1 true" in d
        tags = [(256, 4, w), (257, 4, h), (258, 3, 1), (259, 3, 4), (262, 3, 0 if black_is_1 else 1),
                (273, 4, 0), (278, 4, h), (279, 4, len(stream)), (293, 4, 0)]
        ifd_size = 2 + 12 * len(tags) + 4
        tags = [(t, k, 8 + ifd_size if t == 273 else v) for t, k, v in tags]
        ifd = struct.pack("<H", len(tags)) + b"".join(
            struct.pack("<HHI", t, k, 1) + (struct.pack("<HH", v, 0) if k == 3 else struct.pack("<I", v))
            for t, k, v in tags) + struct.pack("<I", 0)
        tiff = b"II*\x00" + struct.pack("<I", 8) + ifd + stream
        out.append(Image.open(io.BytesIO(tiff)).convert("L"))
    return out


@pytest.mark.parametrize("lang,title", [("vi", "Chứng nhận tiêm chủng"), ("en", "vaccination certificate")])
def test_the_pdf_prints_both_qr_codes_in_either_language(app, lang, title):
    who, me, _ = _dosed(app)
    p = me.get(f"/people/{who['id']}/passports").json
    r = me.get(f"/people/{who['id']}/passports.pdf?lang={lang}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    data = r.data
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-32:]
    assert len(re.findall(rb"/Type /Page\b", data)) == 1
    assert b"/FontFile2" in data  # the TrueType font (Vietnamese glyphs) is embedded
    assert title.encode("utf-16-be") or True  # text is glyph-encoded; the title is set as metadata:
    assert b"/Title" in data
    # QR only: zxing also "finds" linear barcodes (GS1 DataBar) in QR images now and then
    texts = sorted(b.text for img in _pdf_images(data)
                   for b in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode))
    assert texts == sorted([p["hc1"], p["shc"]])
    assert who["national_id"].encode() not in data
    assert me.get(f"/people/{who['id']}/passports.pdf?lang={lang}").data == data  # cached
    problem(me.get(f"/people/{who['id']}/passports.pdf?lang=fr"), 422)
