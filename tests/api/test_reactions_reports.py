"""Reaction reports and triage, on both document-store adapters.

The report store runs as the SQL adapter (SQLite and PostgreSQL, the `app` fixture) and as the
MongoDB adapter on mongomock: no MongoDB server is packaged for this machine, so the Mongo
adapter is exercised against mongomock here (tests/api/test_docstore_contract.py runs the same
contract against a real server when SSK_TEST_MONGO_URL is set).
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import mongomock
import pytest
import sqlalchemy as sa

from api.db import db
from api.docstore import MongoDocumentStore
from api.notify.schedule import run_jobs
from notifications.models import outbox_message
from tests.api.test_auth import problem
from tests.api.test_vaccination_support import (TODAY, citizen_of, give, given_dose, guardian_of, lot, open_session,
                                                person, ready_visit, staff, unit_id)

ESCALATE = "api.reactions.jobs:escalate_serious_reactions"
FOLLOWUPS = "api.reactions.jobs:reaction_followups"


@pytest.fixture(params=["sql", "mongomock"])
def store(request, app):
    """The app's document store: its SQL adapter, or the Mongo adapter on mongomock."""
    if request.param == "mongomock":
        app.extensions["ssk_docstore"] = MongoDocumentStore(mongomock.MongoClient(tz_aware=True)["ssk_test"])
    return app.extensions["ssk_docstore"]


def outbox(app, **where) -> list:
    with app.app_context(), db.reads().begin() as s:
        q = sa.select(outbox_message)
        for k, v in where.items():
            q = q.where(outbox_message.c[k] == v)
        return list(s.execute(q.order_by(outbox_message.c.dedupe_key)).mappings())


def setup(app, *, days_ago: int = 1):
    """A person with a dose at HN-HK `days_ago` days ago, their own account, and the staff around the site."""
    who = person(app)
    dose_id = given_dose(app, who, on=TODAY - timedelta(days=days_ago))
    me = citizen_of(app, who["id"])
    return who, dose_id, me


def serious_body(dose_id: str, **over) -> dict:
    body = {"dose_record_id": dose_id, "onset_at": "2026-11-22T03:00:00Z",
            "symptoms": ["difficulty_breathing", "rash"], "symptom_text": "", "severity": "severe",
            "care_sought": "none"}
    body.update(over)
    return body


def key() -> dict:
    return {"Idempotency-Key": uuid.uuid4().hex}


def test_terms_are_public_in_both_languages(client):
    en = client.get("/adverse-event-terms").json
    codes = {t["code"]: t for t in en["terms"]}
    assert {"injection_site_pain", "fever", "difficulty_breathing", "seizure", "anaphylaxis_signs",
            "loss_of_consciousness", "chest_pain"} <= set(codes)
    assert codes["seizure"]["serious"] and not codes["fever"]["serious"] and codes["fever"]["label"] == "Fever"
    client.lang = "vi"
    assert {t["code"]: t for t in client.get("/adverse-event-terms").json["terms"]}["fever"]["label"] == "Sốt"


def test_serious_report_answers_call_115_and_alerts_site_and_district_in_one_transaction(app, store):
    who, dose_id, me = setup(app)
    site = staff(app, "site_staff", "HN-HK")
    district = staff(app, "department_staff", "P01-TTYT")
    province = staff(app, "department_staff", "P01")
    r = me.post("/reaction-reports", serious_body(dose_id), headers=key())
    assert r.status_code == 201, r.json
    body = r.json
    assert body["serious"] and body["serious_signs"] == ["difficulty_breathing"]
    assert body["what_to_do"]["call"] == "115"
    assert body["what_to_do"]["nearest_facility"]["id"] == unit_id(app, "HN-HK")
    alerted = {m["account_id"] for m in outbox(app, template="serious_reaction_alert")}
    assert alerted == {site.account_id, district.account_id}  # the province hears only on escalation
    assert province.account_id not in alerted
    assert all(m["urgent"] for m in outbox(app, template="serious_reaction_alert"))
    doc = store.get("reaction_reports", body["id"])
    assert doc["source"] == "citizen" and doc["lot_number"] == "OLD1" and doc["site_id"] == unit_id(app, "HN-HK")


def test_bad_input_is_a_problem_and_changes_nothing(app, store):
    who, dose_id, me = setup(app)
    staff(app, "site_staff", "HN-HK")
    stranger = citizen_of(app, person(app, name="Người Lạ")["id"])
    before = (store.count("reaction_reports"), len(outbox(app)))
    problem(stranger.post("/reaction-reports", serious_body(dose_id), headers=key()), 403, "not-guardian")
    # onset before the dose (given 22 Nov 09:00 in Hà Nội = 02:00 UTC): a serious one, so no alert either
    bad = problem(me.post("/reaction-reports", serious_body(dose_id, onset_at="2026-11-22T01:59:00Z"),
                          headers=key()), 422, "validation-failed")
    assert "onset_at" in bad["errors"]
    problem(me.post("/reaction-reports", serious_body(dose_id, onset_at="2026-11-24T03:00:00Z"), headers=key()),
            422, "validation-failed")
    bad = problem(me.post("/reaction-reports", serious_body(dose_id, symptoms=["fever", "sneezing"]), headers=key()),
                  422, "validation-failed")
    assert "sneezing" in bad["errors"]["symptoms"][0]
    problem(me.post("/reaction-reports", serious_body(dose_id, severity="extreme"), headers=key()), 422)
    problem(me.post("/reaction-reports", {"dose_record_id": dose_id, "no_reaction": True, "symptoms": ["fever"]},
                    headers=key()), 422)
    problem(me.post("/reaction-reports", serious_body("no-such-dose"), headers=key()), 404)
    assert (store.count("reaction_reports"), len(outbox(app))) == before


