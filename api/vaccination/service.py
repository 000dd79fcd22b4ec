"""The visit at the site: check-in, screening, the dose record, observation; the citizen's doses.

No Flask here: every function takes a sessionmaker (or a session), the principal and `now`.

The dose hot path (`record_dose`) is one SELECT that brings everything its checks need (the
visit, the site, the person's birth date and dose history, the lot, the site's balance of it and
any record already made with this Idempotency-Key), the rules engine in memory, then four writes:
claim the visit, insert the dose, append the ledger row, take the dose from the site's stock.
The stock row is the one many tablets of a site share, so it is taken last: its lock is held
only until the commit.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
import sqlalchemy.orm as so

from api.audit import service as audit
from api.audit.models import AuditEvent
from api.auth.service import Principal
from api.booking import service as booking
from api.booking.models import ACTIVE_BOOKING, Booking, Slot, VaccinationSession
from api.booking.problems import AlreadyBooked, SlotFull
from api.catalog import rules as engine
from api.catalog import service as catalog
from api.catalog.models import OrgUnit, VaccineProduct
from api.catalog.problems import UnitOutOfScope
from api.db import constant, new_id, one_of
from api.people import service as people
from api.people.cccd import parse_chip_qr
from api.people.models import Person
from api.people.problems import CccdQrInvalid
from api.problems import IdempotencyKeyReused, NotFound
from api.vaccination import hooks, screening
from api.vaccination import stock as stock_service
from api.vaccination.models import (COUNTED, OPEN_VISIT, DoseRecord, DoseRecordHistory, Lot, Screening,
                                    StockBalance, Visit)
from api.vaccination.problems import (CccdMismatch, DoseAlreadyRecorded, DoseNotAllowed, LotNotAtSite,
                                      NoOpenSession, NotASite, ObservationState, OutOfStock,
                                      ScreeningInconsistent, ScreeningNotCleared, ScreeningRequired,
                                      VisitClosed)
from api.vaccination.stock import LOCAL, invalid, local_date

SITE_STAFF = ("site_staff", "department_staff")  # who works at a site (department staff may help out)
OBSERVATION = timedelta(minutes=30)
# A tablet that lost the network queues doses with the time they were given; later than this
# it is a backfill, not a site record.
OFFLINE_LIMIT = timedelta(hours=72)
CLOCK_SKEW = timedelta(minutes=5)
OBSERVATION_OUTCOMES = ("discharged", "treated_and_discharged", "transferred_to_hospital", "left_early")
REACTION_KINDS = ("injection_site_pain", "fever", "headache", "dizziness", "nausea", "rash", "urticaria",
                  "syncope", "difficulty_breathing", "anaphylaxis", "other")
REACTION_SEVERITIES = ("mild", "moderate", "severe")

visit_t = Visit.__table__
dose_t = DoseRecord.__table__
balance_t = StockBalance.__table__
booking_t = Booking.__table__


# ---------------------------------------------------------------- shared

def check_site(session: so.Session, principal: Principal, site_id: str) -> OrgUnit:
    """:raises NotFound, NotASite, UnitOutOfScope:"""
    site = session.get(OrgUnit, site_id)
    if site is None:
        raise NotFound("No such site.", detail_vi="Không có điểm tiêm này.", site_id=site_id)
    if site.kind != "site":
        raise NotASite()
    if not stock_service.unit_in_scope(principal, site.path, SITE_STAFF):
        raise UnitOutOfScope("This site is outside your scope.", detail_vi="Điểm tiêm này nằm ngoài phạm vi của bạn.")
    return site


def jurisdiction(province_code: int | None, path: str) -> engine.Jurisdiction:
    return engine.Jurisdiction(province_code, tuple(p for p in path.split("/") if p))


def history_expr(person_id):
    """A person's counted doses as 'product:number:YYYY-MM-DD,…' in one scalar subquery."""
    d = dose_t.alias("h")
    text = d.c.product_code + ":" + sa.cast(d.c.dose_number, sa.String) + ":" + sa.cast(d.c.administered_on, sa.String)
    return (sa.select(sa.func.aggregate_strings(text, constant(","))).where(
        d.c.person_id == person_id, one_of(d.c.status, COUNTED))
            .scalar_subquery())


def parse_history(text: str | None) -> list[engine.GivenDose]:
    out = []
    for item in (text or "").split(","):
        if item:
            code, number, day = item.rsplit(":", 2)
            out.append(engine.GivenDose(code, int(number), date.fromisoformat(day[:10])))
    return out


def given_doses(session: so.Session, person_id: str) -> list[engine.GivenDose]:
    """The person's counted doses, as the rules engine takes them (the one source: dose records)."""
    return parse_history(session.scalar(sa.select(history_expr(person_id))))


def not_allowed(answer: engine.NextDose) -> DoseNotAllowed:
    extra = f" Allowed from {answer.eligible_from}." if answer.eligible_from else ""
    extra_vi = f" Có thể tiêm từ ngày {answer.eligible_from:%d/%m/%Y}." if answer.eligible_from else ""
    return DoseNotAllowed((answer.reason_en or "") + extra, detail_vi=(answer.reason_vi or "") + extra_vi,
                          reason=answer.reason, dose_number=answer.dose_number, product_code=answer.product,
                          eligible_from=answer.eligible_from.isoformat() if answer.eligible_from else None)


def answer_view(a: engine.NextDose) -> dict:
    return {"product_code": a.product, "dose_number": a.dose_number, "dose": a.dose, "eligible": a.eligible,
            "reason": a.reason, "reason_text": a.reason_en, "reason_text_vi": a.reason_vi,
            "eligible_from": a.eligible_from, "recommended_on": a.recommended_on,
            "recommended_by": a.recommended_by}


def dose_view(d: DoseRecord | dict) -> dict:
    get = d.get if isinstance(d, dict) else (lambda k: getattr(d, k))
    return {k: get(k) for k in DOSE_FIELDS}


DOSE_FIELDS = ("id", "person_id", "visit_id", "booking_id", "disease", "product_code", "lot_id", "lot_number",
               "dose_number", "series", "administered_at", "administered_on", "unit_id", "site_name",
               "province_code", "vaccinator_account_id", "recorded_by", "status", "source", "import_id",
               "approved_by", "approved_at", "void_reason", "note", "version", "created_at", "updated_at")


