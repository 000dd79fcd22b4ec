"""Reactions after a dose: the citizen's report, the alert, triage, self-monitoring. No Flask here.

Documents (the document-store port, api/docstore.py):
- `reaction_reports`: one per report, append-only. Citizen reports (`source` 'citizen') are
  written here; the site's observation reactions (`source` 'observation') by the vaccination
  service. Both carry `dose_record_id`, `product_code`, `lot_id`, `site_id`, `serious`, `reported_at`.
- `reaction_checkins`: the one-tap "no reaction" answers (not reports: kept apart so queues and
  rates never have to skip them).
- `reaction_triage`: the staff's state of one report, `_id` = the report's id. Its `version`
  is the compare-and-set guard: two staff acting on the same version, one wins, one gets a 409.
  A report's own document is never rewritten (the observation ones are the vaccination
  service's), so triage lives beside it.
- `reaction_followups`: later information, linked by `report_id`: the reporter's updates and
  every staff action (acknowledge, call-back, follow-up, classification, close, escalation).

With the SQL adapter the documents join the caller's transaction (the alert's outbox rows and
the report commit together). MongoDB has no transaction with the SQL outbox: the report document
is written last, after every check and the outbox rows, so a failed request leaves neither;
only a crash between the Mongo write and the SQL commit leaves a report without its alert
(the escalation job's first pass then alerts the next level; see escalate_unacknowledged).

Serious reports alert, in the report's transaction, the site's staff and the department staff of
the unit just above the site (the district health centre). Unacknowledged after ESCALATE_AFTER,
the job alerts the next unit up (province, then national), one level per period.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.audit import service as audit
from api.auth.models import Account, RoleAssignment
from api.auth.service import Principal
from api.catalog import service as catalog
from api.catalog.models import OrgUnit, VaccineProduct
from api.catalog.problems import UnitOutOfScope
from api.db import new_id
from api.notify.service import deliveries, load_recipients, notify
from api.people import service as people
from api.people.models import Person
from api.people.problems import NotGuardian
from api.problems import NotFound, ValidationFailed
from api.reactions import terms as t
from api.reactions.problems import ReportNotFound, TriageClosed, TriageConflict
from api.vaccination.models import COUNTED, DoseRecord
from api.vaccination.stock import LOCAL, local_date
from notifications.outbox import enqueue

REPORTS = "reaction_reports"
CHECKINS = "reaction_checkins"
TRIAGE = "reaction_triage"
FOLLOWUPS = "reaction_followups"

HOTLINE = "1900 9095"  # the Ministry of Health's health hotline
EMERGENCY = "115"
ESCALATE_AFTER = timedelta(minutes=15)
MONITORING = timedelta(days=28)
INTENSIVE = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock a little ahead is not "in the future"
STAFF = ("site_staff", "department_staff", "national_admin")
QUEUE_LIMIT = 200


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat()


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def invalid(field_name: str, en: str, vi: str) -> ValidationFailed:
    return ValidationFailed(en, detail_vi=vi, errors={field_name: [en]}, errors_vi={field_name: [vi]})


# ---------------------------------------------------------------- the citizen's report

@dataclass(frozen=True)
class ReportReaction:
    dose_record_id: str
    no_reaction: bool = False
    onset_at: datetime | None = None
    symptoms: tuple[str, ...] = ()
    symptom_text: str = ""
    severity: str | None = None
    care_sought: str = "none"


def check_symptoms(symptoms: tuple[str, ...], text: str) -> None:
    unknown = [c for c in symptoms if c not in t.BY_CODE]
    if unknown:
        raise invalid("symptoms", f"Unknown symptom codes: {', '.join(unknown)}.",
                      f"Mã triệu chứng không hợp lệ: {', '.join(unknown)}.")
    if "other" in symptoms and not text.strip():
        raise invalid("symptom_text", "Describe the other symptom.", "Hãy mô tả triệu chứng khác.")


def _dose_for(session: so.Session, principal: Principal, dose_id: str) -> tuple[DoseRecord, str]:
    """:raises NotFound, NotGuardian:"""
    dose = session.get(DoseRecord, dose_id)
    if dose is None or dose.status not in COUNTED:
        raise NotFound("No such dose record.", detail_vi="Không có bản ghi mũi tiêm này.")
    return dose, people.check_can_act_for(session, principal, dose.person_id)


def facility_view(site: OrgUnit | None) -> dict | None:
    if site is None:
        return None
    return {"id": site.id, "name": site.name, "address_line": site.address_line, "ward_code": site.ward_code,
            "province_code": site.province_code, "latitude": site.latitude, "longitude": site.longitude,
            "opening_hours": site.opening_hours}


def what_to_do(site: OrgUnit | None) -> dict:
    return {"call": EMERGENCY, "hotline": HOTLINE, "nearest_facility": facility_view(site),
            "vi": "Gọi 115 ngay. Nếu có thể, đến cơ sở y tế gần nhất; mang theo sổ tiêm.",
            "en": "Call 115 now. If you can, go to the nearest health facility; take your vaccination record."}


def report_reaction(sessions: so.sessionmaker, store, principal: Principal, cmd: ReportReaction, *,
                    now: datetime) -> dict:
    """A citizen's (or guardian's) report about one of their doses; serious signs alert the site.

    :raises NotFound, NotGuardian, ValidationFailed:
    """
    symptoms = tuple(dict.fromkeys(cmd.symptoms))  # keep order, drop repeats
    if cmd.no_reaction:
        if symptoms or cmd.symptom_text.strip():
            raise invalid("no_reaction", "'No reaction' comes without symptoms.",
                          "Đã chọn 'không có phản ứng' thì không kèm triệu chứng.")
    else:
        if not symptoms:
            raise invalid("symptoms", "Tick at least one symptom (or answer 'no reaction').",
                          "Hãy chọn ít nhất một triệu chứng (hoặc 'không có phản ứng').")
        check_symptoms(symptoms, cmd.symptom_text)
        if cmd.severity not in t.SEVERITIES:
            raise invalid("severity", f"One of {', '.join(t.SEVERITIES)}.", "Mức độ không hợp lệ.")
        if cmd.care_sought not in t.CARE_SOUGHT:
            raise invalid("care_sought", f"One of {', '.join(t.CARE_SOUGHT)}.", "Nơi khám không hợp lệ.")
        if cmd.onset_at is None:
            raise invalid("onset_at", "When did it start?", "Triệu chứng bắt đầu khi nào?")
        if cmd.onset_at > now + CLOCK_SKEW:
            raise invalid("onset_at", "The onset cannot be in the future.", "Thời điểm khởi phát không thể ở tương lai.")
    with sessions.begin() as session:
        dose, relation = _dose_for(session, principal, cmd.dose_record_id)
        base = {"person_id": dose.person_id, "dose_record_id": dose.id, "product_code": dose.product_code,
                "lot_id": dose.lot_id, "lot_number": dose.lot_number, "dose_number": dose.dose_number,
                "site_id": dose.unit_id, "province_code": dose.province_code,
                "administered_at": iso(dose.administered_at), "administered_on": dose.administered_on.isoformat(),
                "reported_by": principal.account_id, "relation": relation, "reported_at": iso(now)}
        if cmd.no_reaction:
            doc_id = store.insert(CHECKINS, {"source": "citizen", **base}, now=now, session=session)
            return {"id": doc_id, "no_reaction": True, "serious": False, "what_to_do": None, **base}
        if cmd.onset_at < dose.administered_at:
            raise invalid("onset_at", "The onset cannot be before the dose was given.",
                          "Thời điểm khởi phát không thể trước khi tiêm.")
        signs = [c for c in symptoms if c in t.SERIOUS_CODES]
        serious = bool(signs) or cmd.care_sought in t.SERIOUS_CARE
        report_id = new_id()
        doc = {"_id": report_id, "source": "citizen", **base, "onset_at": iso(cmd.onset_at),
               "symptoms": list(symptoms), "symptom_text": cmd.symptom_text.strip()[:2000],
               "severity": cmd.severity, "care_sought": cmd.care_sought, "serious": serious,
               "serious_signs": signs}
        site = session.get(OrgUnit, dose.unit_id) if dose.unit_id else None
        if serious and site is not None:
            _alert_level(session, report_id=report_id, site=site, level=0, person_id=dose.person_id,
                         product_code=dose.product_code, now=now)
        audit.record(session, actor=principal.account_id, action="reaction.report", person_id=dose.person_id,
                     unit_id=dose.unit_id, now=now, report_id=report_id, serious=serious)
        # Documents last: with MongoDB they cannot roll back with the SQL transaction.
        store.insert(TRIAGE, _new_triage(doc, now=now, escalate=serious and site is not None),
                     now=now, session=session)
        store.insert(REPORTS, doc, now=now, session=session)
        return {**report_view(doc), "what_to_do": what_to_do(site) if serious else None}


def _new_triage(report: dict, *, now: datetime, escalate: bool) -> dict:
    return {"_id": report["_id"], "report_id": report["_id"], "source": report.get("source"),
            "site_id": report.get("site_id"), "serious": bool(report.get("serious")), "status": "new",
            "version": 1, "escalation_level": 0,
            "escalate_at": iso(now + ESCALATE_AFTER) if escalate else None,
            "acknowledged_at": None, "acknowledged_by": None, "outcome": None, "causality": None,
            "reported_at": report.get("reported_at"), "updated_at": iso(now), "updated_by": None}


def report_view(doc: dict) -> dict:
    """A report as the API shows it; observation reactions mapped to the same fields."""
    if doc.get("source") == "observation":
        symptoms = [doc.get("kind")] if doc.get("kind") else []
        onset = None
        if doc.get("administered_at") and doc.get("onset_minutes") is not None:
            onset = iso(parse_iso(doc["administered_at"]) + timedelta(minutes=doc["onset_minutes"]))
        extra = {"onset_at": onset, "symptoms": symptoms, "symptom_text": doc.get("note", ""),
                 "severity": doc.get("severity"), "care_sought": "clinic" if doc.get("treatment") else "none",
                 "serious_signs": [c for c in symptoms if c in t.SERIOUS_CODES or c == "anaphylaxis"],
                 "treatment": doc.get("treatment", "")}
    else:
        extra = {k: doc.get(k) for k in ("onset_at", "symptoms", "symptom_text", "severity", "care_sought",
                                         "serious_signs")}
    return {"id": doc["_id"], "source": doc.get("source"), "person_id": doc.get("person_id"),
            "dose_record_id": doc.get("dose_record_id"), "product_code": doc.get("product_code"),
            "lot_id": doc.get("lot_id"), "lot_number": doc.get("lot_number"), "site_id": doc.get("site_id"),
            "administered_at": doc.get("administered_at"), "reported_at": doc.get("reported_at"),
            "serious": bool(doc.get("serious")), "no_reaction": False, **extra}


@dataclass(frozen=True)
class FollowUp:
    note: str = ""
    symptoms: tuple[str, ...] = ()
    severity: str | None = None
    care_sought: str | None = None
    outcome: str | None = None


def add_follow_up(sessions: so.sessionmaker, store, principal: Principal, report_id: str, cmd: FollowUp, *,
                  now: datetime) -> dict:
    """Later information from the reporter: a new document linked to the report, never an edit.

    New serious signs alert the site as a serious report would (once per report).
    :raises ReportNotFound, NotGuardian, ValidationFailed:
    """
    check_symptoms(cmd.symptoms, cmd.note)
    if cmd.severity is not None and cmd.severity not in t.SEVERITIES:
        raise invalid("severity", f"One of {', '.join(t.SEVERITIES)}.", "Mức độ không hợp lệ.")
    if cmd.care_sought is not None and cmd.care_sought not in t.CARE_SOUGHT:
        raise invalid("care_sought", f"One of {', '.join(t.CARE_SOUGHT)}.", "Nơi khám không hợp lệ.")
    if cmd.outcome is not None and cmd.outcome not in t.OUTCOMES:
        raise invalid("outcome", f"One of {', '.join(t.OUTCOMES)}.", "Diễn biến không hợp lệ.")
    if not (cmd.note.strip() or cmd.symptoms or cmd.severity or cmd.care_sought or cmd.outcome):
        raise invalid("note", "Say what is new.", "Hãy cho biết thông tin mới.")
    report = store.get(REPORTS, report_id)
    triage = store.get(TRIAGE, report_id)
    if report is None or report.get("source") != "citizen":
        raise ReportNotFound()
    serious_now = bool([c for c in cmd.symptoms if c in t.SERIOUS_CODES]) or cmd.care_sought in t.SERIOUS_CARE
    with sessions.begin() as session:
        people.check_can_act_for(session, principal, report["person_id"])
        doc = {"report_id": report_id, "kind": "citizen_update", "by": principal.account_id, "at": iso(now),
               "note": cmd.note.strip()[:2000], "symptoms": list(cmd.symptoms), "severity": cmd.severity,
               "care_sought": cmd.care_sought, "outcome": cmd.outcome, "serious": serious_now}
        site = session.get(OrgUnit, report["site_id"]) if report.get("site_id") else None
        if serious_now and site is not None:
            _alert_level(session, report_id=report_id, site=site, level=0, person_id=report["person_id"],
                         product_code=report["product_code"], now=now)
            if triage is not None and not triage.get("serious"):
                store.set_fields(TRIAGE, report_id, {"serious": True, "escalate_at": iso(now + ESCALATE_AFTER)},
                                 session=session)
        doc_id = store.insert(FOLLOWUPS, doc, now=now, session=session)
        return {"id": doc_id, **doc, "what_to_do": what_to_do(site) if serious_now else None}


def reports_for_person(sessions: so.sessionmaker, store, principal: Principal, person_id: str) -> list[dict]:
    """The person's reports (theirs and the site's observation ones), newest first. :raises NotGuardian:"""
    with sessions.begin() as session:
        people.check_can_act_for(session, principal, person_id)
    docs = store.find(REPORTS, {"person_id": person_id}, sort="reported_at", descending=True, limit=200)
    return [report_view(d) for d in docs]


def get_report(sessions: so.sessionmaker, store, principal: Principal, report_id: str, *,
               request_id: str = "", now: datetime) -> dict:
    """A report with its triage and follow-ups: for the reporter, or staff within scope.

    :raises ReportNotFound, NotGuardian, UnitOutOfScope:
    """
    report = store.get(REPORTS, report_id)
    if report is None:
        raise ReportNotFound()
    triage = store.get(TRIAGE, report_id) or _new_triage(report, now=now, escalate=False)
    # Same-instant actions keep their order by the triage version each one produced.
    followups = sorted(store.find(FOLLOWUPS, {"report_id": report_id}, sort="at", limit=500),
                       key=lambda d: (d.get("at") or "", d.get("version") or 0))
    with sessions.begin() as session:
        staff_view = False
        if principal.person_id != report["person_id"]:
            try:
                people.check_can_act_for(session, principal, report["person_id"])
            except NotGuardian:
                if not principal.has(*STAFF):
                    raise
                _check_site_scope(session, principal, report.get("site_id"))
                staff_view = True
        out = {**report_view(report), "triage": triage_view(triage), "follow_ups": followups}
        if staff_view:
            person = session.get(Person, report["person_id"])
            out["person"] = _person_brief(person)
            audit.record(session, actor=principal.account_id, action="reaction.report.read",
                         person_id=report["person_id"], unit_id=report.get("site_id"), now=now,
                         request_id=request_id, report_id=report_id)
        return out


def _person_brief(person: Person | None) -> dict | None:
    if person is None:
        return None
    return {"id": person.id, "full_name": person.full_name, "date_of_birth": person.date_of_birth.isoformat(),
            "phone": person.phone}


def triage_view(doc: dict) -> dict:
    return {k: doc.get(k) for k in ("status", "version", "serious", "escalation_level", "escalate_at",
                                    "acknowledged_at", "acknowledged_by", "outcome", "causality",
                                    "updated_at", "updated_by")}


# ---------------------------------------------------------------- alerts to staff

def _ancestors(site: OrgUnit) -> list[str]:
    """Unit ids above the site, nearest first (district health centre, province, national)."""
    ids = [p for p in site.path.split("/") if p]
    return [i for i in reversed(ids) if i != site.id]


def _level_units(site: OrgUnit, level: int) -> list[tuple[str, tuple[str, ...]]]:
    """(unit id, roles) alerted at an escalation level; empty past the top of the tree."""
    up = _ancestors(site)
    if level == 0:
        return [(site.id, ("site_staff", "department_staff"))] + ([(up[0], ("department_staff",))] if up else [])
    if level < len(up):
        return [(up[level], ("department_staff", "national_admin"))]
    return []


def staff_accounts(session: so.Session, units: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    if not units:
        return []
    cond = sa.or_(*(sa.and_(RoleAssignment.unit_id == u, RoleAssignment.role.in_(roles)) for u, roles in units))
    return list(session.scalars(sa.select(RoleAssignment.account_id).join(Account, Account.id == RoleAssignment.account_id)
                                .where(cond, Account.disabled_at.is_(None)).distinct()
                                .order_by(RoleAssignment.account_id)))


def notify_staff(session: so.Session, account_ids: list[str], *, template: str, params_by_lang: dict[str, dict],
                 dedupe_key: str, now: datetime, urgent: bool = False, person_id: str | None = None) -> list[str]:
    """Tell staff accounts (not the people they look after) through every channel they use.

    notify() reaches a person's own and guardians' accounts; staff are reached as accounts. Each
    row's key is `dedupe_key|<account>|<channel>[|<device>]`, so a re-run writes nothing twice.
    """
    written = []
    for r in load_recipients(session, account_ids):
        lang = r.prefs.lang if r.prefs.lang in params_by_lang else "vi"
        for channel, device, to in deliveries(r, urgent=urgent):
            key = f"{dedupe_key}|{r.account_id}|{channel}" + (f"|{device}" if device else "")
            mid = enqueue(session, dedupe_key=key, channel=channel, to=to, template=template,
                          params=params_by_lang[lang], lang=lang, account_id=r.account_id, person_id=person_id,
                          urgent=urgent, quiet_hours=r.prefs.quiet_hours, tz=r.prefs.time_zone, now=now)
            if mid is not None:
                written.append(mid)
    return written


def _product_names(session: so.Session, code: str) -> dict[str, str]:
    p = session.scalar(sa.select(VaccineProduct).filter_by(code=code))
    return {"vi": p.name_vi if p else code, "en": p.name_en if p else code}


def _alert_level(session: so.Session, *, report_id: str, site: OrgUnit, level: int, person_id: str,
                 product_code: str, now: datetime) -> list[str]:
    accounts = staff_accounts(session, _level_units(site, level))
    name = session.scalar(sa.select(Person.full_name).where(Person.id == person_id)) or ""
    vaccine = _product_names(session, product_code)
    params = {lang: {"person_name": name, "vaccine": vaccine[lang], "hotline": HOTLINE} for lang in ("vi", "en")}
    # serious_reaction_alert is a safety template: urgent passes quiet hours and reaches SMS.
    return notify_staff(session, accounts, template="serious_reaction_alert", params_by_lang=params,
                        dedupe_key=f"aefi-alert:{report_id}:L{level}", now=now, urgent=True, person_id=person_id)


def escalate_unacknowledged(session: so.Session, store, now: datetime) -> int:
    """Serious reports nobody acknowledged within ESCALATE_AFTER: alert the next unit up.

    The compare-and-set on (status 'new', level) makes a concurrent run or an acknowledgement
    win cleanly; the dedupe key per level makes a re-run enqueue nothing new.
    Call with a session that has not begun yet (SQLite: the store's reads open their own).
    """
    due = store.find(TRIAGE, {"status": "new", "serious": True, "escalate_at": {"$lte": iso(now)}},
                     sort="escalate_at", limit=500)
    # Every store read before the session's first statement: on SQLite the SQL adapter's reads
    # open their own write transaction, which would wait on this one.
    reports = {d["_id"]: store.get(REPORTS, d["_id"]) for d in due}
    written = 0
    for doc in due:
        report = reports[doc["_id"]]
        if report is None or not doc.get("site_id"):
            continue
        site = session.get(OrgUnit, doc["site_id"])
        level = int(doc.get("escalation_level") or 0) + 1
        units = _level_units(site, level) if site else []
        fields = {"escalation_level": level if units else doc.get("escalation_level", 0),
                  "escalate_at": iso(now + ESCALATE_AFTER) if units and _level_units(site, level + 1) else None,
                  "updated_at": iso(now)}
        if not store.set_fields(TRIAGE, doc["_id"], fields, session=session,
                                expect={"status": "new", "escalation_level": doc.get("escalation_level", 0)}):
            continue
        if units:
            written += len(_alert_level(session, report_id=doc["_id"], site=site, level=level,
                                        person_id=report["person_id"], product_code=report["product_code"], now=now))
            store.insert(FOLLOWUPS, {"report_id": doc["_id"], "kind": "escalated", "by": None, "at": iso(now),
                                     "level": level, "unit_id": units[0][0]}, now=now, session=session)
    return written


# ---------------------------------------------------------------- triage

def _check_site_scope(session: so.Session, principal: Principal, site_id: str | None) -> OrgUnit | None:
    """:raises UnitOutOfScope:"""
    if principal.has("national_admin"):
        return session.get(OrgUnit, site_id) if site_id else None
    site = session.get(OrgUnit, site_id) if site_id else None
    if site is None or not catalog.path_in_scope(site.path, catalog.scope_paths(principal, STAFF)):
        raise UnitOutOfScope("This report is outside your scope.", detail_vi="Báo cáo này nằm ngoài phạm vi của bạn.")
    return site


def sites_in_scope(session: so.Session, principal: Principal) -> list[str] | None:
    """Site ids the principal's roles reach; None = every site (national admin)."""
    if principal.has("national_admin"):
        return None
    paths = catalog.scope_paths(principal, STAFF)
    if not paths:
        return []
    return list(session.scalars(sa.select(OrgUnit.id).where(
        OrgUnit.kind == "site", sa.or_(*(OrgUnit.path.startswith(p) for p in paths)))))


def queue(sessions: so.sessionmaker, store, principal: Principal, *, status: str | None = None,
          serious: bool | None = None, site_id: str | None = None, request_id: str = "",
          now: datetime) -> list[dict]:
    """Reports at the sites within the staff member's scope, serious and newest first.

    :raises UnitOutOfScope: a site filter outside the scope.
    """
    with sessions.begin() as session:
        if site_id:
            _check_site_scope(session, principal, site_id)
            sites: list[str] | None = [site_id]
        else:
            sites = sites_in_scope(session, principal)
    if sites == []:
        return []
    where: dict[str, Any] = {} if sites is None else {"site_id": {"$in": sites}}
    if serious is not None:
        where["serious"] = serious
    docs = store.find(REPORTS, where, sort="reported_at", descending=True, limit=QUEUE_LIMIT)
    triage = {d["_id"]: d for d in store.find(TRIAGE, {"_id": {"$in": [d["_id"] for d in docs]}},
                                              limit=QUEUE_LIMIT)} if docs else {}
    items = []
    for d in docs:
        tri = triage.get(d["_id"]) or _new_triage(d, now=now, escalate=False)
        if status and tri["status"] != status:
            continue
        items.append({**report_view(d), "triage": triage_view(tri)})
    items.sort(key=lambda i: (not i["serious"], i["triage"]["status"] == "closed"))  # stable: newest first within
    with sessions.begin() as session:
        names = {p.id: p for p in session.scalars(sa.select(Person).where(
            Person.id.in_({i["person_id"] for i in items})))} if items else {}
        units = {u.id: u.name for u in session.scalars(sa.select(OrgUnit).where(
            OrgUnit.id.in_({i["site_id"] for i in items if i["site_id"]})))} if items else {}
        audit.record(session, actor=principal.account_id, action="reaction.queue.read", now=now,
                     request_id=request_id, unit_id=site_id, count=len(items))
    for i in items:
        i["person"] = _person_brief(names.get(i["person_id"]))
        i["site_name"] = units.get(i["site_id"], "")
    return items


TRIAGE_ACTIONS = ("acknowledge", "call_back", "follow_up", "classify", "close", "reopen")


@dataclass(frozen=True)
class TriageAction:
    action: str
    expected_version: int
    note: str = ""
    reached: bool | None = None  # call_back: did the person answer?
    outcome: str | None = None
    causality: str | None = None
    extra: dict = field(default_factory=dict)


def _next_status(current: str, action: str) -> str:
    if action == "close":
        return "closed"
    if action == "reopen":
        return "in_follow_up"
    if action == "acknowledge":
        return "acknowledged" if current == "new" else current
    return "in_follow_up" if current in ("new", "acknowledged") else current


def act_on_report(sessions: so.sessionmaker, store, principal: Principal, report_id: str, cmd: TriageAction, *,
                  request_id: str = "", now: datetime) -> dict:
    """One staff action on a report, compare-and-set on the triage version.

    :raises ReportNotFound, UnitOutOfScope, ValidationFailed, TriageConflict, TriageClosed:
    """
    if cmd.action not in TRIAGE_ACTIONS:
        raise invalid("action", f"One of {', '.join(TRIAGE_ACTIONS)}.", "Thao tác không hợp lệ.")
    if cmd.causality is not None and cmd.causality not in t.CAUSALITY:
        raise invalid("causality", f"One of {', '.join(t.CAUSALITY)} (WHO AEFI causality).",
                      "Phân loại nguyên nhân không hợp lệ.")
    if cmd.action == "classify" and cmd.causality is None:
        raise invalid("causality", "Choose a causality category.", "Hãy chọn phân loại nguyên nhân.")
    if cmd.outcome is not None and cmd.outcome not in t.OUTCOMES:
        raise invalid("outcome", f"One of {', '.join(t.OUTCOMES)}.", "Diễn biến không hợp lệ.")
    if cmd.action == "close" and cmd.outcome is None:
        raise invalid("outcome", "Record the outcome before closing.", "Hãy ghi diễn biến trước khi đóng.")
    if cmd.action == "call_back" and cmd.reached is None:
        raise invalid("reached", "Say whether the person answered.", "Hãy ghi người bệnh có nghe máy không.")
    report = store.get(REPORTS, report_id)
    if report is None:
        raise ReportNotFound()
    triage = store.get(TRIAGE, report_id)
    with sessions.begin() as session:
        _check_site_scope(session, principal, report.get("site_id"))
    if triage is None:  # an observation reaction seen by triage for the first time
        try:
            store.insert(TRIAGE, _new_triage(report, now=now, escalate=False), now=now)
        except Exception:  # noqa: BLE001 — the other adapter's duplicate-key error: someone else made it
            pass
        triage = store.get(TRIAGE, report_id)
    if triage["version"] != cmd.expected_version:
        raise TriageConflict(current_version=triage["version"], current_status=triage["status"])
    if triage["status"] == "closed" and cmd.action != "reopen":
        raise TriageClosed()
    status = _next_status(triage["status"], cmd.action)
    fields: dict[str, Any] = {"status": status, "version": triage["version"] + 1, "updated_at": iso(now),
                              "updated_by": principal.account_id}
    if cmd.action == "acknowledge" or (triage["status"] == "new" and status != "new"):
        fields.update(acknowledged_at=triage.get("acknowledged_at") or iso(now),
                      acknowledged_by=triage.get("acknowledged_by") or principal.account_id, escalate_at=None)
    if cmd.outcome is not None:
        fields["outcome"] = cmd.outcome
    if cmd.causality is not None:
        fields["causality"] = cmd.causality
    with sessions.begin() as session:
        if not store.set_fields(TRIAGE, report_id, fields, session=session,
                                expect={"version": cmd.expected_version}):
            raise TriageConflict(current_version=None)
        store.insert(FOLLOWUPS, {"report_id": report_id, "kind": cmd.action, "by": principal.account_id,
                                 "at": iso(now), "note": cmd.note.strip()[:2000], "reached": cmd.reached,
                                 "outcome": cmd.outcome, "causality": cmd.causality, "status": status,
                                 "version": fields["version"]},
                     now=now, session=session)
        audit.record(session, actor=principal.account_id, action=f"reaction.triage.{cmd.action}",
                     person_id=report["person_id"], unit_id=report.get("site_id"), now=now, request_id=request_id,
                     report_id=report_id)
    return triage_view({**triage, **fields})


# ---------------------------------------------------------------- self-monitoring

def monitoring(sessions: so.sessionmaker, store, principal: Principal, dose_id: str, *, now: datetime) -> dict:
    """The 28-day window after a dose, the days left, and the signs that need care. :raises NotFound, NotGuardian:"""
    with sessions.begin() as session:
        dose, _ = _dose_for(session, principal, dose_id)
        given = dose.administered_at
        site = session.get(OrgUnit, dose.unit_id) if dose.unit_id else None
        out_site = facility_view(site)
    ends = given + MONITORING
    day = (local_date(now) - local_date(given)).days
    reports = store.count(REPORTS, {"dose_record_id": dose_id})
    return {"dose_record_id": dose_id, "administered_at": given, "window_ends_at": ends,
            "day": day, "days_left": max(0, (local_date(ends) - local_date(now)).days),
            "active": now < ends, "intensive": now < given + INTENSIVE,
            "check_days": [1, 7], "reports": reports, "facility": out_site,
            "emergency": EMERGENCY, "hotline": HOTLINE,
            "warning_signs": [t.term_view(s, "en") for s in t.WARNING_SIGNS],
            "seek_care": t.SEEK_CARE}


def followup_reminders(session: so.Session, now: datetime) -> int:
    """Day 1 and day 7 after a dose: ask the person how they feel (once per dose and day)."""
    today = local_date(now)
    n = 0
    for days, template in ((1, "reaction_followup_day1"), (7, "reaction_followup_day7")):
        rows = session.execute(
            sa.select(DoseRecord.id, DoseRecord.person_id, DoseRecord.product_code, Person.full_name)
            .join(Person, Person.id == DoseRecord.person_id)
            .where(DoseRecord.administered_on == today - timedelta(days=days), DoseRecord.status.in_(COUNTED))
            .order_by(DoseRecord.id)).all()
        names: dict[str, dict[str, str]] = {}
        for dose_id, person_id, code, person_name in rows:
            vaccine = names.setdefault(code, _product_names(session, code))
            n += len(notify(session, person_id=person_id, template=template,
                            params={"person_name": person_name, "vaccine": vaccine["vi"]},
                            lang_params={"en": {"vaccine": vaccine["en"]}},
                            dedupe_key=f"aefi-day{days}:{dose_id}", now=now))
    return n


def local_day_start(day) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=LOCAL)
