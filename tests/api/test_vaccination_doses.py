"""Check-in, screening, the dose record and its invariants, what the citizen sees, authorization.

Every refused dose is a problem+json and leaves stock and records as they were (`snapshot`).
"""
from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import pytest

from api.booking.models import Booking, Slot
from api.vaccination.models import DoseRecord, Visit
from tests.api.test_auth import problem
from tests.api.test_vaccination_support import (TODAY, balance, booking_for, check_in, citizen_of, count, give,
                                                given_dose, guardian_of, ledger_sum, lot, open_session, person,
                                                ready_visit, screen, snapshot, staff, unit_id)


@pytest.fixture
def site(app):
    """HN-HK with a session open today and a site staff member."""
    open_session(app, "HN-HK")
    return staff(app, "site_staff", "HN-HK")


def test_a_dose_from_check_in_to_the_citizens_phone(app, site, citizen):
    lot_id = lot(app, "HN-HK", doses=5)
    token = citizen.get(f"/people/{citizen.person['id']}/qr").json["token"]
    r = site.post("/visits", {"site_id": unit_id(app, "HN-HK"), "qr": token})
    assert r.status_code == 201, r.json
    visit = r.json
    assert visit["walk_in"] is True and visit["booking"]["status"] == "confirmed"
    assert visit["person"]["full_name"] == "Nguyễn Văn An" and visit["doses"] == []
    pfizer = next(o for o in visit["next_doses"] if o["product_code"] == "pfizer-biontech")
    assert pfizer["eligible"] and pfizer["dose_number"] == 1
    # checking the same person in again (another tablet, a resend) is the same visit
    again = site.post("/visits", {"site_id": unit_id(app, "HN-HK"), "national_id": "001090012345"})
    assert again.status_code == 200 and again.json["id"] == visit["id"]

    assert screen(site, visit["id"]).json["outcome"] == "vaccinate_now"
    r = give(site, visit["id"], lot_id, product_code="pfizer-biontech")
    assert r.status_code == 201, r.json
    dose = r.json
    assert dose["dose_number"] == 1 and dose["series"] == "primary" and dose["status"] == "valid"
    assert dose["source"] == "site" and dose["vaccinator_account_id"] == site.account_id
    assert dose["unit_id"] == unit_id(app, "HN-HK") and dose["province_code"] == 1
    assert balance(app, "HN-HK", lot_id) == 4 == ledger_sum(app, "HN-HK", lot_id)
    assert count(app, Booking, id=visit["booking"]["id"], status="attended") == 1

    mine = citizen.get(f"/people/{citizen.person['id']}/doses").json
    assert mine["series_status"] == "yellow" and [d["id"] for d in mine["doses"]] == [dose["id"]]
    assert mine["doses"][0]["product_name_en"].startswith("Pfizer")
    assert site.get(f"/visits/{visit['id']}").json["status"] == "observing"
    # the check-in look-ups and the visit read are in the citizen's audit log
    actions = {e["action"] for e in citizen.get(f"/people/{citizen.person['id']}/audit").json}
    assert {"person.lookup", "visit.read", "visit.screen"} <= actions


def test_resending_the_same_key_returns_the_first_record_and_takes_one_dose(app, site):
    who = person(app)
    lot_id = lot(app, "HN-HK", doses=3)
    visit = ready_visit(app, site, who)
    key = str(uuid.uuid4())
    first = give(site, visit, lot_id, key)
    assert first.status_code == 201
    second = give(site, visit, lot_id, key)
    assert second.status_code == 200 and second.json["id"] == first.json["id"]
    assert count(app, DoseRecord, person_id=who["id"]) == 1 and balance(app, "HN-HK", lot_id) == 2
    # the same key for something else is a client bug, not a replay
    problem(give(site, visit, lot(app, "HN-HK"), key), 422, "idempotency-key-reused")
    # a second submission with a new key is a duplicate, refused
    before = snapshot(app)
    problem(give(site, visit, lot_id), 409, "dose-already-recorded")
    assert snapshot(app) == before
    _an_offline_record_keeps_the_time_it_was_given(app, site, app.extensions["ssk_clock"])


