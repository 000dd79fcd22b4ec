"""Department campaigns: preview = what is written, province scope, batches continued by the
scheduler, delivery figures and dead letters for staff."""
from __future__ import annotations

from collections import Counter

import pytest

from api.db import db
from api.notify import service
from api.notify.schedule import run_jobs
from notifications.worker import Worker
from notifications.channels import InboxChannel
from tests.api.staffing import staff_client
from tests.api.test_auth import problem
from tests.api.test_notify_fanout import (add_child, call_notify, outbox, save_settings,
                                          signed_up, subscribe)
from tests.conftest import FIXED_NOW

HANOI = {"kind": "residents", "province_code": 1}
TEXT = {"title_vi": "Tiêm nhắc lại", "body_vi": "Mời người dân từ 18 tuổi đến trạm y tế.",
        "title_en": "Booster week", "body_en": "Residents aged 18+ are invited to the clinic."}


@pytest.fixture
def hanoi(app, citizen, other_citizen):
    """Hà Nội: citizen (36, push + SMS) with a child (5), and Chi (41, FCM + verified e-mail,
    English). other_citizen lives in Hồ Chí Minh City."""
    subscribe(citizen)
    save_settings(citizen, sms=True)
    kid = add_child(citizen)
    chi = signed_up(app, "0912000777", full_name="Phạm Thị Chi", sex="F",
                    date_of_birth="1985-01-10", national_id="001185000777")
    assert chi.post("/fcm-tokens", {"token": "fcm-token-for-chi-0123456789",
                                    "platform": "ios"}).status_code == 201
    save_settings(chi, email=True, email_address="chi@example.vn", language="en")
    code = [r for r in outbox(app, channel="email")][0].params["code"]
    assert chi.post("/notification-settings/email-verification", {"code": code}).json["email_verified"]
    return {"citizen": citizen, "kid": kid, "chi": chi, "other": other_citizen}


def campaign_rows(app, campaign_id):
    return [r for r in outbox(app) if r.dedupe_key.startswith(f"campaign:{campaign_id}|")]


def test_preview_counts_exactly_the_messages_the_campaign_writes(app, hanoi):
    dept = staff_client(app, "0901000001", "department_staff", "P01")
    preview = dept.post("/campaigns/preview", {"target": HANOI})
    assert preview.status_code == 200, preview.json
    assert preview.json == {"people": 3, "accounts": 2, "messages": {
        "inbox": 2, "webpush": 1, "fcm": 1, "sms": 1, "email": 1, "total": 6}}
    r = dept.post("/campaigns", {"target": HANOI, **TEXT})
    assert r.status_code == 201, r.json
    c = r.json
    assert (c["status"], c["people"], c["accounts"], c["accounts_done"], c["messages"]) == \
        ("sent", 3, 2, 2, 6)
    rows = campaign_rows(app, c["id"])
    by_channel = Counter(r.channel for r in rows)
    assert {k: by_channel[k] for k in preview.json["messages"] if k != "total"} == \
        {k: v for k, v in preview.json["messages"].items() if k != "total"}
    assert len(rows) == preview.json["messages"]["total"]
    # One message per account, though the citizen's child is in the group too; no person named.
    assert {r.person_id for r in rows} == {None}
    assert {r.lang for r in rows if r.account_id == hanoi["chi"].me["account_id"]} == {"en"}
    assert {r.params["title"] for r in rows} == {"Tiêm nhắc lại", "Booster week"}
    [item] = hanoi["citizen"].get("/inbox").json["items"]
    assert (item["title"], item["person"]) == ("Tiêm nhắc lại", None)
    assert hanoi["other"].get("/inbox").json["items"] == []
    assert dept.get(f"/campaigns/{c['id']}").json == c
    assert [x["id"] for x in dept.get("/campaigns").json] == [c["id"]]

    # Age and ward narrow the group.
    def reach(**target):
        r = dept.post("/campaigns/preview", {"target": {**HANOI, **target}})
        assert r.status_code == 200, r.json
        return r.json["people"], r.json["accounts"]

    assert reach(min_age=18) == (2, 2)  # the child is out
    assert reach(max_age=10) == (1, 1)  # only the child: the message goes to its guardian
    assert reach(min_age=36, max_age=36) == (1, 1)  # born 17/05/1990, 36 on 23/11/2026
    assert reach(min_age=37, max_age=40) == (0, 0)
    assert reach(ward_code=70) == (3, 2)
    assert reach(ward_code=4) == (0, 0)  # Ba Đình: nobody lives there


