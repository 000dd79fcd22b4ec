"""Reactions after a dose end to end in Chromium (issue 7).

The citizen opens "My doses / How do you feel?" from home, sees the 28-day monitoring card,
reports difficulty breathing after her dose: the "Call 115 now" panel takes the focus, with the
site that gave the dose and its address. Site staff (passkey) open the triage queue from the Work
hub, see her serious report first, acknowledge it and classify it (WHO causality); an action based
on an old version is refused and the screen says "someone else updated this — reload".
Screens photographed at 360 px in Vietnamese and English (test-artifacts/e2e/rx*-*.png).

Test set-up only: the dose itself is written by a small python subprocess in the server's
environment (as test_notifications.py writes inbox messages): giving a dose through the site API
needs stock, a session and a visit, which test_booking/the API tests cover already."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT, _env
from .flows import fill_person, sign_in_with_code
from .test_booking import api_post, open_tool, said, staff_with_passkey

pytestmark = pytest.mark.e2e

SITE_STAFF = ("0905 700 301", "+84905700301")
CITIZEN = ("0905 700 302", "+84905700302")
SITE_NAME = "Trạm Y tế phường Ba Đình (phản ứng)"
SITE_ADDRESS = "12 Đội Cấn, Ba Đình"

# A dose given yesterday at the site, for the person; the site gets a street address.
GIVE_DOSE = """
import json, sys
from datetime import timedelta
import sqlalchemy as sa
from api import clock
from api.catalog.models import OrgUnit, VaccineProduct
from api.db import db, new_id
from api.vaccination.models import DoseRecord
from api.vaccination.stock import LOCAL
from wsgi import app
a = json.loads(sys.argv[1])
with app.app_context(), db.sessions().begin() as s:
    now = clock.now()
    site = s.scalar(sa.select(OrgUnit).filter_by(code=a["site"]))
    site.address_line = a["address"]
    if s.scalar(sa.select(VaccineProduct).filter_by(code="rx-comirnaty")) is None:
        s.add(VaccineProduct(id=new_id(), code="rx-comirnaty", name_vi="Comirnaty (thử phản ứng)",
                             name_en="Comirnaty (reaction test)", target_disease="840539006",
                             doses_in_primary_series=2, cvx="208", active=True, created_at=now, updated_at=now))
        s.flush()
    given = (now - timedelta(days=1)).astimezone(LOCAL)
    d = DoseRecord(id=new_id(), person_id=a["person"], disease="840539006", product_code="rx-comirnaty",
                   lot_id=None, lot_number="RX1", dose_number=1, series="primary", administered_at=given,
                   administered_on=given.date(), unit_id=site.id, site_name=site.name,
                   province_code=site.province_code, recorded_by="test", status="valid", source="site",
                   created_at=now, updated_at=now, version=1)
    s.add(d)
    s.flush()
    print(d.id)
