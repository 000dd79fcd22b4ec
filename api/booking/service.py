"""Registration → approval and allocation → sessions and slots → bookings. No Flask here.

Every function takes a sessionmaker and owns its transaction, and takes `now` from the edge.
The booking hot path (`book`) is one SELECT that brings everything the checks need, the rules
engine in memory, then the conditional UPDATE of the slot and the INSERT of the booking as one
statement on an autocommit connection: two round trips, whatever the history of the person.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
import sqlalchemy.orm as so

from api.audit import service as audit
from api.auth.service import Principal
from api.booking import ics, priority
from api.booking.models import (ACTIVE_BOOKING, LIVE_REGISTRATION, Booking, Registration,
                                RegistrationEvent, Slot, VaccinationSession)
from api.booking.problems import (AlreadyBooked, BookingNotActive, ConfirmClosed, NotEligible,
                                  RegistrationCancelled, RegistrationExists, RegistrationPending,
                                  RegistrationRequired, RegistrationState, SessionCancelled,
                                  SessionOutOfScope, SessionPast, SlotFull)
from api.catalog import rules as engine
from api.catalog import service as catalog
from api.catalog.models import OrgUnit, VaccineProduct
from api.catalog.problems import UnitOutOfScope
from api.db import Base, constant, new_id, one_of
from api.people import service as people
from api.people.models import Guardianship, Person
from api.places import service as places
from api.problems import IdempotencyKeyReused, NotFound, ValidationFailed

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# A booking made more than AUTO_CONFIRM_WITHIN before its slot must be confirmed by CONFIRM_LEAD
# before the slot, or the release job gives the seat to someone else.
AUTO_CONFIRM_WITHIN = timedelta(hours=48)
CONFIRM_LEAD = timedelta(hours=24)
MISSED_GRACE = timedelta(minutes=30)  # after the slot ends, a booking not attended is missed
STAFF = ("site_staff", "department_staff", "national_admin")
DEPARTMENT = ("department_staff", "national_admin")
MAX_BULK = 500

slot_t = Slot.__table__
booking_t = Booking.__table__


def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL).date()


def _invalid(field: str, en: str, vi: str) -> ValidationFailed:
    return ValidationFailed(en, detail_vi=vi, errors={field: [en]}, errors_vi={field: [vi]})


def _inbox(session: so.Session, *, account_id: str | None, person_id: str, template: str,
           key: str, now: datetime, **params) -> None:
    """Tell the person's account and guardians (inbox and their channels), in the same
    transaction as the change. `account_id` (who acted) is kept for the callers' sake: notify()
    fans out to everyone who looks after the person, which includes the one who acted."""
    from api.notify.service import notify  # lazy: api.notify imports nothing of booking

    notify(session, person_id=person_id, template=template, params=params, dedupe_key=key, now=now)


# ---------------------------------------------------------------- registrations

def _registration_view(reg: Registration, person: Person, unit: OrgUnit | None,
                       events: list[RegistrationEvent] | None = None) -> dict:
    return {
        "id": reg.id, "person_id": reg.person_id, "person_name": person.full_name,
        "date_of_birth": person.date_of_birth, "disease": reg.disease,
        "priority_group": reg.priority_group, "preferred_province_code": reg.preferred_province_code,
        "preferred_province_name": places.province_name(reg.preferred_province_code),
        "preferred_ward_code": reg.preferred_ward_code,
        "preferred_ward_name": places.ward_name(reg.preferred_ward_code) if reg.preferred_ward_code else None,
        "note": reg.note, "status": reg.status, "status_reason": reg.status_reason,
        "allocated_unit": {"id": unit.id, "name": unit.name, "kind": unit.kind} if unit else None,
        "created_at": reg.created_at, "updated_at": reg.updated_at,
        "history": [{"status": e.status, "reason": e.reason, "at": e.at} for e in events] if events is not None else None,
    }


def _event(session: so.Session, reg_id: str, status: str, *, actor: str | None, now: datetime,
           reason: str = "", unit_id: str | None = None) -> None:
    session.add(RegistrationEvent(registration_id=reg_id, status=status, reason=reason, unit_id=unit_id,
                                  actor_account_id=actor, at=now))


def register(sessions: so.sessionmaker, principal: Principal, *, person_id: str, priority_group: str,
             province_code: int, ward_code: int | None, note: str = "",
             disease: str = engine.COVID19, now: datetime) -> dict:
    """Register oneself or a dependant for vaccination.

    :raises NotGuardian, ValidationFailed, RegistrationExists:
    """
    if priority_group not in priority.CODES:
        raise _invalid("priority_group", "Unknown priority group.", "Nhóm ưu tiên không tồn tại.")
    places.check_address(province_code, ward_code)
    try:
        with sessions.begin() as session:
            people.check_can_act_for(session, principal, person_id)
            live = session.scalar(sa.select(Registration.id).where(
                Registration.person_id == person_id, Registration.disease == disease,
                Registration.status.in_(LIVE_REGISTRATION)))
            if live:
                raise RegistrationExists(registration_id=live)
            reg = Registration(person_id=person_id, disease=disease, priority_group=priority_group,
                               preferred_province_code=province_code, preferred_ward_code=ward_code,
                               note=note, status="submitted", status_reason="", created_by=principal.account_id,
                               created_at=now, updated_at=now)
            session.add(reg)
            session.flush()
            _event(session, reg.id, "submitted", actor=principal.account_id, now=now)
            session.flush()
            return _registration_view(reg, session.get_one(Person, person_id), None,
                                      _events(session, reg.id))
    except sa_exc.IntegrityError as exc:  # the same person registered twice at the same moment
        if "registration" in str(exc.orig):
            raise RegistrationExists() from None
        raise


def _events(session: so.Session, reg_id: str) -> list[RegistrationEvent]:
    return list(session.scalars(sa.select(RegistrationEvent).filter_by(registration_id=reg_id)
                                .order_by(RegistrationEvent.at, RegistrationEvent.id)))


def _managed_ids(session: so.Session, principal: Principal) -> list[str]:
    ids = [principal.person_id] if principal.person_id else []
    ids += session.scalars(sa.select(Guardianship.person_id).where(
        Guardianship.guardian_account_id == principal.account_id, Guardianship.status == "active"))
    return ids


def my_registrations(sessions: so.sessionmaker, principal: Principal, *, person_id: str | None = None) -> list[dict]:
    """The registrations of the people this account manages (or of one of them), newest first."""
    with sessions.begin() as session:
        if person_id:
            people.check_can_act_for(session, principal, person_id)
            ids = [person_id]
        else:
            ids = _managed_ids(session, principal)
        rows = session.execute(
            sa.select(Registration, Person, OrgUnit).join(Person, Person.id == Registration.person_id)
            .outerjoin(OrgUnit, OrgUnit.id == Registration.allocated_unit_id)
            .where(Registration.person_id.in_(ids)).order_by(Registration.created_at.desc())).all()
        return [_registration_view(r, p, u, _events(session, r.id)) for r, p, u in rows]


def _department_provinces(principal: Principal) -> set[int] | None:
    """None: everywhere (national admin); else the provinces of the caller's department roles."""
    if principal.has("national_admin"):
        return None
    return {r.province_code for r in principal.roles
            if r.role == "department_staff" and r.province_code is not None}


