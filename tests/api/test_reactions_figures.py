"""Safety figures (rates per 100,000 doses against direct counts), the flagged lot and its quarantine."""
from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from api.catalog.models import OrgUnit
from api.db import db, new_id
from api.vaccination.models import DoseRecord
from api.vaccination.stock import LOCAL
from tests.api.test_auth import problem
from tests.api.test_reactions_reports import outbox
from tests.api.test_vaccination_support import (TODAY, citizen_of, give, lot, open_session, person, ready_visit,
                                                staff)
from tests.conftest import FIXED_NOW


def dose_of_lot(app, who: dict, lot_id: str, *, days_ago: int, site_code: str = "HN-HK") -> str:
    on = TODAY - timedelta(days=days_ago)
    with app.app_context(), db.sessions().begin() as s:
        site = s.scalar(sa.select(OrgUnit).filter_by(code=site_code))
        number = s.scalar(sa.select(sa.text("lot_number")).select_from(sa.text("lot")).where(sa.text("id = :i")),
                          {"i": lot_id})
        d = DoseRecord(id=new_id(), person_id=who["id"], disease="840539006", product_code="pfizer-biontech",
                       lot_id=lot_id, lot_number=number, dose_number=1, series="primary",
                       administered_at=datetime.combine(on, time(9), tzinfo=LOCAL), administered_on=on,
                       unit_id=site.id, site_name=site.name, province_code=site.province_code, recorded_by="test",
                       status="valid", source="site", created_at=FIXED_NOW, updated_at=FIXED_NOW, version=1)
        s.add(d)
        return d.id


_accounts: dict = {}


