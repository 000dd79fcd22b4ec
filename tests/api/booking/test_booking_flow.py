"""The whole path: register → approve → allocate → book → reschedule/confirm/cancel → attend."""
from __future__ import annotations

from datetime import timedelta

from api.booking.models import Booking, Slot
from tests.api.booking.conftest import (TOMORROW, count, key, make_citizen, open_session, registration,
                                        seats)


def test_registration_to_allocation_and_the_citizen_sees_each_status(app, citizen, hanoi_dept):
    r = citizen.post("/registrations", {"person_id": citizen.person["id"], "priority_group": "age_65_plus",
                                        "preferred_province_code": 1, "preferred_ward_code": 70})
    assert r.status_code == 201, r.json
    reg_id = r.json["id"]
    assert r.json["status"] == "submitted" and [h["status"] for h in r.json["history"]] == ["submitted"]

    q = hanoi_dept.get("/registration-queue?priority_group=age_65_plus")
    assert q.status_code == 200 and q.json["total"] == 1 and q.json["items"][0]["id"] == reg_id
    d = hanoi_dept.post("/registration-decisions", {"registration_ids": [reg_id, "nope"], "decision": "approve"})
    assert d.status_code == 200 and d.json["done"] == [reg_id]
    assert d.json["skipped"] == [{"id": "nope", "reason": "not-found"}]
    units = hanoi_dept.get("/org-units?kind=site").json
    site = next(u for u in units if u["code"] == "HN-HK")
    a = hanoi_dept.post("/registration-allocations", {"registration_ids": [reg_id], "unit_id": site["id"]})
    assert a.json["done"] == [reg_id]

    mine = citizen.get(f"/registrations/{reg_id}").json
    assert mine["status"] == "allocated" and mine["allocated_unit"]["name"] == site["name"]
    assert [h["status"] for h in mine["history"]] == ["submitted", "approved", "allocated"]
    assert citizen.get("/registrations").json[0]["id"] == reg_id


def test_rejection_needs_a_reason_and_is_shown(app, citizen, hanoi_dept):
    reg_id = citizen.post("/registrations", {"person_id": citizen.person["id"], "priority_group": "general",
                                             "preferred_province_code": 1}).json["id"]
    r = hanoi_dept.post("/registration-decisions", {"registration_ids": [reg_id], "decision": "reject"})
    assert r.status_code == 422
    r = hanoi_dept.post("/registration-decisions", {"registration_ids": [reg_id], "decision": "reject",
                                                    "reason": "Chưa đến lượt"})
    assert r.json["done"] == [reg_id]
    got = citizen.get(f"/registrations/{reg_id}").json
    assert got["status"] == "rejected" and got["history"][-1]["reason"] == "Chưa đến lượt"


