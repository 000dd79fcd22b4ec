"""A citizen's own record: a FHIR R4 Bundle (JSON) and a readable PDF (vi|en). No flask here."""
from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.catalog.models import VaccineProduct
from api.people.models import Person
from api.places import service as places
from api.problems import NotFound
from api.vaccination.models import COUNTED, DoseRecord

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
CVX = "http://hl7.org/fhir/sid/cvx"
EU_MP = "https://ec.europa.eu/health/documents/community-register/html/"  # EU DCC value set vaccines-covid-19-names
SNOMED = "http://snomed.info/sct"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
)


def _urn(kind: str, id_: str) -> str:
    # Stable within one export: the same record always gets the same urn.
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'ssk:{kind}:{id_}')}"


def _record(session: so.Session, person_id: str) -> tuple[Person, list, dict]:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("No such person.", detail_vi="Không có người này.")
    doses = session.scalars(sa.select(DoseRecord).where(DoseRecord.person_id == person_id,
                                                        DoseRecord.status.in_(COUNTED))
                            .order_by(DoseRecord.administered_at)).all()
    products = {p.code: p for p in session.scalars(sa.select(VaccineProduct))}
    return person, list(doses), products


def fhir_bundle(session: so.Session, person_id: str, *, reactions: list[dict], now: datetime) -> dict:
    """Patient + one Immunization per counted dose + an AdverseEvent per reaction report they made."""
    person, doses, products = _record(session, person_id)
    patient_ref = _urn("person", person.id)
    entries = [{"fullUrl": patient_ref, "resource": {
        "resourceType": "Patient",
        # The personal ID number is the citizen's own data: it is in their export (never in a URL).
        "identifier": ([{"system": "urn:oid:2.16.704.1.1.1", "value": person.national_id}]
                       if person.national_id else []),
        "name": [{"text": person.full_name}],
        "gender": {"M": "male", "F": "female"}.get(person.sex, "unknown"),
        "birthDate": person.date_of_birth.isoformat(),
        "address": ([{"text": person.address_line or None, "state": places.province_name(person.province_code),
                      "country": "VN"}] if person.province_code else []),
    }}]
    for d in doses:
        p = products.get(d.product_code)
        coding = []
        if p and p.cvx:
            coding.append({"system": CVX, "code": p.cvx, "display": p.name_en})
        if p and p.eu_mp:
            coding.append({"system": EU_MP, "code": p.eu_mp, "display": p.name_en})
        coding.append({"system": "urn:ssk:vaccine-product", "code": d.product_code})
        imm = {
            "resourceType": "Immunization", "status": "completed",
            "vaccineCode": {"coding": coding, "text": p.name_en if p else d.product_code},
            "patient": {"reference": patient_ref},
            "occurrenceDateTime": d.administered_at.isoformat(),
            "recorded": d.created_at.isoformat(),
            "primarySource": d.source == "site",
            "location": {"display": d.site_name} if d.site_name else None,
            "lotNumber": d.lot_number or None,
            "protocolApplied": [{"targetDisease": [{"coding": [{"system": SNOMED, "code": d.disease}]}],
                                 "doseNumberPositiveInt": d.dose_number,
                                 "series": d.series}],
        }
        entries.append({"fullUrl": _urn("dose", d.id), "resource": {k: v for k, v in imm.items() if v is not None}})
    dose_refs = {d.id: _urn("dose", d.id) for d in doses}
    for r in reactions:
        ev = {
            "resourceType": "AdverseEvent", "actuality": "actual",
            "event": {"text": str(r.get("kind") or r.get("symptoms") or "reaction")},
            "subject": {"reference": patient_ref},
            "date": str(r.get("reported_at") or r.get("recorded_at") or now.isoformat()),
            "seriousness": {"text": "serious" if r.get("serious") else "non-serious"},
            "severity": {"text": str(r.get("severity") or "unknown")},
        }
        if r.get("dose_record_id") in dose_refs:
            ev["suspectEntity"] = [{"instance": {"reference": dose_refs[r["dose_record_id"]]}}]
        entries.append({"fullUrl": _urn("reaction", str(r.get("_id") or r.get("id"))), "resource": ev})
    return {"resourceType": "Bundle", "type": "collection", "timestamp": now.isoformat(),
            "identifier": {"system": "urn:ssk:export", "value": str(uuid.uuid4())}, "entry": entries}


