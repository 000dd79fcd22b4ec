"""Bulk import of historical dose records from CSV: every row or none, with a per-row report.

No Flask here. A file is checked whole before anything is written; when any row fails, the answer
is a 422 problem whose `rows` say, row by row, what was accepted and what was rejected and why,
and the database is untouched. An accepted file becomes dose records 'pending_approval' (source
'import') that count only when a second person approves the import.

Columns (a header row; UTF-8, with or without BOM; comma-separated):
  national_id | person_id   who (one of them; children without an ID card by person_id)
  date_of_birth             YYYY-MM-DD or DD/MM/YYYY: must match the person (a mistyped ID
                            number must not attach a dose to someone else)
  product_code              the catalogue code (pfizer-biontech, astrazeneca, …)
  administered_on           YYYY-MM-DD or DD/MM/YYYY
  lot_number                optional
  dose_number               optional: checked against the numbering the history gives (a warning)
  site_code | site_name     optional: a unit code we know, or free text

Every reason a row is refused or questioned is a `reasons.Reason`: a stable code, the column, and a
text in English and Vietnamese; the report (`rows`) is given in the language the caller asked for.
"""
from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.audit import service as audit
from api.auth.service import Principal
from api.catalog import service as catalog
from api.catalog.models import DoseRule, OrgUnit, VaccineProduct
from api.db import new_id
from api.people import service as people
from api.people.models import Person
from api.problems import NotFound
from api.vaccination import stock as stock_service
from api.vaccination.corrections import approve_pending, reject_pending
from api.vaccination.models import COUNTED, DoseImport, DoseRecord, Lot
from api.vaccination.problems import ImportDuplicate, ImportRejected, ImportState, SecondPersonRequired
from api.vaccination.reasons import Reason, field_errors
from api.vaccination.service import dose_view, local_noon
from api.vaccination.stock import local_date

COLUMNS = ("national_id", "person_id", "date_of_birth", "product_code", "administered_on", "lot_number",
           "dose_number", "site_code", "site_name")
MAX_ROWS = 5000
MAX_DOSE_NUMBER = 20
STAFF = ("site_staff", "department_staff", "national_admin")


def _date(text: str) -> date | None:
    text = (text or "").strip()
    try:
        if "/" in text:
            d, m, y = text.split("/")
            return date(int(y), int(m), int(d))
        return date.fromisoformat(text)
    except ValueError:
        return None


def row_view(row: dict, lang: str) -> dict:
    """A row of the report in one language: `reasons` (code, column, text) and, as before, `errors`
    ({column: [text]}) and `warnings` ([text])."""
    out = {k: v for k, v in row.items() if k not in ("errors", "warnings")}
    out["errors"] = field_errors(row["errors"], lang)
    out["warnings"] = [w.text(lang) for w in row["warnings"]]
    out["reasons"] = ([r.view(lang) for r in row["errors"]]
                      + [w.view(lang, severity="warning") for w in row["warnings"]])
    return out


def in_language(result: dict, lang: str) -> dict:
    """An import's answer with its per-row report in 'vi' or 'en'."""
    return result | {"rows": [row_view(r, lang) for r in result.get("rows", [])]}


def _reject(message: str, message_vi: str, *, rows: list[dict], file: tuple[Reason, ...] = ()) -> ImportRejected:
    rejected = sum(1 for r in rows if r["status"] == "rejected")
    return ImportRejected(
        message, detail_vi=message_vi, errors=field_errors(file, "en") or None,
        errors_vi=field_errors(file, "vi") or None, rejected=rejected, accepted=len(rows) - rejected,
        rows=[row_view(r, "en") for r in rows], reasons=[r.view("en") for r in file],
        extensions_vi={"rows": [row_view(r, "vi") for r in rows], "reasons": [r.view("vi") for r in file]})


