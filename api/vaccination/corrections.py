"""Corrections with evidence, backfills of pre-platform doses, and the numbering that follows.

No Flask here. Old values are never lost: every change of a dose record after it was written
leaves a `dose_record_history` row (before/after), and a correction request keeps what was asked,
what the record said then and what was applied. A dose a site did not record at the time counts
only when a second person has approved it (backfill: pending_approval → valid).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.audit import service as audit
from api.auth.service import Principal
from api.catalog import rules as engine
from api.catalog import service as catalog
from api.catalog.models import DoseRule, OrgUnit, VaccineProduct
from api.db import new_id
from api.people import service as people
from api.people.cccd import cccd_problems
from api.people.models import Person
from api.people.problems import NotGuardian, OutOfScope
from api.problems import NotFound, ValidationFailed
from api.vaccination import hooks
from api.vaccination import stock as stock_service
from api.vaccination.models import COUNTED, CorrectionRequest, DoseRecord, DoseRecordHistory, Lot
from api.vaccination.problems import (CorrectionState, DoseAlreadyRecorded, DoseState,
                                      EvidenceInvalid, EvidenceTooLarge, SecondPersonRequired)
from api.vaccination.reasons import Reason, field_errors
from api.vaccination.service import dose_view, local_noon
from api.vaccination.stock import LOCAL, invalid, local_date

STAFF = ("site_staff", "department_staff", "national_admin")
BACKFILL_STAFF = ("site_staff", "department_staff")
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE_FILES = 3
DOSE_FIELDS = ("product_code", "lot_number", "administered_on", "site_name", "void")
PERSON_FIELDS = ("full_name", "date_of_birth", "sex", "national_id")
dose_t = DoseRecord.__table__


# ---------------------------------------------------------------- evidence photos

def check_image(data: bytes) -> str:
    """The content type of an acceptable evidence photo.

    :raises EvidenceTooLarge, EvidenceInvalid:
    """
    if len(data) > MAX_EVIDENCE_BYTES:
        raise EvidenceTooLarge(f"The photo is {len(data) // 1024} KiB; at most 5 MiB.",
                               detail_vi=f"Ảnh có dung lượng {len(data) // 1024} KiB; tối đa 5 MiB.")
    if data[:3] == b"\xff\xd8\xff":
        kind = "image/jpeg"
    elif data[:8] == b"\x89PNG\r\n\x1a\n":
        kind = "image/png"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = "image/webp"
    else:
        raise EvidenceInvalid(errors={"evidence": ["Not a JPEG, PNG or WebP image."]},
                              errors_vi={"evidence": ["Không phải ảnh JPEG, PNG hoặc WebP."]})
    from PIL import Image  # the decoder checks the file is a whole image, not just its first bytes

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    except Exception as exc:  # Pillow raises many kinds for broken files
        raise EvidenceInvalid(f"The image cannot be read: {exc}.", errors={"evidence": ["Unreadable image."]},
                              errors_vi={"evidence": ["Không đọc được ảnh."]}) from None
    return kind


class EvidenceStore:
    """Evidence photos on disk under one directory, named by their SHA-256 (the records keep the hash)."""

    EXT = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str, content_type: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}{self.EXT[content_type]}"

    def put(self, data: bytes) -> dict:
        """Check and keep a photo; {sha256, content_type, size}. Storing the same photo twice is one file."""
        content_type = check_image(data)
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest, content_type)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)  # atomic: a reader never sees half a file
        return {"sha256": digest, "content_type": content_type, "size": len(data)}

    def get(self, sha256: str, content_type: str) -> bytes:
        return self._path(sha256, content_type).read_bytes()


# ---------------------------------------------------------------- numbering and history

def _jsonable(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _snapshot(dose: DoseRecord, fields) -> dict:
    return {k: _jsonable(getattr(dose, k)) for k in fields}


def add_history(session: so.Session, dose: DoseRecord, *, change: str, before: dict, after: dict, actor: str,
                now: datetime, reason: str = "", correction_id: str | None = None) -> None:
    session.add(DoseRecordHistory(id=new_id(), dose_record_id=dose.id, version=dose.version, change=change,
                                  before=before, after=after, reason=reason, correction_id=correction_id,
                                  changed_by=actor, changed_at=now))


def renumber(session: so.Session, person_id: str, disease: str, *, actor: str, now: datetime,
             reason: str) -> set[str]:
    """Number the person's counted doses of a disease 1, 2, … by date and mark boosters; ids changed.

    A backfilled earlier dose, a voided one or a corrected date moves the later ones: each change
    is a history row and an `on_dose_changed` call.
    """
    doses = list(session.scalars(sa.select(DoseRecord).where(
        DoseRecord.person_id == person_id, DoseRecord.disease == disease, DoseRecord.status.in_(COUNTED))
        .order_by(DoseRecord.administered_at, DoseRecord.created_at)))
    rules = catalog.load_rule_set(session)
    given: list[engine.GivenDose] = []
    changed = []
    for i, d in enumerate(doses):
        number = i + 1
        series = "booster" if engine.series_status(given, rules, disease=disease).status == "green" else "primary"
        given.append(engine.GivenDose(d.product_code, number, d.administered_on))
        if (d.dose_number, d.series) != (number, series):
            changed.append((d, number, series))
    moving = [d.id for d, number, _ in changed if d.dose_number != number]
    if moving:  # step aside first, so that swapping numbers never collides on the unique index midway
        session.execute(sa.update(dose_t).where(dose_t.c.id.in_(moving)).values(dose_number=dose_t.c.dose_number + 1000))
    for d, number, series in changed:
        before = {"dose_number": d.dose_number, "series": d.series}
        d.dose_number, d.series, d.updated_at = number, series, now
        session.flush()
        add_history(session, d, change="renumbered", before=before, after={"dose_number": number, "series": series},
                    actor=actor, now=now, reason=reason)
        hooks.on_dose_changed(session, d, now)
    return {d.id for d, _, _ in changed}


def _next_free_number(session: so.Session, person_id: str, disease: str) -> int:
    top = session.scalar(sa.select(sa.func.max(DoseRecord.dose_number)).where(
        DoseRecord.person_id == person_id, DoseRecord.disease == disease, DoseRecord.status.in_(COUNTED)))
    return (top or 0) + 1


def approve_pending(session: so.Session, dose: DoseRecord, *, actor: str, now: datetime, reason: str) -> None:
    """pending_approval → valid, numbered among the person's doses (caller checked who approves)."""
    dose.dose_number = _next_free_number(session, dose.person_id, dose.disease)  # at the end first: no collision
    dose.status, dose.approved_by, dose.approved_at, dose.updated_at = "valid", actor, now, now
    session.flush()
    add_history(session, dose, change="approved", before={"status": "pending_approval"},
                after={"status": "valid"}, actor=actor, now=now, reason=reason)
    moved = renumber(session, dose.person_id, dose.disease, actor=actor, now=now, reason="a dose was approved")
    if dose.id not in moved:
        hooks.on_dose_changed(session, dose, now)