"""


@pytest.fixture(scope="module")
def reactions_server(server):
    for args in (["--code", "RX-VN", "--name", "Bộ Y tế (phản ứng)", "--kind", "national"],
                 ["--code", "RX-P01", "--name", "Sở Y tế Hà Nội (phản ứng)", "--kind", "province",
                  "--parent", "RX-VN", "--province", "1"],
                 ["--code", "RX-P01-TT", "--name", "Trung tâm Y tế Ba Đình (phản ứng)", "--kind", "health_centre",
                  "--parent", "RX-P01"],
                 ["--code", "RX-SITE", "--name", SITE_NAME, "--kind", "site", "--parent", "RX-P01-TT"]):
        server.flask("units", "add", *args)
    server.flask("staff", "add", "--phone", SITE_STAFF[0], "--role", "site_staff", "--unit", "RX-SITE")
    return server


def give_dose(server, person_id: str) -> str:
    out = subprocess.run([sys.executable, "-c", GIVE_DOSE, json.dumps(
        {"person": person_id, "site": "RX-SITE", "address": SITE_ADDRESS})], cwd=ROOT,
        env=_env(server.instance, server.port), check=True, capture_output=True, text=True, timeout=120)
    return out.stdout.strip().splitlines()[-1]


def open_more(card) -> None:
    """Open the card's "call back, follow up, classify" part (a <details>) unless it is open."""
    details = card.locator("details.more")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def test_citizen_reports_a_serious_reaction_and_site_staff_triage_it(reactions_server, new_context, shots):
    server = reactions_server
    # 1. the citizen: a profile, then a dose given yesterday at the site (set-up)
    page = new_context().new_page()
    sign_in_with_code(page, server, *CITIZEN)
    page.get_by_role("heading", name="Tạo hồ sơ của bạn").wait_for()
    fill_person(page, name="Lê Thị Hạnh", dob="1990-05-12", sex="Nữ", province="Hà Nội")
    page.get_by_role("button", name="Tạo hồ sơ").click()
    page.get_by_role("link", name="Để sau").click()
    person_id = page.evaluate("fetch('/api/v1/auth/me').then((r) => r.json()).then((m) => m.person.id)")
    give_dose(server, person_id)

    # 2. home → my doses → "how do you feel?"
    page.goto("/#/")
    page.get_by_role("link", name="Mũi tiêm của tôi / Bạn thấy thế nào?").click()
    page.get_by_role("heading", name="Mũi tiêm và phản ứng", level=1).wait_for()
    page.get_by_text("Comirnaty (thử phản ứng)").wait_for()
    shots(page, "rx0-doses")
    page.get_by_role("link", name="Bạn thấy thế nào sau mũi").click()
    page.get_by_role("heading", name="Bạn thấy thế nào sau tiêm?", level=1).wait_for()
    page.get_by_text("Ngày 1 trên 28").wait_for()
    page.get_by_role("button", name="Tôi không có phản ứng gì").wait_for()

    # sending with nothing ticked: said beside the fields, focus on the first one
    page.get_by_role("button", name="Gửi báo cáo").click()
    page.locator("#rr-symptoms-err").wait_for()
    page.get_by_role("checkbox", name="Khó thở, thở rít").check()
    page.locator(".card.emergency.inline").wait_for()  # a serious sign: 115 before even sending
    page.get_by_role("checkbox", name="Phát ban").check()
    page.get_by_label("Mô tả thêm").fill("Khó thở khoảng 30 phút sau khi ăn tối")
    page.get_by_role("radio", name="Nặng: không thể sinh hoạt bình thường").check()
    shots(page, "rx1-report-form")
    page.get_by_role("button", name="Gửi báo cáo").click()

    # 3. the answer: call 115 now, the site and its address, focus on the panel
    panel = page.get_by_role("region", name="Gọi 115 ngay")
    panel.wait_for()
    assert panel.get_by_role("link", name="Gọi 115").get_attribute("href") == "tel:115"
    panel.get_by_text(SITE_NAME).wait_for()
    panel.get_by_text(SITE_ADDRESS).wait_for()
    page.wait_for_function("document.activeElement.id === 'emergency-h'")
    shots(page, "rx2-call-115")

    # the report in my list, with "add information" (a follow-up, never an edit)
    page.get_by_role("link", name="Về danh sách mũi tiêm").click()
    page.get_by_role("heading", name="Báo cáo đã gửi").wait_for()
    page.get_by_role("button", name="Bổ sung thông tin").click()
    page.get_by_label("Điều gì đã thay đổi?").fill("Đã đỡ khó thở sau khi dùng thuốc")
    page.get_by_role("button", name="Gửi thông tin bổ sung").click()
    said(page, "Đã thêm thông tin vào báo cáo.")
    page.get_by_text("Đã đỡ khó thở sau khi dùng thuốc").wait_for()

    # 4. site staff: the Work hub → the triage queue; the serious report first
    staff = staff_with_passkey(new_context, server, SITE_STAFF)
    open_tool(staff, "Phản ứng sau tiêm")
    first = staff.locator("li.card.report").first
    first.get_by_text("Lê Thị Hạnh").wait_for()
    first.get_by_text("Nghiêm trọng").wait_for()
    first.get_by_text("Chờ tiếp nhận").wait_for()
    shots(staff, "rx3-triage-queue")
    report_id = first.get_attribute("id").removeprefix("tr-")
    first.get_by_role("button", name="Tiếp nhận").click()
    said(staff, "Đã tiếp nhận báo cáo.")
    first.get_by_text("Đã tiếp nhận", exact=True).wait_for()

    # someone else acts on the report: this screen's version is now stale
    status, body = api_post(staff, f"/reaction-reports/{report_id}/triage",
                            {"action": "follow_up", "expected_version": 2, "note": "Đã gọi từ máy khác"})
    assert status == 200, body
    open_more(first)
    first.get_by_label("Phân loại nguyên nhân (WHO)").select_option(label="Có liên quan đến tiêm chủng")
    first.get_by_role("button", name="Phân loại", exact=True).click()
    first.locator(".conflict").get_by_text("Người khác vừa cập nhật báo cáo này").wait_for()
    shots(staff, "rx4-triage-conflict")
    first.locator(".conflict").get_by_role("button", name="Tải lại").click()
    said(staff, "Đã tải lại danh sách.")
    open_more(first)
    first.get_by_label("Phân loại nguyên nhân (WHO)").select_option(label="Có liên quan đến tiêm chủng")
    first.get_by_role("button", name="Phân loại", exact=True).click()
    said(staff, "Đã phân loại.")
    first.locator("dd", has_text="Có liên quan đến tiêm chủng").wait_for()
    shots(staff, "rx5-triage-classified")