# ---------------------------------------------------------------- check-in

@dataclass(frozen=True)
class CheckIn:
    site_id: str
    qr: str | None = None
    cccd_text: str | None = None
    national_id: str | None = None
    phone: str | None = None
    session_id: str | None = None  # a walk-in takes a seat in this session (else any open one today)


def check_in(sessions: so.sessionmaker, principal: Principal, cmd: CheckIn, *, token_keys, request_id: str,
             now: datetime) -> tuple[dict, bool]:
    """Identify the person (audited, within scope) and open their visit for today; (visit, created).

    A person already checked in today at this site gets that visit back. With a booking for today
    at this site the visit uses it; without one the person is a walk-in and takes a seat in a
    session that has room (booking's capacity check: the same conditional UPDATE of the slot).
    :raises NotFound, NotASite, UnitOutOfScope, QrInvalid, QrRevoked, OutOfScope, CccdQrInvalid,
        CccdMismatch, NoOpenSession, SlotFull, AlreadyBooked, DoseNotAllowed:
    """
    with sessions.begin() as session:
        check_site(session, principal, cmd.site_id)
    card, national_id, method = None, cmd.national_id, (
        "qr" if cmd.qr else "cccd_qr" if cmd.cccd_text else "national_id" if cmd.national_id else "phone")
    if cmd.cccd_text:
        try:
            card = parse_chip_qr(cmd.cccd_text)
        except ValueError as exc:
            raise CccdQrInvalid(f"Not a chip ID card QR: {exc}.", errors={"cccd_text": [str(exc)]},
                                errors_vi={"cccd_text": ["Không đọc được mã QR CCCD."]}) from exc
        national_id = card.national_id
    person, _ = people.staff_lookup(sessions, principal, qr=cmd.qr, national_id=national_id, phone=cmd.phone,
                                    reason="check-in", token_keys=token_keys, request_id=request_id, now=now)
    if card is not None and card.date_of_birth != person.date_of_birth:
        raise CccdMismatch("The birth date on the card differs from the record.",
                           detail_vi="Ngày sinh trên thẻ khác với hồ sơ.")
    today = local_date(now)
    try:
        with sessions.begin() as session:
            site = session.get_one(OrgUnit, cmd.site_id)
            existing = session.scalar(sa.select(Visit.id).where(
                Visit.person_id == person.id, Visit.site_id == site.id, Visit.day == today,
                Visit.status.in_(OPEN_VISIT)))
            if existing:
                return visit_detail(session, existing, now=now), False
            booked = session.execute(
                sa.select(Booking.id, Booking.session_id).join(VaccinationSession, VaccinationSession.id == Booking.session_id)
                .where(Booking.person_id == person.id, Booking.status.in_(ACTIVE_BOOKING),
                       VaccinationSession.site_id == site.id, VaccinationSession.day == today)).first()
            booking_id, session_id, walk_in = (*booked, False) if booked else _walk_in(
                session, principal, person, site, cmd.session_id, today=today, now=now)
            visit = Visit(id=new_id(), person_id=person.id, site_id=site.id, province_code=site.province_code,
                          day=today, booking_id=booking_id, session_id=session_id, walk_in=walk_in,
                          check_in_method=method, status="checked_in", checked_in_by=principal.account_id,
                          checked_in_at=now, reactions=[], updated_at=now)
            session.add(visit)
            session.flush()
            return visit_detail(session, visit.id, now=now), True
    except sa_exc.IntegrityError:
        # Two tablets checked the same person in at once: the other one's visit stands.
        with sessions.begin() as session:
            existing = session.scalar(sa.select(Visit.id).where(
                Visit.person_id == person.id, Visit.site_id == cmd.site_id, Visit.day == today,
                Visit.status.in_(OPEN_VISIT)))
            if existing is None:
                raise
            return visit_detail(session, existing, now=now), False


def _walk_in(session: so.Session, principal: Principal, person: Person, site: OrgUnit, session_id: str | None,
             *, today: date, now: datetime) -> tuple[str, str, bool]:
    """Take a seat for a walk-in in today's open session at the site; (booking id, session id, True).

    :raises NoOpenSession, DoseNotAllowed, AlreadyBooked, SlotFull:
    """
    q = (sa.select(VaccinationSession, VaccineProduct).join(VaccineProduct, VaccineProduct.id == VaccinationSession.product_id)
         .where(VaccinationSession.site_id == site.id, VaccinationSession.day == today,
                VaccinationSession.status == "open", VaccinationSession.ends_at > now)
         .order_by(VaccinationSession.starts_at))
    if session_id:
        q = q.where(VaccinationSession.id == session_id)
    candidates = session.execute(q).all()
    if not candidates:
        raise NoOpenSession(site_id=site.id)
    history = given_doses(session, person.id)
    rules = catalog.load_rule_set(session)
    refusal, full = None, None
    for vs, product in candidates:
        answer = engine.next_dose(person.date_of_birth, history, rules, product=product.code,
                                  where=jurisdiction(site.province_code, site.path), on=today,
                                  disease=product.target_disease)
        if not answer.eligible:
            refusal = refusal or not_allowed(answer)
            continue
        active = session.scalar(sa.select(Booking.id).where(
            Booking.person_id == person.id, Booking.disease == product.target_disease,
            Booking.dose_number == answer.dose_number, Booking.status.in_(ACTIVE_BOOKING)))
        if active:
            raise AlreadyBooked("This person has a booking for this dose elsewhere or on another day; "
                                "cancel or move it first.",
                                detail_vi="Người này đã có lịch hẹn cho mũi này ở nơi khác hoặc ngày khác; "
                                          "hãy hủy hoặc đổi lịch trước.", booking_id=active)
        slots = session.execute(sa.select(Slot.id, Slot.starts_at, Slot.ends_at).where(
            Slot.session_id == vs.id, Slot.ends_at > now).order_by(Slot.starts_at)).all()
        for slot_id, starts_at, ends_at in slots:
            try:
                booking._take_seat(session, slot_id)  # booking's capacity check, not a second one
            except SlotFull as exc:
                full = exc
                continue
            booking_id = new_id()
            session.execute(sa.insert(booking_t).values(
                id=booking_id, person_id=person.id, slot_id=slot_id, session_id=vs.id,
                disease=product.target_disease, dose_number=answer.dose_number, dose=answer.dose,
                rule_id=answer.rule_id, status="confirmed", starts_at=starts_at, ends_at=ends_at,
                confirm_by=None, booked_by=principal.account_id, idempotency_key=None, created_at=now,
                updated_at=now, confirmed_at=now, end_reason=""))
            return booking_id, vs.id, True
    if full is not None:
        raise SlotFull("Today's sessions at this site are full.", detail_vi="Các buổi tiêm hôm nay đã hết chỗ.",
                       site_id=site.id)
    raise refusal or NoOpenSession(site_id=site.id)