def reject_pending(session: so.Session, dose: DoseRecord, *, actor: str, now: datetime, reason: str) -> None:
    dose.status, dose.void_reason, dose.updated_at = "voided", reason or "rejected", now
    session.flush()
    add_history(session, dose, change="rejected", before={"status": "pending_approval"},
                after={"status": "voided"}, actor=actor, now=now, reason=reason)


# ---------------------------------------------------------------- historical doses (backfill)

def historical_problems(session: so.Session, *, person_id: str, product_code: str, administered_on: date | None,
                        today: date) -> list[Reason]:
    """What is wrong with a dose given before the platform (a backfill; the CSV import checks the
    same things in bulk, with the same reason codes)."""
    errors: list[Reason] = []
    product = session.scalar(sa.select(VaccineProduct).filter_by(code=product_code))
    if product is None:
        errors.append(Reason("product_code", "product_unknown"))
    if administered_on is None:
        errors.append(Reason("administered_on", "date_invalid"))
    elif administered_on > today:
        errors.append(Reason("administered_on", "date_in_future"))
    elif product is not None:
        first = session.scalar(sa.select(sa.func.min(DoseRule.effective_from)).where(DoseRule.product_id == product.id))
        if first is None or administered_on < first:
            errors.append(Reason("administered_on", "before_product_in_use"))
    if not errors and session.scalar(sa.select(DoseRecord.id).where(
            DoseRecord.person_id == person_id, DoseRecord.product_code == product_code,
            DoseRecord.administered_on == administered_on,
            DoseRecord.status.in_((*COUNTED, "pending_approval"))).limit(1)):
        errors.append(Reason("administered_on", "dose_already_recorded"))
    return errors