def _staff_may_see(principal: Principal, reg: Registration) -> bool:
    provinces = _department_provinces(principal) if principal.has(*DEPARTMENT) else set()
    return provinces is None or reg.preferred_province_code in provinces


def get_registration(sessions: so.sessionmaker, principal: Principal, reg_id: str) -> dict:
    """One registration with its history: for the person's account and guardians, or department staff in scope.

    :raises NotFound, NotGuardian:
    """
    with sessions.begin() as session:
        row = session.execute(
            sa.select(Registration, Person, OrgUnit).join(Person, Person.id == Registration.person_id)
            .outerjoin(OrgUnit, OrgUnit.id == Registration.allocated_unit_id)
            .where(Registration.id == reg_id)).first()
        if row is None:
            raise NotFound("No such registration.", detail_vi="Không có đăng ký này.")
        reg, person, unit = row
        if not _staff_may_see(principal, reg) or not principal.has(*DEPARTMENT):
            people.check_can_act_for(session, principal, reg.person_id)
        return _registration_view(reg, person, unit, _events(session, reg.id))


def cancel_registration(sessions: so.sessionmaker, principal: Principal, reg_id: str, *,
                        reason: str, now: datetime) -> dict:
    """Withdraw a live registration; the person's active bookings for the disease end with it.

    :raises NotFound, NotGuardian, RegistrationState:
    """
    with sessions.begin() as session:
        reg = session.get(Registration, reg_id)
        if reg is None:
            raise NotFound("No such registration.", detail_vi="Không có đăng ký này.")
        people.check_can_act_for(session, principal, reg.person_id)
        done = session.execute(sa.update(Registration.__table__).where(
            Registration.id == reg_id, Registration.status.in_(LIVE_REGISTRATION))
            .values(status="cancelled", status_reason=reason, updated_at=now)).rowcount
        if not done:
            raise RegistrationState(f"The registration is {reg.status}.",
                                    detail_vi="Đăng ký không còn hiệu lực.", status=reg.status)
        _event(session, reg_id, "cancelled", actor=principal.account_id, now=now, reason=reason)
        _end_bookings(session, sa.and_(booking_t.c.person_id == reg.person_id,
                                       booking_t.c.disease == reg.disease),
                      status="cancelled", reason="registration cancelled", now=now)
        session.expire_all()
    return get_registration(sessions, principal, reg_id)


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = "submitted"
    priority_group: str | None = None
    province_code: int | None = None
    ward_code: int | None = None
    limit: int = 50
    offset: int = 0


def registration_queue(sessions: so.sessionmaker, principal: Principal, f: QueueFilter, *,
                       request_id: str, now: datetime) -> tuple[list[dict], int]:
    """The department's queue within its provinces, oldest first; the read is audited.

    :raises UnitOutOfScope: a province filter outside the caller's provinces.
    """
    provinces = _department_provinces(principal)
    q = (sa.select(Registration, Person, OrgUnit).join(Person, Person.id == Registration.person_id)
         .outerjoin(OrgUnit, OrgUnit.id == Registration.allocated_unit_id))
    if f.province_code is not None:
        if provinces is not None and f.province_code not in provinces:
            raise UnitOutOfScope("That province is outside your scope.",
                                 detail_vi="Tỉnh/thành này nằm ngoài phạm vi của bạn.")
        q = q.where(Registration.preferred_province_code == f.province_code)
    elif provinces is not None:
        q = q.where(Registration.preferred_province_code.in_(sorted(provinces)))
    if f.status:
        q = q.where(Registration.status == f.status)
    if f.priority_group:
        q = q.where(Registration.priority_group == f.priority_group)
    if f.ward_code is not None:
        q = q.where(Registration.preferred_ward_code == f.ward_code)
    with sessions.begin() as session:
        total = session.scalar(sa.select(sa.func.count()).select_from(q.subquery()))
        rows = session.execute(q.order_by(Registration.created_at, Registration.id)
                               .limit(f.limit).offset(f.offset)).all()
        audit.record(session, actor=principal.account_id, action="registration.queue.read", now=now,
                     request_id=request_id, count=len(rows), filters={k: v for k, v in f.__dict__.items() if v is not None})
        return [_registration_view(r, p, u) for r, p, u in rows], total


def decide_registrations(sessions: so.sessionmaker, principal: Principal, ids: list[str], *,
                         approve: bool, reason: str, now: datetime) -> dict:
    """Approve or reject submitted registrations in bulk; others are skipped with the reason.

    :raises ValidationFailed: a rejection without a reason, or too many ids.
    """
    if not approve and not reason.strip():
        raise _invalid("reason", "Say why the registrations are rejected.", "Hãy nêu lý do từ chối.")
    if len(ids) > MAX_BULK:
        raise _invalid("registration_ids", f"At most {MAX_BULK} at once.", f"Tối đa {MAX_BULK} mỗi lần.")
    status = "approved" if approve else "rejected"
    done, skipped = [], []
    with sessions.begin() as session:
        regs = {r.id: (r, p) for r, p in session.execute(
            sa.select(Registration, Person).join(Person, Person.id == Registration.person_id)
            .where(Registration.id.in_(ids)))}
        for reg_id in dict.fromkeys(ids):
            reg, person = regs.get(reg_id, (None, None))
            if reg is None:
                skipped.append({"id": reg_id, "reason": "not-found"})
            elif not _staff_may_see(principal, reg):
                skipped.append({"id": reg_id, "reason": "out-of-scope"})
            elif not session.execute(sa.update(Registration.__table__).where(
                    Registration.id == reg_id, Registration.status == "submitted")
                    .values(status=status, status_reason=reason, updated_at=now)).rowcount:
                skipped.append({"id": reg_id, "reason": f"status-{reg.status}"})
            else:
                _event(session, reg_id, status, actor=principal.account_id, now=now, reason=reason)
                params = {"person_name": person.full_name, "vaccine": "COVID-19"}
                if not approve:
                    params["reason"] = reason
                _inbox(session, account_id=reg.created_by, person_id=reg.person_id,
                       template=f"registration_{status}", key=f"registration:{reg_id}:{status}", now=now, **params)
                done.append(reg_id)
    return {"done": done, "skipped": skipped}