def import_doses(sessions: so.sessionmaker, principal: Principal, *, data: bytes, file_name: str,
                 request_id: str, now: datetime) -> dict:
    """Check a CSV file of historical doses and keep it whole (pending approval), or reject it whole.

    :returns: the import and its report, whose reasons `in_language` words for the caller
    :raises ImportRejected (422, with `rows` and `reasons` in both languages), ImportDuplicate:
    """
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _reject("The file is not UTF-8 text.", "Tệp không phải văn bản UTF-8.", rows=[],
                      file=(Reason("file", "file_not_utf8"),)) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in ("date_of_birth", "product_code", "administered_on") if c not in header]
    if not ("national_id" in header or "person_id" in header):
        missing.append("national_id|person_id")
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        why = ((Reason("header", "columns_missing", {"columns": ", ".join(missing)}),) if missing else ()) + (
            (Reason("header", "columns_unknown", {"columns": ", ".join(unknown)}),) if unknown else ())
        raise _reject(" ".join(r.text("en") for r in why), "Tiêu đề cột không đúng mẫu. "
                      + " ".join(r.text("vi") for r in why), rows=[], file=why)
    raw = []
    for i, rec in enumerate(reader):
        if i >= MAX_ROWS:
            raise _reject(f"At most {MAX_ROWS} rows in one file.", f"Tối đa {MAX_ROWS} dòng mỗi tệp.", rows=[],
                          file=(Reason("file", "file_too_many_rows", {"max": MAX_ROWS}),))
        if None in rec:  # more fields than the header has
            rec = {**rec, "_extra": rec.pop(None)}
        raw.append((i + 2, {k: (v or "").strip() if isinstance(v, str) else v for k, v in rec.items()}))
    if not raw:
        raise _reject("The file has no rows.", "Tệp không có dòng dữ liệu.", rows=[],
                      file=(Reason("file", "file_no_rows"),))
    today = local_date(now)
    with sessions.begin() as session:
        if session.scalar(sa.select(DoseImport.id).filter_by(file_sha256=digest)):
            raise ImportDuplicate(file_sha256=digest)
        ids = {r.get("national_id") for _, r in raw if r.get("national_id")}
        pids = {r.get("person_id") for _, r in raw if r.get("person_id")}
        by_nid = {p.national_id: p for p in session.scalars(sa.select(Person).where(Person.national_id.in_(ids)))} if ids else {}
        by_pid = {p.id: p for p in session.scalars(sa.select(Person).where(Person.id.in_(pids)))} if pids else {}
        products = {p.code: p for p in session.scalars(sa.select(VaccineProduct))}
        first_use = dict(session.execute(sa.select(VaccineProduct.code, sa.func.min(DoseRule.effective_from))
                                         .join(DoseRule, DoseRule.product_id == VaccineProduct.id)
                                         .group_by(VaccineProduct.code)).all())
        codes = {r.get("site_code") for _, r in raw if r.get("site_code")}
        units = {u.code: u for u in session.scalars(sa.select(OrgUnit).where(OrgUnit.code.in_(codes)))} if codes else {}
        people_ids = {p.id for p in (*by_nid.values(), *by_pid.values())}
        existing = {(pid, code, day) for pid, code, day in session.execute(
            sa.select(DoseRecord.person_id, DoseRecord.product_code, DoseRecord.administered_on).where(
                DoseRecord.person_id.in_(people_ids), DoseRecord.status.in_((*COUNTED, "pending_approval"))))} \
            if people_ids else set()
        counted = defaultdict(list)
        if people_ids:
            for pid, disease, day in session.execute(sa.select(DoseRecord.person_id, DoseRecord.disease,
                                                               DoseRecord.administered_on)
                                                     .where(DoseRecord.person_id.in_(people_ids),
                                                            DoseRecord.status.in_(COUNTED))):
                counted[(pid, disease)].append(day)
        report, accepted, seen = [], [], set()
        for line, r in raw:
            errors: list[Reason] = []
            if r.get("_extra"):
                errors.append(Reason("row", "row_extra_fields"))
            person = None
            if r.get("person_id"):
                person = by_pid.get(r["person_id"])
            elif r.get("national_id"):
                if not (len(r["national_id"]) == 12 and r["national_id"].isdigit()):
                    errors.append(Reason("national_id", "national_id_format"))
                person = by_nid.get(r["national_id"])
            else:
                errors.append(Reason("national_id", "person_missing"))
            dob = _date(r.get("date_of_birth", ""))
            if dob is None:
                errors.append(Reason("date_of_birth", "date_invalid"))
            if person is None:
                if (r.get("person_id") or r.get("national_id")) and not any(e.field == "national_id" for e in errors):
                    errors.append(Reason("person", "person_unknown"))
            else:
                if dob is not None and dob != person.date_of_birth:
                    errors.append(Reason("date_of_birth", "dob_mismatch"))
                elif people.in_scope(principal, person) is None:
                    errors.append(Reason("person", "person_out_of_scope"))
            code = r.get("product_code", "")
            product = products.get(code)
            if product is None:
                errors.append(Reason("product_code", "product_unknown"))
            day = _date(r.get("administered_on", ""))
            if day is None:
                errors.append(Reason("administered_on", "date_invalid"))
            elif day > today:
                errors.append(Reason("administered_on", "date_in_future"))
            elif product is not None and (first_use.get(code) is None or day < first_use[code]):
                errors.append(Reason("administered_on", "before_product_in_use"))
            if len(r.get("lot_number") or "") > 40:
                errors.append(Reason("lot_number", "too_long", {"max": 40}))
            number = None
            if r.get("dose_number"):
                if not r["dose_number"].isdigit() or not 1 <= int(r["dose_number"]) <= MAX_DOSE_NUMBER:
                    errors.append(Reason("dose_number", "dose_number_invalid", {"max": MAX_DOSE_NUMBER}))
                else:
                    number = int(r["dose_number"])
            unit = None
            if r.get("site_code"):
                unit = units.get(r["site_code"])
                if unit is None:
                    errors.append(Reason("site_code", "unit_unknown"))
            if len(r.get("site_name") or "") > 200:
                errors.append(Reason("site_name", "too_long", {"max": 200}))
            if person is not None and product is not None and day is not None:
                key = (person.id, code, day)
                if key in existing:
                    errors.append(Reason("administered_on", "dose_already_recorded"))
                elif key in seen:
                    errors.append(Reason("administered_on", "dose_twice_in_file"))
                seen.add(key)
            if errors:
                report.append({"row": line, "status": "rejected", "errors": errors, "warnings": []})
                continue
            counted[(person.id, product.target_disease)].append(day)
            report.append({"row": line, "status": "accepted", "errors": [], "warnings": []})
            accepted.append((len(report) - 1, person, product, day, r, unit, number))
        if any(x["status"] == "rejected" for x in report):
            raise _reject(f"{sum(1 for x in report if x['status'] == 'rejected')} of {len(report)} rows are not "
                          "valid; nothing was imported.",
                          f"{sum(1 for x in report if x['status'] == 'rejected')}/{len(report)} dòng không hợp lệ; "
                          "chưa nhập dòng nào.", rows=report)
        batch = DoseImport(id=new_id(), file_sha256=digest, file_name=file_name[:200], row_count=len(accepted),
                           unit_id=_home_unit(principal), status="pending_approval", uploaded_by=principal.account_id,
                           uploaded_at=now)
        session.add(batch)
        session.flush()
        lots = {(lot.product_code, lot.lot_number): lot.id for lot in session.scalars(sa.select(Lot))} if accepted else {}
        for index, person, product, day, r, unit, number in accepted:
            days = sorted(counted[(person.id, product.target_disease)])
            expected = days.index(day) + 1
            if number is not None and number != expected:
                report[index]["warnings"].append(Reason("dose_number", "dose_number_differs",
                                                        {"given": number, "expected": expected}))
            dose = DoseRecord(
                id=new_id(), person_id=person.id, disease=product.target_disease, product_code=product.code,
                lot_id=lots.get((product.code, r.get("lot_number", ""))), lot_number=r.get("lot_number", ""),
                dose_number=expected, series="primary", administered_at=local_noon(day), administered_on=day,
                unit_id=unit.id if unit else None, site_name=unit.name if unit else r.get("site_name", ""),
                province_code=unit.province_code if unit else person.province_code, vaccinator_account_id=None,
                recorded_by=principal.account_id, status="pending_approval", source="import", import_id=batch.id,
                created_at=now, updated_at=now, version=1)
            session.add(dose)
            report[index]["dose_record_id"] = dose.id
        session.flush()
        audit.record(session, actor=principal.account_id, action="dose.import", now=now, request_id=request_id,
                     import_id=batch.id, rows=len(accepted))
        return import_view(batch) | {"rows": report}