def test_department_staff_reach_only_their_province(app, hanoi):
    dept = staff_client(app, "0901000003", "department_staff", "P01")
    problem(dept.post("/campaigns/preview", {"target": {"province_code": 79}}), 403,
            "campaign-out-of-scope")
    problem(dept.post("/campaigns", {"target": {"province_code": None}, **TEXT}), 403,
            "campaign-out-of-scope")
    problem(dept.post("/campaigns/preview", {"target": {"province_code": 99}}), 422,
            "validation-failed")
    problem(dept.post("/campaigns/preview", {"target": {"province_code": 1, "ward_code": 26740}}),
            422, "validation-failed")
    problem(dept.post("/campaigns/preview", {"target": {**HANOI, "min_age": 60, "max_age": 18}}),
            422, "validation-failed")
    body = problem(dept.post("/campaigns/preview", {"target": {**HANOI, "kind": "overdue_dose",
                                                               "product_code": "COMIRNATY",
                                                               "dose": "2"}}),
                   422, "campaign-target-unavailable")
    assert "target.kind" in body["errors"]
    problem(dept.post("/campaigns", {"target": HANOI, "title_vi": "x", "body_vi": "y",
                                     "title_en": "only a title"}), 422, "validation-failed")
    # A national admin reaches the whole country; HCM's department sees only its own campaigns.
    admin = staff_client(app, "0901000004", "national_admin", "VN")
    national = admin.post("/campaigns/preview", {"target": {}}).json
    assert (national["people"], national["accounts"]) == (4, 3)
    hcm = staff_client(app, "0901000005", "department_staff", "P79")
    c = dept.post("/campaigns", {"target": HANOI, **TEXT}).json
    problem(hcm.get(f"/campaigns/{c['id']}"), 404)
    problem(hcm.get(f"/campaigns/{c['id']}/stats"), 404)
    assert hcm.get("/campaigns").json == []
    assert admin.get(f"/campaigns/{c['id']}").status_code == 200
    problem(hanoi["citizen"].post("/campaigns/preview", {"target": HANOI}), 403, "forbidden")


def test_a_large_group_is_finished_by_the_scheduler_without_duplicates(app, hanoi, monkeypatch):
    monkeypatch.setattr(service, "SEND_BATCH", 1)
    dept = staff_client(app, "0901000006", "department_staff", "P01")
    preview = dept.post("/campaigns/preview", {"target": HANOI}).json
    c = dept.post("/campaigns", {"target": HANOI, **TEXT}).json
    assert (c["status"], c["accounts_done"]) == ("sending", 1)
    with app.app_context():
        [first] = run_jobs(db.sessions(), FIXED_NOW, jobs=["api.notify.service:continue_campaigns"])
        [again] = run_jobs(db.sessions(), FIXED_NOW, jobs=["api.notify.service:continue_campaigns"])
    assert first.error is None and first.enqueued > 0 and again.enqueued == 0
    done = dept.get(f"/campaigns/{c['id']}").json
    assert (done["status"], done["accounts_done"], done["messages"]) == \
        ("sent", 2, preview["messages"]["total"])
    assert len(campaign_rows(app, c["id"])) == preview["messages"]["total"]


def test_campaign_figures_and_dead_letters_for_staff(app, hanoi):
    dept = staff_client(app, "0901000007", "department_staff", "P01")
    c = dept.post("/campaigns", {"target": HANOI, **TEXT}).json
    # A message about a Hà Nội resident through a channel that will never work (a permanent
    # failure straight away), and one about someone in Hồ Chí Minh City.
    call_notify(app, person_id=hanoi["citizen"].person["id"], template="certificate_ready",
                params={"person_name": "An"}, dedupe_key="cert:an")
    call_notify(app, person_id=hanoi["other"].person["id"], template="certificate_ready",
                params={"person_name": "Bình"}, dedupe_key="cert:binh")

    class GoneSms:  # a LOCAL STAND-IN for an SMS gateway that refuses the number for good
        def send(self, message):
            from notifications.channels import DeliveryFailed

            raise DeliveryFailed("gateway answered 400", permanent=True)

    with app.app_context():
        Worker(db.engine, {"inbox": InboxChannel(), "sms": GoneSms()},
               clock=lambda: FIXED_NOW).run_once()
    hanoi["citizen"].post("/inbox/read-all")
    stats = dept.get(f"/campaigns/{c['id']}/stats").json
    assert stats["campaign"]["id"] == c["id"]
    assert stats["by_channel"]["inbox"] == {"pending": 0, "sending": 0, "sent": 2, "dead": 0,
                                            "total": 2}
    assert stats["by_channel"]["sms"]["dead"] == 1
    assert stats["totals"]["total"] == 6 and stats["read"] == 1
    assert [d["channel"] for d in stats["dead_letters"]] == ["sms"]
    figures = dept.get("/notification-stats").json
    # Department staff see messages about their own residents: An's certificate, not Bình's.
    assert figures["by_channel"]["inbox"]["total"] == 1
    [dead] = figures["dead_letters"]
    assert (dead["channel"], dead["template"], dead["last_error"], dead["person_id"]) == \
        ("sms", "certificate_ready", "gateway answered 400", hanoi["citizen"].person["id"])
    admin = staff_client(app, "0901000008", "national_admin", "VN")
    everything = admin.get("/notification-stats").json
    # the campaign, An's certificate (inbox, push, SMS), Bình's (inbox), Chi's e-mail code
    assert everything["totals"]["total"] == 6 + 3 + 1 + 1
    assert len(everything["dead_letters"]) == 2
    assert admin.get("/notification-stats?template=certificate_ready").json["totals"]["total"] == 4
    problem(admin.get("/notification-stats?since=2026-11-24T00:00:00Z&until=2026-11-23T00:00:00Z"),
            422)
    problem(hanoi["citizen"].get("/notification-stats"), 403)