def allocate_registrations(sessions: so.sessionmaker, principal: Principal, ids: list[str], *,
                           unit_id: str, now: datetime) -> dict:
    """Allocate approved (or re-allocate allocated) registrations to a site within scope.

    :raises NotFound, UnitOutOfScope, ValidationFailed:
    """
    if len(ids) > MAX_BULK:
        raise _invalid("registration_ids", f"At most {MAX_BULK} at once.", f"Tối đa {MAX_BULK} mỗi lần.")
    done, skipped = [], []
    with sessions.begin() as session:
        unit = session.get(OrgUnit, unit_id)
        if unit is None:
            raise NotFound("No such unit.", detail_vi="Không có đơn vị này.")
        if unit.kind not in ("site", "health_centre"):
            raise _invalid("unit_id", "Allocate to a site or a health centre.", "Hãy phân bổ về điểm tiêm hoặc trung tâm y tế.")
        if not catalog.path_in_scope(unit.path, catalog.scope_paths(principal, DEPARTMENT)):
            raise UnitOutOfScope()
        regs = {r.id: (r, p) for r, p in session.execute(
            sa.select(Registration, Person).join(Person, Person.id == Registration.person_id)
            .where(Registration.id.in_(ids)))}
        for reg_id in dict.fromkeys(ids):
            reg, person = regs.get(reg_id, (None, None))
            if reg is None:
                skipped.append({"id": reg_id, "reason": "not-found"})
            elif not _staff_may_see(principal, reg):
                skipped.append({"id": reg_id, "reason": "out-of-scope"})
            elif not session.execute(sa.update(Registration.__table__).where(
                    Registration.id == reg_id, Registration.status.in_(("approved", "allocated")))
                    .values(status="allocated", allocated_unit_id=unit_id, updated_at=now)).rowcount:
                skipped.append({"id": reg_id, "reason": f"status-{reg.status}"})
            else:
                _event(session, reg_id, "allocated", actor=principal.account_id, now=now, unit_id=unit_id,
                       reason=unit.name)
                _inbox(session, account_id=reg.created_by, person_id=reg.person_id,
                       template="registration_allocated", key=f"registration:{reg_id}:allocated:{unit_id}",
                       now=now, person_name=person.full_name, vaccine="COVID-19", site_name=unit.name)
                done.append(reg_id)
    return {"done": done, "skipped": skipped}


# ---------------------------------------------------------------- sessions and slots

def slot_windows(starts: datetime, ends: datetime, capacity: int, hourly: bool) -> list[tuple[datetime, datetime, int]]:
    """One window, or one per hour (the last may be shorter), the seats spread evenly."""
    if not hourly:
        return [(starts, ends, capacity)]
    edges, t = [], starts
    while t < ends:
        edges.append((t, min(t + timedelta(hours=1), ends)))
        t += timedelta(hours=1)
    base, extra = divmod(capacity, len(edges))
    return [(a, b, base + (1 if i < extra else 0)) for i, (a, b) in enumerate(edges)]


def _site_in_scope(principal: Principal, site: OrgUnit) -> None:
    if not catalog.path_in_scope(site.path, catalog.scope_paths(principal, STAFF)):
        raise UnitOutOfScope("This site is outside your scope.", detail_vi="Điểm tiêm này nằm ngoài phạm vi của bạn.")


def open_session(sessions: so.sessionmaker, principal: Principal, *, site_id: str, product_code: str,
                 day: date, start: time, end: time, capacity: int, hourly_slots: bool = False,
                 note: str = "", now: datetime) -> dict:
    """Open a vaccination session at a site (times are local, Asia/Ho_Chi_Minh).

    :raises NotFound, UnitOutOfScope, ProductUnknown, ValidationFailed:
    """
    if day < local_today(now):
        raise _invalid("day", "The day is in the past.", "Ngày đã qua.")
    if end <= start:
        raise _invalid("end_time", "The session must end after it starts.", "Giờ kết thúc phải sau giờ bắt đầu.")
    starts = datetime.combine(day, start, tzinfo=LOCAL).astimezone(tz=now.tzinfo)
    ends = datetime.combine(day, end, tzinfo=LOCAL).astimezone(tz=now.tzinfo)
    windows = slot_windows(starts, ends, capacity, hourly_slots)
    if capacity < len(windows):
        raise _invalid("capacity", f"At least one seat per slot ({len(windows)}).",
                       f"Ít nhất một chỗ cho mỗi khung giờ ({len(windows)}).")
    with sessions.begin() as session:
        site = session.get(OrgUnit, site_id)
        if site is None or site.kind != "site":
            raise NotFound("No such vaccination site.", detail_vi="Không có điểm tiêm này.")
        _site_in_scope(principal, site)
        product = catalog.product_by_code(session, product_code)
        if not product.active:
            raise _invalid("product_code", "This product is no longer in use.", "Vắc xin này không còn được sử dụng.")
        vs = VaccinationSession(site_id=site.id, product_id=product.id, day=day, starts_at=starts, ends_at=ends,
                                capacity=capacity, status="open", note=note, created_by=principal.account_id,
                                created_at=now)
        session.add(vs)
        session.flush()
        session.add_all(Slot(session_id=vs.id, starts_at=a, ends_at=b, capacity=c, booked=0) for a, b, c in windows)
        session.flush()
        return _session_detail(session, vs.id, now=now)


def _session_row_query():
    booked = (sa.select(Slot.session_id, sa.func.sum(Slot.booked).label("booked"))
              .group_by(Slot.session_id).subquery())
    return (sa.select(VaccinationSession, OrgUnit, VaccineProduct, booked.c.booked)
            .join(OrgUnit, OrgUnit.id == VaccinationSession.site_id)
            .join(VaccineProduct, VaccineProduct.id == VaccinationSession.product_id)
            .outerjoin(booked, booked.c.session_id == VaccinationSession.id))


def _site_view(site: OrgUnit) -> dict:
    return {"id": site.id, "code": site.code, "name": site.name, "province_code": site.province_code,
            "province_name": places.province_name(site.province_code) if site.province_code else None,
            "ward_code": site.ward_code, "ward_name": places.ward_name(site.ward_code) if site.ward_code else None,
            "address_line": site.address_line, "latitude": site.latitude, "longitude": site.longitude,
            "opening_hours": site.opening_hours}


def _product_view(p: VaccineProduct) -> dict:
    return {"code": p.code, "name_vi": p.name_vi, "name_en": p.name_en}


def _session_view(vs: VaccinationSession, site: OrgUnit, product: VaccineProduct, booked: int | None,
                  *, distance_km: float | None = None, slots: list[Slot] | None = None, now: datetime) -> dict:
    out = {"id": vs.id, "site": _site_view(site), "product": _product_view(product), "day": vs.day,
           "starts_at": vs.starts_at, "ends_at": vs.ends_at, "capacity": vs.capacity,
           "free": vs.capacity - (booked or 0) if vs.status == "open" else 0, "status": vs.status,
           "note": vs.note, "distance_km": round(distance_km, 2) if distance_km is not None else None}
    if slots is not None:
        out["slots"] = [{"id": s.id, "starts_at": s.starts_at, "ends_at": s.ends_at, "capacity": s.capacity,
                         "free": s.capacity - s.booked if vs.status == "open" and s.ends_at > now else 0}
                        for s in slots]
    return out


def _session_detail(session: so.Session, session_id: str, *, now: datetime) -> dict:
    row = session.execute(_session_row_query().where(VaccinationSession.id == session_id)).first()
    if row is None:
        raise NotFound("No such session.", detail_vi="Không có buổi tiêm này.")
    slots = list(session.scalars(sa.select(Slot).filter_by(session_id=session_id).order_by(Slot.starts_at)))
    return _session_view(*row, slots=slots, now=now)


