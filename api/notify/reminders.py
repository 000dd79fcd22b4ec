"""The scheduled reminder kinds of issue 6 (appointments, next dose due and overdue). No Flask.

Each job is `job(session, now) -> int` (api/notify/registry.py JOBS), finds what is due, and calls
notify() with a dedupe key derived from the cause, so any number of runs sends each reminder once:

    appt-day-before:<booking id>:<slot start UTC %Y%m%dT%H%M>
    appt-2h:<booking id>:<slot start UTC %Y%m%dT%H%M>    (a rescheduled booking is reminded anew)
    dose-due:<person id>:<dose number>
    dose-overdue:<person id>:<dose number>

Work is bounded: bookings are read in keyset pages of BATCH rows up to RUN_BUDGET per run, people
in one keyset window of BATCH people per run, starting from a point of the id space that moves
with the clock (see `_dose_window`).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.booking.models import ACTIVE_BOOKING, Booking, VaccinationSession
from api.catalog import rules as engine
from api.catalog import service as catalog
from api.catalog.models import OrgUnit, VaccineProduct
from api.notify.service import notify
from api.people.models import Person
from api.vaccination.models import COUNTED, DoseRecord

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
BATCH = 1000  # rows (bookings) or people handled per page
RUN_BUDGET = 20000  # bookings one run of an appointment job goes through
TWO_HOURS = timedelta(hours=2)
OVERDUE_AFTER = timedelta(days=14)
ID_BUCKETS = 4096  # a dose run starts at one of 16^3 id prefixes, the next minute's at the next


def _local_date(at: datetime) -> date:
    return at.astimezone(LOCAL).date()


def _stamp(at: datetime) -> str:
    return at.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M")


def _bookings_between(session: so.Session, lo: datetime, hi: datetime):
    """Active bookings whose slot starts in (lo, hi], with their site and person, keyset pages."""
    after: tuple[datetime, str] | None = None
    seen = 0
    while seen < RUN_BUDGET:
        q = (sa.select(Booking, OrgUnit.name, Person.full_name)
             .join(VaccinationSession, VaccinationSession.id == Booking.session_id)
             .join(OrgUnit, OrgUnit.id == VaccinationSession.site_id)
             .join(Person, Person.id == Booking.person_id)
             .where(Booking.status.in_(ACTIVE_BOOKING), VaccinationSession.status == "open",
                    Booking.starts_at > lo, Booking.starts_at <= hi)
             .order_by(Booking.starts_at, Booking.id).limit(BATCH))
        if after is not None:
            q = q.where(sa.or_(Booking.starts_at > after[0],
                               sa.and_(Booking.starts_at == after[0], Booking.id > after[1])))
        rows = session.execute(q).all()
        yield from rows
        seen += len(rows)
        if len(rows) < BATCH:
            return
        after = (rows[-1][0].starts_at, rows[-1][0].id)


def appointment_day_before(session: so.Session, now: datetime) -> int:
    """Bookings whose slot starts tomorrow (Hà Nội date), told once; not those within 2 h."""
    tomorrow = _local_date(now) + timedelta(days=1)
    lo = datetime.combine(tomorrow, time(0), tzinfo=LOCAL) - timedelta(microseconds=1)
    hi = datetime.combine(tomorrow + timedelta(days=1), time(0), tzinfo=LOCAL) - timedelta(microseconds=1)
    lo = max(lo, now + TWO_HOURS)  # the 2-hour reminder covers those
    n = 0
    for b, site_name, person_name in _bookings_between(session, lo, hi):
        local = b.starts_at.astimezone(LOCAL)
        n += len(notify(session, person_id=b.person_id, template="appointment_day_before",
                        params={"person_name": person_name, "site_name": site_name,
                                "date": local.strftime("%d/%m/%Y"), "time": local.strftime("%H:%M")},
                        dedupe_key=f"appt-day-before:{b.id}:{_stamp(b.starts_at)}", now=now))
    return n


def appointment_2h(session: so.Session, now: datetime) -> int:
    """Bookings whose slot starts within the next two hours, told once."""
    n = 0
    for b, site_name, person_name in _bookings_between(session, now, now + TWO_HOURS):
        local = b.starts_at.astimezone(LOCAL)
        n += len(notify(session, person_id=b.person_id, template="appointment_2h",
                        params={"person_name": person_name, "site_name": site_name,
                                "time": local.strftime("%H:%M")},
                        dedupe_key=f"appt-2h:{b.id}:{_stamp(b.starts_at)}", now=now))
    return n


# ---------------------------------------------------------------- next dose

def _dose_window(session: so.Session, now: datetime) -> list[str]:
    """Up to BATCH ids of people with a counted COVID-19 dose, in id order, from a start point
    that moves with the minute (and wraps), so successive runs cover everyone without a stored
    cursor as long as no 1/4096 of the id space holds more than BATCH dosed people."""
    minute = int(now.timestamp() // 60)
    start = f"{minute % ID_BUCKETS:03x}"
    base = (sa.select(DoseRecord.person_id)
            .where(DoseRecord.status.in_(COUNTED), DoseRecord.disease == engine.COVID19)
            .group_by(DoseRecord.person_id).order_by(DoseRecord.person_id))
    ids = list(session.scalars(base.where(DoseRecord.person_id >= start).limit(BATCH)))
    if len(ids) < BATCH:
        ids += session.scalars(base.where(DoseRecord.person_id < start).limit(BATCH - len(ids)))
    return ids


def _due_people(session: so.Session, now: datetime):
    """(person, next dose answer, product name) for each person of this run's window whose next
    dose the rules engine makes due by today, and who holds no booking for it."""
    today = _local_date(now)
    ids = _dose_window(session, now)
    if not ids:
        return
    rule_set = catalog.load_rule_set(session)
    people = {p.id: p for p in session.scalars(sa.select(Person).where(Person.id.in_(ids)))}
    history: dict[str, list[engine.GivenDose]] = {}
    for pid, code, number, day in session.execute(
            sa.select(DoseRecord.person_id, DoseRecord.product_code, DoseRecord.dose_number,
                      DoseRecord.administered_on)
            .where(DoseRecord.person_id.in_(ids), DoseRecord.status.in_(COUNTED))):
        history.setdefault(pid, []).append(engine.GivenDose(code, number, day))
    booked = set(session.execute(
        sa.select(Booking.person_id, Booking.dose_number).where(
            Booking.person_id.in_(ids), Booking.disease == engine.COVID19,
            Booking.status.in_(ACTIVE_BOOKING + ("attended",)))).all())
    names = dict(session.execute(sa.select(VaccineProduct.code, VaccineProduct.name_vi)).all())
    for pid in ids:
        person, doses = people.get(pid), history.get(pid)
        if person is None or not doses:
            continue
        last = max(doses, key=lambda d: (d.given_on, d.dose_number))
        where = engine.Jurisdiction(person.province_code)
        # Asked from the day after the last dose: the date it first fell due, not "today".
        a = engine.next_dose(person.date_of_birth, doses, rule_set, product=last.product,
                             where=where, on=last.given_on + timedelta(days=1))
        due_on = a.recommended_on or a.eligible_from
        if a.dose_number is None or due_on is None or due_on > today:
            continue
        if (pid, a.dose_number) in booked:
            continue
        still = engine.next_dose(person.date_of_birth, doses, rule_set, product=last.product,
                                 where=where, on=today)
        if still.eligible_from is None:  # no longer possible as rules stand (too old, withdrawn)
            continue
        yield person, a, due_on, names.get(last.product, last.product)


def _dose_params(person: Person, a: engine.NextDose, due_on: date, vaccine: str) -> dict:
    return {"person_name": person.full_name, "vaccine": vaccine, "dose_number": a.dose_number,
            "due_date": due_on.strftime("%d/%m/%Y")}


def next_dose_due(session: so.Session, now: datetime) -> int:
    """People whose next dose is due by today and not booked: told once per dose."""
    n = 0
    for person, a, due_on, vaccine in _due_people(session, now):
        n += len(notify(session, person_id=person.id, template="next_dose_due",
                        params=_dose_params(person, a, due_on, vaccine),
                        dedupe_key=f"dose-due:{person.id}:{a.dose_number}", now=now))
    return n


def next_dose_overdue(session: so.Session, now: datetime) -> int:
    """Still not booked nor given 14 days after recommended_by (or after the due date when the
    rule sets no latest date): told once per dose."""
    today = _local_date(now)
    n = 0
    for person, a, due_on, vaccine in _due_people(session, now):
        limit = a.recommended_by or due_on
        if today < limit + OVERDUE_AFTER:
            continue
        n += len(notify(session, person_id=person.id, template="next_dose_overdue",
                        params=_dose_params(person, a, due_on, vaccine),
                        dedupe_key=f"dose-overdue:{person.id}:{a.dose_number}", now=now))
    return n