def test_a_lot_that_cannot_be_used_here_changes_nothing(app, site):
    cases = [
        (lot(app, "HN-HK", expires_on=TODAY - timedelta(days=1)), {}, 409, "lot-expired"),
        (_emptied(app, site), {}, 409, "out-of-stock"),
        (lot(app, "HN-BD"), {}, 409, "lot-not-at-site"),
        (lot(app, "HN-HK", quarantined=True), {}, 409, "lot-quarantined"),
        (str(uuid.uuid4()), {}, 404, "not-found"),
        (lot(app, "HN-HK", product="moderna"), {"product_code": "pfizer-biontech"}, 422, "validation-failed"),
    ]
    visit = ready_visit(app, site, person(app))
    before = snapshot(app)
    for lot_id, extra, status, slug in cases:
        problem(give(site, visit, lot_id, **extra), status, slug)
    assert snapshot(app) == before
    assert site.get(f"/visits/{visit}").json["status"] == "screened"  # the visit can still get its dose


def _emptied(app, site) -> str:
    lot_id = lot(app, "HN-HK", doses=1)
    assert give(site, ready_visit(app, site, person(app, name="Người Trước")), lot_id).status_code == 201
    return lot_id


def test_screening_must_clear_the_person_at_this_visit_as_the_checklist_requires(app, site):
    lot_id = lot(app, "HN-HK")
    who = person(app)
    visit = check_in(site, who).json["id"]
    before = snapshot(app)
    problem(give(site, visit, lot_id), 409, "screening-required")
    r = screen(site, visit, "postpone", vitals={"temperature_c": 38.2})
    assert r.status_code == 201 and r.json["postpone_until"] == str(TODAY + timedelta(days=1))
    assert r.json["reasons"] == ["fever"]
    assert problem(give(site, visit, lot_id), 409, "screening-not-cleared")["screening_outcome"] == "postpone"
    assert snapshot(app) == before
    # a fever cannot be screened 'vaccinate_now'; after rest and a new measurement it can
    body = problem(screen(site, visit, vitals={"temperature_c": 37.9}), 422, "screening-inconsistent")
    assert body["required_outcome"] == "postpone" and body["errors"]["outcome"]
    assert screen(site, visit, vitals={"temperature_c": 37.1}).status_code == 201
    assert give(site, visit, lot_id).status_code == 201

    # the checklist's other outcomes
    visit = check_in(site, person(app, name="Người Sau")).json["id"]
    problem(screen(site, visit, answers={"anaphylaxis_previous_dose": True}), 422, "screening-inconsistent")
    r = screen(site, visit, "refer_to_hospital", answers={"anaphylaxis_previous_dose": True, "allergy_other": True})
    assert r.json["computed_outcome"] == "refer_to_hospital" and r.json["cautions"] == ["allergy_other"]
    r = screen(site, visit, "postpone", answers={"covid19_recent": True}, covid19_on=str(TODAY - timedelta(days=30)))
    assert r.json["postpone_until"] == str(TODAY + timedelta(days=60))
    # a doctor may be more cautious than the checklist
    assert screen(site, visit, "postpone", postpone_until=str(TODAY + timedelta(days=7))).status_code == 201
    problem(screen(site, visit, answers={"no_such_item": True}), 422)
    items = site.get("/screening-checklist").json
    assert {"anaphylaxis_previous_dose", "pregnant_under_13_weeks"} <= {i["code"] for i in items["items"]}
    assert "fever" in {v["code"] for v in items["vitals"]}


def test_the_rules_engine_decides_the_dose_number_interval_and_mixing(app, site, clock):
    who = person(app)
    given_dose(app, who, on=TODAY - timedelta(days=10))
    lot_id = lot(app, "HN-HK")
    # the walk-in is refused a seat: the engine says too early, and from when
    body = problem(check_in(site, who), 422, "dose-not-allowed")
    assert body["reason"] == "too-early" and body["eligible_from"] == str(TODAY + timedelta(days=11))
    # with a booking made earlier (or a visit opened anyway), the dose itself is refused too
    visit = _visit_without_seat(app, site, who)
    before = snapshot(app)
    body = problem(give(site, visit, lot_id), 422, "dose-not-allowed")
    assert body["reason"] == "too-early" and body["dose_number"] == 2
    assert snapshot(app) == before
    _dose_two_is_numbered_from_the_history_and_mixing_follows_the_rules(app, site)