def get_session(sessions: so.sessionmaker, session_id: str, *, now: datetime) -> dict:
    with sessions.begin() as session:
        return _session_detail(session, session_id, now=now)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class SessionSearch:
    province_code: int | None = None
    ward_code: int | None = None
    unit_id: str | None = None
    product_code: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float = 10.0
    only_free: bool = True
    limit: int = 50


def find_sessions(sessions: so.sessionmaker, f: SessionSearch, *, now: datetime) -> list[dict]:
    """Open sessions by area and/or distance; nearest first when a position is given, else soonest.

    The distance is great-circle (haversine) in Python after a bounding box in SQL, which an
    index on the site's coordinates can serve on both engines.
    """
    today = local_today(now)
    start = max(f.date_from or today, today)
    q = _session_row_query().where(VaccinationSession.status == "open", VaccinationSession.day >= start,
                                   VaccinationSession.ends_at > now,
                                   VaccinationSession.day <= (f.date_to or start + timedelta(days=30)))
    if f.province_code is not None:
        q = q.where(OrgUnit.province_code == f.province_code)
    if f.ward_code is not None:
        q = q.where(OrgUnit.ward_code == f.ward_code)
    if f.product_code:
        q = q.where(VaccineProduct.code == f.product_code)
    near = f.lat is not None and f.lon is not None
    if near:
        dlat = f.radius_km / 111.0
        dlon = f.radius_km / max(1e-6, 111.320 * math.cos(math.radians(f.lat)))
        q = q.where(OrgUnit.latitude.between(f.lat - dlat, f.lat + dlat),
                    OrgUnit.longitude.between(f.lon - dlon, f.lon + dlon))
    with sessions.begin() as session:
        if f.unit_id:
            unit = session.get(OrgUnit, f.unit_id)
            if unit is None:
                raise NotFound("No such unit.", detail_vi="Không có đơn vị này.")
            q = q.where(OrgUnit.path.startswith(unit.path))
        if f.product_code:
            catalog.product_by_code(session, f.product_code)
        rows = session.execute(q.order_by(VaccinationSession.starts_at).limit(None if near else f.limit * 2)).all()
    out = []
    for vs, site, product, booked in rows:
        distance = haversine_km(f.lat, f.lon, site.latitude, site.longitude) if near else None
        if near and distance > f.radius_km:
            continue
        view = _session_view(vs, site, product, booked, distance_km=distance, now=now)
        if f.only_free and view["free"] <= 0:
            continue
        out.append(view)
    if near:
        out.sort(key=lambda v: (v["distance_km"], v["starts_at"]))
    return out[:f.limit]


def cancel_session(sessions: so.sessionmaker, principal: Principal, session_id: str, *, reason: str,
                   now: datetime) -> dict:
    """Cancel a session: no seat can be taken any more, every active booking ends and is told.

    :raises NotFound, UnitOutOfScope, SessionCancelled:
    """
    with sessions.begin() as session:
        row = session.execute(sa.select(VaccinationSession, OrgUnit).join(
            OrgUnit, OrgUnit.id == VaccinationSession.site_id).where(VaccinationSession.id == session_id)).first()
        if row is None:
            raise NotFound("No such session.", detail_vi="Không có buổi tiêm này.")
        vs, site = row
        _site_in_scope(principal, site)
        if not session.execute(sa.update(VaccinationSession.__table__).where(
                VaccinationSession.id == session_id, VaccinationSession.status == "open")
                .values(status="cancelled", note=reason[:200])).rowcount:
            raise SessionCancelled()
        # Close the seats first: this waits for bookings in flight on these rows, so the booking
        # update below (a new statement, a new snapshot) sees every booking that got a seat.
        session.execute(sa.update(slot_t).where(slot_t.c.session_id == session_id)
                        .values(capacity=slot_t.c.booked))
        ended = session.execute(sa.update(booking_t).where(
            booking_t.c.session_id == session_id, booking_t.c.status.in_(ACTIVE_BOOKING))
            .values(status="cancelled", ended_at=now, updated_at=now, end_reason=f"session cancelled: {reason}"[:200])
            .returning(booking_t.c.id, booking_t.c.person_id, booking_t.c.booked_by)).all()
        session.execute(sa.update(slot_t).where(slot_t.c.session_id == session_id).values(capacity=0, booked=0))
        names = dict(session.execute(sa.select(Person.id, Person.full_name).where(
            Person.id.in_({r.person_id for r in ended}))).all()) if ended else {}
        for r in ended:
            _inbox(session, account_id=r.booked_by, person_id=r.person_id, template="booking_cancelled_by_site",
                   key=f"booking:{r.id}:site-cancelled", now=now, person_name=names.get(r.person_id, ""),
                   site_name=site.name, date=vs.day.strftime("%d/%m/%Y"), reason=reason)
        return {"id": session_id, "status": "cancelled", "bookings_cancelled": len(ended)}


# ---------------------------------------------------------------- eligibility

COUNTED_DOSES = ("valid", "corrected")  # api.vaccination.models.COUNTED: the statuses that count


def _history_expr(person_id):
    """The person's doses so far as 'product:dose_number:YYYY-MM-DD,…' in one scalar subquery.

    The doses are the counted dose records (api.vaccination, when its table is there) and the
    bookings marked attended that no dose record stands for (a site that marks attendance
    through the booking API). The table is looked up by name, not imported: booking does not
    depend on the vaccination package, which depends on booking.
    """
    b, s, p = (booking_t.alias("hb"), VaccinationSession.__table__.alias("hs"),
               VaccineProduct.__table__.alias("hp"))
    item = (p.c.code + ":" + sa.cast(b.c.dose_number, sa.String) + ":" + sa.cast(s.c.day, sa.String)).label("item")
    attended = (sa.select(item).select_from(b).join(s, s.c.id == b.c.session_id).join(p, p.c.id == s.c.product_id)
                .where(b.c.person_id == person_id, b.c.status == "attended"))
    dose_t = Base.metadata.tables.get("dose_record")
    if dose_t is None:
        items = attended.subquery()
    else:
        d = dose_t.alias("dr")
        attended = attended.where(~sa.exists().where(d.c.booking_id == b.c.id, one_of(d.c.status, COUNTED_DOSES)))
        r = dose_t.alias("dr2")
        records = sa.select((r.c.product_code + ":" + sa.cast(r.c.dose_number, sa.String) + ":"
                             + sa.cast(r.c.administered_on, sa.String)).label("item")).where(
            r.c.person_id == person_id, one_of(r.c.status, COUNTED_DOSES))
        items = sa.union_all(attended, records).subquery()
    return sa.select(sa.func.aggregate_strings(items.c.item, constant(","))).scalar_subquery()


_HISTORY = None


def _history_of(session: so.Session, person_id: str) -> list[engine.GivenDose]:
    global _HISTORY
    if _HISTORY is None:  # built once: constructing aliased statements costs milliseconds
        _HISTORY = sa.select(_history_expr(sa.bindparam("person_id")))
    return _parse_history(session.scalar(_HISTORY, {"person_id": person_id}))


