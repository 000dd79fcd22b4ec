"""Downloads of a certificate: its QR as SVG/PNG and a printable PDF (vi, en), cached on disk.

Never the hot path: the phone draws its own QR from the payload strings. A file is named by the
certificate row's id (a re-issue is a new row, so a cache entry never goes stale) and written
atomically (temp file + rename), so concurrent first downloads are harmless.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from pathlib import Path

from signing import render_png, render_svg

# Vietnamese needs a Unicode TrueType font: Noto (fonts-noto-core in CI/production images),
# then DejaVu (Debian's default), first one present wins.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)
PNG_BOX = 6  # pixels per module in the PNG download and in the PDF's embedded image

TEXT = {
    "vi": {"title": "Chứng nhận tiêm chủng COVID-19", "name": "Họ và tên", "dob": "Ngày sinh",
           "status": "Trạng thái trong nước", "green": "Xanh: đã tiêm đủ liều cơ bản",
           "yellow": "Vàng: đã tiêm một phần", "none": "Chưa tiêm", "doses": "Số mũi đã tiêm",
           "issued": "Ngày cấp", "expires": "Hiệu lực đến", "hc1": "Chứng nhận EU DCC (quốc tế)",
           "shc": "SMART Health Card", "domestic": "Mã trạng thái trong nước",
           "note": "Mã QR có chữ ký số của Bộ Y tế; không chứa số định danh cá nhân."},
    "en": {"title": "COVID-19 vaccination certificate", "name": "Name", "dob": "Date of birth",
           "status": "Domestic status", "green": "Green: primary series complete",
           "yellow": "Yellow: partly vaccinated", "none": "Not vaccinated", "doses": "Doses",
           "issued": "Issued", "expires": "Valid until", "hc1": "EU Digital COVID Certificate",
           "shc": "SMART Health Card", "domestic": "Domestic status QR",
           "note": "Signed by the Ministry of Health of Viet Nam; no personal ID number inside."},
}


def font_path() -> str:
    for candidate in (os.environ.get("SSK_PDF_FONT", ""), *FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    raise RuntimeError("no TrueType font with Vietnamese glyphs (install fonts-noto-core)")


def _cached(path: Path, make) -> bytes:
    if path.is_file():
        return path.read_bytes()
    data = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return data


def qr_image(cache_dir: Path, certificate_id: str, payload: str, ext: str) -> bytes:
    """The QR of one certificate as 'svg' or 'png' bytes (cached)."""
    if ext == "svg":
        return _cached(cache_dir / f"{certificate_id}.svg",
                       lambda: render_svg(payload).encode("utf-8"))
    return _cached(cache_dir / f"{certificate_id}.png",
                   lambda: render_png(payload, box_size=PNG_BOX))


def _date(value: dt.date | dt.datetime) -> str:
    return f"{value:%d/%m/%Y}"


def pdf(cache_dir: Path, view: dict, ids: dict[str, str], *, lang: str, dob: dt.date,
        doses: int) -> bytes:
    """A printable A4 PDF: holder, status, the HC1 and SHC QR codes (cached per certificate)."""
    return _cached(cache_dir / f"{ids['hc1']}-{lang}.pdf",
                   lambda: _render_pdf(cache_dir, view, ids, lang=lang, dob=dob, doses=doses))


def _render_pdf(cache_dir: Path, view: dict, ids: dict[str, str], *, lang: str, dob: dt.date,
                doses: int) -> bytes:
    from fpdf import FPDF

    t = TEXT[lang]
    doc = FPDF(format="A4")
    doc.set_title(t["title"])
    doc.set_creator("Sổ Sức Khỏe")
    doc.add_font("body", "", font_path())
    doc.set_auto_page_break(False)
    doc.add_page()
    doc.set_font("body", size=18)
    doc.cell(0, 12, t["title"], new_x="LMARGIN", new_y="NEXT")
    doc.set_font("body", size=12)
    for label, value in ((t["name"], view["full_name"]), (t["dob"], _date(dob)),
                         (t["status"], t.get(view["status"], view["status"])),
                         (t["doses"], str(doses)), (t["issued"], _date(view["issued_at"])),
                         (t["expires"], _date(view["expires_at"])), ("UVCI", view["uvci"])):
        doc.cell(45, 8, f"{label}:")
        doc.cell(0, 8, value, new_x="LMARGIN", new_y="NEXT")
    y = doc.get_y() + 4
    size = 88  # mm: an HC1 of ~600 characters is ~77 modules; > 1 mm a module prints and scans
    for i, fmt in enumerate(("hc1", "shc")):
        x = 12 + i * (size + 8)
        png = qr_image(cache_dir, ids[fmt], view[fmt], "png")
        doc.set_xy(x, y)
        doc.cell(size, 7, t[fmt], align="C")
        doc.image(io.BytesIO(png), x=x, y=y + 8, w=size, h=size)
    doc.set_xy(12, y + size + 14)
    doc.set_font("body", size=10)
    doc.multi_cell(0, 6, t["note"])
    return bytes(doc.output())
