"""Who may call what: anonymous 401, citizens 403 on staff endpoints, ownership, unit scope."""
from __future__ import annotations

from tests.api.booking.conftest import TOMORROW, key, make_citizen, open_session, registration
from tests.api.conftest import ApiClient

STAFF_ONLY = [
    ("get", "/registration-queue", None),
    ("post", "/registration-decisions", {"registration_ids": ["x"], "decision": "approve"}),
    ("post", "/registration-allocations", {"registration_ids": ["x"], "unit_id": "x"}),
    ("post", "/vaccination-sessions", {"site_id": "x", "product_code": "moderna", "day": "2026-12-01",
                                       "start_time": "08:00", "end_time": "09:00", "capacity": 5}),
    ("post", "/vaccination-sessions/x/cancel", {}),
    ("get", "/vaccination-sessions/x/bookings", None),
    ("post", "/bookings/x/attend", None),
    ("get", "/org-units", None),
    ("post", "/org-units", {"parent_id": "x", "code": "XX", "name": "xx"}),
    ("post", "/vaccine-products", {"code": "xx", "name_vi": "xx", "name_en": "xx", "doses_in_primary_series": 1}),
    ("patch", "/vaccine-products/moderna", {"active": False}),
    ("post", "/dose-rules", {"product_code": "moderna", "dose": "1", "effective_from": "2030-01-01"}),
]
SIGNED_IN = [
    ("get", "/registrations", None), ("post", "/registrations", {}), ("get", "/registrations/x", None),
    ("post", "/registrations/x/cancel", {}), ("get", "/bookings", None), ("post", "/bookings", {}),
    ("get", "/bookings/x", None), ("post", "/bookings/x/cancel", {}), ("post", "/bookings/x/confirm", None),
    ("post", "/bookings/x/reschedule", {"slot_id": "x"}), ("get", "/bookings/x/calendar.ics", None),
    ("get", "/eligibility?person_id=x", None),
]
PUBLIC = ["/vaccine-products", "/dose-rules", "/priority-groups", "/vaccination-sessions"]


def call(c: ApiClient, method, path, body):
    return getattr(c, method)(path, **({"json": body} if body is not None else {}))


def test_anonymous_gets_401_everywhere_but_public_reads(client):
    for method, path, body in STAFF_ONLY + SIGNED_IN:
        r = call(client, method, path, body)
        assert r.status_code == 401 and r.mimetype == "application/problem+json", (method, path)


def test_a_citizen_gets_403_on_every_staff_endpoint(app):
    citizen = make_citizen(app)
    for method, path, body in STAFF_ONLY:
        r = call(citizen, method, path, body)
        assert r.status_code == 403 and r.json["type"] == "/problems/forbidden", (method, path)


def test_public_reads_need_no_sign_in(client):
    for path in PUBLIC:
        assert client.get(path).status_code == 200, path


def test_site_staff_may_not_manage_the_catalog_or_the_queue(hk_staff):
    assert hk_staff.get("/registration-queue").status_code == 403
    assert hk_staff.post("/dose-rules", {"product_code": "moderna", "dose": "1",
                                         "effective_from": "2030-01-01"}).status_code == 403


def test_citizen_b_cannot_act_for_citizen_a(app, ready):
    a, slot = ready
    b = make_citizen(app, name="Người B")
    r = b.post("/bookings", {"person_id": a.person_id, "slot_id": slot}, headers=key())
    assert r.status_code == 403 and r.json["type"] == "/problems/not-guardian"
    booking = a.post("/bookings", {"person_id": a.person_id, "slot_id": slot}, headers=key()).json
    for method, path, body in (("get", f"/bookings/{booking['id']}", None),
                               ("post", f"/bookings/{booking['id']}/cancel", {}),
                               ("post", f"/bookings/{booking['id']}/reschedule", {"slot_id": slot}),
                               ("get", f"/bookings/{booking['id']}/calendar.ics", None),
                               ("get", f"/eligibility?person_id={a.person_id}", None),
                               ("post", "/registrations", {"person_id": a.person_id, "priority_group": "general",
                                                           "preferred_province_code": 1})):
        assert call(b, method, path, body).status_code == 403, path
    assert b.get(f"/bookings?person_id={a.person_id}").status_code == 403
    assert a.get(f"/bookings/{booking['id']}").json["status"] == "confirmed"


def test_the_same_idempotency_key_from_another_account_is_not_a_replay(app, ready):
    a, slot = ready
    b = make_citizen(app, name="Người B")
    registration(app, b.person_id)
    k = key()
    first = a.post("/bookings", {"person_id": a.person_id, "slot_id": slot}, headers=k)
    second = b.post("/bookings", {"person_id": b.person_id, "slot_id": slot}, headers=k)
    assert second.status_code == 201 and second.json["id"] != first.json["id"]
    reused = a.post("/bookings", {"person_id": a.person_id, "slot_id": "other"}, headers=k)
    assert reused.status_code == 422 and reused.json["type"] == "/problems/idempotency-key-reused"


def test_staff_outside_their_scope_get_403(app, hk_staff, sg_staff, hcm_dept, citizen):
    session_id, (slot,) = open_session(app, "HN-HK")
    site_id = next(u["id"] for u in hk_staff.get("/org-units").json if u["code"] == "HN-HK")
    body = {"site_id": site_id, "product_code": "moderna", "day": str(TOMORROW), "start_time": "08:00",
            "end_time": "09:00", "capacity": 5}
    assert sg_staff.post("/vaccination-sessions", body).status_code == 403
    assert hk_staff.post("/vaccination-sessions", body).status_code == 201
    assert sg_staff.post(f"/vaccination-sessions/{session_id}/cancel", {}).status_code == 403
    assert sg_staff.get(f"/vaccination-sessions/{session_id}/bookings").status_code == 403
    assert hk_staff.get(f"/vaccination-sessions/{session_id}/bookings").status_code == 200
    # A department sees and decides only its own provinces.
    reg = citizen.post("/registrations", {"person_id": citizen.person["id"], "priority_group": "general",
                                          "preferred_province_code": 1}).json["id"]
    assert hcm_dept.get("/registration-queue").json["total"] == 0
    assert hcm_dept.get("/registration-queue?province_code=1").status_code == 403
    r = hcm_dept.post("/registration-decisions", {"registration_ids": [reg], "decision": "approve"})
    assert r.json == {"done": [], "skipped": [{"id": reg, "reason": "out-of-scope"}]}
    assert hcm_dept.post("/registration-allocations",
                         {"registration_ids": [reg], "unit_id": site_id}).status_code == 403
    assert hcm_dept.get(f"/registrations/{reg}").status_code == 403
    # Staff reading a citizen's booking go through the audited staff views, not the citizen's.
    c = make_citizen(app)
    registration(app, c.person_id)
    booking = c.post("/bookings", {"person_id": c.person_id, "slot_id": slot}, headers=key()).json
    assert hk_staff.get(f"/bookings/{booking['id']}").status_code == 403
    assert sg_staff.post(f"/bookings/{booking['id']}/attend").status_code == 403