def _parse_history(text: str | None) -> list[engine.GivenDose]:
    out = []
    for item in (text or "").split(","):
        if item:
            code, number, day = item.split(":")
            out.append(engine.GivenDose(code, int(number), date.fromisoformat(day[:10])))
    return out


def eligibility(sessions: so.sessionmaker, principal: Principal, person_id: str, *, on: date,
                unit_id: str | None = None, disease: str = engine.COVID19) -> dict:
    """What the engine says for this person: the series status and the next dose of each product.

    Without a unit, the jurisdiction is the person's province.
    :raises NotGuardian, NotFound:
    """
    with sessions.begin() as session:
        people.check_can_act_for(session, principal, person_id)
        person = session.get_one(Person, person_id)
        if unit_id:
            unit = session.get(OrgUnit, unit_id)
            if unit is None:
                raise NotFound("No such unit.", detail_vi="Không có đơn vị này.")
            where = catalog.jurisdiction_of(unit)
        else:
            where = engine.Jurisdiction(person.province_code)
        history = _history_of(session, person_id)
        rule_set = catalog.load_rule_set(session)
    status = engine.series_status(history, rule_set, disease=disease)
    return {"person_id": person_id, "on": on, "status": status.status, "doses": status.doses,
            "primary_complete_on": status.primary_complete_on, "last_dose_on": status.last_dose_on,
            "history": [{"product_code": d.product, "dose_number": d.dose_number, "given_on": d.given_on}
                        for d in history],
            "options": [_answer_view(a) for a in engine.options(person.date_of_birth, history, rule_set,
                                                                where=where, on=on, disease=disease)]}


def _answer_view(a: engine.NextDose) -> dict:
    return {"product_code": a.product, "dose_number": a.dose_number, "dose": a.dose, "eligible": a.eligible,
            "reason": a.reason, "reason_text": a.reason_en, "reason_text_vi": a.reason_vi,
            "eligible_from": a.eligible_from, "recommended_on": a.recommended_on,
            "recommended_by": a.recommended_by, "rule_id": a.rule_id}


# ---------------------------------------------------------------- bookings

def _status_for(starts_at: datetime, now: datetime) -> tuple[str, datetime | None]:
    """A booking close to its slot is confirmed at once; an earlier one must be confirmed."""
    if starts_at - now <= AUTO_CONFIRM_WITHIN:
        return "confirmed", None
    return "booked", starts_at - CONFIRM_LEAD


_SEAT_QUERY = None


def _seat_query():
    """Everything the booking checks need, in one round trip (built once, Core tables only).

    Parameters: slot_id, person_id, account_id, key (NULL: none), exclude (a booking id to ignore
    when looking for an active one: the booking being rescheduled; '' for none).
    """
    global _SEAT_QUERY
    if _SEAT_QUERY is not None:
        return _SEAT_QUERY
    person_id, account_id = sa.bindparam("person_id"), sa.bindparam("account_id")
    vs, product = VaccinationSession.__table__, VaccineProduct.__table__
    site, alloc = OrgUnit.__table__.alias("site"), OrgUnit.__table__.alias("alloc")
    reg, person = Registration.__table__.alias("reg"), Person.__table__
    b, g = booking_t.alias("active"), Guardianship.__table__
    active = sa.select(b.c.id).where(b.c.person_id == person_id, b.c.disease == product.c.target_disease,
                                     one_of(b.c.status, ACTIVE_BOOKING),
                                     b.c.id != sa.bindparam("exclude")).limit(1)
    cols = [slot_t.c.id, slot_t.c.starts_at, slot_t.c.ends_at, slot_t.c.capacity, slot_t.c.booked,
            vs.c.id.label("session_id"), vs.c.day, vs.c.status.label("session_status"),
            product.c.code.label("product_code"), product.c.name_vi, product.c.name_en, product.c.target_disease,
            site.c.id.label("site_id"), site.c.code.label("site_code"), site.c.name.label("site_name"),
            site.c.path.label("site_path"), site.c.province_code.label("site_province"),
            site.c.ward_code.label("site_ward"), site.c.address_line.label("site_address"),
            site.c.latitude.label("site_lat"), site.c.longitude.label("site_lon"),
            site.c.opening_hours.label("site_hours"),
            person.c.date_of_birth.label("dob"),
            reg.c.status.label("reg_status"), reg.c.preferred_province_code.label("reg_province"),
            alloc.c.path.label("alloc_path"),
            active.scalar_subquery().label("active_booking_id"),
            _history_expr(person_id).label("history"),
            sa.exists().where(g.c.person_id == person_id, g.c.guardian_account_id == account_id,
                              g.c.status == "active").label("guardian"),
            sa.select(booking_t.c.id).where(booking_t.c.booked_by == account_id,
                                            booking_t.c.idempotency_key == sa.bindparam("key"))
            .scalar_subquery().label("existing_id")]
    _SEAT_QUERY = (sa.select(*cols).select_from(slot_t)
                   .join(vs, vs.c.id == slot_t.c.session_id)
                   .join(product, product.c.id == vs.c.product_id)
                   .join(site, site.c.id == vs.c.site_id)
                   .outerjoin(person, person.c.id == person_id)
                   .outerjoin(reg, sa.and_(reg.c.person_id == person_id, reg.c.disease == product.c.target_disease,
                                           one_of(reg.c.status, LIVE_REGISTRATION)))
                   .outerjoin(alloc, alloc.c.id == reg.c.allocated_unit_id)
                   .where(slot_t.c.id == sa.bindparam("slot_id")))
    return _SEAT_QUERY


def _seat_row(session: so.Session | sa.Connection, principal: Principal, person_id: str, slot_id: str, *,
              key: str | None, exclude_booking: str = ""):
    return session.execute(_seat_query(), {
        "person_id": person_id, "account_id": principal.account_id, "slot_id": slot_id, "key": key,
        "exclude": exclude_booking}).one_or_none()