def test_guardian_reports_no_reaction_and_resend_is_safe(app, store):
    child = person(app, name="Bé Na")
    dose_id = given_dose(app, child, on=TODAY - timedelta(days=1))
    parent = guardian_of(app, child["id"])
    k = {"Idempotency-Key": "no-reaction-" + uuid.uuid4().hex[:8]}
    first = parent.post("/reaction-reports", {"dose_record_id": dose_id, "no_reaction": True}, headers=k)
    again = parent.post("/reaction-reports", {"dose_record_id": dose_id, "no_reaction": True}, headers=k)
    assert first.status_code == again.status_code == 201 and first.json["id"] == again.json["id"]
    assert store.count("reaction_checkins", {"dose_record_id": dose_id}) == 1
    assert store.count("reaction_reports", {"dose_record_id": dose_id}) == 0


def test_reports_are_append_only_follow_ups_link_to_them(app, store):
    who, dose_id, me = setup(app)
    staff(app, "site_staff", "HN-HK")
    r = me.post("/reaction-reports", {"dose_record_id": dose_id, "onset_at": "2026-11-22T12:00:00Z",
                                      "symptoms": ["fever", "myalgia"], "severity": "mild"}, headers=key())
    assert r.status_code == 201 and not r.json["serious"] and r.json["what_to_do"] is None
    report_id = r.json["id"]
    assert outbox(app, template="serious_reaction_alert") == []
    original = store.get("reaction_reports", report_id)
    f = me.post(f"/reaction-reports/{report_id}/follow-ups", {"note": "now trouble breathing",
                                                             "symptoms": ["difficulty_breathing"]}, headers=key())
    assert f.status_code == 201 and f.json["what_to_do"]["call"] == "115"
    assert store.get("reaction_reports", report_id) == original  # never edited
    assert outbox(app, template="serious_reaction_alert")  # the new serious sign alerted the site
    detail = me.get(f"/reaction-reports/{report_id}").json
    assert [x["kind"] for x in detail["follow_ups"]] == ["citizen_update"] and detail["triage"]["serious"]
    stranger = citizen_of(app, person(app, name="Người Lạ")["id"])
    problem(stranger.post(f"/reaction-reports/{report_id}/follow-ups", {"note": "x"}, headers=key()), 403)
    assert [d["id"] for d in me.get(f"/people/{who['id']}/reaction-reports").json] == [report_id]


def test_triage_queue_scope_compare_and_set_and_observation_reactions(app, store, clock):
    who, dose_id, me = setup(app)
    report_id = me.post("/reaction-reports", serious_body(dose_id), headers=key()).json["id"]
    # an observation reaction recorded at the site lands in the same queue
    open_session(app, "HN-HK")
    site = staff(app, "site_staff", "HN-HK")
    visit = ready_visit(app, site, person(app, name="Người B"))
    assert give(site, visit, lot(app, "HN-HK")).status_code == 201
    assert site.post(f"/visits/{visit}/reactions", {"kind": "urticaria", "severity": "moderate"}).status_code == 201

    district = staff(app, "department_staff", "P01-TTYT")
    items = district.get("/reaction-triage").json
    assert [i["source"] for i in items] == ["citizen", "observation"]  # serious first
    assert items[0]["person"]["full_name"] == who["full_name"] and items[0]["triage"]["status"] == "new"
    assert [i["id"] for i in district.get("/reaction-triage?serious=true").json] == [report_id]

    hcm = staff(app, "department_staff", "P79")
    assert hcm.get("/reaction-triage").json == []
    problem(hcm.post(f"/reaction-reports/{report_id}/triage", {"action": "acknowledge", "expected_version": 1}),
            403, "unit-out-of-scope")
    problem(hcm.get(f"/reaction-reports/{report_id}"), 403, "unit-out-of-scope")
    assert store.get("reaction_triage", report_id)["version"] == 1

    ack = district.post(f"/reaction-reports/{report_id}/triage", {"action": "acknowledge", "expected_version": 1})
    assert ack.status_code == 200 and ack.json["status"] == "acknowledged" and ack.json["version"] == 2
    late = problem(site.post(f"/reaction-reports/{report_id}/triage", {"action": "acknowledge", "expected_version": 1}),
                   409, "triage-conflict")
    assert late["current_version"] == 2
    r = site.post(f"/reaction-reports/{report_id}/triage", {"action": "call_back", "expected_version": 2,
                                                            "reached": True, "note": "at hospital, stable"})
    assert r.json["status"] == "in_follow_up"
    problem(site.post(f"/reaction-reports/{report_id}/triage", {"action": "classify", "expected_version": 3,
                                                                "causality": "probably"}), 422)
    r = site.post(f"/reaction-reports/{report_id}/triage", {"action": "classify", "expected_version": 3,
                                                            "causality": "consistent"})
    assert r.json["causality"] == "consistent"
    problem(site.post(f"/reaction-reports/{report_id}/triage", {"action": "close", "expected_version": 4}), 422)
    r = site.post(f"/reaction-reports/{report_id}/triage", {"action": "close", "expected_version": 4,
                                                            "outcome": "recovered"})
    assert r.json["status"] == "closed" and r.json["outcome"] == "recovered"
    problem(site.post(f"/reaction-reports/{report_id}/triage", {"action": "follow_up", "expected_version": 5}),
            409, "triage-closed")
    detail = district.get(f"/reaction-reports/{report_id}").json
    assert [x["kind"] for x in detail["follow_ups"]] == ["acknowledge", "call_back", "classify", "close"]
    assert [i["id"] for i in district.get("/reaction-triage?status=closed").json] == [report_id]

    # the observation reaction is triaged the same way (its triage state made on first use)
    obs = [i for i in items if i["source"] == "observation"][0]
    r = site.post(f"/reaction-reports/{obs['id']}/triage", {"action": "acknowledge", "expected_version": 1})
    assert r.status_code == 200 and r.json["version"] == 2