def report(app, who: dict, dose_id: str, *, serious: bool):
    me = _accounts.setdefault((id(app), who["id"]), None) or citizen_of(app, who["id"])
    _accounts[(id(app), who["id"])] = me
    r = me.post("/reaction-reports", {"dose_record_id": dose_id, "onset_at": FIXED_NOW.isoformat(),
                                      "symptoms": ["seizure"] if serious else ["fever"], "severity": "moderate"},
                headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.json


def test_rates_equal_direct_counts_flag_and_quarantine_stops_the_lot(app):
    hot, calm = lot(app, "HN-HK", doses=10), lot(app, "HN-HK", doses=50)
    hot_people = [person(app, name=f"Người nóng {i}") for i in range(4)]
    calm_people = [person(app, name=f"Người yên {i}") for i in range(20)]
    hot_doses = [dose_of_lot(app, p, hot, days_ago=3) for p in hot_people]
    calm_doses = [dose_of_lot(app, p, calm, days_ago=10) for p in calm_people]
    for i in range(3):
        report(app, hot_people[i], hot_doses[i], serious=True)
    report(app, hot_people[0], hot_doses[0], serious=False)  # a second report of the same dose counts once
    report(app, calm_people[0], calm_doses[0], serious=False)

    dept = staff(app, "department_staff", "P01")
    q = f"/reaction-figures?from={(TODAY - timedelta(days=30)).isoformat()}&to={TODAY.isoformat()}"
    figs = dept.get(q).json
    with app.app_context(), db.reads().begin() as s:
        direct = dict(s.execute(sa.select(DoseRecord.lot_id, sa.func.count()).where(
            DoseRecord.lot_id.in_([hot, calm])).group_by(DoseRecord.lot_id)).all())
    lots = {r["key"]: r for r in figs["by_lot"]}
    assert lots[hot]["doses"] == direct[hot] == 4 and lots[calm]["doses"] == direct[calm] == 20
    assert (lots[hot]["reports"], lots[hot]["serious"]) == (3, 3)
    assert lots[hot]["serious_rate"] == 3 * 100_000 / 4 and lots[calm]["report_rate"] == 100_000 / 20
    pfizer = {r["key"]: r for r in figs["by_product"]}["pfizer-biontech"]
    assert pfizer["serious"] == 3 and pfizer["serious_rate"] == round(3 * 100_000 / pfizer["doses"], 1)
    assert lots[hot]["flagged"] and not lots[calm]["flagged"]
    weeks = {r["key"]: r for r in figs["by_week"]}
    assert sum(r["doses"] for r in weeks.values()) == pfizer["doses"] + sum(
        r["doses"] for r in figs["by_product"] if r["key"] != "pfizer-biontech")
    problem(_accounts[(id(app), hot_people[0]["id"])].get(q), 403)

    # out of scope: a department of another province cannot stop this lot
    problem(staff(app, "department_staff", "P79").post(f"/reaction-figures/lots/{hot}/quarantine",
                                                      {"reason": "signal"}), 403, "unit-out-of-scope")
    site = staff(app, "site_staff", "HN-HK")
    r = dept.post(f"/reaction-figures/lots/{hot}/quarantine", {"reason": "seizure signal", "message_people": True})
    assert r.status_code == 200, r.json
    # the fourth person has no account and no phone on file: nobody to message
    assert r.json["lot"]["quarantined"] and r.json["people_messaged"] == 3
    assert site.account_id in {m["account_id"] for m in outbox(app, template="campaign_message")}
    assert {m["person_id"] for m in outbox(app, template="lot_quarantined")} == {p["id"] for p in hot_people[:3]}
    assert dept.get(q).json["by_lot"][[x["key"] for x in dept.get(q).json["by_lot"]].index(hot)]["quarantined"]

    # the stock ledger's quarantine stops it at the site: the vaccination API refuses the dose
    open_session(app, "HN-HK")
    visit = ready_visit(app, site, person(app, name="Người mới"))
    problem(give(site, visit, hot), 409, "lot-quarantined")
    assert give(site, visit, calm).status_code == 201


def test_the_dashboard_shows_report_rates_within_its_scope_from_the_aggregates(app):
    """The department dashboard's reaction figures: reports from the store, doses from the
    statistics aggregates; Hà Nội, one Hà Nội site and Hồ Chí Minh each see their own."""
    from api.stats import service as stats  # the aggregates are refreshed by a job: run it here

    hk, bd, sg = lot(app, "HN-HK", doses=20), lot(app, "HN-BD", doses=20), lot(app, "HCM-SG", doses=20)
    people = [person(app, name=f"Người {i}") for i in range(9)]
    doses = ([dose_of_lot(app, p, hk, days_ago=3, site_code="HN-HK") for p in people[:4]]
             + [dose_of_lot(app, p, bd, days_ago=5, site_code="HN-BD") for p in people[4:7]]
             + [dose_of_lot(app, p, sg, days_ago=2, site_code="HCM-SG") for p in people[7:]])
    report(app, people[0], doses[0], serious=True)
    report(app, people[0], doses[0], serious=False)  # the same dose again: counted once
    report(app, people[1], doses[1], serious=False)
    report(app, people[4], doses[4], serious=True)
    report(app, people[7], doses[7], serious=False)
    with app.app_context(), db.sessions().begin() as s:
        stats.refresh_stats(s, FIXED_NOW)

    q = f"?from={(TODAY - timedelta(days=30)).isoformat()}&to={TODAY.isoformat()}"
    with app.app_context(), db.sessions().begin() as s:
        hk_id = s.scalar(sa.select(OrgUnit.id).filter_by(code="HN-HK"))
    hanoi = staff(app, "department_staff", "P01")
    for who, extra, want in [(hanoi, "", (7, 3, 2)), (hanoi, f"&unit_id={hk_id}", (4, 2, 1)),
                             (staff(app, "site_staff", "HN-HK"), "", (4, 2, 1)),
                             (staff(app, "department_staff", "P79"), "", (2, 1, 0))]:
        body = who.get(f"/stats/dashboard{q}{extra}").json
        r = body["reactions"]
        assert body["doses"]["total"] == r["doses"] == want[0], body
        assert (r["reports"], r["serious"]) == want[1:]
        assert r["report_rate"] == round(want[1] * 100_000 / want[0], 1)
        assert r["serious_rate"] == round(want[2] * 100_000 / want[0], 1)
        csv = who.get(f"/stats/dashboard{q}{extra}&format=csv").text
        assert f"reactions,,,reports,{want[1]}\n" in csv