def _check_seat(session: so.Session | sa.Connection, principal: Principal, row, person_id: str, *, now: datetime) -> engine.NextDose:
    """The checks of a booking, in the order a person would want to hear them.

    :raises NotGuardian, NotFound, SessionCancelled, SessionPast, RegistrationRequired,
        RegistrationPending, RegistrationCancelled, SessionOutOfScope, AlreadyBooked, NotEligible:
    """
    if principal.person_id != person_id and not row.guardian:
        from api.people.problems import NotGuardian
        raise NotGuardian()
    if row.dob is None:
        raise NotFound("No such person.", detail_vi="Không có người này.")
    if row.session_status != "open":
        raise SessionCancelled(session_id=row.session_id)
    if row.ends_at <= now or row.day < local_today(now):
        raise SessionPast(session_id=row.session_id)
    if row.reg_status is None:
        last = session.scalar(sa.select(Registration.status).where(
            Registration.person_id == person_id, Registration.disease == row.target_disease)
            .order_by(Registration.created_at.desc()).limit(1))
        if last in ("cancelled", "rejected"):
            raise RegistrationCancelled(registration_status=last)
        raise RegistrationRequired()
    if row.reg_status == "submitted":
        raise RegistrationPending()
    allowed = (row.site_path.startswith(row.alloc_path) if row.reg_status == "allocated"
               else row.site_province == row.reg_province)
    if not allowed:
        raise SessionOutOfScope(session_id=row.session_id)
    if row.active_booking_id:
        raise AlreadyBooked(booking_id=row.active_booking_id)
    where = engine.Jurisdiction(row.site_province, tuple(p for p in row.site_path.split("/") if p))
    answer = engine.next_dose(row.dob, _parse_history(row.history), catalog.load_rule_set(session),
                              product=row.product_code, where=where, on=row.day, disease=row.target_disease)
    if not answer.eligible:
        extra = f" Eligible from {answer.eligible_from}." if answer.eligible_from else ""
        extra_vi = f" Có thể tiêm từ ngày {answer.eligible_from:%d/%m/%Y}." if answer.eligible_from else ""
        raise NotEligible(answer.reason_en + extra, detail_vi=answer.reason_vi + extra_vi, reason=answer.reason,
                          eligible_from=answer.eligible_from.isoformat() if answer.eligible_from else None,
                          dose_number=answer.dose_number)
    return answer


# The WHERE clause is the capacity check: no read-then-write race. Built once (hot path).
_TAKE_SEAT = (sa.update(slot_t).where(slot_t.c.id == sa.bindparam("slot_id"), slot_t.c.booked < slot_t.c.capacity)
              .values(booked=slot_t.c.booked + 1))
_INSERT_BOOKING = sa.insert(booking_t)
_BOOKING_COLUMNS = ("id", "person_id", "slot_id", "session_id", "disease", "dose_number", "dose", "rule_id",
                    "status", "starts_at", "ends_at", "confirm_by", "booked_by", "idempotency_key",
                    "created_at", "updated_at", "end_reason")


def _seat_and_booking():
    """PostgreSQL: the seat and the booking in ONE statement, atomic on its own (no BEGIN/COMMIT):
    ``WITH taken AS (UPDATE slot … WHERE id = :slot_id AND booked < capacity RETURNING id)
    INSERT INTO booking … SELECT … FROM taken RETURNING id``. No seat: nothing inserted, no row (the
    driver's rowcount is -1 for this statement, so RETURNING says it). A unique
    violation of the INSERT undoes the UPDATE with it."""
    taken = _TAKE_SEAT.returning(slot_t.c.id).cte("taken")
    # b_-prefixed: an UPDATE takes parameters named like its table's columns as SET values
    values = sa.select(*(sa.bindparam("b_" + c, type_=booking_t.c[c].type) for c in _BOOKING_COLUMNS)
                       ).select_from(taken)
    return (sa.insert(booking_t).from_select(list(_BOOKING_COLUMNS), values).add_cte(taken)
            .returning(booking_t.c.id))


_SEAT_AND_BOOKING = _seat_and_booking()


def _take_seat(session: so.Session | sa.Connection, slot_id: str) -> None:
    """Take one seat if one is free. :raises SlotFull:"""
    taken = session.execute(_TAKE_SEAT, {"slot_id": slot_id}).rowcount
    if not taken:
        raise SlotFull(f"Slot {slot_id} has no free place.", detail_vi="Khung giờ này đã hết chỗ.", slot_id=slot_id)


def _give_back(session: so.Session, counts: Counter) -> None:
    for slot_id, n in counts.items():
        session.execute(sa.update(slot_t).where(slot_t.c.id == slot_id).values(booked=slot_t.c.booked - n))


def _violated(exc: sa_exc.IntegrityError, name: str, columns: str) -> bool:
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name == name
    return columns in str(exc.orig)


@contextmanager
def _booking_connection(sessions: so.sessionmaker, connect) -> Iterator[sa.Connection]:
    """PostgreSQL: an autocommit connection (each statement its own transaction); SQLite: the
    connection of one BEGIN IMMEDIATE transaction around the read and the write. Core only: the
    ORM session's layers cost a booking more than its rules engine does."""
    if sessions.kw["bind"].dialect.name != "postgresql":
        with sessions.begin() as session:
            yield session.connection()
        return
    connect = connect or sessions.kw["bind"].execution_options(isolation_level="AUTOCOMMIT").connect
    with connect() as conn:
        yield conn


def _write_booking(conn: sa.Connection, values: dict) -> None:
    """Take the seat and insert the booking, atomically. :raises SlotFull, IntegrityError:"""
    if conn.dialect.name == "postgresql":
        params = {"slot_id": values["slot_id"]} | {"b_" + k: v for k, v in values.items()}
        if conn.execute(_SEAT_AND_BOOKING, params).first() is None:
            slot_id = values["slot_id"]
            raise SlotFull(f"Slot {slot_id} has no free place.", detail_vi="Khung giờ này đã hết chỗ.",
                           slot_id=slot_id)
        return
    _take_seat(conn, values["slot_id"])  # SQLite: no DML in a CTE; inside BEGIN IMMEDIATE
    conn.execute(_INSERT_BOOKING, values)


def book(sessions: so.sessionmaker, principal: Principal, *, person_id: str, slot_id: str,
         key: str | None, now: datetime, connect=None) -> tuple[dict, bool]:
    """Book a seat for oneself or a dependant; (booking, created).

    On PostgreSQL, `connect` gives an autocommit connection (`db.autocommit`): the hot path is one
    SELECT with everything the checks need, the rules engine in memory, and one statement that
    takes the seat and inserts the booking: with the session look-up, three round trips. The read
    is not in the write's transaction (under READ COMMITTED it was not protected before either):
    the database's constraints (capacity, one active booking per dose, one booking per key) hold.
    Resending the same Idempotency-Key returns the first booking (created False).
    :raises NotFound, NotGuardian, SlotFull, SessionPast, SessionCancelled, SessionOutOfScope,
        RegistrationRequired, RegistrationPending, RegistrationCancelled, AlreadyBooked, NotEligible,
        IdempotencyKeyReused:
    """
    try:
        with _booking_connection(sessions, connect) as conn:
            row = _seat_row(conn, principal, person_id, slot_id, key=key)
            if row is None or (key is not None and row.existing_id):
                existing = row.existing_id if row is not None else key is not None and conn.scalar(
                    sa.select(booking_t.c.id).where(booking_t.c.booked_by == principal.account_id,
                                                    booking_t.c.idempotency_key == key))
                if not existing:
                    raise NotFound("No such slot.", detail_vi="Không có khung giờ này.", slot_id=slot_id)
                with so.Session(bind=conn) as session:
                    return _replay(session, existing, person_id, slot_id), False
            answer = _check_seat(conn, principal, row, person_id, now=now)
            status, confirm_by = _status_for(row.starts_at, now)
            booking_id = new_id()
            _write_booking(conn, dict(
                id=booking_id, person_id=person_id, slot_id=slot_id, session_id=row.session_id,
                disease=row.target_disease, dose_number=answer.dose_number, dose=answer.dose,
                rule_id=answer.rule_id, status=status, starts_at=row.starts_at, ends_at=row.ends_at,
                confirm_by=confirm_by, booked_by=principal.account_id, idempotency_key=key,
                created_at=now, updated_at=now, end_reason=""))
    except sa_exc.IntegrityError as exc:
        if key is not None and _violated(exc, "uq_booking_key", "booking.booked_by, booking.idempotency_key"):
            # The same key raced itself: the other request committed first; answer with its booking.
            with sessions.begin() as session:
                existing = session.scalar(sa.select(booking_t.c.id).where(
                    booking_t.c.booked_by == principal.account_id, booking_t.c.idempotency_key == key))
                return _replay(session, existing, person_id, slot_id), False
        if _violated(exc, "uq_booking_active_dose", "booking.person_id, booking.disease, booking.dose_number"):
            raise AlreadyBooked() from None
        raise
    return {
        "id": booking_id, "person_id": person_id, "status": status, "dose_number": answer.dose_number,
        "dose": answer.dose, "product": {"code": row.product_code, "name_vi": row.name_vi, "name_en": row.name_en},
        "session_id": row.session_id, "slot_id": slot_id, "day": row.day,
        "site": {"id": row.site_id, "code": row.site_code, "name": row.site_name,
                 "province_code": row.site_province, "ward_code": row.site_ward,
                 "address_line": row.site_address, "latitude": row.site_lat, "longitude": row.site_lon,
                 "opening_hours": row.site_hours},
        "starts_at": row.starts_at, "ends_at": row.ends_at, "confirm_by": confirm_by,
        "created_at": now, "updated_at": now, "end_reason": "",
    }, True