def _visit_row(session: so.Session, visit_id: str) -> Visit:
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFound("No such visit.", detail_vi="Không có lượt tiêm này.", visit_id=visit_id)
    return visit


def _staff_visit(session: so.Session, principal: Principal, visit_id: str, *, for_update: bool = False) -> Visit:
    """:raises NotFound, UnitOutOfScope:"""
    visit = (session.scalar(sa.select(Visit).where(Visit.id == visit_id).with_for_update()) if for_update
             else session.get(Visit, visit_id))
    if visit is None:
        raise NotFound("No such visit.", detail_vi="Không có lượt tiêm này.", visit_id=visit_id)
    site = session.get_one(OrgUnit, visit.site_id)
    if not stock_service.unit_in_scope(principal, site.path, SITE_STAFF):
        raise UnitOutOfScope("This visit is at a site outside your scope.",
                             detail_vi="Lượt tiêm này ở điểm tiêm ngoài phạm vi của bạn.")
    return visit


def person_doses(session: so.Session, person_id: str) -> list[dict]:
    rows = session.execute(sa.select(DoseRecord, VaccineProduct.name_vi, VaccineProduct.name_en)
                           .join(VaccineProduct, VaccineProduct.code == DoseRecord.product_code)
                           .where(DoseRecord.person_id == person_id)
                           .order_by(DoseRecord.administered_at, DoseRecord.created_at)).all()
    return [dose_view(d) | {"product_name_vi": vi, "product_name_en": en} for d, vi, en in rows]


def visit_detail(session: so.Session, visit_id: str, *, now: datetime) -> dict:
    """What the tablet shows: the person, the booking, the dose history and the next dose."""
    visit = _visit_row(session, visit_id)
    person = session.get_one(Person, visit.person_id)
    site = session.get_one(OrgUnit, visit.site_id)
    doses = person_doses(session, person.id)
    history = [engine.GivenDose(d["product_code"], d["dose_number"], d["administered_on"])
               for d in doses if d["status"] in COUNTED]
    rules = catalog.load_rule_set(session)
    status = engine.series_status(history, rules)
    options = engine.options(person.date_of_birth, history, rules, where=jurisdiction(site.province_code, site.path),
                             on=visit.day)
    bk = None
    if visit.booking_id:
        row = session.execute(sa.select(Booking, VaccineProduct.code).join(
            VaccinationSession, VaccinationSession.id == Booking.session_id).join(
            VaccineProduct, VaccineProduct.id == VaccinationSession.product_id).where(Booking.id == visit.booking_id)).first()
        if row:
            b, code = row
            bk = {"id": b.id, "session_id": b.session_id, "slot_id": b.slot_id, "product_code": code,
                  "dose_number": b.dose_number, "starts_at": b.starts_at, "ends_at": b.ends_at, "status": b.status}
    last = session.scalar(sa.select(Screening).where(Screening.visit_id == visit.id)
                          .order_by(Screening.screened_at.desc()).limit(1))
    earlier = session.scalar(sa.select(Screening).join(Visit, Visit.id == Screening.visit_id).where(
        Screening.person_id == person.id, Screening.visit_id != visit.id, Screening.outcome != "vaccinate_now",
        sa.or_(Screening.postpone_until.is_(None), Screening.postpone_until > visit.day))
        .order_by(Screening.screened_at.desc()).limit(1))
    return {
        "id": visit.id, "status": visit.status, "site_id": visit.site_id, "site_name": site.name, "day": visit.day,
        "walk_in": visit.walk_in, "check_in_method": visit.check_in_method, "checked_in_at": visit.checked_in_at,
        "checked_in_by": visit.checked_in_by,
        "person": {"id": person.id, "full_name": person.full_name, "date_of_birth": person.date_of_birth,
                   "sex": person.sex, "province_code": person.province_code},
        "booking": bk,
        "series_status": status.status, "doses": doses,
        "next_doses": [answer_view(a) for a in options],
        "screening": screening_view(last) if last else None,
        "earlier_screening": screening_view(earlier) if earlier else None,
        "dose_record_id": visit.dose_record_id, "administered_at": visit.administered_at,
        "observe_until": visit.observe_until,
        "observation_remaining_seconds": remaining(visit.observe_until, now) if visit.status == "observing" else None,
        "observation_outcome": visit.observation_outcome, "observation_note": visit.observation_note,
        "reactions": visit.reactions or [], "close_reason": visit.close_reason,
    }


def remaining(until: datetime | None, now: datetime) -> int:
    return max(0, int((until - now).total_seconds())) if until else 0


def get_visit(sessions: so.sessionmaker, principal: Principal, visit_id: str, *, request_id: str,
              now: datetime) -> dict:
    """A visit as the tablet shows it; a staff read of a person's record, so audited."""
    with sessions.begin() as session:
        visit = _staff_visit(session, principal, visit_id)
        audit.record(session, actor=principal.account_id, action="visit.read", person_id=visit.person_id,
                     unit_id=visit.site_id, reason="vaccination visit", request_id=request_id, now=now)
        return visit_detail(session, visit_id, now=now)


