"""The 30-minute observation: the watch list with remaining time, reactions, the outcome."""
from __future__ import annotations

from tests.api.test_auth import problem
from tests.api.test_vaccination_support import give, lot, open_session, person, ready_visit, staff, unit_id


def test_watch_list_reactions_and_discharge(app, clock):
    open_session(app, "HN-HK")
    site = staff(app, "site_staff", "HN-HK")
    lot_id = lot(app, "HN-HK")
    first, second = (ready_visit(app, site, person(app, name=n)) for n in ("Người A", "Người B"))
    dose = give(site, first, lot_id).json
    clock.advance(minutes=10)
    give(site, second, lot_id)
    hk = unit_id(app, "HN-HK")
    watch = site.get(f"/sites/{hk}/observation").json
    assert [w["visit_id"] for w in watch] == [first, second]
    assert [w["remaining_seconds"] for w in watch] == [20 * 60, 30 * 60] and not watch[0]["may_leave"]

    r = site.post(f"/visits/{first}/reactions", {"kind": "urticaria", "severity": "moderate", "onset_minutes": 8,
                                                 "treatment": "antihistamine"})
    assert r.status_code == 201
    reports = app.extensions["ssk_docstore"].find("reaction_reports", {"dose_record_id": dose["id"]})
    assert len(reports) == 1 and reports[0]["source"] == "observation"
    assert reports[0]["lot_id"] == lot_id and reports[0]["site_id"] == hk and reports[0]["serious"] is False
    problem(site.post(f"/visits/{first}/reactions", {"kind": "sneezing", "severity": "mild"}), 422)

    left = problem(site.post(f"/visits/{first}/observation-end", {"outcome": "discharged"}), 409, "observation-state")
    assert left["remaining_seconds"] == 20 * 60
    clock.advance(minutes=21)
    r = site.post(f"/visits/{first}/observation-end", {"outcome": "treated_and_discharged", "note": "settled"})
    assert r.status_code == 200 and r.json["status"] == "done" and len(r.json["reactions"]) == 1
    assert site.post(f"/visits/{second}/observation-end", {"outcome": "left_early"}).json["status"] == "done"
    assert site.get(f"/sites/{hk}/observation").json == []
    problem(site.post(f"/visits/{second}/observation-end", {"outcome": "discharged"}), 409, "observation-state")

    # a visit without a dose is closed, not observed
    visit = ready_visit(app, site, person(app, name="Người C"))
    problem(site.post(f"/visits/{visit}/reactions", {"kind": "fever", "severity": "mild"}), 409, "observation-state")
    assert site.post(f"/visits/{visit}/close", {"reason": "left before the dose"}).json["status"] == "cancelled"
    problem(site.post(f"/visits/{visit}/close", {"reason": "again"}), 409, "visit-closed")
    listing = site.get(f"/sites/{unit_id(app, 'HN-HK')}/visits").json
    assert [v["status"] for v in listing] == ["done", "done", "cancelled"]
    hcm = staff(app, "site_staff", "HCM-SG")
    problem(hcm.get(f"/sites/{unit_id(app, 'HN-HK')}/observation"), 403, "unit-out-of-scope")