def _visit_without_seat(app, site, who) -> str:
    """A visit for a booked person (booking seats are booking's business: made directly here)."""
    from api.db import db, new_id
    from tests.conftest import FIXED_NOW

    with app.app_context(), db.sessions().begin() as s:
        v = Visit(id=new_id(), person_id=who["id"], site_id=unit_id(app, "HN-HK"), province_code=1, day=TODAY,
                  check_in_method="national_id", status="checked_in", checked_in_by=site.account_id,
                  checked_in_at=FIXED_NOW, reactions=[], updated_at=FIXED_NOW)
        s.add(v)
        vid = v.id
    assert screen(site, vid).status_code == 201
    return vid


def _dose_two_is_numbered_from_the_history_and_mixing_follows_the_rules(app, site):
    who = person(app, name="Vũ Thị Lan")
    given_dose(app, who, on=TODAY - timedelta(days=30), product="astrazeneca")
    r = give(site, ready_visit(app, site, who), lot(app, "HN-HK"))  # Pfizer after AstraZeneca: allowed
    assert r.status_code == 201 and r.json["dose_number"] == 2
    other = person(app, name="Đỗ Văn Nam", dob=date(1979, 1, 1), sex="M")
    given_dose(app, other, on=TODAY - timedelta(days=30), product="sinopharm-verocell")
    visit = _visit_without_seat(app, site, other)
    assert problem(give(site, visit, lot(app, "HN-HK")), 422, "dose-not-allowed")["reason"] == "product-not-allowed"


def test_check_in_walk_ins_need_a_session_with_room_and_the_card_must_match(app):
    site = staff(app, "site_staff", "HN-HK")
    problem(check_in(site, person(app)), 409, "no-open-session")
    session_id = open_session(app, "HN-HK", capacity=1)
    assert check_in(site, person(app, name="Người Một")).status_code == 201
    problem(check_in(site, person(app, name="Người Hai")), 409, "slot-full")
    assert count(app, Slot, session_id=session_id, booked=1) == 1
    roomy = open_session(app, "HN-HK")
    # by the chip ID card's QR: the card's birth date must match the record
    who = person(app, dob=date(1988, 4, 2))
    text = f"{who['national_id']}|123456789|{who['full_name']}|02041988|Nữ|Hà Nội|01012022"
    assert site.post("/visits", {"site_id": unit_id(app, "HN-HK"), "cccd_text": text}).status_code == 201
    other = person(app, name="Trần Văn Tú", dob=date(1970, 3, 3), sex="M")
    wrong = f"{other['national_id']}|123456789|Trần Văn Tú|03031971|Nam|Hà Nội|01012022"
    problem(site.post("/visits", {"site_id": unit_id(app, "HN-HK"), "cccd_text": wrong}), 409, "cccd-mismatch")
    problem(site.post("/visits", {"site_id": unit_id(app, "HN-HK"), "cccd_text": "nonsense"}), 422, "cccd-qr-invalid")
    problem(site.post("/visits", {"site_id": unit_id(app, "HN-HK")}), 422)
    # a person with a booking today uses it (no second seat) and the dose marks it attended
    booked = person(app, name="Người Đặt Lịch")
    booking_id = booking_for(app, booked, roomy)
    visit = check_in(site, booked).json
    assert visit["walk_in"] is False and visit["booking"]["id"] == booking_id
    assert screen(site, visit["id"]).status_code == 201
    assert give(site, visit["id"], lot(app, "HN-HK")).status_code == 201
    assert count(app, Booking, id=booking_id, status="attended") == 1
    assert count(app, Slot, session_id=roomy, booked=2) == 1  # the card holder's walk-in seat and this booking


