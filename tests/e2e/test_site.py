"""At the vaccination site (issue 4) in Chromium: site staff sign in with a passkey, check a
citizen in by filming her personal QR with the fake camera, screen her, record the dose (she sees
it in her own dose list at once); then the network drops: a dose recorded offline waits on the
device with its Idempotency-Key behind an "n waiting to sync" banner, is replayed exactly once
when the network returns (the stock goes down once), and a queued dose the server refuses (another
tablet recorded that person meanwhile) is shown in the conflicts list, never dropped. Screens are
photographed at 360 px in Vietnamese and English (test-artifacts/e2e/4x-*.png)."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from .conftest import (PHONE_WIDTH, ROOT, _env, serve,
                       add_virtual_authenticator, write_y4m)
from .flows import fill_person, shown_qr, sign_in_with_code
from .test_booking import api_post, said, staff_with_passkey

pytestmark = pytest.mark.e2e

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
SITE_STAFF = ("0905 400 101", "+84905400101")
CITIZEN = ("0905 400 102", "+84905400102")


@pytest.fixture(scope="module")
def site_server(tmp_path_factory):
    """A server of its own with the demo data (units, COVID-19 catalogue, stock at every site)."""
    for srv in serve(tmp_path_factory.mktemp("site-instance"), ["demo", "seed"]):
        srv.flask("staff", "add", "--phone", SITE_STAFF[0], "--role", "site_staff", "--unit", "HN-HK")
        yield srv


def in_app(server, code: str) -> str:
    """Run Python with the server's app (set-up the API has no business doing: people with ID numbers)."""
    prelude = "from wsgi import app\nfrom tests.api import test_vaccination_support as S\nimport json\n"
    r = subprocess.run([sys.executable, "-c", prelude + code], cwd=ROOT, env=_env(server.instance, server.port),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def make_person(server, name):
    return json.loads(in_app(server, f"p = S.person(app, name={name!r}, province=1)\n"
                                      "print(json.dumps({k: str(v) for k, v in p.items()}))"))


def dose_count(server, person_id):
    return int(in_app(server, "from api.vaccination.models import DoseRecord\n"
                              f"print(S.count(app, DoseRecord, person_id={person_id!r}))"))


def api_get(page, path):
    return page.evaluate("""async (path) => {
      const r = await fetch('/api/v1' + path, {headers: {'Accept': 'application/json'}});
      return [r.status, await r.json()];
    }""", path)


def as_staff_from_python(page, server, path, body):
    """A POST with the staff page's session cookies from outside the browser (another tablet)."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    req = urllib.request.Request(f"{server.url}/api/v1{path}", method="POST", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Accept-Language": "en",
                                          "X-CSRF-Token": cookies["ssk_csrf"], "Idempotency-Key": str(uuid.uuid4()),
                                          "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def screen_fit(page):
    page.get_by_role("heading", name="Khám sàng lọc trước tiêm").wait_for()
    page.get_by_label("Nhiệt độ (°C)").fill("36,6")
    page.get_by_role("button", name="Lưu kết quả khám sàng lọc").click()
    page.get_by_role("heading", name="Ghi nhận mũi tiêm").wait_for()


def check_in_by_id(page, national_id, name):
    page.get_by_label("Mã QR, số CCCD hoặc số điện thoại").fill(national_id)
    page.get_by_role("button", name="Tiếp đón", exact=True).click()
    page.get_by_role("heading", name=name, level=2).wait_for()


def test_site_camera_check_in_screening_dose_offline_queue_and_conflicts(site_server, browser, camera_file, shots):
    server = site_server
    contexts = []

    def new_context(**kw):
        kw.setdefault("locale", "vi-VN")
        kw.setdefault("timezone_id", "Asia/Ho_Chi_Minh")
        ctx = browser.new_context(viewport={"width": PHONE_WIDTH[0], "height": PHONE_WIDTH[1]},
                                  device_scale_factor=2, base_url=server.url, **kw)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx

    try:
        _run(server, new_context, camera_file, shots)
    finally:
        for c in contexts:
            c.close()


def _run(server, new_context, camera_file, shots):
    today = datetime.now(HANOI).date()

    # the citizen: a profile in Hà Nội and her personal QR on the home screen
    citizen = new_context().new_page()
    add_virtual_authenticator(citizen)
    sign_in_with_code(citizen, server, *CITIZEN)
    citizen.get_by_role("heading", name="Tạo hồ sơ của bạn").wait_for()
    fill_person(citizen, name="Lê Thị Thu", dob="1985-06-15", sex="Nữ", province="Hà Nội")
    citizen.get_by_role("button", name="Tạo hồ sơ").click()
    citizen.get_by_role("heading", name="Thêm khóa truy cập").wait_for()
    citizen.goto("/#/")
    citizen.get_by_role("heading", name="Mã QR của tôi").wait_for()
    qr_text, citizen_id = shown_qr(citizen)
    qr_png = citizen.locator("#qr-img").screenshot()

    # site staff with a passkey; today's session at the site (set-up through the API)
    staff = staff_with_passkey(new_context, server, SITE_STAFF)
    status, sites = api_get(staff, "/org-units")
    site = next(u for u in sites if u["code"] == "HN-HK")
    status, body = api_post(staff, "/vaccination-sessions", {
        "site_id": site["id"], "product_code": "pfizer-biontech", "day": today.isoformat(), "start_time": "00:00",
        "end_time": "23:59", "capacity": 50, "hourly_slots": False, "note": "e2e"})
    assert status == 201, body

    # 1. the Work hub → check-in and vaccination; the citizen's QR through the fake camera
    staff.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Công việc").click()
    staff.get_by_role("link", name="Tiếp đón và tiêm").click()
    staff.get_by_role("heading", name="Tiếp đón và tiêm", level=1).wait_for()
    staff.locator("#dose-lot, #ci-h").first.wait_for()
    shots(staff, "40-site-visit-empty")
    write_y4m(camera_file, qr_png)
    staff.get_by_role("button", name="Quét bằng camera").click()
    staff.get_by_role("heading", name="Lê Thị Thu", level=2).wait_for(timeout=25_000)
    staff.get_by_text("Mũi tiếp theo đề xuất").wait_for()
    shots(staff, "41-site-visit-checked-in")

    # 2. screening: vaccinate now → 3. the dose from the site's own stock
    screen_fit(staff)
    assert "FP01001" in staff.get_by_label("Vắc xin và lô (kho của điểm tiêm)").inner_text()
    staff.get_by_text("Mũi thứ 1 (theo máy chủ)").wait_for()
    shots(staff, "42-site-dose-form")
    staff.get_by_role("button", name="Lưu mũi tiêm").click()
    staff.locator("#dose-done").wait_for()
    said(staff, "Đã ghi nhận mũi 1")
    status, doses = api_get(citizen, f"/people/{citizen_id}/doses")
    assert status == 200, doses
    assert [(d["dose_number"], d["lot_number"], d["status"]) for d in doses["doses"]] == [(1, "FP01001", "valid")]

    # 4. observation: a live countdown
    staff.locator(".subnav").get_by_role("link", name="Theo dõi sau tiêm").click()
    staff.get_by_role("heading", name="Theo dõi sau tiêm", level=1).wait_for()
    staff.get_by_role("heading", name="Lê Thị Thu", level=3).wait_for()
    first = staff.locator(".countdown").first.inner_text()
    staff.wait_for_timeout(1500)
    assert staff.locator(".countdown").first.inner_text() != first, "the countdown does not move"
    shots(staff, "43-site-observation")

    # 5. stock
    staff.locator(".subnav").get_by_role("link", name="Kho vắc xin").click()
    staff.get_by_role("heading", name="Kho vắc xin", level=1).wait_for()
    staff.get_by_role("heading", name="Các lô").wait_for()
    shots(staff, "44-site-stock")

    # 6. poor connectivity: two people checked in and screened while online…
    b = make_person(server, "Trần Văn Bình")
    c = make_person(server, "Đỗ Thị Cúc")
    staff.locator(".subnav").get_by_role("link", name="Tiếp đón và tiêm").click()
    staff.get_by_role("heading", name="Tiếp đón và tiêm", level=1).wait_for()
    staff.wait_for_function("navigator.serviceWorker.controller !== null")
    other = staff.context.new_page()  # a second tab of the same tablet for C
    other.goto("/#/site/visit")
    other.get_by_role("heading", name="Tiếp đón và tiêm", level=1).wait_for()
    check_in_by_id(other, c["national_id"], c["full_name"])
    screen_fit(other)
    check_in_by_id(staff, b["national_id"], b["full_name"])
    screen_fit(staff)
    _, stock = api_get(staff, f"/units/{site['id']}/stock")
    before = next(lot["balance"] for lot in stock["lots"] if lot["lot_number"] == "FP01001")

    # …then the network drops: both doses wait on the device
    staff.context.set_offline(True)
    staff.get_by_role("button", name="Lưu mũi tiêm").click()
    staff.locator("#dose-queued").wait_for()
    staff.get_by_text("1 mục chờ đồng bộ").wait_for()
    other.get_by_role("button", name="Lưu mũi tiêm").click()
    other.locator("#dose-queued").wait_for()
    other.get_by_text("2 mục chờ đồng bộ").wait_for()
    other.close()
    staff.locator(".subnav").get_by_role("link", name="Kho vắc xin").click()  # the count follows the tablet
    staff.get_by_text("2 mục chờ đồng bộ").wait_for()
    staff.locator(".subnav").get_by_role("link", name="Tiếp đón và tiêm").click()
    staff.get_by_text("2 mục chờ đồng bộ").wait_for()
    shots(staff, "45-site-offline-queued")
    # meanwhile another tablet records C's dose (the server's answer to the queued one will be 409)
    status, visit_c = as_staff_from_python(staff, server, "/visits", {"site_id": site["id"], "national_id": c["national_id"]})
    assert status == 200, visit_c
    lot_id = next(lot["id"] for lot in stock["lots"] if lot["lot_number"] == "FP01001")
    status, rec = as_staff_from_python(staff, server, f"/visits/{visit_c['id']}/doses", {"lot_id": lot_id})
    assert status == 201, rec
    assert dose_count(server, b["id"]) == 0

    # the network returns: B synced once, C's refusal in the conflicts list with the server's words
    staff.context.set_offline(False)
    staff.get_by_role("heading", name="Máy chủ không chấp nhận (1)").wait_for()
    staff.wait_for_function("!document.getElementById('queue-banner')")
    assert "This dose is already recorded" in staff.locator("#conflicts").inner_text() or \
        "đã được ghi nhận" in staff.locator("#conflicts").inner_text()
    assert dose_count(server, b["id"]) == 1
    assert dose_count(server, c["id"]) == 1
    _, stock = api_get(staff, f"/units/{site['id']}/stock")
    after = next(lot["balance"] for lot in stock["lots"] if lot["lot_number"] == "FP01001")
    assert after == before - 2  # B's queued dose once, C's by the other tablet once; the refused replay not at all
    staff.reload()  # the conflict is kept on the device until dealt with
    staff.get_by_role("heading", name="Máy chủ không chấp nhận (1)").wait_for()
    shots(staff, "46-site-conflict")
    staff.get_by_role("button", name="Đã xử lý").click()
    staff.locator("#conflicts").wait_for(state="detached")