def find_font() -> str | None:
    """A TrueType font with Vietnamese glyphs: DejaVu here, Noto in CI."""
    for path in FONT_CANDIDATES:
        if Path(path).is_file():
            return path
    return None


LABELS = {
    "vi": {"title": "Hồ sơ tiêm chủng", "name": "Họ và tên", "dob": "Ngày sinh", "province": "Tỉnh/thành phố",
           "doses": "Các mũi đã tiêm", "date": "Ngày", "product": "Vắc xin", "lot": "Số lô", "dose": "Mũi",
           "site": "Nơi tiêm", "none": "Chưa có mũi tiêm nào.", "reactions": "Phản ứng sau tiêm đã báo",
           "made": "Xuất lúc", "booster": "nhắc lại"},
    "en": {"title": "Vaccination record", "name": "Full name", "dob": "Date of birth", "province": "Province",
           "doses": "Doses given", "date": "Date", "product": "Vaccine", "lot": "Lot", "dose": "Dose",
           "site": "Site", "none": "No doses yet.", "reactions": "Reactions reported", "made": "Exported at",
           "booster": "booster"},
}


def pdf_record(session: so.Session, person_id: str, *, lang: str, reactions: list[dict], now: datetime) -> bytes:
    """A one-document PDF of the person's record in Vietnamese or English."""
    from fpdf import FPDF

    t = LABELS["en" if lang == "en" else "vi"]
    person, doses, products = _record(session, person_id)
    pdf = FPDF(format="A4")
    font = find_font()
    if font:
        pdf.add_font("body", "", font)
        bold = font.replace("-Regular.ttf", "-Bold.ttf").replace("Sans.ttf", "Sans-Bold.ttf")
        pdf.add_font("body", "B", bold if Path(bold).is_file() else font)  # table headings
        family = "body"
    else:  # without a Unicode font, Vietnamese letters are dropped rather than failing the export
        family = "helvetica"
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()

    def text(s: str) -> str:
        return s if font else s.encode("latin-1", "replace").decode("latin-1")

    pdf.set_font(family, size=18)
    pdf.cell(0, 12, text(f"Sổ Sức Khỏe — {t['title']}" if font else t["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=11)
    for label, value in ((t["name"], person.full_name), (t["dob"], person.date_of_birth.strftime("%d/%m/%Y")),
                         (t["province"], places.province_name(person.province_code) if person.province_code else "—")):
        pdf.cell(0, 7, text(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, size=14)
    pdf.cell(0, 9, text(t["doses"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    if not doses:
        pdf.cell(0, 7, text(t["none"]), new_x="LMARGIN", new_y="NEXT")
    else:
        with pdf.table(col_widths=(14, 22, 48, 22, 60), text_align="LEFT") as table:
            table.row([text(x) for x in (t["dose"], t["date"], t["product"], t["lot"], t["site"])])
            for d in doses:
                p = products.get(d.product_code)
                name = (p.name_en if lang == "en" else p.name_vi) if p else d.product_code
                number = str(d.dose_number) + (f" ({t['booster']})" if d.series == "booster" else "")
                table.row([text(x) for x in (number, d.administered_at.astimezone(LOCAL).strftime("%d/%m/%Y"),
                                             name, d.lot_number or "—", d.site_name or "—")])
    if reactions:
        pdf.ln(4)
        pdf.set_font(family, size=14)
        pdf.cell(0, 9, text(t["reactions"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=10)
        for r in reactions:
            pdf.cell(0, 6, text(f"{str(r.get('reported_at', ''))[:10]}  {r.get('kind', '')}  {r.get('severity', '')}"),
                     new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(family, size=8)
    pdf.cell(0, 5, text(f"{t['made']}: {now.astimezone(LOCAL).strftime('%d/%m/%Y %H:%M')} (UTC+7)"))
    return bytes(pdf.output())
