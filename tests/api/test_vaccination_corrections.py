"""Corrections with evidence, the history of every change, backfills that need a second approver."""
from __future__ import annotations

import base64
from datetime import date, timedelta

from api.vaccination.models import CorrectionRequest, DoseRecord
from tests.api.test_auth import problem
from tests.api.test_vaccination_support import (TODAY, citizen_of, count, give, given_dose, lot, open_session,
                                                person, png, png_b64, ready_visit, snapshot, staff)


def _dosed(app):
    """A Hà Nội resident with a site dose, signed in to the app."""
    open_session(app, "HN-HK")
    site = staff(app, "site_staff", "HN-HK")
    who = person(app)
    dose = give(site, ready_visit(app, site, who), lot(app, "HN-HK", number="FK0001")).json
    return who, citizen_of(app, who["id"]), dose


def test_a_dose_correction_from_request_to_history(app):
    who, me, dose = _dosed(app)
    body = {"kind": "dose", "dose_record_id": dose["id"], "changes": {"lot_number": "FK0010"},
            "reason": "The card says FK0010", "evidence_base64": [png_b64()]}
    r = me.post(f"/people/{who['id']}/corrections", body)
    assert r.status_code == 201, r.json
    req = r.json
    assert req["status"] == "pending" and req["before"] == {"lot_number": "FK0001"}
    assert len(req["evidence"]) == 1 and len(req["evidence"][0]["sha256"]) == 64
    problem(me.post(f"/people/{who['id']}/corrections", body), 409, "correction-state")  # one pending at a time
    photo = me.get(f"/corrections/{req['id']}/evidence/{req['evidence'][0]['sha256']}")
    assert photo.status_code == 200 and photo.mimetype == "image/png" and photo.data == png()

    hcm = staff(app, "department_staff", "P79")
    before = snapshot(app)
    problem(hcm.post(f"/corrections/{req['id']}/approve", {}), 403, "out-of-scope")
    assert snapshot(app) == before and count(app, DoseRecord, id=dose["id"], lot_number="FK0001") == 1
    problem(hcm.get(f"/corrections/{req['id']}"), 403, "out-of-scope")

    dept = staff(app, "department_staff", "P01")
    assert [c["id"] for c in dept.get("/corrections").json] == [req["id"]]
    assert hcm.get("/corrections").json == []
    r = dept.post(f"/corrections/{req['id']}/approve", {"note": "matches the paper card"})
    assert r.status_code == 200 and r.json["status"] == "approved"
    assert r.json["applied"]["before"]["lot_number"] == "FK0001" and r.json["applied"]["after"]["lot_number"] == "FK0010"
    problem(dept.post(f"/corrections/{req['id']}/reject", {}), 409, "correction-state")

    history = me.get(f"/people/{who['id']}/doses/{dose['id']}/history").json
    assert history["dose"]["status"] == "corrected" and history["dose"]["version"] == 2
    assert history["dose"]["lot_number"] == "FK0010" and history["dose"]["lot_id"] is None  # not a lot we hold
    assert [(c["change"], c["before"]["lot_number"], c["after"]["lot_number"]) for c in history["changes"]] == [
        ("corrected", "FK0001", "FK0010")]
    assert dept.get(f"/doses/{dose['id']}/history").json == history  # auditors see the same (audited)
    assert me.get(f"/people/{who['id']}/doses").json["series_status"] == "yellow"  # a corrected dose counts
    assert [c["status"] for c in me.get(f"/people/{who['id']}/corrections").json] == ["approved"]

    # evidence must be a photo of at most 5 MB; the camera screen sends multipart
    base = {"kind": "dose", "dose_record_id": dose["id"], "changes": {"void": True}, "reason": "Never had it"}
    problem(me.post(f"/people/{who['id']}/corrections", base), 422)  # no photo
    problem(me.post(f"/people/{who['id']}/corrections",
                    base | {"evidence_base64": [base64.b64encode(b"%PDF-1.4 not a photo").decode()]}),
            422, "evidence-invalid")
    problem(me.post(f"/people/{who['id']}/corrections", base | {"evidence_base64": ["***"]}), 422)
    big = b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024)
    problem(me.post(f"/people/{who['id']}/corrections", base | {"evidence_base64": [base64.b64encode(big).decode()]}),
            413, "evidence-too-large")
    assert count(app, CorrectionRequest) == 1
    # multipart, as the camera screen sends it
    import io
    import json

    r = me.http.post(f"/api/v1/people/{who['id']}/corrections", headers={"X-CSRF-Token": me.csrf},
                     data={"payload": json.dumps(base), "evidence": (io.BytesIO(png()), "card.png")},
                     content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    assert dept.post(f"/corrections/{r.json['id']}/approve", {}).status_code == 200
    doses = me.get(f"/people/{who['id']}/doses").json
    assert doses["series_status"] == "none" and doses["doses"][0]["status"] == "voided"


def test_personal_data_correction(app):
    who, me, _ = _dosed(app)
    other = citizen_of(app, person(app, name="Người Khác")["id"])
    body = {"kind": "person", "changes": {"full_name": "Phạm Thị Hòa"}, "reason": "Accent on my ID card",
            "evidence_base64": [png_b64()]}
    problem(other.post(f"/people/{who['id']}/corrections", body), 403, "not-guardian")
    problem(me.post(f"/people/{who['id']}/corrections", body | {"changes": {"phone": "0900000000"}}), 422)
    req = me.post(f"/people/{who['id']}/corrections", body).json
    site = staff(app, "site_staff", "HN-BD")  # any site of the person's province may decide
    r = site.post(f"/corrections/{req['id']}/approve", {})
    assert r.status_code == 200 and r.json["applied"] == {"before": {"full_name": "Phạm Thị Hoa"},
                                                         "after": {"full_name": "Phạm Thị Hòa"}}
    assert "person.update" in {e["action"] for e in me.get(f"/people/{who['id']}/audit").json}


def test_a_backfilled_dose_counts_after_a_second_approver_and_renumbers(app):
    who, me, dose = _dosed(app)  # today's dose is number 1 for now
    a = staff(app, "site_staff", "HN-HK")
    b = staff(app, "department_staff", "P01")
    hcm = staff(app, "site_staff", "HCM-SG")
    body = {"person_id": who["id"], "product_code": "astrazeneca", "administered_on": "2021-09-01",
            "lot_number": "ABV5301", "site_name": "Trạm Y tế phường Cửa Nam (2021)"}
    problem(hcm.post("/dose-backfills", body), 403, "out-of-scope")
    problem(a.post("/dose-backfills", body | {"administered_on": "2020-01-01"}), 422)  # before AstraZeneca was used
    problem(a.post("/dose-backfills", body | {"administered_on": str(TODAY + timedelta(days=1))}), 422)
    r = a.post("/dose-backfills", body)
    assert r.status_code == 201 and r.json["status"] == "pending_approval" and r.json["source"] == "backfill"
    backfill = r.json["id"]
    problem(a.post("/dose-backfills", body), 409, "dose-already-recorded")
    mine = me.get(f"/people/{who['id']}/doses").json
    assert mine["counted_doses"] == 1 and {d["status"] for d in mine["doses"]} == {"valid", "pending_approval"}

    problem(a.post(f"/doses/{backfill}/approve", {}), 403, "second-person-required")
    assert [d["id"] for d in b.get("/dose-backfills").json] == [backfill]
    r = b.post(f"/doses/{backfill}/approve", {"note": "paper card seen"})
    assert r.status_code == 200 and r.json["status"] == "valid" and r.json["approved_by"] == b.account_id
    problem(b.post(f"/doses/{backfill}/approve", {}), 409, "dose-state")
    mine = me.get(f"/people/{who['id']}/doses").json
    numbers = {d["id"]: (d["dose_number"], d["series"]) for d in mine["doses"]}
    assert numbers == {backfill: (1, "primary"), dose["id"]: (2, "primary")} and mine["series_status"] == "green"
    changes = me.get(f"/people/{who['id']}/doses/{dose['id']}/history").json["changes"]
    assert [(c["change"], c["before"]["dose_number"], c["after"]["dose_number"]) for c in changes] == [
        ("renumbered", 1, 2)]

    # a rejected backfill never counts
    who = person(app, name="Người Khác")
    given_dose(app, who, on=date(2022, 1, 10))
    b = staff(app, "site_staff", "HN-BD")
    backfill = a.post("/dose-backfills", {"person_id": who["id"], "product_code": "pfizer-biontech",
                                          "administered_on": "2021-12-01"}).json["id"]
    r = b.post(f"/doses/{backfill}/reject", {"note": "no card"})
    assert r.json["status"] == "voided" and r.json["void_reason"] == "no card"
    assert count(app, DoseRecord, person_id=who["id"], status="valid") == 1
    problem(staff(app, "site_staff", "DN-HC").post(f"/doses/{backfill}/approve", {}), 403, "out-of-scope")


def test_backfill_field_messages_have_a_code_and_follow_accept_language(app):
    who = person(app)
    a = staff(app, "site_staff", "HN-HK")
    body = {"person_id": who["id"], "product_code": "astrazeneca", "administered_on": "2020-01-01"}
    a.lang = "vi"
    vi = problem(a.post("/dose-backfills", body), 422, "validation-failed")
    assert vi["errors"] == {"administered_on": ["Trước ngày vắc xin này được đưa vào sử dụng."]}
    assert [(r["field"], r["code"]) for r in vi["reasons"]] == [("administered_on", "before_product_in_use")]
    a.lang = "en"
    en = problem(a.post("/dose-backfills", body | {"product_code": "vaccine-x"}), 422, "validation-failed")
    assert en["errors"] == {"product_code": ["Unknown product code."]}
    assert [r["code"] for r in en["reasons"]] == ["product_unknown"]