def provisional_number(session: so.Session, person_id: str, disease: str, on: date) -> int:
    return 1 + session.scalar(sa.select(sa.func.count()).select_from(DoseRecord).where(
        DoseRecord.person_id == person_id, DoseRecord.disease == disease, DoseRecord.status.in_(COUNTED),
        DoseRecord.administered_on < on))


@dataclass(frozen=True)
class Backfill:
    person_id: str
    product_code: str
    administered_on: date
    lot_number: str = ""
    unit_id: str | None = None  # where it was given, when it is a unit we know
    site_name: str = ""
    note: str = ""


def backfill_dose(sessions: so.sessionmaker, principal: Principal, cmd: Backfill, *, request_id: str,
                  now: datetime) -> dict:
    """Record a dose given before the platform (from the paper card): it counts after a second approver.

    :raises NotFound, OutOfScope, ValidationFailed, DoseAlreadyRecorded:
    """
    with sessions.begin() as session:
        person = people.check_in_scope(session, principal, cmd.person_id)
        errors = historical_problems(session, person_id=person.id, product_code=cmd.product_code,
                                     administered_on=cmd.administered_on, today=local_date(now))
        if any(e.code == "dose_already_recorded" for e in errors):
            raise DoseAlreadyRecorded("A dose of this product on this date is already recorded.",
                                      detail_vi="Đã có mũi tiêm vắc xin này vào ngày này.")
        if errors:
            raise ValidationFailed("The dose is not valid.", detail_vi="Thông tin mũi tiêm không hợp lệ.",
                                   errors=field_errors(errors, "en"), errors_vi=field_errors(errors, "vi"),
                                   reasons=[e.view("en") for e in errors],
                                   extensions_vi={"reasons": [e.view("vi") for e in errors]})
        unit = None
        if cmd.unit_id:
            unit = session.get(OrgUnit, cmd.unit_id)
            if unit is None:
                raise invalid("unit_id", "No such unit.", "Không có đơn vị này.")
        product = catalog.product_by_code(session, cmd.product_code)
        lot_id = session.scalar(sa.select(Lot.id).filter_by(product_code=cmd.product_code, lot_number=cmd.lot_number)) \
            if cmd.lot_number else None
        dose = DoseRecord(
            id=new_id(), person_id=person.id, disease=product.target_disease, product_code=product.code,
            lot_id=lot_id, lot_number=cmd.lot_number,
            dose_number=provisional_number(session, person.id, product.target_disease, cmd.administered_on),
            series="primary", administered_at=local_noon(cmd.administered_on), administered_on=cmd.administered_on,
            unit_id=unit.id if unit else None, site_name=unit.name if unit else cmd.site_name,
            province_code=unit.province_code if unit else person.province_code, vaccinator_account_id=None,
            recorded_by=principal.account_id, status="pending_approval", source="backfill", note=cmd.note,
            created_at=now, updated_at=now, version=1)
        session.add(dose)
        session.flush()
        audit.record(session, actor=principal.account_id, action="dose.backfill", person_id=person.id, now=now,
                     request_id=request_id, dose_record_id=dose.id)
        return dose_view(dose)


def _staff_dose(session: so.Session, principal: Principal, dose_id: str) -> DoseRecord:
    dose = session.scalar(sa.select(DoseRecord).where(DoseRecord.id == dose_id).with_for_update())
    if dose is None:
        raise NotFound("No such dose record.", detail_vi="Không có bản ghi mũi tiêm này.")
    people.check_in_scope(session, principal, dose.person_id)
    return dose