def _replay(session: so.Session, booking_id: str, person_id: str, slot_id: str) -> dict:
    view = _booking_detail(session, booking_id)
    if view["person_id"] != person_id or (view["slot_id"] != slot_id and not view["rescheduled"]):
        raise IdempotencyKeyReused()
    return view


def _booking_query():
    return (sa.select(Booking, VaccinationSession, VaccineProduct, OrgUnit)
            .join(VaccinationSession, VaccinationSession.id == Booking.session_id)
            .join(VaccineProduct, VaccineProduct.id == VaccinationSession.product_id)
            .join(OrgUnit, OrgUnit.id == VaccinationSession.site_id))


def _booking_view(b: Booking, vs: VaccinationSession, product: VaccineProduct, site: OrgUnit) -> dict:
    return {"id": b.id, "person_id": b.person_id, "status": b.status, "dose_number": b.dose_number,
            "dose": b.dose, "product": _product_view(product), "session_id": vs.id, "slot_id": b.slot_id,
            "day": vs.day, "site": _site_view(site), "starts_at": b.starts_at, "ends_at": b.ends_at,
            "confirm_by": b.confirm_by, "created_at": b.created_at, "updated_at": b.updated_at,
            "end_reason": b.end_reason, "rescheduled": b.rescheduled_at is not None}


def _booking_detail(session: so.Session, booking_id: str) -> dict:
    row = session.execute(_booking_query().where(Booking.id == booking_id)).first()
    if row is None:
        raise NotFound("No such booking.", detail_vi="Không có lịch hẹn này.")
    return _booking_view(*row)


def _own_booking(session: so.Session, principal: Principal, booking_id: str) -> Booking:
    b = session.get(Booking, booking_id)
    if b is None:
        raise NotFound("No such booking.", detail_vi="Không có lịch hẹn này.")
    people.check_can_act_for(session, principal, b.person_id)
    return b


def get_booking(sessions: so.sessionmaker, principal: Principal, booking_id: str) -> dict:
    with sessions.begin() as session:
        _own_booking(session, principal, booking_id)
        return _booking_detail(session, booking_id)


def my_bookings(sessions: so.sessionmaker, principal: Principal, *, person_id: str | None = None,
                active_only: bool = False) -> list[dict]:
    with sessions.begin() as session:
        if person_id:
            people.check_can_act_for(session, principal, person_id)
            ids = [person_id]
        else:
            ids = _managed_ids(session, principal)
        q = _booking_query().where(Booking.person_id.in_(ids))
        if active_only:
            q = q.where(Booking.status.in_(ACTIVE_BOOKING))
        return [_booking_view(*r) for r in session.execute(q.order_by(Booking.starts_at.desc()))]


def cancel_booking(sessions: so.sessionmaker, principal: Principal, booking_id: str, *, reason: str,
                   now: datetime) -> dict:
    """Cancel an active booking; its seat comes back exactly once.

    :raises NotFound, NotGuardian, BookingNotActive:
    """
    with sessions.begin() as session:
        b = _own_booking(session, principal, booking_id)
        ended = _end_bookings(session, booking_t.c.id == booking_id, status="cancelled",
                              reason=reason or "cancelled by the person", now=now)
        if not ended:
            raise BookingNotActive(f"The booking is {b.status}.", detail_vi="Lịch hẹn không còn hiệu lực.",
                                   booking_status=b.status)
        session.expire_all()
        return _booking_detail(session, booking_id)


def _end_bookings(session: so.Session, where, *, status: str, reason: str, now: datetime,
                  only: tuple[str, ...] = ACTIVE_BOOKING) -> int:
    """Move active bookings to an end status and give their seats back, once per booking.

    The status change is the condition: a booking another transaction ended first is not
    returned by RETURNING, so its seat is not given back twice.
    """
    rows = session.execute(sa.update(booking_t).where(where, booking_t.c.status.in_(only))
                           .values(status=status, ended_at=now, updated_at=now, end_reason=reason[:200])
                           .returning(booking_t.c.slot_id)).all()
    _give_back(session, Counter(r.slot_id for r in rows))
    return len(rows)


def confirm_booking(sessions: so.sessionmaker, principal: Principal, booking_id: str, *, now: datetime) -> dict:
    """:raises NotFound, NotGuardian, ConfirmClosed, BookingNotActive:"""
    with sessions.begin() as session:
        b = _own_booking(session, principal, booking_id)
        done = session.execute(sa.update(booking_t).where(
            booking_t.c.id == booking_id, booking_t.c.status == "booked", booking_t.c.confirm_by >= now)
            .values(status="confirmed", confirmed_at=now, updated_at=now)).rowcount
        if not done and b.status != "confirmed":
            if b.status == "booked":
                raise ConfirmClosed()
            raise BookingNotActive(f"The booking is {b.status}.", detail_vi="Lịch hẹn không còn hiệu lực.",
                                   booking_status=b.status)
        session.expire_all()
        return _booking_detail(session, booking_id)