def list_visits(sessions: so.sessionmaker, principal: Principal, site_id: str, *, day: date | None,
                status: str | None, request_id: str, now: datetime) -> list[dict]:
    """The site's visits of a day (names and birth dates: an audited staff read)."""
    day = day or local_date(now)
    with sessions.begin() as session:
        site = check_site(session, principal, site_id)
        q = (sa.select(Visit, Person.full_name, Person.date_of_birth).join(Person, Person.id == Visit.person_id)
             .where(Visit.site_id == site.id, Visit.day == day).order_by(Visit.checked_in_at))
        if status:
            q = q.where(Visit.status == status)
        rows = session.execute(q).all()
        audit.record(session, actor=principal.account_id, action="visits.list.read", unit_id=site.id, now=now,
                     request_id=request_id, day=day.isoformat(), count=len(rows))
    return [{"id": v.id, "person_id": v.person_id, "full_name": name, "date_of_birth": dob, "status": v.status,
             "walk_in": v.walk_in, "checked_in_at": v.checked_in_at, "screening_outcome": v.screening_outcome,
             "dose_record_id": v.dose_record_id, "observe_until": v.observe_until}
            for v, name, dob in rows]


def close_visit(sessions: so.sessionmaker, principal: Principal, visit_id: str, *, reason: str,
                now: datetime) -> dict:
    """End a visit without a dose (postponed, referred, left). :raises VisitClosed, DoseAlreadyRecorded:"""
    with sessions.begin() as session:
        visit = _staff_visit(session, principal, visit_id)
        if visit.dose_record_id:
            raise DoseAlreadyRecorded("A dose was recorded: end the observation instead.",
                                      detail_vi="Đã ghi nhận mũi tiêm: hãy kết thúc theo dõi.",
                                      dose_record_id=visit.dose_record_id)
        done = session.execute(sa.update(visit_t).where(
            visit_t.c.id == visit_id, visit_t.c.status.in_(("checked_in", "screened"))).values(
            status="cancelled", close_reason=reason, updated_at=now)).rowcount
        if not done:
            raise VisitClosed(visit_status=visit.status)
        audit.record(session, actor=principal.account_id, action="visit.close", person_id=visit.person_id,
                     unit_id=visit.site_id, now=now, reason=reason)
        session.expire_all()
        return visit_detail(session, visit_id, now=now)


# ---------------------------------------------------------------- screening

@dataclass(frozen=True)
class Screen:
    visit_id: str
    answers: dict
    vitals: dict
    outcome: str
    postpone_until: date | None = None
    covid19_on: date | None = None
    pregnancy_weeks: int | None = None
    note: str = ""


def screening_view(s: Screening) -> dict:
    return {"id": s.id, "visit_id": s.visit_id, "checklist_version": s.checklist_version, "answers": s.answers,
            "vitals": s.vitals, "computed_outcome": s.computed_outcome, "outcome": s.outcome,
            "postpone_until": s.postpone_until, "reasons": s.reasons, "cautions": s.cautions, "note": s.note,
            "screened_by": s.screened_by, "screened_at": s.screened_at}


def screen(sessions: so.sessionmaker, principal: Principal, cmd: Screen, *, now: datetime) -> dict:
    """Record the checklist and the doctor's outcome on the visit (the latest screening counts).

    The outcome may be more cautious than the checklist requires, never less.
    :raises NotFound, UnitOutOfScope, VisitClosed, DoseAlreadyRecorded, ScreeningInconsistent, ValidationFailed:
    """
    if cmd.outcome not in screening.OUTCOMES:
        raise invalid("outcome", f"One of {', '.join(screening.OUTCOMES)}.", "Kết luận không hợp lệ.")
    today = local_date(now)
    with sessions.begin() as session:
        visit = _staff_visit(session, principal, cmd.visit_id, for_update=True)
        if visit.dose_record_id:
            raise DoseAlreadyRecorded("The dose was given already.", detail_vi="Mũi tiêm đã được tiêm.",
                                      dose_record_id=visit.dose_record_id)
        if visit.status not in ("checked_in", "screened"):
            raise VisitClosed(visit_status=visit.status)
        person = session.get_one(Person, visit.person_id)
        try:
            a = screening.assess(cmd.answers, cmd.vitals, date_of_birth=person.date_of_birth, on=today,
                                 covid19_on=cmd.covid19_on, pregnancy_weeks=cmd.pregnancy_weeks)
        except ValueError as exc:
            raise invalid("answers", str(exc), "Có mục không thuộc phiếu sàng lọc.") from exc
        if screening.SEVERITY[cmd.outcome] < screening.SEVERITY[a.outcome]:
            labels = [screening.PRESENT_LABELS[c] for c in a.reasons]
            raise ScreeningInconsistent(
                f"The checklist requires at least '{a.outcome}': {'; '.join(en for en, _ in labels)}.",
                detail_vi=f"Phiếu sàng lọc yêu cầu ít nhất '{a.outcome}': {'; '.join(vi for _, vi in labels)}.",
                errors={"outcome": [en for en, _ in labels]}, errors_vi={"outcome": [vi for _, vi in labels]},
                required_outcome=a.outcome, reasons=list(a.reasons))
        until = None
        if cmd.outcome == "postpone":
            until = cmd.postpone_until or a.postpone_until or today + timedelta(days=1)
            if until <= today:
                raise invalid("postpone_until", "Must be after today.", "Phải sau hôm nay.")
        row = Screening(id=new_id(), visit_id=visit.id, person_id=visit.person_id,
                        checklist_version=screening.VERSION, answers=dict(cmd.answers), vitals=dict(cmd.vitals),
                        computed_outcome=a.outcome, outcome=cmd.outcome, postpone_until=until,
                        reasons=list(a.reasons) if cmd.outcome == a.outcome else list(a.reasons) + ["doctor_decision"],
                        cautions=list(a.cautions), note=cmd.note, screened_by=principal.account_id, screened_at=now)
        session.add(row)
        visit.status, visit.screening_outcome, visit.screened_at = "screened", cmd.outcome, now
        visit.postpone_until, visit.updated_at = until, now
        audit.record(session, actor=principal.account_id, action="visit.screen", person_id=visit.person_id,
                     unit_id=visit.site_id, now=now, outcome=cmd.outcome)
        session.flush()
        return screening_view(row)


def screenings_of(sessions: so.sessionmaker, principal: Principal, visit_id: str) -> list[dict]:
    with sessions.begin() as session:
        _staff_visit(session, principal, visit_id)
        return [screening_view(s) for s in session.scalars(
            sa.select(Screening).where(Screening.visit_id == visit_id).order_by(Screening.screened_at))]


# ---------------------------------------------------------------- the dose record (hot path)