def decide_dose(sessions: so.sessionmaker, principal: Principal, dose_id: str, *, approve: bool, note: str,
                now: datetime) -> dict:
    """The second person approves (it counts from now) or rejects a backfilled dose.

    :raises NotFound, OutOfScope, DoseState, SecondPersonRequired:
    """
    with sessions.begin() as session:
        dose = _staff_dose(session, principal, dose_id)
        if dose.status != "pending_approval" or dose.source == "import":
            raise DoseState("Only a backfilled dose waiting for approval can be decided here.",
                            detail_vi="Chỉ mũi tiêm bổ sung đang chờ duyệt mới được xử lý ở đây.", dose_status=dose.status)
        if dose.recorded_by == principal.account_id:
            raise SecondPersonRequired("You recorded this dose; another person must approve it.",
                                       detail_vi="Bạn đã nhập mũi tiêm này; cần người khác phê duyệt.")
        if approve:
            approve_pending(session, dose, actor=principal.account_id, now=now, reason=note)
        else:
            reject_pending(session, dose, actor=principal.account_id, now=now, reason=note)
        audit.record(session, actor=principal.account_id, action="dose.approve" if approve else "dose.reject",
                     person_id=dose.person_id, now=now, dose_record_id=dose.id)
        return dose_view(dose)


def pending_doses(sessions: so.sessionmaker, principal: Principal, *, request_id: str, now: datetime) -> list[dict]:
    """Backfilled doses waiting for a second approver, for people within the caller's scope (audited)."""
    national = principal.has("national_admin")
    provinces = {r.province_code for r in principal.roles if r.role in BACKFILL_STAFF and r.province_code is not None}
    with sessions.begin() as session:
        q = (sa.select(DoseRecord, Person.full_name, Person.date_of_birth).join(Person, Person.id == DoseRecord.person_id)
             .where(DoseRecord.status == "pending_approval", DoseRecord.source == "backfill")
             .order_by(DoseRecord.created_at).limit(500))
        if not national:
            q = q.where(Person.province_code.in_(provinces or {-1}))
        rows = session.execute(q).all()
        audit.record(session, actor=principal.account_id, action="dose.pending.read", now=now, request_id=request_id,
                     count=len(rows))
        return [dose_view(d) | {"full_name": name, "date_of_birth": dob} for d, name, dob in rows]


# ---------------------------------------------------------------- correction requests

def _invalid_changes(field: str, en: str, vi: str) -> ValidationFailed:
    return ValidationFailed(en, detail_vi=vi, errors={f"changes.{field}": [en]}, errors_vi={f"changes.{field}": [vi]})


def _clean_dose_changes(session: so.Session, changes: dict, today: date) -> dict:
    if not changes or set(changes) - set(DOSE_FIELDS):
        raise ValidationFailed(f"Change one or more of: {', '.join(DOSE_FIELDS)}.",
                               detail_vi="Chỉ được sửa: vắc xin, số lô, ngày tiêm, nơi tiêm, hoặc hủy bản ghi.",
                               errors={"changes": [f"Allowed: {', '.join(DOSE_FIELDS)}."]})
    out = {}
    if "void" in changes:
        if changes["void"] is not True or len(changes) > 1:
            raise _invalid_changes("void", "Send void: true alone (this dose was never given).",
                                   "Chỉ gửi void: true (mũi tiêm này chưa từng được tiêm).")
        return {"void": True}
    if "product_code" in changes:
        code = str(changes["product_code"])
        if session.scalar(sa.select(VaccineProduct.id).filter_by(code=code)) is None:
            raise _invalid_changes("product_code", "Unknown product code.", "Mã vắc xin không tồn tại.")
        out["product_code"] = code
    if "lot_number" in changes:
        lot = str(changes["lot_number"]).strip()
        if not 1 <= len(lot) <= 40:
            raise _invalid_changes("lot_number", "1-40 characters.", "Từ 1 đến 40 ký tự.")
        out["lot_number"] = lot
    if "administered_on" in changes:
        try:
            day = date.fromisoformat(str(changes["administered_on"]))
        except ValueError:
            raise _invalid_changes("administered_on", "Not a valid date (YYYY-MM-DD).", "Ngày không hợp lệ.") from None
        if day > today:
            raise _invalid_changes("administered_on", "Cannot be in the future.", "Không thể ở tương lai.")
        out["administered_on"] = day.isoformat()
    if "site_name" in changes:
        name = str(changes["site_name"]).strip()
        if not 2 <= len(name) <= 200:
            raise _invalid_changes("site_name", "2-200 characters.", "Từ 2 đến 200 ký tự.")
        out["site_name"] = name
    return out