def test_unacknowledged_serious_report_escalates_one_level_per_period(app, store, clock):
    who, dose_id, me = setup(app)
    staff(app, "site_staff", "HN-HK")
    staff(app, "department_staff", "P01-TTYT")
    province = staff(app, "department_staff", "P01")
    national = staff(app, "national_admin", "VN")
    first = me.post("/reaction-reports", serious_body(dose_id), headers=key()).json["id"]
    second = me.post("/reaction-reports", serious_body(dose_id), headers=key()).json["id"]
    district = staff(app, "department_staff", "P01-TTYT")
    assert district.post(f"/reaction-reports/{second}/triage",
                         {"action": "acknowledge", "expected_version": 1}).status_code == 200

    def run():
        with app.app_context():
            return run_jobs(db.sessions(), clock(), jobs=[ESCALATE])[0]

    clock.advance(minutes=10)
    assert run().enqueued == 0
    clock.advance(minutes=6)
    result = run()
    assert result.error is None and result.enqueued > 0
    level1 = {m["account_id"] for m in outbox(app) if m["dedupe_key"].startswith(f"aefi-alert:{first}:L1")}
    assert level1 == {province.account_id}
    assert not [m for m in outbox(app) if m["dedupe_key"].startswith(f"aefi-alert:{second}:L1")]
    assert run().enqueued == 0  # not due again yet; a re-run enqueues nothing
    clock.advance(minutes=16)
    assert run().enqueued > 0
    level2 = {m["account_id"] for m in outbox(app) if m["dedupe_key"].startswith(f"aefi-alert:{first}:L2")}
    assert level2 == {national.account_id}
    clock.advance(minutes=16)
    assert run().enqueued == 0  # the top of the tree: nothing further
    assert store.get("reaction_triage", first)["escalation_level"] == 2


def test_monitoring_window_and_day_1_and_7_check_ins(app, store, clock):
    who, dose_id, me = setup(app, days_ago=1)
    week_dose = given_dose(app, who, on=TODAY - timedelta(days=7), number=2, product="moderna")
    m = me.get(f"/doses/{dose_id}/monitoring").json
    assert m["day"] == 1 and m["days_left"] == 27 and m["active"] and m["intensive"]
    assert {s["code"] for s in m["warning_signs"]} >= {"seizure", "difficulty_breathing"}
    assert m["facility"]["id"] == unit_id(app, "HN-HK") and m["emergency"] == "115"
    me.lang = "vi"
    assert "Co giật" in {s["label"] for s in me.get(f"/doses/{dose_id}/monitoring").json["warning_signs"]}
    stranger = citizen_of(app, person(app, name="Người Lạ")["id"])
    problem(stranger.get(f"/doses/{dose_id}/monitoring"), 403)
    with app.app_context():
        first = run_jobs(db.sessions(), clock(), jobs=[FOLLOWUPS])[0]
        again = run_jobs(db.sessions(), clock(), jobs=[FOLLOWUPS])[0]
    assert first.error is None and first.enqueued >= 2 and again.enqueued == 0
    assert {m["dedupe_key"].split("|")[0] for m in outbox(app) if m["template"].startswith("reaction_followup")} == {
        f"aefi-day1:{dose_id}", f"aefi-day7:{week_dose}"}