@dataclass(frozen=True)
class RecordDose:
    visit_id: str
    lot_id: str
    key: str | None  # the tablet's Idempotency-Key
    product_code: str | None = None  # a cross-check of the lot's product, when the tablet sends it
    administered_at: datetime | None = None  # when given (a queued offline record); default now
    note: str = ""


@functools.cache
def _dose_query() -> sa.Select:
    """Everything the dose checks need, in one round trip (built once: building it costs more than running it)."""
    v, site, p = visit_t, OrgUnit.__table__, Person.__table__
    lot, prod, bal = Lot.__table__, VaccineProduct.__table__, balance_t
    lot_id = sa.bindparam("lot_id", type_=sa.String)
    existing = (sa.select(dose_t.c.id).where(dose_t.c.idempotency_key == sa.bindparam("key", type_=sa.String))
                .scalar_subquery().label("existing_id"))
    return (sa.select(v.c.person_id, v.c.site_id, v.c.status, v.c.screening_outcome, v.c.booking_id,
                      v.c.dose_record_id, site.c.path.label("site_path"), site.c.province_code,
                      site.c.name.label("site_name"), p.c.date_of_birth, p.c.full_name, p.c.phone,
                      lot.c.id.label("lot_id"), lot.c.product_code,
                      lot.c.lot_number, lot.c.expires_on, lot.c.quarantined_at, prod.c.target_disease, bal.c.balance,
                      history_expr(v.c.person_id).label("history"), existing)
            .select_from(v.join(site, site.c.id == v.c.site_id).join(p, p.c.id == v.c.person_id)
                         .outerjoin(lot, lot.c.id == lot_id)
                         .outerjoin(prod, prod.c.code == lot.c.product_code)
                         .outerjoin(bal, sa.and_(bal.c.unit_id == v.c.site_id, bal.c.lot_id == lot.c.id)))
            .where(v.c.id == sa.bindparam("visit_id", type_=sa.String)))


# The hot path's writes, built once (bound parameters; building a statement costs more than sending it).
_CLAIM = functools.cache(lambda: sa.update(visit_t).where(
    visit_t.c.id == sa.bindparam("p_visit"), visit_t.c.status == "screened",
    visit_t.c.screening_outcome == "vaccinate_now", visit_t.c.dose_record_id.is_(None)).values(
    status="observing", dose_record_id=sa.bindparam("p_dose"), administered_at=sa.bindparam("p_at"),
    observe_until=sa.bindparam("p_until"), updated_at=sa.bindparam("p_now")))
_INSERT_DOSE = functools.cache(lambda: sa.insert(dose_t))
# What the ledger and audit rows of every dose recorded at a site have in common.
_ADMINISTER = dict(kind="administer", quantity=-1, reason="", transfer_id=None, adjustment_id=None, approved_by=None)
_DOSE_AUDIT = dict(action="dose.record", reason="", request_id="")
_LEDGER = functools.cache(lambda: sa.insert(stock_service.movement_t).values(**_ADMINISTER))
_ATTEND = functools.cache(lambda: sa.update(booking_t).where(
    booking_t.c.id == sa.bindparam("p_booking"), one_of(booking_t.c.status, ACTIVE_BOOKING)).values(
    status="attended", ended_at=sa.bindparam("p_now"), updated_at=sa.bindparam("p_now")))
_AUDIT = functools.cache(lambda: sa.insert(AuditEvent.__table__).values(**_DOSE_AUDIT))
_TAKE_ONE = functools.cache(lambda: sa.update(balance_t).where(
    balance_t.c.unit_id == sa.bindparam("p_unit"), balance_t.c.lot_id == sa.bindparam("p_lot"),
    balance_t.c.balance >= 1).values(balance=balance_t.c.balance - 1, updated_at=sa.bindparam("p_now")))


def _insert_from(table: sa.Table, source, names: tuple[str, ...], constants: dict | None = None, *,
                 prefix: str = "p_"):
    """INSERT INTO table (…) SELECT :<prefix><name>, … FROM source: nothing when the source is empty."""
    constants = constants or {}
    values = [sa.bindparam(prefix + n, type_=table.c[n].type) for n in names]
    values += [constant(v, table.c[k].type) for k, v in constants.items()]
    return sa.insert(table).from_select([*names, *constants], sa.select(*values).select_from(source))


# What every dose recorded at a site has in common (written into the statement, not bound).
_SITE_DOSE = dict(status="valid", source="site", import_id=None, approved_by=None, approved_at=None,
                  void_reason="", version=1)
_DOSE_COLUMNS = tuple(c.name for c in dose_t.c if c.name not in _SITE_DOSE)


@functools.cache
def _record_in_one() -> sa.Select:
    """PostgreSQL: the dose's writes in ONE statement of data-modifying CTEs, each waiting for
    the one it reads from: claim the visit → insert the dose (nothing if the claim failed) → the
    ledger row, the audit row, the booking marked attended and one dose off the stock, all only
    if the dose was inserted. Answers (dose_id, taken): dose_id NULL = the claim failed;
    taken NULL = no dose left (the caller rolls the transaction back). The stock row is the last
    lock taken, right before COMMIT."""
    # Few parameters (the ledger and audit rows take what they share with the dose from its row;
    # constants are written into the SQL): past 50 parameters psycopg parses the statement anew
    # at every execution (~6 % of a dose request's CPU, measured with py-spy).
    claim = _CLAIM().returning(visit_t.c.id).cte("claim")
    dose = _insert_from(dose_t, claim, _DOSE_COLUMNS, _SITE_DOSE).returning(
        dose_t.c.id, dose_t.c.person_id, dose_t.c.unit_id, dose_t.c.lot_id, dose_t.c.recorded_by,
        dose_t.c.created_at).cte("dose")
    m, audit_t = stock_service.movement_t, AuditEvent.__table__

    def from_dose(table, bound: str, columns: dict, constants: dict):
        """INSERT INTO table SELECT :bound (its id), the dose row's columns, the constants FROM dose."""
        return sa.insert(table).from_select(
            ["id", *columns, *constants],
            sa.select(sa.bindparam(bound, type_=table.c.id.type), *columns.values(),
                      *[constant(v, table.c[k].type) for k, v in constants.items()]).select_from(dose)
        ).returning(table.c.id)

    ledger = from_dose(m, "l_id", {"at": dose.c.created_at, "unit_id": dose.c.unit_id, "lot_id": dose.c.lot_id,
                                   "dose_record_id": dose.c.id, "actor_account_id": dose.c.recorded_by},
                       _ADMINISTER).cte("ledger")
    details = sa.bindparam("p_audit_details", type_=audit_t.c.details.type)
    audit = from_dose(audit_t, "p_audit_id", {"at": dose.c.created_at, "actor_account_id": dose.c.recorded_by,
                                              "person_id": dose.c.person_id, "unit_id": dose.c.unit_id,
                                              "details": details}, _DOSE_AUDIT).cte("audit")
    done = sa.exists(sa.select(dose.c.id))
    attend = (_ATTEND().where(done).returning(booking_t.c.id)).cte("attend")
    stock = (_TAKE_ONE().where(done).returning(balance_t.c.lot_id)).cte("stock")
    return (sa.select(sa.select(dose.c.id).scalar_subquery().label("dose_id"),
                      sa.select(stock.c.lot_id).scalar_subquery().label("taken"))
            .add_cte(ledger, audit, attend, stock))