def _clean_person_changes(changes: dict) -> dict:
    if not changes or set(changes) - set(PERSON_FIELDS):
        raise ValidationFailed(f"Change one or more of: {', '.join(PERSON_FIELDS)}.",
                               detail_vi="Chỉ được sửa: họ tên, ngày sinh, giới tính, số CCCD.",
                               errors={"changes": [f"Allowed: {', '.join(PERSON_FIELDS)}."]})
    out = {}
    if "full_name" in changes:
        name = " ".join(str(changes["full_name"]).split())
        if not 2 <= len(name) <= 120:
            raise _invalid_changes("full_name", "2-120 characters.", "Từ 2 đến 120 ký tự.")
        out["full_name"] = name
    if "date_of_birth" in changes:
        try:
            out["date_of_birth"] = date.fromisoformat(str(changes["date_of_birth"])).isoformat()
        except ValueError:
            raise _invalid_changes("date_of_birth", "Not a valid date (YYYY-MM-DD).", "Ngày không hợp lệ.") from None
    if "sex" in changes:
        if changes["sex"] not in ("M", "F"):
            raise _invalid_changes("sex", "M or F.", "M hoặc F.")
        out["sex"] = changes["sex"]
    if "national_id" in changes:
        number = str(changes["national_id"])
        if cccd_problems(number, None, None):
            raise _invalid_changes("national_id", "Not a valid ID number.", "Số CCCD không hợp lệ.")
        out["national_id"] = number
    return out


def correction_view(c: CorrectionRequest) -> dict:
    return {k: getattr(c, k) for k in (
        "id", "person_id", "kind", "dose_record_id", "changes", "before", "applied", "reason", "evidence", "status",
        "unit_id", "province_code", "requested_by", "requested_at", "decided_by", "decided_at", "decision_note")}


@dataclass(frozen=True)
class CorrectionAsk:
    person_id: str
    kind: str  # dose | person
    changes: dict
    reason: str
    dose_record_id: str | None = None


def request_correction(sessions: so.sessionmaker, principal: Principal, cmd: CorrectionAsk,
                       photos: list[bytes], *, evidence: EvidenceStore, now: datetime) -> dict:
    """A citizen (or guardian) asks to correct a dose record or personal data, with photos.

    :raises NotGuardian, NotFound, ValidationFailed, EvidenceInvalid, EvidenceTooLarge, CorrectionState:
    """
    if cmd.kind not in ("dose", "person"):
        raise invalid("kind", "dose or person.", "dose hoặc person.")
    if not 1 <= len(photos) <= MAX_EVIDENCE_FILES:
        raise invalid("evidence", f"Attach 1 to {MAX_EVIDENCE_FILES} photos (the paper card, the ID card).",
                      f"Đính kèm từ 1 đến {MAX_EVIDENCE_FILES} ảnh (phiếu tiêm, thẻ CCCD).")
    if len(cmd.reason.strip()) < 3:
        raise invalid("reason", "Say what is wrong.", "Hãy nêu điều cần sửa.")
    for data in photos:  # every photo is checked before anything is kept
        check_image(data)
    with sessions.begin() as session:
        people.check_can_act_for(session, principal, cmd.person_id)
        person = session.get_one(Person, cmd.person_id)
        dose, unit_id, province = None, None, person.province_code
        if cmd.kind == "dose":
            dose = session.get(DoseRecord, cmd.dose_record_id) if cmd.dose_record_id else None
            if dose is None or dose.person_id != person.id or dose.status not in COUNTED:
                raise NotFound("No such dose record of this person.", detail_vi="Không có bản ghi mũi tiêm này.")
            changes = _clean_dose_changes(session, cmd.changes, local_date(now))
            before = {"status": dose.status} if "void" in changes else _snapshot(dose, changes)
            unit_id, province = dose.unit_id, dose.province_code if dose.province_code is not None else province
        else:
            changes = _clean_person_changes(cmd.changes)
            before = {k: _jsonable(getattr(person, k)) for k in changes}
        pending = session.scalar(sa.select(CorrectionRequest.id).where(
            CorrectionRequest.person_id == person.id, CorrectionRequest.kind == cmd.kind,
            CorrectionRequest.dose_record_id.is_(None) if dose is None else CorrectionRequest.dose_record_id == dose.id,
            CorrectionRequest.status == "pending"))
        if pending:
            raise CorrectionState("A request for this record is waiting already.",
                                  detail_vi="Đã có yêu cầu đang chờ xử lý cho bản ghi này.", correction_id=pending)
        kept = [evidence.put(data) for data in photos]
        req = CorrectionRequest(id=new_id(), person_id=person.id, kind=cmd.kind,
                                dose_record_id=dose.id if dose else None, changes=changes, before=before, applied=None,
                                reason=cmd.reason.strip(), evidence=kept, status="pending", unit_id=unit_id,
                                province_code=province, requested_by=principal.account_id, requested_at=now)
        session.add(req)
        session.flush()
        audit.record(session, actor=principal.account_id, action="correction.request", person_id=person.id, now=now,
                     correction_id=req.id, kind=cmd.kind)
        return correction_view(req)