def _home_unit(principal: Principal) -> str | None:
    for r in principal.roles:
        if r.role in ("site_staff", "department_staff") and r.unit_id:
            return r.unit_id
    return None


def import_view(b: DoseImport) -> dict:
    return {k: getattr(b, k) for k in ("id", "file_sha256", "file_name", "row_count", "unit_id", "status",
                                       "uploaded_by", "uploaded_at", "decided_by", "decided_at", "decision_note")}


def _import_in_scope(session: so.Session, principal: Principal, batch: DoseImport) -> None:
    unit = session.get(OrgUnit, batch.unit_id) if batch.unit_id else None
    if principal.has("national_admin"):
        return
    if unit is None or not stock_service.unit_in_scope(principal, unit.path, STAFF):
        from api.catalog.problems import UnitOutOfScope

        raise UnitOutOfScope("This import was made by a unit outside your scope.",
                             detail_vi="Lần nhập này thuộc đơn vị ngoài phạm vi của bạn.")


def list_imports(sessions: so.sessionmaker, principal: Principal, *, status: str | None = None,
                 unit_id: str | None = None, limit: int = 50, offset: int = 0) -> dict:
    """Imports made by units within the caller's scope (national admins: all), newest first.

    The same rule as opening one (`_import_in_scope`): an import belongs to the unit it was
    uploaded from, and staff see the imports of their unit and the units below it.
    :param unit_id: only imports of this unit and the units below it (it must be within scope)
    :raises NotFound, UnitOutOfScope: for `unit_id`
    """
    with sessions.begin() as session:
        q = sa.select(DoseImport, OrgUnit).outerjoin(OrgUnit, OrgUnit.id == DoseImport.unit_id)
        if not principal.has("national_admin"):
            paths = catalog.scope_paths(principal, STAFF)
            q = q.where(sa.or_(*(OrgUnit.path.startswith(p) for p in paths)) if paths else sa.false())
        if unit_id:
            unit = stock_service.check_unit(session, principal, unit_id, STAFF)
            q = q.where(OrgUnit.path.startswith(unit.path))
        if status:
            q = q.where(DoseImport.status == status)
        total = session.scalar(sa.select(sa.func.count()).select_from(q.subquery()))
        rows = session.execute(q.order_by(DoseImport.uploaded_at.desc(), DoseImport.id.desc())
                               .limit(limit).offset(offset)).all()
        return {"items": [import_view(b) | {"unit": _unit_ref(u)} for b, u in rows], "total": total}