def _check_dose(principal: Principal, row, cmd: RecordDose, *, on: date, rules: engine.RuleSet) -> engine.NextDose:
    """The checks of a dose, in the order the vaccinator would want to hear them.

    :raises UnitOutOfScope, VisitClosed, DoseAlreadyRecorded, ScreeningRequired, ScreeningNotCleared,
        NotFound, ValidationFailed, LotQuarantined, LotExpired, LotNotAtSite, OutOfStock, DoseNotAllowed:
    """
    if not stock_service.unit_in_scope(principal, row.site_path, SITE_STAFF):
        raise UnitOutOfScope("This visit is at a site outside your scope.",
                             detail_vi="Lượt tiêm này ở điểm tiêm ngoài phạm vi của bạn.")
    if row.dose_record_id:
        raise DoseAlreadyRecorded("A dose is already recorded for this visit.",
                                  detail_vi="Lượt tiêm này đã có mũi tiêm được ghi nhận.",
                                  dose_record_id=row.dose_record_id)
    if row.status not in ("checked_in", "screened"):
        raise VisitClosed(visit_status=row.status)
    if row.screening_outcome is None:
        raise ScreeningRequired()
    if row.screening_outcome != "vaccinate_now":
        raise ScreeningNotCleared(f"Screened '{row.screening_outcome}' at this visit.",
                                  detail_vi="Kết quả khám sàng lọc của lượt này không cho phép tiêm.",
                                  screening_outcome=row.screening_outcome)
    if row.lot_id is None:
        raise NotFound("No such lot.", detail_vi="Không có lô vắc xin này.", lot_id=cmd.lot_id)
    if cmd.product_code and cmd.product_code != row.product_code:
        raise invalid("product_code", f"Lot {row.lot_number} is {row.product_code}.",
                      f"Lô {row.lot_number} là vắc xin {row.product_code}.")
    stock_service.check_usable(row.expires_on, row.quarantined_at, on=on, lot_id=row.lot_id)
    if row.balance is None:
        raise LotNotAtSite("This lot is not in this site's stock.",
                                         detail_vi="Lô này không có trong kho của điểm tiêm.", lot_id=row.lot_id)
    if row.balance < 1:
        raise OutOfStock("This lot has no dose left at this site.", detail_vi="Lô này đã hết liều tại điểm tiêm.",
                         lot_id=row.lot_id, available=0)
    answer = engine.next_dose(row.date_of_birth, parse_history(row.history), rules, product=row.product_code,
                              where=jurisdiction(row.province_code, row.site_path), on=on,
                              disease=row.target_disease)
    if not answer.eligible:
        raise not_allowed(answer)
    return answer


class _ClaimLost(Exception):
    """The visit was claimed by another request between our read and our write."""