def _may_decide(session: so.Session, principal: Principal, req: CorrectionRequest, person: Person) -> bool:
    """Staff of the site where the dose was given (or above it), or staff whose scope holds the person."""
    if req.unit_id:
        unit = session.get(OrgUnit, req.unit_id)
        if unit is not None and stock_service.unit_in_scope(principal, unit.path, STAFF):
            return True
    return people.in_scope(principal, person) is not None


def _apply_to_dose(session: so.Session, dose: DoseRecord, changes: dict, *, actor: str, correction_id: str,
                   reason: str, now: datetime) -> dict:
    before = {"status": dose.status} | _snapshot(dose, [k for k in changes if k != "void"])
    disease_before = dose.disease
    if changes.get("void"):
        dose.status, dose.void_reason = "voided", reason
    else:
        # Read everything before the first assignment: an autoflush midway would bump the version twice.
        product = catalog.product_by_code(session, changes.get("product_code", dose.product_code))
        lot_number = changes.get("lot_number", dose.lot_number)
        lot_id = session.scalar(sa.select(Lot.id).filter_by(product_code=product.code, lot_number=lot_number))
        dose.product_code, dose.disease, dose.lot_number, dose.lot_id = (
            product.code, product.target_disease, lot_number, lot_id)
        if "administered_on" in changes:
            day = date.fromisoformat(changes["administered_on"])
            clock = dose.administered_at.astimezone(LOCAL).time() if dose.source == "site" else time(12)
            dose.administered_on = day
            dose.administered_at = datetime.combine(day, clock, tzinfo=LOCAL)
        if "site_name" in changes:
            dose.site_name = changes["site_name"]
        dose.status = "corrected"
    dose.updated_at = now
    session.flush()
    after = {"status": dose.status} | _snapshot(dose, [k for k in changes if k != "void"])
    add_history(session, dose, change="voided" if changes.get("void") else "corrected", before=before, after=after,
                actor=actor, now=now, reason=reason, correction_id=correction_id)
    moved = renumber(session, dose.person_id, dose.disease, actor=actor, now=now, reason="a dose was corrected")
    if disease_before != dose.disease:
        moved |= renumber(session, dose.person_id, disease_before, actor=actor, now=now, reason="a dose was corrected")
    if dose.id not in moved:
        hooks.on_dose_changed(session, dose, now)
    return {"before": before, "after": after}


