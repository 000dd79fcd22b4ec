"""Bad input gets a clear problem+json and changes nothing."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from tests.api.booking.conftest import (TODAY, TOMORROW, add_dependant, given_dose, key, make_citizen,
                                        open_session, registration, snapshot)


def refused(app, client, person_id, slot_id, status, slug):
    before = snapshot(app)
    r = client.post("/bookings", {"person_id": person_id, "slot_id": slot_id}, headers=key())
    assert r.status_code == status, r.json
    assert r.mimetype == "application/problem+json" and r.json["type"] == f"/problems/{slug}"
    assert r.json["title"] and r.json["detail"] and r.json["request_id"]
    assert snapshot(app) == before
    return r.json


def test_a_full_slot(app, ready):
    c, _ = ready
    _, (slot,) = open_session(app, capacity=1)
    other = make_citizen(app, name="Đã đặt trước")
    registration(app, other.person_id)
    assert other.post("/bookings", {"person_id": other.person_id, "slot_id": slot}, headers=key()).status_code == 201
    body = refused(app, c, c.person_id, slot, 409, "slot-full")
    assert body["slot_id"] == slot


def test_a_past_session_and_a_session_over_today(app, ready):
    c, _ = ready
    _, (yesterday,) = open_session(app, day=TODAY - timedelta(days=1))
    refused(app, c, c.person_id, yesterday, 409, "session-past")
    _, (this_morning,) = open_session(app, day=TODAY, start=time(7, 0), end=time(9, 0))  # now is 10:00
    refused(app, c, c.person_id, this_morning, 409, "session-past")


def test_a_cancelled_session(app, ready, hk_staff):
    c, _ = ready
    session_id, (slot,) = open_session(app)
    assert hk_staff.post(f"/vaccination-sessions/{session_id}/cancel", {"reason": "hết vắc xin"}).status_code == 200
    refused(app, c, c.person_id, slot, 409, "session-cancelled")


def test_too_early_after_the_previous_dose(app, ready):
    c, _ = ready
    given_dose(app, c.person_id, "astrazeneca", TODAY - timedelta(days=20))
    _, (slot,) = open_session(app, product="astrazeneca")  # Hà Nội: 4 weeks since Nov 2021
    body = refused(app, c, c.person_id, slot, 422, "not-eligible")
    assert body["reason"] == "too-early" and body["dose_number"] == 2
    assert body["eligible_from"] == str(TODAY + timedelta(days=8))


def test_the_wrong_age(app, ready):
    c, _ = ready
    child = add_dependant(app, c, name="Bé Na", dob=date(2016, 1, 1))  # 10 years old
    registration(app, child)
    _, (slot,) = open_session(app)  # Pfizer: 12 and over
    body = refused(app, c, child, slot, 422, "not-eligible")
    assert body["reason"] == "too-young" and body["eligible_from"] == "2028-01-01"  # 12 years = 4,383 days


def test_a_product_that_may_not_follow_the_previous_dose(app, ready):
    c, _ = ready
    given_dose(app, c.person_id, "astrazeneca", TODAY - timedelta(days=90))
    _, (slot,) = open_session(app, product="sinopharm-verocell")
    body = refused(app, c, c.person_id, slot, 422, "not-eligible")
    assert body["reason"] == "product-not-allowed" and body["eligible_from"] is None


def test_a_session_of_another_site_than_the_allocated_one(app):
    c = make_citizen(app)
    registration(app, c.person_id, status="allocated", unit_code="HN-HK")
    _, (ba_dinh,) = open_session(app, "HN-BD")
    refused(app, c, c.person_id, ba_dinh, 403, "session-out-of-scope")


def test_a_session_in_another_province_than_the_registration(app, ready):
    c, _ = ready  # approved for Hà Nội, not yet allocated
    _, (saigon,) = open_session(app, "HCM-SG")
    refused(app, c, c.person_id, saigon, 403, "session-out-of-scope")


def test_a_double_booking(app, ready):
    c, slot = ready
    first = c.post("/bookings", {"person_id": c.person_id, "slot_id": slot}, headers=key())
    assert first.status_code == 201
    _, (other,) = open_session(app, day=TOMORROW + timedelta(days=1))
    body = refused(app, c, c.person_id, other, 409, "already-booked")
    assert body["booking_id"] == first.json["id"]


@pytest.mark.parametrize("status,code,slug", [("cancelled", 409, "registration-cancelled"),
                                               ("rejected", 409, "registration-cancelled"),
                                               ("submitted", 409, "registration-pending"),
                                               (None, 409, "registration-required")])
def test_a_registration_that_is_not_ready(app, status, code, slug):
    c = make_citizen(app)
    if status:
        registration(app, c.person_id, status=status)
    _, (slot,) = open_session(app)
    refused(app, c, c.person_id, slot, code, slug)


def test_an_unknown_slot_and_a_malformed_body(app, ready):
    c, _ = ready
    refused(app, c, c.person_id, "no-such-slot", 404, "not-found")
    r = c.post("/bookings", {"person_id": c.person_id}, headers=key())
    assert r.status_code == 422 and "slot_id" in r.json["errors"]


def test_an_unknown_product_code(app, hk_staff, client):
    before = snapshot(app)
    site_id = hk_staff.get("/org-units?kind=site").json[0]["id"]
    r = hk_staff.post("/vaccination-sessions", {"site_id": site_id, "product_code": "covaxin",
                                                "day": str(TOMORROW), "start_time": "08:00",
                                                "end_time": "10:00", "capacity": 10})
    assert r.status_code == 422 and r.json["type"] == "/problems/product-unknown"
    assert "product_code" in r.json["errors"]
    assert client.get("/vaccination-sessions?product_code=covaxin").status_code == 422
    assert client.get("/vaccine-products/covaxin").status_code == 422
    assert snapshot(app) == before


def test_sessions_that_cannot_be_opened(app, hk_staff):
    site_id = hk_staff.get("/org-units?kind=site").json[0]["id"]
    base = {"site_id": site_id, "product_code": "pfizer-biontech", "day": str(TOMORROW),
            "start_time": "08:00", "end_time": "10:00", "capacity": 10}
    for change, field in (({"day": str(TODAY - timedelta(days=1))}, "day"),
                          ({"end_time": "07:00"}, "end_time"),
                          ({"capacity": 1, "hourly_slots": True}, "capacity")):
        r = hk_staff.post("/vaccination-sessions", {**base, **change})
        assert r.status_code == 422 and field in r.json["errors"], r.json