def record_dose(sessions: so.sessionmaker, principal: Principal, cmd: RecordDose, *,
                now: datetime) -> tuple[dict, bool]:
    """Record the dose given at this visit and take it from the site's stock; (record, created).

    Resending the same Idempotency-Key returns the first record (created False) and changes
    nothing. Refused, with nothing changed, for: a visit outside scope or closed or with a dose
    already; no screening or one that did not clear the person; an unknown, expired, quarantined
    lot or one not (or no longer) in this site's stock; a dose the rules do not allow now.
    :raises see _check_dose, and IdempotencyKeyReused, ValidationFailed:
    """
    at = cmd.administered_at or now
    if at > now + CLOCK_SKEW or at < now - OFFLINE_LIMIT:
        raise invalid("administered_at", "Must be within the last 72 hours, not in the future.",
                      "Phải trong vòng 72 giờ qua, không ở tương lai.")
    on = at.astimezone(LOCAL).date()
    dose_id = new_id()
    try:
        with sessions.begin() as session:
            conn = session.connection()  # Core on the session's connection: no ORM layers on the hot path
            row = conn.execute(_dose_query(), {"visit_id": cmd.visit_id, "lot_id": cmd.lot_id,
                                               "key": cmd.key}).one_or_none()
            if row is None:
                raise NotFound("No such visit.", detail_vi="Không có lượt tiêm này.", visit_id=cmd.visit_id)
            if row.existing_id:
                if not stock_service.unit_in_scope(principal, row.site_path, SITE_STAFF):
                    raise UnitOutOfScope()
                return _replay(session, row.existing_id, cmd), False
            answer = _check_dose(principal, row, cmd, on=on, rules=catalog.load_rule_set(session))
            values = dict(
                id=dose_id, person_id=row.person_id, visit_id=cmd.visit_id, booking_id=row.booking_id,
                disease=row.target_disease, product_code=row.product_code, lot_id=row.lot_id,
                lot_number=row.lot_number, dose_number=answer.dose_number,
                series="booster" if answer.dose == engine.BOOSTER else "primary", rule_id=answer.rule_id,
                administered_at=at, administered_on=on, unit_id=row.site_id, site_name=row.site_name,
                province_code=row.province_code, vaccinator_account_id=principal.account_id,
                recorded_by=principal.account_id, note=cmd.note, idempotency_key=cmd.key,
                created_at=now, updated_at=now, **_SITE_DOSE)
            if conn.dialect.name == "postgresql":
                # The hook first (it may be slow): the stock row is the last lock, held only to COMMIT.
                hooks.on_dose_recorded(session, DoseRecord(**values), now, person_name=row.full_name,
                                       person_phone=row.phone)
                claimed, taken = conn.execute(_record_in_one(), {
                    **{"p_" + k: v for k, v in values.items()}, "p_visit": cmd.visit_id, "p_dose": dose_id,
                    "p_at": at, "p_until": at + OBSERVATION, "p_now": now, "p_booking": row.booking_id,
                    "p_unit": row.site_id, "p_lot": row.lot_id, "p_audit_id": new_id(), "l_id": new_id(),
                    "p_audit_details": {"dose_record_id": dose_id},
                }).one()
            else:
                claimed = conn.execute(_CLAIM(), {"p_visit": cmd.visit_id, "p_dose": dose_id, "p_at": at,
                                                  "p_until": at + OBSERVATION, "p_now": now}).rowcount
                taken = True
            if not claimed:  # another tablet recorded (or re-screened) this visit in the meantime
                raise _ClaimLost()  # roll back what the hook wrote
            if conn.dialect.name != "postgresql":
                conn.execute(_INSERT_DOSE(), values)
                conn.execute(_LEDGER(), {"id": new_id(), "at": now, "unit_id": row.site_id, "lot_id": row.lot_id,
                                         "dose_record_id": dose_id, "actor_account_id": principal.account_id})
                if row.booking_id:
                    conn.execute(_ATTEND(), {"p_booking": row.booking_id, "p_now": now})
                # The audit row of this change (audit.record's row, written with Core on the hot path).
                conn.execute(_AUDIT(), {"id": new_id(), "at": now, "actor_account_id": principal.account_id,
                                        "person_id": row.person_id, "unit_id": row.site_id,
                                        "details": {"dose_record_id": dose_id}})
                # The hook gets the same values as a DoseRecord (not attached to the session).
                hooks.on_dose_recorded(session, DoseRecord(**values), now, person_name=row.full_name,
                                       person_phone=row.phone)
                taken = conn.execute(_TAKE_ONE(), {"p_unit": row.site_id, "p_lot": row.lot_id,
                                                   "p_now": now}).rowcount
            if not taken:
                # Another tablet took the last dose of this lot between our read and now.
                raise OutOfStock("This lot has no dose left at this site.", detail_vi="Lô này đã hết liều tại điểm tiêm.",
                                 lot_id=row.lot_id, available=0)
            view = dose_view(values)
    except _ClaimLost:
        # …perhaps by this very record, resent while the first request was still running: we
        # waited for its row lock, so its commit is visible to a new transaction.
        if cmd.key is not None:
            with sessions.begin() as session:
                first = session.scalar(sa.select(dose_t.c.id).where(dose_t.c.idempotency_key == cmd.key))
                if first:
                    return _replay(session, first, cmd), False
        raise DoseAlreadyRecorded("A dose is already recorded for this visit.",
                                  detail_vi="Lượt tiêm này đã có mũi tiêm được ghi nhận.") from None
    except sa_exc.IntegrityError as exc:
        if cmd.key is not None and _violated(exc, "uq_dose_record_idempotency_key", "dose_record.idempotency_key"):
            # The same key raced itself: the first request committed; answer with its record.
            with sessions.begin() as session:
                existing = session.scalar(sa.select(dose_t.c.id).where(dose_t.c.idempotency_key == cmd.key))
                return _replay(session, existing, cmd), False
        if _violated(exc, "uq_dose_record_counted", "dose_record.person_id, dose_record.disease"):
            raise DoseAlreadyRecorded("This dose of this person is already recorded.",
                                      detail_vi="Mũi tiêm này của người này đã được ghi nhận.") from None
        raise
    view["observe_until"] = at + OBSERVATION
    return view, True


def _violated(exc: sa_exc.IntegrityError, name: str, columns: str) -> bool:
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name == name
    return columns in str(exc.orig)


def _replay(session: so.Session, dose_id: str, cmd: RecordDose) -> dict:
    dose = session.get_one(DoseRecord, dose_id)
    if dose.visit_id != cmd.visit_id or dose.lot_id != cmd.lot_id:
        raise IdempotencyKeyReused()
    view = dose_view(dose)
    view["observe_until"] = dose.administered_at + OBSERVATION
    return view


# ---------------------------------------------------------------- observation

def watch_list(sessions: so.sessionmaker, principal: Principal, site_id: str, *, request_id: str,
               now: datetime) -> list[dict]:
    """People under observation at the site, the soonest to leave first (an audited staff read)."""
    with sessions.begin() as session:
        site = check_site(session, principal, site_id)
        rows = session.execute(
            sa.select(Visit, Person.full_name, Person.date_of_birth, DoseRecord.product_code,
                      DoseRecord.lot_number, DoseRecord.dose_number)
            .join(Person, Person.id == Visit.person_id).join(DoseRecord, DoseRecord.id == Visit.dose_record_id)
            .where(Visit.site_id == site.id, Visit.status == "observing").order_by(Visit.observe_until)).all()
        audit.record(session, actor=principal.account_id, action="observation.list.read", unit_id=site.id,
                     now=now, request_id=request_id, count=len(rows))
    return [{"visit_id": v.id, "person_id": v.person_id, "full_name": name, "date_of_birth": dob,
             "dose_record_id": v.dose_record_id, "product_code": code, "lot_number": lot, "dose_number": n,
             "administered_at": v.administered_at, "observe_until": v.observe_until,
             "remaining_seconds": remaining(v.observe_until, now), "may_leave": v.observe_until <= now,
             "reactions": len(v.reactions or [])} for v, name, dob, code, lot, n in rows]


@dataclass(frozen=True)
class Reaction:
    kind: str
    severity: str
    onset_minutes: int | None = None
    treatment: str = ""
    note: str = ""


