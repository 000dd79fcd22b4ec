"""notify(): who hears about a person, on which channels, once; the inbox; the scheduler registry.

Every test runs on SQLite and PostgreSQL (the `app` fixture). notify() is called the way other
domains call it: inside their own transaction, with the session they hold.
"""
from __future__ import annotations

import base64
import os
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from api.db import db
from api.notify.schedule import run_jobs
from api.notify.service import notify
from notifications.models import outbox_message
from tests.api.conftest import ApiClient, profile
from tests.api.test_auth import problem
from tests.conftest import FIXED_NOW

APPT = {"person_name": "Nguyễn Minh Khang", "site_name": "Trạm Y tế phường Hoàn Kiếm",
        "date": "24/11/2026", "time": "08:30"}
LOT = {"person_name": "Nguyễn Văn An", "vaccine": "Comirnaty", "lot": "FK1234",
       "dose_date": "20/11/2026", "hotline": "1900 9095"}
NIGHT = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # 22:00 in Hà Nội
MORNING = datetime(2026, 11, 24, 0, 0, tzinfo=timezone.utc)  # 07:00 in Hà Nội, next day


# ---------------------------------------------------------------- builders (used by the other
# test_notify_* modules too)

def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Browser:
    """The keys a browser makes for a PushSubscription (RFC 8291 §2): ours, for the test."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        self.subscription = {"endpoint": endpoint, "expirationTime": None,
                             "keys": {"p256dh": b64u(public), "auth": b64u(self.auth)}}


def subscribe(client: ApiClient, endpoint: str = "https://fcm.googleapis.com/fcm/send/abc") -> dict:
    r = client.post("/push-subscriptions", Browser(endpoint).subscription)
    assert r.status_code == 201, r.json
    return r.json


SETTINGS = {"push": True, "sms": False, "email": False, "email_address": None, "language": "vi",
            "quiet_hours": {"start": "21:00", "end": "07:00"}, "time_zone": "Asia/Ho_Chi_Minh"}


def save_settings(client: ApiClient, **changes) -> dict:
    r = client.put("/notification-settings", {**SETTINGS, **changes})
    assert r.status_code == 200, r.json
    return r.json


def add_child(client: ApiClient, name: str = "Nguyễn Minh Khang", dob: str = "2021-08-01",
              province: int = 1, ward: int = 70) -> dict:
    r = client.post("/people/dependants", {
        "full_name": name, "date_of_birth": dob, "sex": "M", "national_id": None,
        "relationship": "child", "address": {"province_code": province, "ward_code": ward}})
    assert r.status_code == 201, r.json
    return r.json


def signed_up(app, phone: str, **overrides) -> ApiClient:
    c = ApiClient(app)
    c.sign_in(phone)
    r = c.put("/people/me", profile(**overrides))
    assert r.status_code == 200, r.json
    c.person = r.json
    return c


def call_notify(app, **kw) -> list[str]:
    """notify() in its own committed transaction, as a domain service would call it."""
    kw.setdefault("now", FIXED_NOW)
    with app.app_context(), db.sessions().begin() as session:
        return notify(session, **kw)


def outbox(app, **where) -> list:
    t = outbox_message
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(sa.select(t).where(*(t.c[k] == v for k, v in where.items()))
                            .order_by(t.c.channel, t.c.dedupe_key)).all()


def account_id(client: ApiClient) -> str:
    return client.get("/auth/me").json["account_id"]


# ---------------------------------------------------------------- fan-out

def test_a_person_hears_on_the_inbox_and_every_enabled_channel(app, citizen):
    subscribe(citizen, "https://fcm.googleapis.com/fcm/send/phone")
    subscribe(citizen, "https://updates.push.services.mozilla.com/wpush/v2/laptop")
    assert citizen.post("/fcm-tokens", {"token": "fcm-registration-token-0123456789",
                                        "platform": "android"}).status_code == 201
    save_settings(citizen, sms=True)
    me = account_id(citizen)
    ids = call_notify(app, person_id=citizen.person["id"], template="appointment_day_before",
                      params=APPT, dedupe_key="appt-day-before:b1:20261124T0830")
    rows = outbox(app)
    assert sorted(ids) == sorted(r.id for r in rows)
    assert [r.channel for r in rows] == ["fcm", "inbox", "sms", "webpush", "webpush"]
    assert {r.account_id for r in rows} == {me} and {r.person_id for r in rows} == {citizen.person["id"]}
    assert all(r.dedupe_key.startswith(f"appt-day-before:b1:20261124T0830|{me}|") for r in rows)
    by = {r.channel: r for r in rows}
    assert by["sms"].recipient == "+84912345678"
    assert by["fcm"].recipient == {"token": "fcm-registration-token-0123456789"}
    assert by["inbox"].recipient is None
    assert {r.recipient["endpoint"] for r in rows if r.channel == "webpush"} == {
        "https://fcm.googleapis.com/fcm/send/phone",
        "https://updates.push.services.mozilla.com/wpush/v2/laptop"}
    assert all(r.lang == "vi" and r.next_attempt_at == FIXED_NOW and not r.urgent for r in rows)
    # Push off: the devices stay registered but hear nothing; the inbox always does.
    save_settings(citizen, push=False)
    [inbox_only] = call_notify(app, person_id=citizen.person["id"], template="certificate_ready",
                               params={"person_name": "Nguyễn Văn An"}, dedupe_key="cert-ready:1")
    assert [r.channel for r in outbox(app, id=inbox_only)] == ["inbox"]


def test_nothing_is_written_when_the_callers_transaction_rolls_back(app, citizen):
    subscribe(citizen)
    with pytest.raises(RuntimeError):
        with app.app_context(), db.sessions().begin() as session:
            assert len(notify(session, person_id=citizen.person["id"],
                              template="certificate_ready", params={"person_name": "An"},
                              dedupe_key="cert-ready:rolled-back", now=FIXED_NOW)) == 2
            raise RuntimeError("the booking failed after the reminder was enqueued")
    assert outbox(app) == []
    # The same key later, in a transaction that commits, is written: nothing was half-kept.
    assert len(call_notify(app, person_id=citizen.person["id"], template="certificate_ready",
                           params={"person_name": "An"}, dedupe_key="cert-ready:rolled-back")) == 2


def test_a_rerun_with_the_same_key_writes_nothing_new_but_reaches_a_new_device(app, citizen):
    pid = citizen.person["id"]
    kw = dict(person_id=pid, template="next_dose_due", dedupe_key="dose-due:p1:2",
              params={"person_name": "An", "vaccine": "Comirnaty", "dose_number": 2,
                      "due_date": "14/12/2026"})
    first = call_notify(app, **kw)
    assert len(first) == 1  # the inbox: no device yet
    assert call_notify(app, **kw) == []
    assert call_notify(app, **{**kw, "now": FIXED_NOW + timedelta(hours=1)}) == []
    subscribe(citizen)
    [new] = call_notify(app, **kw)
    assert [r.channel for r in outbox(app, id=new)] == ["webpush"]
    assert len(outbox(app)) == 2
    # A key too long to take the account/channel/device suffix is hashed, and dedupes alike.
    long = {**kw, "dedupe_key": "dose-due:" + "x" * 300}
    assert len(call_notify(app, **long)) == 2 and call_notify(app, **long) == []
    assert all(len(r.dedupe_key) <= 200 for r in outbox(app))


def test_quiet_hours_hold_push_and_sms_but_an_urgent_safety_message_passes(app, citizen):
    subscribe(citizen)
    save_settings(citizen, sms=True)  # quiet 21:00-07:00 Hà Nội
    call_notify(app, person_id=citizen.person["id"], template="appointment_2h",
                params={k: APPT[k] for k in ("person_name", "site_name", "time")},
                dedupe_key="appt-2h:b1", now=NIGHT)
    due = {r.channel: r.next_attempt_at for r in outbox(app, template="appointment_2h")}
    assert due == {"inbox": NIGHT, "webpush": MORNING, "sms": MORNING}
    save_settings(citizen)  # SMS off: a safety message still reaches the phone, at once
    call_notify(app, person_id=citizen.person["id"], template="lot_quarantined", params=LOT,
                dedupe_key="lot-quarantined:FK1234", urgent=True, now=NIGHT)
    rows = outbox(app, template="lot_quarantined")
    assert {r.channel: r.next_attempt_at for r in rows} == {"inbox": NIGHT, "webpush": NIGHT,
                                                            "sms": NIGHT}
    assert all(r.urgent for r in rows)


def test_caller_mistakes_fail_at_once_in_the_callers_transaction(app, citizen):
    from notifications.templates import TemplateError

    with pytest.raises(ValueError, match="not a safety template"):
        call_notify(app, person_id=citizen.person["id"], template="appointment_day_before",
                    params=APPT, dedupe_key="appt:urgent", urgent=True)
    # A missing param is found now, not days later by the worker.
    with pytest.raises(TemplateError, match="misses params"):
        call_notify(app, person_id=citizen.person["id"], template="appointment_day_before",
                    params={"person_name": "An"}, dedupe_key="appt:bad")
    with pytest.raises(TemplateError, match="unknown template"):
        call_notify(app, person_id=citizen.person["id"], template="appointment_tomorow",
                    params=APPT, dedupe_key="appt:typo")
    assert outbox(app) == []


def test_the_accounts_language_and_per_language_params(app, citizen):
    save_settings(citizen, language="en")
    call_notify(app, person_id=citizen.person["id"], template="registration_approved",
                params={"person_name": "Nguyễn Văn An", "vaccine": "vắc xin phòng COVID-19"},
                lang_params={"en": {"vaccine": "COVID-19 vaccine"}}, dedupe_key="reg-ok:1")
    [row] = outbox(app)
    assert row.lang == "en" and row.params["vaccine"] == "COVID-19 vaccine"
    [item] = citizen.get("/inbox").json["items"]
    assert item["title"] == "Registration approved"
    assert item["body"] == "The registration of Nguyễn Văn An for COVID-19 vaccine has been approved."


def test_a_dependants_messages_go_to_every_active_guardian(app, citizen, other_citizen):
    kid = add_child(citizen)
    r = citizen.post(f"/people/{kid['id']}/guardians", {"phone": "0987654321",
                                                         "relationship": "parent"})
    assert r.status_code == 201
    [inv] = other_citizen.get("/guardian-invitations").json
    assert other_citizen.post(f"/guardian-invitations/{inv['id']}/accept").status_code == 200
    save_settings(other_citizen, language="en")
    call_notify(app, person_id=kid["id"], template="appointment_day_before", params=APPT,
                dedupe_key="appt-day-before:kid")
    rows = outbox(app)
    assert {r.account_id for r in rows} == {account_id(citizen), account_id(other_citizen)}
    assert {r.account_id: r.lang for r in rows} == {account_id(citizen): "vi",
                                                    account_id(other_citizen): "en"}
    for guardian in (citizen, other_citizen):
        inbox = guardian.get("/inbox").json
        assert inbox["unread"] == 1
        [item] = inbox["items"]
        assert item["person"] == {"id": kid["id"], "full_name": "Nguyễn Minh Khang",
                                  "relation": "dependant"}
    # A guardian who ends the link stops seeing the child's messages (and gets no new ones).
    [link] = [g for g in other_citizen.get(f"/people/{kid['id']}/guardians").json if g["is_me"]]
    assert other_citizen.delete(f"/people/{kid['id']}/guardians/{link['id']}").status_code == 204
    assert other_citizen.get("/inbox").json == {"items": [], "unread": 0, "next_before": None}
    call_notify(app, person_id=kid["id"], template="certificate_ready",
                params={"person_name": "Khang"}, dedupe_key="cert:kid")
    assert {r.account_id for r in outbox(app, template="certificate_ready")} == {account_id(citizen)}


def test_a_person_without_any_account_is_reached_on_their_own_phone(app):
    from api.people.models import Person

    with app.app_context(), db.sessions().begin() as session:
        walk_in = Person(full_name="Lê Thị Hoa", date_of_birth=datetime(1948, 1, 2).date(),
                         sex="F", phone="+84911222333", province_code=1, address_line="",
                         created_at=FIXED_NOW, updated_at=FIXED_NOW)
        session.add(walk_in)
        session.flush()
        pid = walk_in.id
    call_notify(app, person_id=pid, template="reaction_followup_day1",
                params={"person_name": "Lê Thị Hoa", "vaccine": "Vaxigrip"}, dedupe_key="rf1:w")
    [row] = outbox(app)
    assert (row.channel, row.recipient, row.account_id) == ("sms", "+84911222333", None)


# ---------------------------------------------------------------- the inbox

def test_citizen_a_never_sees_or_touches_bs_inbox(app, citizen, other_citizen):
    subscribe(other_citizen)
    call_notify(app, person_id=other_citizen.person["id"], template="certificate_ready",
                params={"person_name": "Trần Thị Bình"}, dedupe_key="cert:b")
    [bs] = other_citizen.get("/inbox").json["items"]
    assert bs["person"]["relation"] == "self"
    assert citizen.get("/inbox").json["items"] == []
    [bs_push] = outbox(app, channel="webpush")
    for message_id in (bs["id"], bs_push.id):
        problem(citizen.post(f"/inbox/{message_id}/read"), 404, "not-found")
    problem(citizen.get(f"/inbox?person_id={other_citizen.person['id']}"), 403, "not-guardian")
    assert citizen.post("/inbox/read-all").json == {"marked": 0}
    assert other_citizen.get("/inbox").json["unread"] == 1


def test_inbox_pages_newest_first_and_counts_unread(app, citizen, clock):
    kid = add_child(citizen)
    for i in range(5):
        call_notify(app, person_id=citizen.person["id"] if i % 2 else kid["id"],
                    template="certificate_ready", params={"person_name": f"#{i}"},
                    dedupe_key=f"cert:{i}", now=FIXED_NOW + timedelta(minutes=i))
    clock.advance(minutes=5)
    first = citizen.get("/inbox?limit=2").json
    assert [re.search(r"#\d", i["body"]).group() for i in first["items"]] == ["#4", "#3"]
    assert first["unread"] == 5 and first["next_before"]
    second = citizen.get(f"/inbox?limit=2&before={first['next_before']}").json
    third = citizen.get(f"/inbox?limit=2&before={second['next_before']}").json
    assert [len(p["items"]) for p in (first, second, third)] == [2, 2, 1]
    assert third["next_before"] is None
    read = citizen.post(f"/inbox/{first['items'][0]['id']}/read")
    assert read.status_code == 200 and read.json["read_at"] is not None
    assert citizen.post(f"/inbox/{first['items'][0]['id']}/read").json == read.json  # again
    page = citizen.get("/inbox").json
    assert page["unread"] == 4 and page["items"][0]["read_at"] is not None
    only_kid = citizen.get(f"/inbox?person_id={kid['id']}").json["items"]
    assert len(only_kid) == 3 and {i["person"]["id"] for i in only_kid} == {kid["id"]}
    assert citizen.post("/inbox/read-all").json == {"marked": 4}
    assert citizen.get("/inbox").json["unread"] == 0
    problem(citizen.get("/inbox?before=not-a-cursor"), 422, "validation-failed")
    problem(citizen.get("/inbox?limit=0"), 422, "validation-failed")
    # A reminder for later stays out of the inbox until its time.
    call_notify(app, person_id=citizen.person["id"], template="appointment_day_before",
                params=APPT, dedupe_key="appt:later", now=clock(),
                not_before=clock() + timedelta(hours=3))
    assert citizen.get("/inbox").json["unread"] == 0
    clock.advance(hours=3)
    assert citizen.get("/inbox?limit=1").json["items"][0]["template"] == "appointment_day_before"


# ---------------------------------------------------------------- the scheduler registry

def reminder_job(session, now):
    """A stand-in for a domain's reminder kind: everyone with a profile, once per day."""
    from api.people.models import Person

    n = 0
    for pid in session.scalars(sa.select(Person.id).order_by(Person.id)):
        n += len(notify(session, person_id=pid, template="certificate_ready",
                        params={"person_name": "An"}, dedupe_key=f"daily:{pid}:{now:%Y%m%d}",
                        now=now))
    return n


def broken_job(session, now):
    notify(session, person_id="no-such-person", template="certificate_ready",
           params={"person_name": "?"}, dedupe_key="broken", now=now)
    return 1


JOBS = ("tests.api.test_notify_fanout:broken_job", "tests.api.test_notify_fanout:reminder_job")


def test_scheduled_jobs_are_idempotent_and_one_failure_stops_no_other(app, citizen, other_citizen):
    with app.app_context():
        first = run_jobs(db.sessions(), FIXED_NOW, jobs=JOBS)
        again = run_jobs(db.sessions(), FIXED_NOW + timedelta(minutes=1), jobs=JOBS)
    assert first[0].error == "ValueError: no person no-such-person"
    assert (first[1].enqueued, first[1].error) == (2, None)
    assert (again[1].enqueued, again[1].error) == (0, None)
    assert len(outbox(app)) == 2
    # The command runs the registry's jobs (JOBS in api/notify/registry.py).
    result = app.test_cli_runner().invoke(args=["notifications", "schedule"])
    assert result.exit_code == 0, result.output
    assert "api.notify.service:continue_campaigns\t0" in result.output
