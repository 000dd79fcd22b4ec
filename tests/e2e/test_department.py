"""Department screens end to end in Chromium (issues 6 and 7).

Department staff (passkey) open "Campaigns to residents" from the Work hub, choose their province
and an age range, preview how many people the group reaches (a resident registered there first),
write the message and send it once; the campaign then shows in the list with its delivery
figures. They then open "Vaccine safety figures": the tables by vaccine, lot, site and week (one
dose given at a site of theirs, written by a small python subprocess as test_reactions.py does).
Screens photographed at 360 px in Vietnamese and English (test-artifacts/e2e/dept*-*.png)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT, _env
from .flows import fill_person, sign_in_with_code
from .test_booking import open_tool, said, staff_with_passkey
from .test_reactions import GIVE_DOSE

pytestmark = pytest.mark.e2e

DEPT = ("0905 800 401", "+84905800401")
CITIZEN = ("0905 800 402", "+84905800402")


@pytest.fixture(scope="module")
def dept_server(server):
    for args in (["--code", "DP-VN", "--name", "Bộ Y tế (sở)", "--kind", "national"],
                 ["--code", "DP-P01", "--name", "Sở Y tế Hà Nội (sở)", "--kind", "province",
                  "--parent", "DP-VN", "--province", "1"],
                 ["--code", "DP-P01-TT", "--name", "Trung tâm Y tế (sở)", "--kind", "health_centre",
                  "--parent", "DP-P01"],
                 ["--code", "DP-SITE", "--name", "Trạm Y tế phường (sở)", "--kind", "site", "--parent", "DP-P01-TT"]):
        server.flask("units", "add", *args)
    server.flask("staff", "add", "--phone", DEPT[0], "--role", "department_staff", "--unit", "DP-P01")
    return server


def test_department_previews_and_sends_a_campaign_and_reads_safety_figures(dept_server, new_context, shots):
    server = dept_server
    # a resident of Hà Nội (aged 36) with a dose at the department's site
    citizen = new_context().new_page()
    sign_in_with_code(citizen, server, *CITIZEN)
    citizen.get_by_role("heading", name="Tạo hồ sơ của bạn").wait_for()
    fill_person(citizen, name="Đỗ Minh Thư", dob="1990-03-04", sex="Nữ", province="Hà Nội")
    citizen.get_by_role("button", name="Tạo hồ sơ").click()
    citizen.get_by_role("link", name="Để sau").click()
    person_id = citizen.evaluate("fetch('/api/v1/auth/me').then((r) => r.json()).then((m) => m.person.id)")
    subprocess.run([sys.executable, "-c", GIVE_DOSE, json.dumps(
        {"person": person_id, "site": "DP-SITE", "address": "1 Tràng Thi"})], cwd=ROOT,
        env=_env(server.instance, server.port), check=True, capture_output=True, text=True, timeout=120)

    # 1. campaigns: target, preview count, message, send, then the list with figures
    page = staff_with_passkey(new_context, server, DEPT)
    open_tool(page, "Gửi thông báo cho người dân")
    prov = page.get_by_label("Tỉnh/Thành phố")
    page.wait_for_function("document.getElementById('cp-target-province_code').value !== ''")
    assert "Hà Nội" in prov.locator("option:checked").inner_text()
    # sending before a preview is not possible; a bad age is said beside its field
    assert page.get_by_role("button", name="Gửi thông báo").is_disabled()
    page.get_by_label("Từ tuổi").fill("abc")
    page.get_by_role("button", name="Xem trước số người nhận").click()
    page.locator("#cp-target-min_age-err").wait_for()
    page.get_by_label("Từ tuổi").fill("18")
    page.get_by_label("Đến tuổi").fill("64")
    page.get_by_role("button", name="Xem trước số người nhận").click()
    reach = page.get_by_test_id("campaign-reach")
    reach.wait_for()
    assert "Sẽ gửi tới 1 người" in reach.inner_text()
    said(page, "Nhóm này gồm 1 người")
    page.get_by_label("Tiêu đề (tiếng Việt)").fill("Tuần lễ tiêm nhắc")
    page.get_by_label("Nội dung (tiếng Việt)").fill("Mời người dân từ 18 tuổi đến trạm y tế phường.")
    page.get_by_label("Tiêu đề (tiếng Anh)").fill("Booster week")
    shots(page, "dept1-campaign-preview")
    # English title without English text: said beside the text field
    page.get_by_role("button", name="Gửi tới 1 người").click()
    page.locator("#cp-body_en-err").wait_for()
    page.get_by_label("Nội dung (tiếng Anh)").fill("Residents aged 18+ are invited to their ward clinic.")
    page.get_by_role("button", name="Gửi tới 1 người").click()
    said(page, "Đã gửi thông báo tới 1 người")
    item = page.locator(".campaign-item", has_text="Tuần lễ tiêm nhắc")
    item.wait_for()
    item.get_by_text("Đã gửi xong").wait_for()
    page.wait_for_function("""() => {
      const dd = [...document.querySelectorAll('.campaign-item dl.figures dd')];
      return dd.length && dd.every((x) => x.textContent.trim() !== '—');
    }""")
    assert item.locator("dl.figures").inner_text().count("\n") >= 6
    shots(page, "dept2-campaign-sent")

    # 2. safety figures: the tables, the dose counted by vaccine, lot, site and week
    open_tool(page, "Số liệu an toàn vắc xin")
    for name in ("Theo vắc xin", "Theo lô", "Theo điểm tiêm", "Theo tuần"):
        page.get_by_role("heading", name=name, level=2).wait_for()
    product = page.get_by_test_id("safety-product")
    product.wait_for()
    assert "rx-comirnaty" in product.inner_text() or "Comirnaty" in product.inner_text()
    page.get_by_test_id("safety-site").get_by_text("Trạm Y tế phường (sở)").wait_for()
    page.get_by_role("button", name="Xem số liệu").click()
    said(page, "Đã cập nhật số liệu")
    shots(page, "dept3-safety")