def record_reaction(sessions: so.sessionmaker, principal: Principal, visit_id: str, r: Reaction, *,
                    docstore, now: datetime) -> dict:
    """An immediate reaction seen during observation: kept on the visit and, for the reactions
    service, as a `reaction_reports` document (source 'observation') pointing at the dose and lot.

    :raises NotFound, UnitOutOfScope, ObservationState, ValidationFailed:
    """
    if r.kind not in REACTION_KINDS:
        raise invalid("kind", f"One of {', '.join(REACTION_KINDS)}.", "Loại phản ứng không hợp lệ.")
    if r.severity not in REACTION_SEVERITIES:
        raise invalid("severity", f"One of {', '.join(REACTION_SEVERITIES)}.", "Mức độ không hợp lệ.")
    with sessions.begin() as session:
        visit = _staff_visit(session, principal, visit_id, for_update=True)
        if not visit.dose_record_id or visit.status not in ("observing", "done") or visit.day != local_date(now):
            raise ObservationState(visit_status=visit.status)
        dose = session.get_one(DoseRecord, visit.dose_record_id)
        reaction = {"id": new_id(), "kind": r.kind, "severity": r.severity, "onset_minutes": r.onset_minutes,
                    "treatment": r.treatment, "note": r.note, "recorded_by": principal.account_id,
                    "recorded_at": now.isoformat()}
        visit.reactions = [*(visit.reactions or []), reaction]
        visit.updated_at = now
        docstore.insert("reaction_reports", {
            "_id": reaction["id"], "source": "observation", "person_id": visit.person_id, "visit_id": visit.id,
            "dose_record_id": dose.id, "product_code": dose.product_code, "lot_id": dose.lot_id,
            "lot_number": dose.lot_number, "site_id": visit.site_id, "province_code": visit.province_code,
            "administered_at": dose.administered_at.isoformat(), "kind": r.kind, "severity": r.severity,
            "serious": r.severity == "severe" or r.kind == "anaphylaxis", "onset_minutes": r.onset_minutes,
            "treatment": r.treatment, "note": r.note, "reported_by": principal.account_id,
            "reported_at": now.isoformat()}, now=now, session=session)
        audit.record(session, actor=principal.account_id, action="visit.reaction", person_id=visit.person_id,
                     unit_id=visit.site_id, now=now, kind=r.kind, severity=r.severity)
        return reaction


def end_observation(sessions: so.sessionmaker, principal: Principal, visit_id: str, *, outcome: str,
                    note: str = "", now: datetime) -> dict:
    """Close the observation: discharged (after 30 minutes), treated, transferred, or left early.

    :raises NotFound, UnitOutOfScope, ObservationState, ValidationFailed:
    """
    if outcome not in OBSERVATION_OUTCOMES:
        raise invalid("outcome", f"One of {', '.join(OBSERVATION_OUTCOMES)}.", "Kết quả không hợp lệ.")
    with sessions.begin() as session:
        visit = _staff_visit(session, principal, visit_id)
        if visit.status != "observing":
            raise ObservationState(visit_status=visit.status)
        if outcome == "discharged" and visit.observe_until > now:
            left = remaining(visit.observe_until, now)
            raise ObservationState(f"{left // 60} min {left % 60} s of observation left (or record 'left_early').",
                                   detail_vi=f"Còn {left // 60} phút {left % 60} giây theo dõi.",
                                   remaining_seconds=left)
        done = session.execute(sa.update(visit_t).where(visit_t.c.id == visit_id, visit_t.c.status == "observing")
                               .values(status="done", observation_outcome=outcome, observation_note=note,
                                       observation_ended_at=now, observation_ended_by=principal.account_id,
                                       updated_at=now)).rowcount
        if not done:
            raise ObservationState(visit_status="done")
        audit.record(session, actor=principal.account_id, action="visit.observation.end", person_id=visit.person_id,
                     unit_id=visit.site_id, now=now, outcome=outcome)
        session.expire_all()
        return visit_detail(session, visit_id, now=now)


# ---------------------------------------------------------------- what the citizen sees

def doses_for(sessions: so.sessionmaker, principal: Principal, person_id: str) -> dict:
    """The person's dose records (all statuses) and the series status from the counted ones.

    :raises NotGuardian:
    """
    with sessions.begin() as session:
        people.check_can_act_for(session, principal, person_id)
        doses = person_doses(session, person_id)
        rules = catalog.load_rule_set(session)
    history = [engine.GivenDose(d["product_code"], d["dose_number"], d["administered_on"])
               for d in doses if d["status"] in COUNTED]
    status = engine.series_status(history, rules)
    return {"person_id": person_id, "series_status": status.status, "counted_doses": status.doses,
            "primary_complete_on": status.primary_complete_on, "last_dose_on": status.last_dose_on,
            "doses": doses}


def dose_history(sessions: so.sessionmaker, principal: Principal, person_id: str, dose_id: str) -> dict:
    """A dose record and every change to it (citizen, guardian). :raises NotGuardian, NotFound:"""
    with sessions.begin() as session:
        people.check_can_act_for(session, principal, person_id)
        dose = session.get(DoseRecord, dose_id)
        if dose is None or dose.person_id != person_id:
            raise NotFound("No such dose record.", detail_vi="Không có bản ghi mũi tiêm này.")
        return _history_view(session, dose)


def _history_view(session: so.Session, dose: DoseRecord) -> dict:
    rows = session.scalars(sa.select(DoseRecordHistory).where(DoseRecordHistory.dose_record_id == dose.id)
                           .order_by(DoseRecordHistory.changed_at, DoseRecordHistory.version))
    return {"dose": dose_view(dose), "changes": [
        {"version": h.version, "change": h.change, "before": h.before, "after": h.after, "reason": h.reason,
         "correction_id": h.correction_id, "changed_by": h.changed_by, "changed_at": h.changed_at} for h in rows]}


def staff_dose_history(sessions: so.sessionmaker, principal: Principal, dose_id: str, *, request_id: str,
                       now: datetime) -> dict:
    """The same for auditors and staff within scope (audited). :raises NotFound, OutOfScope:"""
    with sessions.begin() as session:
        dose = session.get(DoseRecord, dose_id)
        if dose is None:
            raise NotFound("No such dose record.", detail_vi="Không có bản ghi mũi tiêm này.")
        people.check_in_scope(session, principal, dose.person_id)
        audit.record(session, actor=principal.account_id, action="dose.history.read", person_id=dose.person_id,
                     now=now, request_id=request_id, dose_record_id=dose.id)
        return _history_view(session, dose)


def local_noon(day: date) -> datetime:
    """A date-only dose (a paper card) as a time: noon local keeps the UTC date the same."""
    return datetime.combine(day, time(12), tzinfo=LOCAL)

