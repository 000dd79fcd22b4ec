"""Registration, allocation and booking end to end in Chromium (issue 3), for every role.

A national administrator adds a dose-rule version; department staff add a vaccination site,
approve two registrations and allocate them to it; site staff open sessions there; the citizen
registers herself and her child, finds a session by her position, books, confirms, downloads the
.ics, moves and cancels the appointment; the child's booking is refused as too young and the
page says so. Staff sign in with a passkey (the virtual authenticator). Every new screen is
photographed at 360 px in Vietnamese and English (test-artifacts/e2e/3x-*.png)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .conftest import add_virtual_authenticator
from .flows import fill_person, passkey_sign_in, sign_in_with_code, sign_out

pytestmark = pytest.mark.e2e

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
ADMIN = ("0905 100 201", "+84905100201")
DEPT = ("0905 100 202", "+84905100202")
SITE = ("0905 100 203", "+84905100203")
CITIZEN = ("0905 100 204", "+84905100204")
PRODUCT = {"code": "bk-comirnaty", "name_vi": "Comirnaty (thử nghiệm đặt lịch)",
           "name_en": "Comirnaty (booking test)", "doses_in_primary_series": 2, "cvx": "208"}
SITE_NAME = "Trạm Y tế Hải Châu (đặt lịch)"
SITE_AT = (16.0610, 108.2240)
CITIZEN_AT = {"latitude": 16.0650, "longitude": 108.2200}  # about 0.6 km from the site

@pytest.fixture(scope="module")
def booking_server(server):
    for args in (["--code", "BK-VN", "--name", "Bộ Y tế (đặt lịch)", "--kind", "national"],
                 ["--code", "BK-P48", "--name", "Sở Y tế Đà Nẵng (đặt lịch)", "--kind", "province",
                  "--parent", "BK-VN", "--province", "48"],
                 ["--code", "BK-P48-TT", "--name", "Trung tâm Y tế Hải Châu", "--kind", "health_centre",
                  "--parent", "BK-P48"]):
        server.flask("units", "add", *args)
    server.flask("staff", "add", "--phone", ADMIN[0], "--role", "national_admin", "--unit", "BK-VN")
    server.flask("staff", "add", "--phone", DEPT[0], "--role", "department_staff", "--unit", "BK-P48")
    return server


def staff_with_passkey(new_context, server, phone):
    """A staff member: sign in with a code, add a passkey, sign back in with it (staff roles need one)."""
    page = new_context().new_page()
    add_virtual_authenticator(page)
    sign_in_with_code(page, server, *phone)
    page.get_by_role("heading", name="Tra cứu người dân").wait_for()
    page.get_by_role("link", name="Thêm khóa truy cập").click()
    page.get_by_role("heading", name="Bảo mật").wait_for()
    page.get_by_role("button", name="Thêm khóa truy cập").click()
    page.get_by_text("Đã thêm khóa truy cập.").wait_for()
    sign_out(page)
    passkey_sign_in(page)
    page.get_by_role("heading", name="Tra cứu người dân").wait_for()
    return page


def open_tool(page, name):
    """The Work tab, then one of its tools (keyboard users reach it the same way)."""
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Công việc").click()
    page.get_by_role("heading", name="Công việc").wait_for()
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", name=name, level=1).wait_for()


def said(page, text):
    """Wait for a message in a live region (status or alert) that screen readers announce."""
    page.locator(".live .notice", has_text=text).first.wait_for()


def api_post(page, path, body):
    """A POST from inside the signed-in page, with its CSRF token (test set-up only)."""
    return page.evaluate("""async ([path, body]) => {
      const csrf = decodeURIComponent(document.cookie.match(/(?:^|; )ssk_csrf=([^;]+)/)[1]);
      const r = await fetch('/api/v1' + path, {method: 'POST', body: JSON.stringify(body), headers: {
        'Content-Type': 'application/json', 'X-CSRF-Token': csrf, 'Idempotency-Key': crypto.randomUUID()}});
      return [r.status, await r.json()];
    }""", [path, body])


def download_text(page, link_name):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    dl = info.value
    with open(dl.path(), encoding="utf-8") as f:
        return dl.suggested_filename, f.read()


def test_register_approve_allocate_open_book_move_cancel_and_an_ineligible_child(booking_server, new_context, shots):
    server = booking_server
    today = datetime.now(HANOI).date()
    tomorrow, later = today + timedelta(days=1), today + timedelta(days=5)

    # 1. national admin: a product (set-up through the API), then a dose-rule version in the app
    admin = staff_with_passkey(new_context, server, ADMIN)
    status, body = api_post(admin, "/vaccine-products", PRODUCT)
    assert status == 201, body
    open_tool(admin, "Danh mục vắc xin")
    admin.get_by_role("heading", name=PRODUCT["name_vi"]).wait_for()
    admin.locator("#rf-product_code").select_option(label=PRODUCT["name_vi"])
    admin.locator("#rf-dose").select_option(label="mũi 1")
    admin.get_by_label("Ngày hiệu lực").fill("2021-01-01")
    admin.locator("#rf-min_age_days").fill("6574")  # 18 years
    admin.get_by_label("Căn cứ").fill("Thử nghiệm e2e")
    admin.get_by_role("button", name="Thêm phiên bản").click()
    said(admin, "Đã thêm quy định")
    card = admin.locator("li.product", has=admin.get_by_role("heading", name=PRODUCT["name_vi"]))
    card.get_by_text("Quy định mũi tiêm (1 phiên bản)").click()
    card.get_by_text("Từ 01/01/2021").wait_for()
    # the same start date again: the server's 409 is said above the button and in the alert region
    admin.locator("#rf-product_code").select_option(label=PRODUCT["name_vi"])
    admin.get_by_label("Ngày hiệu lực").fill("2021-01-01")
    admin.get_by_role("button", name="Thêm phiên bản").click()
    admin.locator("#form-error").wait_for()
    shots(admin, "30-admin-vaccines")

    # 2. department staff: the Work hub, then a new vaccination site with coordinates
    dept = staff_with_passkey(new_context, server, DEPT)
    dept.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Công việc").click()
    dept.get_by_role("link", name="Hàng chờ đăng ký").wait_for()
    shots(dept, "31-work")
    dept.get_by_role("link", name="Đơn vị và điểm tiêm").click()
    dept.get_by_role("heading", name="Đơn vị và điểm tiêm", level=1).wait_for()
    dept.get_by_label("Thuộc đơn vị").select_option(label="Trung tâm Y tế Hải Châu · Trung tâm y tế")
    dept.get_by_label("Mã đơn vị").fill("bk hc 1")  # a space: the server says so beside the field
    dept.get_by_label("Tên", exact=True).fill(SITE_NAME)
    dept.wait_for_function("!document.getElementById('ua-ward_code').disabled")
    dept.get_by_label("Phường/Xã").select_option(label="Phường Hải Châu")
    dept.get_by_label("Vĩ độ").fill(str(SITE_AT[0]))
    dept.get_by_label("Kinh độ").fill(str(SITE_AT[1]))
    dept.get_by_label("Số mũi tiêm mỗi ngày").fill("200")
    dept.get_by_role("button", name="Thêm đơn vị").click()
    dept.locator("#ua-code-err").wait_for()
    assert dept.get_by_label("Mã đơn vị").get_attribute("aria-invalid") == "true"
    dept.wait_for_function("document.activeElement.id === \'ua-code\'")  # focus moved to the field
    shots(dept, "32-units-error")
    dept.get_by_label("Mã đơn vị").fill("BK-HC1")
    dept.get_by_role("button", name="Thêm đơn vị").click()
    said(dept, f"Đã thêm {SITE_NAME} (BK-HC1).")
    dept.locator(".tree .unit-site", has_text=SITE_NAME).get_by_text("16.0610, 108.2240").wait_for()
    shots(dept, "33-units")
    server.flask("staff", "add", "--phone", SITE[0], "--role", "site_staff", "--unit", "BK-HC1")

    # 3. the citizen: a profile in Đà Nẵng, a child, and a registration for each
    citizen = new_context(geolocation=CITIZEN_AT, permissions=["geolocation"]).new_page()
    sign_in_with_code(citizen, server, *CITIZEN)
    citizen.get_by_role("heading", name="Tạo hồ sơ của bạn").wait_for()
    fill_person(citizen, name="Hoàng Thị Mai", dob="1988-04-12", sex="Nữ", province="Đà Nẵng")
    citizen.get_by_role("button", name="Tạo hồ sơ").click()
    citizen.get_by_role("link", name="Để sau").click()
    citizen.goto("/#/dependants/new")
    fill_person(citizen, name="Hoàng Minh Khôi", dob="2019-09-09", sex="Nam", province="Đà Nẵng", relationship="Con")
    citizen.get_by_role("button", name="Thêm", exact=True).click()
    citizen.get_by_role("heading", name="Hoàng Minh Khôi").wait_for()
    child_id = citizen.evaluate("location.hash").split("/people/")[1]

    citizen.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Tiêm chủng").click()
    citizen.get_by_role("heading", name="Tiêm chủng", level=1).wait_for()
    citizen.get_by_text("Chưa đăng ký tiêm chủng.").wait_for()
    citizen.get_by_role("button", name="Gửi đăng ký").click()  # no group: said beside the field
    citizen.locator("#rg-priority_group-err").wait_for()
    citizen.wait_for_function("document.activeElement.id === \'rg-priority_group\'")  # focus moved to the field
    shots(citizen, "34-vax-register")
    citizen.get_by_label("Nhóm ưu tiên").select_option(label="Người dân khác từ 18 tuổi trở lên")
    assert "Đà Nẵng" in citizen.locator("#rg-preferred_province_code option:checked").inner_text()
    citizen.get_by_role("button", name="Gửi đăng ký").click()
    said(citizen, "Đã gửi đăng ký tiêm chủng cho Hoàng Thị Mai.")
    citizen.locator(".reg-card .badge", has_text="Chờ duyệt").wait_for()
    shots(citizen, "35-vax-submitted")

    citizen.get_by_label("Cho ai").select_option(label="Hoàng Minh Khôi")
    citizen.get_by_role("heading", name="Tiêm chủng: Hoàng Minh Khôi").wait_for()
    citizen.get_by_label("Nhóm ưu tiên").select_option(label="Người sinh sống tại vùng có dịch")
    citizen.get_by_role("button", name="Gửi đăng ký").click()
    said(citizen, "Đã gửi đăng ký tiêm chủng cho Hoàng Minh Khôi.")

    # 4. department staff: the queue, a rejection needs a reason, approve both, allocate both
    dept.goto("/#/dept/queue")
    dept.get_by_role("heading", name="Hàng chờ đăng ký", level=1).wait_for()
    dept.get_by_role("checkbox", name="Hoàng Thị Mai").wait_for()
    dept.get_by_role("checkbox", name="Hoàng Minh Khôi").wait_for()
    dept.get_by_role("checkbox", name="Chọn tất cả trên trang này (2)").check()
    dept.get_by_role("button", name="Từ chối 2 đăng ký").click()
    dept.locator("#qa-reason-err").wait_for()
    dept.wait_for_function("document.activeElement.id === \'qa-reason\'")  # focus moved to the field
    shots(dept, "36-queue")
    dept.get_by_role("button", name="Duyệt 2 đăng ký").click()
    said(dept, "Đã duyệt 2 đăng ký.")
    dept.get_by_text("Không có đăng ký nào khớp bộ lọc.").wait_for()
    dept.get_by_label("Trạng thái").select_option(label="Đã duyệt")
    dept.get_by_role("button", name="Lọc").click()
    dept.get_by_role("checkbox", name="Hoàng Thị Mai").check()
    dept.get_by_role("checkbox", name="Hoàng Minh Khôi").check()
    dept.get_by_label("Phân bổ về").select_option(label=f"{SITE_NAME} (BK-HC1) · Điểm tiêm")
    dept.get_by_role("button", name="Phân bổ 2 đăng ký").click()
    said(dept, "Đã phân bổ 2 đăng ký.")
    dept.locator("#qa-result").get_by_text("Đã phân bổ 2 đăng ký.").wait_for()
    shots(dept, "37-queue-allocated")

    # 5. site staff: a session tomorrow in hourly slots and a small one in five days
    site = staff_with_passkey(new_context, server, SITE)
    open_tool(site, "Buổi tiêm tại điểm tiêm")
    site.get_by_text("Chưa có buổi tiêm nào sắp tới").wait_for()
    site.get_by_label("Vắc xin").select_option(label=PRODUCT["name_vi"])
    site.get_by_label("Ngày").fill((today - timedelta(days=1)).isoformat())  # the server refuses a past day
    site.get_by_role("button", name="Mở buổi tiêm").click()
    site.locator("#so-day-err").wait_for()
    assert site.get_by_label("Ngày").get_attribute("aria-invalid") == "true"
    shots(site, "38-site-error")
    site.get_by_label("Ngày").fill(tomorrow.isoformat())
    site.get_by_label("Số chỗ").fill("40")
    site.get_by_role("button", name="Mở buổi tiêm").click()
    said(site, "Đã mở buổi tiêm")
    site.get_by_label("Ngày").fill(later.isoformat())
    site.get_by_label("Bắt đầu").fill("13:30")
    site.get_by_label("Kết thúc").fill("16:30")
    site.get_by_label("Số chỗ").fill("10")
    site.get_by_label("Chia thành từng khung 1 giờ").uncheck()
    site.get_by_role("button", name="Mở buổi tiêm").click()
    said(site, "(1 khung giờ)")
    site.get_by_text("Đã đặt 0/10").wait_for()
    site.get_by_text("Đã đặt 0/40").wait_for()

    # 6. the citizen: allocated (with the history), sessions near her, book the later one
    citizen.get_by_label("Cho ai").select_option(label="Hoàng Thị Mai (Bản thân)")
    citizen.get_by_role("heading", name="Tiêm chủng", level=1).wait_for()
    citizen.locator(".reg-card .badge", has_text="Đã phân bổ điểm tiêm").wait_for()
    assert citizen.locator(".timeline li").count() == 3
    shots(citizen, "39-vax-allocated")
    citizen.get_by_role("link", name="Tìm buổi tiêm và đặt lịch").click()
    citizen.get_by_role("heading", name="Tìm buổi tiêm", level=1).wait_for()
    citizen.get_by_role("heading", name="2 buổi tiêm còn chỗ").wait_for()
    citizen.get_by_role("button", name="Tìm gần vị trí của tôi").click()
    said(citizen, "Tìm thấy 2 buổi tiêm.")
    citizen.get_by_text("Gần vị trí của bạn (trong vòng 25 km)").wait_for()
    assert re.search(r"\d+ m|\d+,\d km", citizen.locator("li.session").first.inner_text())
    shots(citizen, "40-find-near")
    later_text = later.strftime("%d/%m/%Y")
    citizen.locator("li.session", has_text=later_text).get_by_role("link").click()
    citizen.get_by_role("heading", name=SITE_NAME, level=1).wait_for()  # the list has h3s by this name
    citizen.get_by_text("✓ Hoàng Thị Mai có thể tiêm mũi 1").wait_for()
    shots(citizen, "41-session")
    citizen.get_by_role("button", name="Đặt lịch cho Hoàng Thị Mai").click()
    citizen.get_by_role("heading", name="Lịch hẹn tiêm").wait_for()
    said(citizen, "Đã đặt lịch tiêm cho Hoàng Thị Mai.")
    citizen.get_by_text("Chờ xác nhận").wait_for()  # five days ahead: it must be confirmed
    citizen.get_by_text("Hãy xác nhận trước").wait_for()
    shots(citizen, "42-booking")
    citizen.get_by_role("button", name="Xác nhận sẽ đến").click()
    said(citizen, "Đã xác nhận lịch hẹn.")
    citizen.locator(".status-line", has_text="Đã xác nhận").wait_for()
    site.reload()
    site.get_by_text("Đã đặt 1/10").wait_for()
    shots(site, "43-site-sessions")

    # the appointment as an .ics file for the phone's calendar (13:30 in Hà Nội = 06:30 UTC)
    name, ics = download_text(citizen, "Thêm vào lịch (.ics)")
    assert name.endswith(".ics")
    assert "BEGIN:VEVENT" in ics and f"DTSTART:{later:%Y%m%d}T063000Z" in ics

    # move it to tomorrow 08:30 (the second hourly slot)
    citizen.get_by_role("link", name="Đổi lịch hẹn").click()
    citizen.get_by_role("heading", name="Đổi lịch hẹn", level=1).wait_for()
    citizen.locator("li.session", has_text=tomorrow.strftime("%d/%m/%Y")).get_by_role("link").click()
    citizen.get_by_role("heading", name=SITE_NAME, level=1).wait_for()  # the list has h3s by this name
    citizen.get_by_role("radio", name=re.compile("08:30–09:30")).check()
    citizen.get_by_role("button", name="Chuyển lịch hẹn sang khung giờ này").click()
    said(citizen, "Đã đổi lịch hẹn cho Hoàng Thị Mai.")
    citizen.locator(".appt-when", has_text="08:30–09:30").wait_for()
    _, ics = download_text(citizen, "Thêm vào lịch (.ics)")
    assert f"DTSTART:{tomorrow:%Y%m%d}T013000Z" in ics

    # cancel: a second step says what happens, then the seat is free again
    citizen.get_by_role("button", name="Hủy lịch hẹn").click()
    citizen.get_by_label("Lý do hủy").fill("Bận việc gia đình")
    shots(citizen, "44-booking-cancel")
    citizen.get_by_role("button", name="Xác nhận hủy lịch hẹn").click()
    said(citizen, "Đã hủy lịch hẹn.")
    citizen.locator(".status-line", has_text="Đã hủy").wait_for()
    assert citizen.get_by_role("link", name="Thêm vào lịch (.ics)").count() == 0
    shots(citizen, "45-booking-cancelled")

    # 7. the child: no location allowed any more (falls back to the area), then too young
    citizen.context.clear_permissions()
    citizen.goto(f"/#/vaccination/sessions?person={child_id}")
    citizen.get_by_role("heading", name="2 buổi tiêm còn chỗ").wait_for()
    citizen.get_by_role("button", name="Tìm gần vị trí của tôi").click()
    citizen.locator(".live .notice.error", has_text="Bạn chưa cho phép dùng vị trí").wait_for()
    citizen.get_by_text(f"Tại {SITE_NAME}, sớm nhất trước.").wait_for()
    shots(citizen, "46-find-area")
    citizen.locator("li.session", has_text=tomorrow.strftime("%d/%m/%Y")).get_by_role("link").click()
    citizen.get_by_role("heading", name=SITE_NAME, level=1).wait_for()  # the list has h3s by this name
    citizen.locator("#elig-warning", has_text="Hoàng Minh Khôi chưa đủ tuổi").wait_for()
    citizen.get_by_role("button", name="Đặt lịch cho Hoàng Minh Khôi").click()  # no time chosen yet
    citizen.locator("#slot-err").wait_for()
    citizen.get_by_role("radio", name=re.compile("07:30–08:30")).check()
    citizen.get_by_role("button", name="Đặt lịch cho Hoàng Minh Khôi").click()
    problem = citizen.locator("#book-problem")
    problem.get_by_role("heading", name="Chưa thể tiêm mũi này").wait_for()
    problem.get_by_text(re.compile(r"Hoàng Minh Khôi chưa đủ tuổi để tiêm vắc xin này\. Có thể tiêm từ ngày \d\d/\d\d/2037\.")).wait_for()
    citizen.wait_for_function("document.activeElement.id === 'book-problem-h'")  # focus on the answer
    citizen.locator(".live .notice.error", has_text="Không thể tiêm mũi này vào ngày đó").wait_for()
    shots(citizen, "47-book-ineligible")
    bookings = citizen.evaluate(f"fetch('/api/v1/bookings?person_id={child_id}').then(r => r.json())")
    assert bookings == []
    # the booking list keeps the cancelled appointment under "past"
    citizen.goto("/#/vaccination")
    citizen.get_by_text("Lịch hẹn đã qua hoặc đã hủy (1)").click()
    citizen.locator(".past .badge", has_text="Đã hủy").wait_for()
