"""The scheduled reminder kinds (api/notify/reminders.py), run the way the scheduler runs them.

Every test runs on SQLite and PostgreSQL (the `app` fixture). The clock is fixed and advanced by
hand; jobs run through api.notify.schedule.run_jobs, each in its own transaction, as
`flask --app wsgi notifications schedule` does.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from api.booking.models import Booking, Slot
from api.booking.service import LOCAL
from api.db import db, new_id
from api.notify.schedule import run_jobs
from api.vaccination.models import DoseRecord
from tests.api.booking.conftest import (
    TOMORROW,
    add_dependant,
    make_citizen,
    make_staff,
    open_session,
)
from tests.api.test_notify_fanout import outbox, subscribe
from tests.conftest import FIXED_NOW

DAY_BEFORE = "api.notify.reminders:appointment_day_before"
TWO_HOURS = "api.notify.reminders:appointment_2h"
DUE = "api.notify.reminders:next_dose_due"
OVERDUE = "api.notify.reminders:next_dose_overdue"
COVID = "840539006"


def run(app, now: datetime, *jobs: str) -> dict[str, int]:
    with app.app_context():
        results = run_jobs(db.sessions(), now, only=jobs)
    assert all(r.error is None for r in results), results
    return {r.job: r.enqueued for r in results}


def book(app, person_id: str, session_id: str, slot_id: str, *, status: str = "booked",
         dose_number: int = 1) -> str:
    """A booking straight into the tables (the booking flow itself is tested in tests/api/booking)."""
    with app.app_context(), db.sessions().begin() as s:
        slot = s.get(Slot, slot_id)
        if status in ("booked", "confirmed"):
            slot.booked += 1
        b = Booking(id=new_id(), person_id=person_id, slot_id=slot_id, session_id=session_id,
                    disease=COVID, dose_number=dose_number, dose=str(dose_number), status=status,
                    starts_at=slot.starts_at, ends_at=slot.ends_at, booked_by="test",
                    created_at=FIXED_NOW, updated_at=FIXED_NOW, end_reason="")
        s.add(b)
        return b.id


def dose(app, person_id: str, day: date, *, number: int = 1, product: str = "pfizer-biontech",
         status: str = "valid") -> None:
    at = datetime.combine(day, time(9, 0), tzinfo=LOCAL)
    with app.app_context(), db.sessions().begin() as s:
        s.add(DoseRecord(person_id=person_id, disease=COVID, product_code=product, dose_number=number,
                         series="primary", administered_at=at, administered_on=day, recorded_by="test",
                         status=status, source="backfill", created_at=FIXED_NOW, updated_at=FIXED_NOW))


def rows(app, template: str, **where) -> list:
    return outbox(app, template=template, **where)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LOCAL).astimezone(UTC)


# ---------------------------------------------------------------- appointments

def test_appointment_reminders_fire_once_each_and_not_for_cancelled_bookings(app):
    kept, dropped = make_citizen(app, name="Trần Thị Bình"), make_citizen(app, name="Phạm Văn Dũng")
    session_id, (slot,) = open_session(app)  # tomorrow 08:00-11:00 at Hoàn Kiếm
    booking = book(app, kept.person_id, session_id, slot)
    book(app, dropped.person_id, session_id, slot, status="cancelled")

    # Today 10:00: the day-before reminder, once however often the scheduler runs.
    assert run(app, FIXED_NOW, DAY_BEFORE, TWO_HOURS) == {DAY_BEFORE: 1, TWO_HOURS: 0}
    for later in (FIXED_NOW, FIXED_NOW + timedelta(minutes=1), FIXED_NOW + timedelta(hours=5)):
        assert run(app, later, DAY_BEFORE, TWO_HOURS) == {DAY_BEFORE: 0, TWO_HOURS: 0}
    [msg] = rows(app, "appointment_day_before")
    assert msg.person_id == kept.person_id and msg.account_id == kept.account_id
    assert msg.params["date"] == TOMORROW.strftime("%d/%m/%Y") and msg.params["time"] == "08:00"
    assert msg.dedupe_key.startswith(f"appt-day-before:{booking}:")

    # Tomorrow 06:30: within two hours of 08:00, once; the day-before one is not sent again.
    for minutes, expected in ((0, 1), (0, 0), (30, 0), (89, 0)):
        at = local(TOMORROW, 6, 30) + timedelta(minutes=minutes)
        assert run(app, at, DAY_BEFORE, TWO_HOURS) == {DAY_BEFORE: 0, TWO_HOURS: expected}
    [soon] = rows(app, "appointment_2h")
    assert soon.person_id == kept.person_id and soon.params["time"] == "08:00"
    assert {r.person_id for r in outbox(app)} == {kept.person_id}  # nothing for the cancelled one


def test_a_booking_cancelled_before_its_reminder_gets_none(app):
    c = make_citizen(app)
    session_id, (slot,) = open_session(app)
    booking = book(app, c.person_id, session_id, slot)
    with app.app_context(), db.sessions().begin() as s:
        s.get(Booking, booking).status = "cancelled"
    assert run(app, FIXED_NOW, DAY_BEFORE) == {DAY_BEFORE: 0}
    assert run(app, local(TOMORROW, 7), TWO_HOURS) == {TWO_HOURS: 0}
    assert outbox(app) == []


def test_quiet_hours_defer_the_push_but_not_the_inbox(app):
    c = make_citizen(app)
    subscribe(c)  # push on, quiet hours 21:00-07:00 by default
    session_id, (slot,) = open_session(app)
    book(app, c.person_id, session_id, slot)
    night = local(TOMORROW - timedelta(days=1), 22)  # 22:00 today in Hà Nội
    assert run(app, night, DAY_BEFORE) == {DAY_BEFORE: 2}
    due = {r.channel: r.next_attempt_at for r in rows(app, "appointment_day_before")}
    assert due == {"inbox": night, "webpush": local(TOMORROW, 7)}
    assert all(not r.urgent for r in rows(app, "appointment_day_before"))


def test_the_guardian_receives_the_dependants_reminder(app):
    parent = make_citizen(app, name="Nguyễn Thị Hoa")
    child = add_dependant(app, parent, name="Nguyễn Minh Khang", dob=date(2012, 3, 1))
    session_id, (slot,) = open_session(app)
    book(app, child, session_id, slot)
    assert run(app, FIXED_NOW, DAY_BEFORE) == {DAY_BEFORE: 1}
    [msg] = rows(app, "appointment_day_before")
    assert msg.account_id == parent.account_id and msg.person_id == child
    assert msg.params["person_name"] == "Nguyễn Minh Khang"


# ---------------------------------------------------------------- next dose

def test_next_dose_due_then_overdue_once_each_and_never_for_done_or_booked_doses(app):
    # Pfizer dose 2: from 21 days after dose 1, recommended by 28 days (the seeded 2021 rules).
    due = make_citizen(app, name="Đỗ Văn Đức")
    dose(app, due.person_id, date(2026, 10, 20))                  # dose 2 due 10/11, by 17/11
    early = make_citizen(app, name="Lý Thị Em")
    dose(app, early.person_id, date(2026, 11, 10))                # dose 2 due 01/12
    done = make_citizen(app, name="Hồ Văn Giang")
    dose(app, done.person_id, date(2026, 9, 1))
    dose(app, done.person_id, date(2026, 9, 22), number=2)        # series complete; booster later
    booked = make_citizen(app, name="Vũ Thị Hạnh")
    dose(app, booked.person_id, date(2026, 10, 20))
    session_id, (slot,) = open_session(app)
    book(app, booked.person_id, session_id, slot, dose_number=2)  # dose 2 already booked
    voided = make_citizen(app, name="Mai Văn Khoa")
    dose(app, voided.person_id, date(2026, 10, 20), status="voided")  # does not count

    assert run(app, FIXED_NOW, DUE, OVERDUE) == {DUE: 1, OVERDUE: 0}
    [msg] = rows(app, "next_dose_due")
    assert msg.person_id == due.person_id and msg.account_id == due.account_id
    assert msg.params["dose_number"] == 2 and msg.params["due_date"] == "10/11/2026"
    assert msg.dedupe_key.startswith(f"dose-due:{due.person_id}:2|")
    for later in (FIXED_NOW, FIXED_NOW + timedelta(minutes=1), FIXED_NOW + timedelta(days=1)):
        assert run(app, later, DUE, OVERDUE) == {DUE: 0, OVERDUE: 0}

    # 01/12 10:00: 14 days after 17/11 the first is overdue (once); the second becomes due.
    dec1 = local(date(2026, 12, 1), 10)
    assert run(app, dec1, DUE, OVERDUE) == {DUE: 1, OVERDUE: 1}
    for later in (dec1, dec1 + timedelta(minutes=1), dec1 + timedelta(days=3)):
        assert run(app, later, DUE, OVERDUE) == {DUE: 0, OVERDUE: 0}
    [late] = rows(app, "next_dose_overdue")
    assert late.person_id == due.person_id and late.dedupe_key.startswith(f"dose-overdue:{due.person_id}:2|")
    assert {r.person_id for r in rows(app, "next_dose_due")} == {due.person_id, early.person_id}
    told = {r.person_id for r in outbox(app)}
    assert not told & {done.person_id, booked.person_id, voided.person_id}


def test_a_dependant_due_for_a_dose_is_told_through_the_guardian(app):
    parent = make_citizen(app, name="Nguyễn Thị Hoa")
    child = add_dependant(app, parent, name="Nguyễn Minh Khang", dob=date(2012, 3, 1))
    dose(app, child, date(2026, 10, 20))
    assert run(app, FIXED_NOW, DUE) == {DUE: 1}
    [msg] = rows(app, "next_dose_due")
    assert msg.account_id == parent.account_id and msg.person_id == child


# ---------------------------------------------------------------- told by the site, at once

def test_a_session_cancelled_by_the_site_tells_each_person_in_the_same_transaction(app):
    parent = make_citizen(app, name="Nguyễn Thị Hoa")
    child = add_dependant(app, parent, name="Nguyễn Minh Khang", dob=date(2012, 3, 1))
    session_id, (slot,) = open_session(app)
    book(app, parent.person_id, session_id, slot)
    book(app, child, session_id, slot)
    staff = make_staff(app, "site_staff", "HN-HK")
    r = staff.post(f"/vaccination-sessions/{session_id}/cancel", {"reason": "Thiếu vắc xin"})
    assert r.status_code == 200, r.json
    msgs = rows(app, "booking_cancelled_by_site")
    assert sorted(m.person_id for m in msgs) == sorted([parent.person_id, child])
    assert {m.account_id for m in msgs} == {parent.account_id}
    # The reminders of cancelled bookings are not sent afterwards.
    assert run(app, FIXED_NOW, DAY_BEFORE) == {DAY_BEFORE: 0}