def reschedule_booking(sessions: so.sessionmaker, principal: Principal, booking_id: str, *, slot_id: str,
                       now: datetime) -> dict:
    """Move an active booking to another slot: the new seat is taken before the old one is freed.

    :raises NotFound, NotGuardian, BookingNotActive, SlotFull and every check of `book`:
    """
    with sessions.begin() as session:
        b = _own_booking(session, principal, booking_id)
        if b.status not in ACTIVE_BOOKING:
            raise BookingNotActive(f"The booking is {b.status}.", detail_vi="Lịch hẹn không còn hiệu lực.",
                                   booking_status=b.status)
        old_slot = b.slot_id
        if slot_id == old_slot:
            return _booking_detail(session, booking_id)
        row = _seat_row(session, principal, b.person_id, slot_id, key=None, exclude_booking=booking_id)
        if row is None:
            raise NotFound("No such slot.", detail_vi="Không có khung giờ này.", slot_id=slot_id)
        answer = _check_seat(session, principal, row, b.person_id, now=now)
        _take_seat(session, slot_id)
        status, confirm_by = _status_for(row.starts_at, now)
        moved = session.execute(sa.update(booking_t).where(
            booking_t.c.id == booking_id, booking_t.c.slot_id == old_slot,
            booking_t.c.status.in_(ACTIVE_BOOKING)).values(
            slot_id=slot_id, session_id=row.session_id, starts_at=row.starts_at, ends_at=row.ends_at,
            status=status, confirm_by=confirm_by, dose_number=answer.dose_number, dose=answer.dose,
            rule_id=answer.rule_id, rescheduled_at=now, updated_at=now)).rowcount
        if not moved:  # cancelled or moved meanwhile: the new seat rolls back with the transaction
            raise BookingNotActive("The booking changed meanwhile.", detail_vi="Lịch hẹn vừa thay đổi.")
        _give_back(session, Counter({old_slot: 1}))
        names = session.get_one(Person, b.person_id).full_name
        local = row.starts_at.astimezone(LOCAL)
        _inbox(session, account_id=b.booked_by, person_id=b.person_id, template="booking_changed",
               key=f"booking:{booking_id}:moved:{slot_id}", now=now, person_name=names, site_name=row.site_name,
               date=local.strftime("%d/%m/%Y"), time=local.strftime("%H:%M"))
        session.expire_all()
        return _booking_detail(session, booking_id)


def attend_booking(sessions: so.sessionmaker, principal: Principal, booking_id: str, *, now: datetime) -> dict:
    """Site staff mark the person as vaccinated at this session (the seat stays used).

    :raises NotFound, UnitOutOfScope, BookingNotActive, ValidationFailed:
    """
    with sessions.begin() as session:
        row = session.execute(_booking_query().where(Booking.id == booking_id)).first()
        if row is None:
            raise NotFound("No such booking.", detail_vi="Không có lịch hẹn này.")
        b, vs, _, site = row
        _site_in_scope(principal, site)
        if vs.day > local_today(now):
            raise _invalid("booking_id", "The session has not started yet.", "Buổi tiêm chưa bắt đầu.")
        done = session.execute(sa.update(booking_t).where(
            booking_t.c.id == booking_id, booking_t.c.status.in_(ACTIVE_BOOKING))
            .values(status="attended", ended_at=now, updated_at=now)).rowcount
        if not done:
            raise BookingNotActive(f"The booking is {b.status}.", detail_vi="Lịch hẹn không còn hiệu lực.",
                                   booking_status=b.status)
        audit.record(session, actor=principal.account_id, action="booking.attend", person_id=b.person_id,
                     unit_id=site.id, now=now, booking_id=booking_id)
        session.expire_all()
        return _booking_detail(session, booking_id)


def session_bookings(sessions: so.sessionmaker, principal: Principal, session_id: str, *, request_id: str,
                     now: datetime) -> list[dict]:
    """The site's list for a session (names, birth dates, dose): a staff read, audited."""
    with sessions.begin() as session:
        row = session.execute(sa.select(VaccinationSession, OrgUnit).join(
            OrgUnit, OrgUnit.id == VaccinationSession.site_id).where(VaccinationSession.id == session_id)).first()
        if row is None:
            raise NotFound("No such session.", detail_vi="Không có buổi tiêm này.")
        _site_in_scope(principal, row[1])
        rows = session.execute(sa.select(Booking, Person).join(Person, Person.id == Booking.person_id)
                               .where(Booking.session_id == session_id).order_by(Booking.starts_at, Person.full_name)).all()
        audit.record(session, actor=principal.account_id, action="session.bookings.read", unit_id=row[1].id,
                     now=now, request_id=request_id, session_id=session_id, count=len(rows))
        return [{"id": b.id, "person_id": p.id, "full_name": p.full_name, "date_of_birth": p.date_of_birth,
                 "dose_number": b.dose_number, "status": b.status, "slot_id": b.slot_id,
                 "starts_at": b.starts_at} for b, p in rows]


def release_expired(sessions: so.sessionmaker, *, now: datetime, batch: int = 1000) -> dict:
    """Give back the seats of bookings not confirmed in time and of bookings missed.

    Run by a scheduler (`flask --app wsgi booking release-expired`); safe to run concurrently and
    repeatedly: each booking's status change is the condition of its seat coming back.
    """
    counts = {"expired": 0, "missed": 0}
    for status, only, cond in (
            ("expired", ("booked",), booking_t.c.confirm_by < now),
            ("missed", ACTIVE_BOOKING, booking_t.c.ends_at < now - MISSED_GRACE)):
        while True:
            with sessions.begin() as session:
                ids = sa.select(booking_t.c.id).where(cond, booking_t.c.status.in_(only)).limit(batch)
                n = _end_bookings(session, booking_t.c.id.in_(ids.scalar_subquery()), status=status,
                                  reason="not confirmed in time" if status == "expired" else "did not come",
                                  now=now, only=only)
            counts[status] += n
            if n < batch:
                break
    return counts


def release_expired_job(session: so.Session, now: datetime) -> int:
    """The scheduler's form of release_expired (api/notify/registry.py JOBS).

    It works in its own batched transactions on the same engine; the scheduler's session is left
    untouched (on SQLite, touching it first would hold the write lock the batches need).
    """
    counts = release_expired(so.sessionmaker(session.get_bind(), expire_on_commit=False), now=now)
    return counts["expired"] + counts["missed"]


def calendar(sessions: so.sessionmaker, principal: Principal, booking_id: str, *, now: datetime) -> str:
    """The appointment as an .ics file (no ID number or other personal data beyond the name)."""
    view = get_booking(sessions, principal, booking_id)
    site = view["site"]
    address = ", ".join(x for x in (site["address_line"], site["ward_name"], site["province_name"]) if x)
    summary = f"Tiêm vắc xin {view['product']['name_vi']} (mũi {view['dose_number']})"
    return ics.appointment(
        uid=f"{view['id']}@sosuckhoe", starts_at=view["starts_at"], ends_at=view["ends_at"], summary=summary,
        location=f"{site['name']}, {address}" if address else site["name"],
        description="Mang theo CCCD hoặc mã QR cá nhân. Bring your ID card or personal QR code.",
        stamp=view["updated_at"] or now,
        geo=(site["latitude"], site["longitude"]) if site["latitude"] is not None else None,
        cancelled=view["status"] not in ACTIVE_BOOKING + ("attended",))