def test_who_may_record_and_see_doses(app, site, citizen, other_citizen):
    lot_id = lot(app, "HN-HK")
    visit = ready_visit(app, site, {"national_id": "001090012345"})
    hcm = staff(app, "site_staff", "HCM-SG")
    problem(give(citizen, visit, lot_id), 403, "forbidden")  # citizens record nothing
    problem(give(hcm, visit, lot_id), 403, "unit-out-of-scope")  # another site's staff
    problem(check_in(hcm, {"national_id": "001090012345"}, "HN-HK"), 403, "unit-out-of-scope")
    problem(check_in(site, {"national_id": "079185001234"}), 403, "out-of-scope")  # an HCM resident
    dose = give(site, visit, lot_id).json
    problem(other_citizen.get(f"/people/{citizen.person['id']}/doses"), 403, "not-guardian")
    problem(other_citizen.get(f"/people/{citizen.person['id']}/doses/{dose['id']}/history"), 403, "not-guardian")
    assert citizen.get(f"/people/{citizen.person['id']}/doses/{dose['id']}/history").json["changes"] == []
    # a guardian sees a dependant's doses, a stranger does not
    child = person(app, name="Nguyễn Bảo Anh", dob=date(2012, 5, 5))  # 14 years old: Pfizer from 12
    parent = guardian_of(app, child["id"])
    stranger = citizen_of(app, person(app, name="Người Lạ")["id"])
    assert give(site, ready_visit(app, site, child), lot(app, "HN-HK")).status_code == 201
    assert len(parent.get(f"/people/{child['id']}/doses").json["doses"]) == 1
    problem(stranger.get(f"/people/{child['id']}/doses"), 403, "not-guardian")


def test_two_tablets_racing_for_the_last_dose_and_for_one_key(app):
    """Exactly one records the dose; the other gets a 409 problem; the balance ends at 0, not -1."""
    open_session(app, "HN-HK")
    tablets = [staff(app, "site_staff", "HN-HK") for _ in range(2)]
    for round_ in range(3):
        lot_id = lot(app, "HN-HK", doses=1)
        visits = [ready_visit(app, t, person(app, name=f"Người {round_}-{i}")) for i, t in enumerate(tablets)]
        barrier, answers = threading.Barrier(2), [None, None]

        def tablet(i):
            barrier.wait()
            answers[i] = give(tablets[i], visits[i], lot_id)

        threads = [threading.Thread(target=tablet, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(a.status_code for a in answers)
        assert codes == [201, 409], [a.json for a in answers]
        loser = next(a for a in answers if a.status_code == 409)
        assert loser.json["type"] == "/problems/out-of-stock"
        assert balance(app, "HN-HK", lot_id) == 0 == ledger_sum(app, "HN-HK", lot_id)
        assert count(app, DoseRecord, lot_id=lot_id) == 1
        loser_visit = visits[answers.index(loser)]
        assert tablets[0].get(f"/visits/{loser_visit}").json["status"] == "screened"  # pick another lot

    # the same key from two tablets at once (a queued record synced twice) is one record
    site, other = tablets
    lot_id = lot(app, "HN-HK", doses=5)
    visit = ready_visit(app, site, person(app, name="Người Đồng Bộ"))
    key, barrier, answers = str(uuid.uuid4()), threading.Barrier(2), [None, None]

    def send(i, client):
        barrier.wait()
        answers[i] = give(client, visit, lot_id, key)

    threads = [threading.Thread(target=send, args=(i, c)) for i, c in enumerate((site, other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 201], [a.json for a in answers]
    assert answers[0].json["id"] == answers[1].json["id"]
    assert count(app, DoseRecord, lot_id=lot_id) == 1 and balance(app, "HN-HK", lot_id) == 4


def _an_offline_record_keeps_the_time_it_was_given(app, site, clock):
    lot_id = lot(app, "HN-HK")
    visit = ready_visit(app, site, person(app, name="Người Ngoại Tuyến"))
    given_at = clock.at - timedelta(minutes=40)
    clock.advance(hours=1)  # the tablet syncs an hour later
    problem(give(site, visit, lot_id, administered_at=(clock.at + timedelta(hours=1)).isoformat()), 422)
    r = give(site, visit, lot_id, administered_at=given_at.isoformat())
    assert r.status_code == 201 and r.json["administered_at"] == given_at.isoformat()
    assert r.json["observe_until"] == (given_at + timedelta(minutes=30)).isoformat()