def decide_correction(sessions: so.sessionmaker, principal: Principal, correction_id: str, *, approve: bool,
                      note: str, now: datetime) -> dict:
    """Staff within scope approve (the record changes, its history keeps the old values) or reject.

    :raises NotFound, OutOfScope, SecondPersonRequired, CorrectionState, and what the change itself
        may raise (NationalIdTaken, NationalIdInvalid, ValidationFailed):
    """
    with sessions.begin() as session:
        req = session.scalar(sa.select(CorrectionRequest).where(CorrectionRequest.id == correction_id)
                             .with_for_update())
        if req is None:
            raise NotFound("No such correction request.", detail_vi="Không có yêu cầu sửa này.")
        person = session.get_one(Person, req.person_id)
        if not _may_decide(session, principal, req, person):
            raise OutOfScope()
        if req.status != "pending":
            raise CorrectionState(correction_status=req.status)
        if req.requested_by == principal.account_id:
            raise SecondPersonRequired("You asked for this correction; another person must decide.",
                                       detail_vi="Bạn đã yêu cầu sửa; cần người khác quyết định.")
        if approve:
            if req.kind == "dose":
                dose = session.scalar(sa.select(DoseRecord).where(DoseRecord.id == req.dose_record_id).with_for_update())
                if dose.status not in COUNTED:
                    raise DoseState(dose_status=dose.status)
                req.applied = _apply_to_dose(session, dose, req.changes, actor=principal.account_id,
                                             correction_id=req.id, reason=req.reason, now=now)
            else:
                before = {k: _jsonable(getattr(person, k)) for k in req.changes}
                fields = {k: (date.fromisoformat(v) if k == "date_of_birth" else v) for k, v in req.changes.items()}
                people._update(session, person, fields, principal, now=now)  # its checks: CCCD rules, one person per ID
                req.applied = {"before": before, "after": {k: _jsonable(getattr(person, k)) for k in req.changes}}
                hooks.on_person_changed(session, person, now)
        req.status = "approved" if approve else "rejected"
        req.decided_by, req.decided_at, req.decision_note = principal.account_id, now, note
        session.flush()
        audit.record(session, actor=principal.account_id, action=f"correction.{req.status}", person_id=person.id,
                     now=now, correction_id=req.id)
        return correction_view(req)


def corrections_for(sessions: so.sessionmaker, principal: Principal, person_id: str) -> list[dict]:
    """A person's correction requests, decided or not (citizen, guardian). :raises NotGuardian:"""
    with sessions.begin() as session:
        people.check_can_act_for(session, principal, person_id)
        return [correction_view(c) for c in session.scalars(
            sa.select(CorrectionRequest).where(CorrectionRequest.person_id == person_id)
            .order_by(CorrectionRequest.requested_at.desc()))]


def correction_queue(sessions: so.sessionmaker, principal: Principal, *, status: str | None, request_id: str,
                     now: datetime) -> list[dict]:
    """Requests staff may decide: of their provinces (national admins: all). An audited read."""
    provinces = {r.province_code for r in principal.roles if r.role in STAFF and r.province_code is not None}
    with sessions.begin() as session:
        q = (sa.select(CorrectionRequest, Person.full_name).join(Person, Person.id == CorrectionRequest.person_id)
             .order_by(CorrectionRequest.requested_at).limit(500))
        if status:
            q = q.where(CorrectionRequest.status == status)
        if not principal.has("national_admin"):
            q = q.where(CorrectionRequest.province_code.in_(provinces or {-1}))
        rows = session.execute(q).all()
        audit.record(session, actor=principal.account_id, action="correction.queue.read", now=now,
                     request_id=request_id, count=len(rows))
        return [correction_view(c) | {"full_name": name} for c, name in rows]


def get_correction(sessions: so.sessionmaker, principal: Principal, correction_id: str) -> CorrectionRequest:
    """For the requester (or a guardian of the person) and for staff who may decide it.

    :raises NotFound, OutOfScope:
    """
    with sessions.begin() as session:
        req = session.get(CorrectionRequest, correction_id)
        if req is None:
            raise NotFound("No such correction request.", detail_vi="Không có yêu cầu sửa này.")
        try:
            people.check_can_act_for(session, principal, req.person_id)
        except NotGuardian:
            if not _may_decide(session, principal, req, session.get_one(Person, req.person_id)):
                raise OutOfScope() from None
        return req