def test_book_confirm_reschedule_cancel_and_the_seats_follow(app, ready, clock):
    c, slot = ready
    _, later_slots = open_session(app, day=TOMORROW + timedelta(days=5), capacity=10)
    r = c.post("/bookings", {"person_id": c.person_id, "slot_id": slot}, headers=key())
    assert r.status_code == 201, r.json
    b = r.json
    assert b["status"] == "confirmed" and b["confirm_by"] is None  # within 48 h: no confirmation needed
    assert b["dose_number"] == 1 and b["product"]["code"] == "pfizer-biontech" and seats(app, slot) == 1

    # Move to a session 6 days out: it now needs confirming 24 h before.
    r = c.post(f"/bookings/{b['id']}/reschedule", {"slot_id": later_slots[0]})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "booked" and r.json["confirm_by"]
    assert (seats(app, slot), seats(app, later_slots[0])) == (0, 1)
    assert c.post(f"/bookings/{b['id']}/confirm").json["status"] == "confirmed"

    ics = c.get(f"/bookings/{b['id']}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    text = ics.get_data(as_text=True)
    assert "BEGIN:VEVENT" in text and f"UID:{b['id']}@sosuckhoe" in text and "\r\n" in text

    r = c.post(f"/bookings/{b['id']}/cancel", {"reason": "bận"})
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert seats(app, later_slots[0]) == 0
    again = c.post(f"/bookings/{b['id']}/cancel", {})
    assert again.status_code == 409 and again.json["type"] == "/problems/booking-not-active"
    assert seats(app, later_slots[0]) == 0  # given back exactly once


def test_resending_the_idempotency_key_returns_the_first_booking(app, ready):
    c, slot = ready
    k = key()
    first = c.post("/bookings", {"person_id": c.person_id, "slot_id": slot}, headers=k)
    second = c.post("/bookings", {"person_id": c.person_id, "slot_id": slot}, headers=k)
    assert first.status_code == second.status_code == 201
    assert second.json["id"] == first.json["id"] and second.headers["Idempotent-Replayed"] == "true"
    assert seats(app, slot) == 1 and count(app, Booking) == 1


def test_unconfirmed_and_missed_bookings_release_their_seats(app, clock):
    a, b = make_citizen(app, name="Người A"), make_citizen(app, name="Người B")
    for c in (a, b):
        registration(app, c.person_id)
    _, far = open_session(app, day=TOMORROW + timedelta(days=6))
    _, near = open_session(app)
    ba = a.post("/bookings", {"person_id": a.person_id, "slot_id": far[0]}, headers=key()).json
    bb = b.post("/bookings", {"person_id": b.person_id, "slot_id": near[0]}, headers=key()).json
    assert (ba["status"], bb["status"]) == ("booked", "confirmed")

    runner = app.test_cli_runner()
    assert "expired 0, missed 0" in runner.invoke(args=["booking", "release-expired"]).output
    clock.advance(days=2)  # past tomorrow's session: B missed it
    assert "expired 0, missed 1" in runner.invoke(args=["booking", "release-expired"]).output
    clock.advance(days=4)  # less than 24 h before A's session: unconfirmed
    assert "expired 1, missed 0" in runner.invoke(args=["booking", "release-expired"]).output
    assert (seats(app, far[0]), seats(app, near[0])) == (0, 0)
    assert a.get(f"/bookings/{ba['id']}").json["status"] == "expired"
    assert "expired 0, missed 0" in runner.invoke(args=["booking", "release-expired"]).output


def test_an_attended_dose_counts_and_the_next_one_waits_for_its_interval(app, ready, hk_staff, clock):
    c, slot = ready
    b = c.post("/bookings", {"person_id": c.person_id, "slot_id": slot}, headers=key()).json
    assert hk_staff.post(f"/bookings/{b['id']}/attend").status_code == 422  # not today yet
    clock.advance(days=1)
    r = hk_staff.post(f"/bookings/{b['id']}/attend")
    assert r.status_code == 200 and r.json["status"] == "attended"
    assert seats(app, slot) == 1

    el = c.get(f"/eligibility?person_id={c.person_id}").json
    assert el["status"] == "yellow" and el["doses"] == 1
    pf = next(o for o in el["options"] if o["product_code"] == "pfizer-biontech")
    assert pf["dose_number"] == 2 and not pf["eligible"] and pf["reason"] == "too-early"
    assert pf["eligible_from"] == str(TOMORROW + timedelta(days=21))

    _, early = open_session(app, day=TOMORROW + timedelta(days=10))
    r = c.post("/bookings", {"person_id": c.person_id, "slot_id": early[0]}, headers=key())
    assert r.status_code == 422 and r.json["reason"] == "too-early"
    assert r.json["eligible_from"] == str(TOMORROW + timedelta(days=21))
    _, ok = open_session(app, day=TOMORROW + timedelta(days=21))
    r = c.post("/bookings", {"person_id": c.person_id, "slot_id": ok[0]}, headers=key())
    assert r.status_code == 201 and r.json["dose_number"] == 2


def test_sessions_are_found_by_area_and_by_distance(app, hk_staff, client):
    r = hk_staff.post("/vaccination-sessions", {
        "site_id": hk_staff.get("/org-units?kind=site").json[0]["id"], "product_code": "moderna",
        "day": str(TOMORROW), "start_time": "13:00", "end_time": "16:30", "capacity": 50, "hourly_slots": True})
    assert r.status_code == 201, r.json
    s = r.json
    assert [x["capacity"] for x in s["slots"]] == [13, 13, 12, 12] and s["free"] == 50
    assert s["starts_at"].startswith(f"{TOMORROW}T06:00")  # 13:00 in Hà Nội is 06:00 UTC

    by_area = client.get("/vaccination-sessions?province_code=1&product_code=moderna").json
    assert [x["id"] for x in by_area] == [s["id"]]
    # From Hồ Gươm, 1 km: Hoàn Kiếm is in, Ba Đình (2.5 km) is not.
    near = client.get("/vaccination-sessions?lat=21.0287&lon=105.8524&radius_km=1").json
    assert near and all(x["site"]["code"] == "HN-HK" for x in near) and near[0]["distance_km"] < 0.1
    wider = client.get("/vaccination-sessions?lat=21.0287&lon=105.8524&radius_km=5").json
    assert {x["site"]["code"] for x in wider} == {"HN-HK", "HN-BD"}
    assert wider[0]["distance_km"] <= wider[-1]["distance_km"]
    assert client.get(f"/vaccination-sessions/{s['id']}").json["slots"][0]["free"] == 13
    assert count(app, Slot, session_id=s["id"]) == 4


def test_a_guardian_books_for_a_dependant_and_cancelling_the_registration_frees_the_seat(app, ready):
    from tests.api.booking.conftest import add_dependant

    c, slot = ready
    kid = add_dependant(app, c, name="Lê Thị Em", dob=TOMORROW.replace(year=2010))
    reg = registration(app, kid, account_id=c.account_id)
    r = c.post("/bookings", {"person_id": kid, "slot_id": slot}, headers=key())
    assert r.status_code == 201, r.json
    assert [x["person_id"] for x in c.get("/bookings").json] == [kid]
    r = c.post(f"/registrations/{reg}/cancel", {"reason": "đổi ý"})
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert seats(app, slot) == 0 and c.get("/bookings?active_only=true").json == []