def _unit_ref(u: OrgUnit | None) -> dict | None:
    return None if u is None else {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind}


def get_import(sessions: so.sessionmaker, principal: Principal, import_id: str) -> dict:
    with sessions.begin() as session:
        batch = session.get(DoseImport, import_id)
        if batch is None:
            raise NotFound("No such import.", detail_vi="Không có lần nhập này.")
        _import_in_scope(session, principal, batch)
        doses = session.scalars(sa.select(DoseRecord).where(DoseRecord.import_id == import_id)
                                .order_by(DoseRecord.person_id, DoseRecord.administered_on))
        return import_view(batch) | {"doses": [dose_view(d) for d in doses]}


def decide_import(sessions: so.sessionmaker, principal: Principal, import_id: str, *, approve: bool, note: str,
                  now: datetime) -> dict:
    """A second person approves the whole import (its doses count from now) or rejects it.

    :raises NotFound, UnitOutOfScope, SecondPersonRequired, ImportState, DoseAlreadyRecorded:
    """
    with sessions.begin() as session:
        batch = session.scalar(sa.select(DoseImport).where(DoseImport.id == import_id).with_for_update())
        if batch is None:
            raise NotFound("No such import.", detail_vi="Không có lần nhập này.")
        _import_in_scope(session, principal, batch)
        if batch.uploaded_by == principal.account_id:
            raise SecondPersonRequired("You uploaded this file; another person must approve it.",
                                       detail_vi="Bạn đã tải tệp này lên; cần người khác phê duyệt.")
        if batch.status != "pending_approval":
            raise ImportState(import_status=batch.status)
        batch.status = "approved" if approve else "rejected"
        batch.decided_by, batch.decided_at, batch.decision_note = principal.account_id, now, note
        doses = list(session.scalars(sa.select(DoseRecord).where(
            DoseRecord.import_id == import_id, DoseRecord.status == "pending_approval")
            .order_by(DoseRecord.person_id, DoseRecord.administered_on)))
        for dose in doses:
            if approve:
                approve_pending(session, dose, actor=principal.account_id, now=now, reason=f"import {import_id}")
            else:
                reject_pending(session, dose, actor=principal.account_id, now=now, reason=note or "import rejected")
        session.flush()
        audit.record(session, actor=principal.account_id, action=f"dose.import.{batch.status}", now=now,
                     import_id=batch.id, rows=len(doses))
        return import_view(batch)

