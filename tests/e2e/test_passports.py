"""The holder's passports end to end in Chromium (issue 5, item 1): a citizen signs up, a dose is
recorded for them, and #/passports draws the EU DCC (HC1), the SMART Health Card and the domestic
status QR on the phone. Each QR is read back from a screenshot of the page's canvas by zxing-cpp
(not our code) and verified by the server's POST /api/v1/passport-verifications; the home screen
shows the status badge; with the network off the passports screen still shows the last QR; the
PDF links answer application/pdf. Photographed at 360 px in Vietnamese and English
(test-artifacts/e2e/70-*.png)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT, _env
from .flows import decode_qr, fill_person, shown_qr, sign_in_with_code

pytestmark = pytest.mark.e2e

CITIZEN = ("0905 700 111", "+84905700111")

# TEST SETUP, not the feature under test: one Pfizer dose recorded for the person directly in the
# server's database (the way a site's record lands there: a counted DoseRecord row), with the
# COVID-19 catalogue seeded as `make run`'s demo data does. Recording through the site screens is
# covered by tests/e2e/test_booking.py and tests/api/test_vaccination_*.py.
RECORD_DOSE = """
import datetime as dt, json, sys, uuid
from api import clock
from api.catalog.service import seed_covid19
from api.db import db
from api.vaccination.models import DoseRecord
from wsgi import app
person_id = sys.argv[1]
with app.app_context():
    now = clock.now()
    with db.sessions().begin() as session:
        seed_covid19(session, now=now)
    with db.sessions().begin() as session:
        day = now.date() - dt.timedelta(days=10)
        session.add(DoseRecord(person_id=person_id, disease="840539006", product_code="pfizer-biontech",
                               lot_number="FK0001", dose_number=1, series="primary",
                               administered_at=now - dt.timedelta(days=10), administered_on=day,
                               site_name="Trạm Y tế phường Hoàn Kiếm", province_code=1,
                               recorded_by=str(uuid.uuid4()), status="valid", source="site",
                               created_at=now, updated_at=now))
"""

PREFIX = {"hc1": "HC1:", "shc": "shc:/", "domestic": "SSK1:"}
TAB_VI = {"hc1": "EU DCC (quốc tế)", "shc": "Thẻ SMART Health Card", "domestic": "Trạng thái trong nước"}


def record_dose(server, person_id: str) -> None:
    r = subprocess.run([sys.executable, "-c", RECORD_DOSE, person_id], cwd=ROOT,
                       env=_env(server.instance, server.port), check=False, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr


def verify(page, text: str) -> dict:
    return page.evaluate("""async (qr) => {
      const c = document.cookie.split('; ').find((c) => c.startsWith('ssk_csrf='));
      const headers = {'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID()};
      if (c) headers['X-CSRF-Token'] = decodeURIComponent(c.split('=')[1]);
      const r = await fetch('/api/v1/passport-verifications', {method: 'POST', headers,
        body: JSON.stringify({qr})});
      return {status: r.status, body: await r.json()};
    }""", text)


def drawn_qr(page) -> str:
    """The QR the page drew, read by zxing-cpp from a screenshot of the canvas."""
    canvas = page.locator("#passport-qr")
    canvas.wait_for()
    page.wait_for_function("document.getElementById('passport-qr').dataset.drawn === "
                           "document.getElementById('passport-qr').dataset.text")
    return decode_qr(canvas.screenshot())


def test_the_holder_sees_verifiable_passports_a_home_badge_and_an_offline_copy(server, new_context, shots):
    ctx = new_context()
    page = ctx.new_page()

    # a citizen signs up
    sign_in_with_code(page, server, *CITIZEN)
    page.get_by_role("heading", name="Tạo hồ sơ của bạn").wait_for()
    fill_person(page, name="Trần Thị Bích", dob="1988-04-12", sex="Nữ", province="Hà Nội")
    page.get_by_role("button", name="Tạo hồ sơ").click()
    page.get_by_role("heading", name="Thêm khóa truy cập").wait_for()
    page.get_by_role("link", name="Để sau").click()
    page.get_by_role("heading", name="Mã QR của tôi").wait_for()
    _, person_id = shown_qr(page)

    # before any dose: no passport yet, said plainly
    page.goto("/#/passports")
    page.get_by_text("Chưa có chứng nhận tiêm chủng").wait_for()

    record_dose(server, person_id)
    api = page.evaluate("(id) => fetch(`/api/v1/people/${id}/passports`).then(r => r.json())", person_id)
    assert api["status"] == "yellow", api

    # the passports screen: each format drawn on the phone, read back and verified by the server
    page.goto("/#/")
    page.goto("/#/passports")
    page.get_by_role("heading", name="Hộ chiếu vắc xin: Trần Thị Bích").wait_for()
    page.get_by_text("Hãy tăng độ sáng màn hình trước khi quét.").wait_for()
    for fmt in ("hc1", "shc", "domestic"):
        page.get_by_role("button", name=TAB_VI[fmt]).click()
        assert page.get_by_role("button", name=TAB_VI[fmt]).get_attribute("aria-pressed") == "true"
        text = drawn_qr(page)
        assert text == api[fmt] and text.startswith(PREFIX[fmt])
        r = verify(page, text)
        assert r["status"] == 200, r
        assert r["body"]["status"] == "valid", r
        assert r["body"]["name"] and "Bích" in r["body"]["name"], r
        box = page.locator("#passport-qr").bounding_box()
        assert box["width"] >= 300, box  # large on a 360 px phone
        shots(page, f"70-passports-{fmt}")
    page.get_by_role("button", name=TAB_VI["hc1"]).click()

    # the PDF links answer a PDF in both languages
    for lang, name in (("vi", "Tải PDF tiếng Việt"), ("en", "Tải PDF tiếng Anh")):
        href = page.get_by_role("link", name=name).get_attribute("href")
        assert f"lang={lang}" in href
        res = page.request.get(href)
        assert res.ok and res.headers["content-type"].startswith("application/pdf"), res.headers
        assert res.body()[:5] == b"%PDF-"
    png = page.request.get(f"/api/v1/people/{person_id}/passports/hc1.png")
    assert png.ok and decode_qr(png.body()) == api["hc1"]

    # the home screen shows the domestic status badge, linking to the passports
    page.goto("/#/")
    badge = page.locator("#home-status")
    badge.wait_for()
    assert badge.get_attribute("data-status") == "yellow"
    assert "Vàng" in badge.inner_text()
    shots(page, "71-home-badge")
    badge.click()
    page.get_by_role("heading", name="Hộ chiếu vắc xin: Trần Thị Bích").wait_for()

    # offline: the service worker serves the shell, the screen shows the QR kept on the phone
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    drawn_qr(page)  # drawn (and so kept) online first
    ctx.set_offline(True)
    try:
        response = page.reload()
        assert response is None or response.from_service_worker
        page.get_by_role("heading", name="Hộ chiếu vắc xin: Trần Thị Bích").wait_for()
        page.get_by_text("Đang ngoại tuyến: hiển thị hộ chiếu đã lưu trên điện thoại này.").wait_for()
        assert drawn_qr(page) == api["hc1"]
        page.get_by_role("button", name=TAB_VI["domestic"]).click()
        assert drawn_qr(page) == api["domestic"]
        page.get_by_role("button", name=TAB_VI["hc1"]).click()
        drawn_qr(page)
        shots(page, "72-passports-offline")
    finally:
        ctx.set_offline(False)
    assert json.loads(page.evaluate(f"localStorage.getItem('ssk.passports.{person_id}')"))["hc1"] == api["hc1"]
