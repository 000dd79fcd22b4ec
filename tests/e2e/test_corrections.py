"""Dose-record corrections, backfills and CSV imports in Chromium. A site staff member enters a dose
from a citizen's paper card and may not approve it herself (the problem is shown); a colleague
approves it and the citizen sees it in her doses. The citizen asks for a correction of its lot
number with a photo (a file that is not a photo is refused, and said); staff see the photo and
approve; the citizen sees the new value and the dose's history with the old one. A CSV with one bad
row is refused whole with the row's reason (the server's, in Vietnamese; nothing imported); the fixed
file waits for a second person, who finds it in the list of imports waiting for approval and
approves it, and it counts. Screens are photographed at 360 px in Vietnamese and English
(test-artifacts/e2e/rec*-*.png)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from .conftest import (PHONE_WIDTH, serve,
                       add_virtual_authenticator)
from .flows import fill_person, sign_in_with_code
from .test_booking import open_tool, said, staff_with_passkey
from .test_site import api_get

pytestmark = pytest.mark.e2e

STAFF_A = ("0905 600 101", "+84905600101")  # site staff at Hoàn Kiếm (Hà Nội)
STAFF_B = ("0905 600 102", "+84905600102")  # Hà Nội health department: the second person
CITIZEN = ("0905 600 103", "+84905600103")
CITIZEN_ID = "001185004321"  # Hà Nội (001), a woman born in the 1900s (1), 1985
PFIZER = "Pfizer-BioNTech (Comirnaty)"


@pytest.fixture(scope="module")
def records_server(tmp_path_factory):
    """A server of its own with the demo data (units, the COVID-19 catalogue) and two staff members."""
    for srv in serve(tmp_path_factory.mktemp("records-instance"), ["demo", "seed"]):
        srv.flask("staff", "add", "--phone", STAFF_A[0], "--role", "site_staff", "--unit", "HN-HK")
        srv.flask("staff", "add", "--phone", STAFF_B[0], "--role", "department_staff", "--unit", "P01")
        yield srv


@pytest.fixture
def phone_contexts(browser, records_server):
    made = []

    def make(**kw):
        kw.setdefault("locale", "vi-VN")
        kw.setdefault("timezone_id", "Asia/Ho_Chi_Minh")
        ctx = browser.new_context(viewport={"width": PHONE_WIDTH[0], "height": PHONE_WIDTH[1]},
                                  device_scale_factor=2, base_url=records_server.url, **kw)
        ctx.set_default_timeout(15_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def card_photo() -> bytes:
    """A small PNG standing in for the photo of a paper vaccination card."""
    img = Image.new("RGB", (120, 80), (245, 240, 225))
    for x in range(10, 110):
        img.putpixel((x, 40), (20, 20, 120))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def doses_of(page, person_id):
    status, body = api_get(page, f"/people/{person_id}/doses")
    assert status == 200, body
    return body["doses"]


def no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "wider than the phone"


def test_backfill_correction_with_photo_and_csv_import(records_server, phone_contexts, shots):
    server = records_server

    # the citizen: a profile in Hà Nội with her ID number
    citizen = phone_contexts().new_page()
    add_virtual_authenticator(citizen)
    sign_in_with_code(citizen, server, *CITIZEN)
    citizen.get_by_role("heading", name="Tạo hồ sơ của bạn").wait_for()
    fill_person(citizen, name="Lê Thị Thu", dob="1985-06-15", sex="Nữ", province="Hà Nội", national_id=CITIZEN_ID)
    citizen.get_by_role("button", name="Tạo hồ sơ").click()
    citizen.get_by_role("heading", name="Thêm khóa truy cập").wait_for()
    status, people = api_get(citizen, "/people")
    assert status == 200, people
    person_id = people[0]["id"]
    assert doses_of(citizen, person_id) == []

    # 1. staff A enters a dose from the paper card (Work → Doses from paper cards)
    a = staff_with_passkey(phone_contexts, server, STAFF_A)
    open_tool(a, "Bổ sung mũi tiêm từ phiếu giấy")
    a.get_by_label("Số CCCD, số điện thoại hoặc mã QR cá nhân").fill(CITIZEN_ID)
    a.get_by_role("button", name="Tra cứu", exact=True).click()
    a.get_by_role("heading", name="Lê Thị Thu", level=3, exact=True).wait_for()
    a.locator("#bf-product_code").select_option(label=PFIZER)
    a.get_by_label("Ngày tiêm").fill("2021-08-10")
    a.get_by_label("Số lô").fill("FA1234")
    a.get_by_label("Nơi tiêm ghi trên phiếu").fill("Trạm Y tế phường Hàng Bạc")
    a.get_by_role("button", name="Nhập mũi tiêm để chờ duyệt").click()
    said(a, "Đã nhập cho Lê Thị Thu")
    card = a.locator("li.backfill", has_text="Lê Thị Thu")
    card.get_by_text("do bạn nhập").wait_for()
    assert doses_of(citizen, person_id)[0]["status"] == "pending_approval"
    # the one who entered it may not approve it: the API's problem is shown on the card
    card.get_by_role("button", name="Duyệt: công nhận mũi tiêm").click()
    card.get_by_role("heading", name="Cần một người thứ hai phê duyệt yêu cầu của bạn").wait_for()
    card.locator(".problem").get_by_text("Bạn đã nhập mũi tiêm này; cần người khác phê duyệt.").wait_for()
    assert doses_of(citizen, person_id)[0]["status"] == "pending_approval"
    no_horizontal_scroll(a)
    shots(a, "rec1-backfill-second-person")

    # 2. staff B (the province's health department) approves it
    b = staff_with_passkey(phone_contexts, server, STAFF_B)
    open_tool(b, "Bổ sung mũi tiêm từ phiếu giấy")
    card_b = b.locator("li.backfill", has_text="Lê Thị Thu")
    card_b.get_by_text("FA1234").wait_for()
    card_b.get_by_role("button", name="Duyệt: công nhận mũi tiêm").click()
    said(b, "Đã duyệt: mũi tiêm của Lê Thị Thu đã được công nhận.")
    b.get_by_text("Không có mũi tiêm nào chờ phê duyệt.").wait_for()
    [dose] = doses_of(citizen, person_id)
    assert (dose["status"], dose["dose_number"], dose["lot_number"]) == ("valid", 1, "FA1234")

    # 3. the citizen sees it among her doses and asks to correct its lot number, with a photo
    citizen.goto("/#/")
    citizen.get_by_role("link", name="Mũi tiêm của tôi / Bạn thấy thế nào?").click()
    citizen.get_by_role("heading", name="Mũi tiêm và phản ứng").wait_for()
    citizen.locator("li.dose", has_text="Pfizer").wait_for()
    citizen.get_by_role("link", name="Báo sai mũi Pfizer-BioNTech (Comirnaty)").click()
    citizen.get_by_role("heading", name="Sửa thông tin sổ tiêm", level=1).wait_for()
    # the dose chosen from its card, its values shown
    citizen.wait_for_function("document.getElementById('cr-lot_number')?.value === 'FA1234'")
    citizen.get_by_label("Số lô").fill("FA1243")
    citizen.get_by_label("Nội dung cần sửa").fill("Số lô trên phiếu tiêm giấy là FA1243.")
    # a file that is not a photo: the server refuses it and the problem is said and shown
    citizen.get_by_label("Ảnh phiếu tiêm giấy").set_input_files(
        files=[{"name": "phieu.png", "mimeType": "image/png", "buffer": b"not a picture at all"}])
    citizen.get_by_role("button", name="Gửi yêu cầu").click()
    citizen.get_by_role("heading", name="Minh chứng phải là ảnh JPEG, PNG hoặc WebP").wait_for()
    said(citizen, "Minh chứng phải là ảnh JPEG, PNG hoặc WebP")
    citizen.get_by_label("Ảnh phiếu tiêm giấy").set_input_files(
        files=[{"name": "phieu-tiem.png", "mimeType": "image/png", "buffer": card_photo()}])
    citizen.get_by_role("img", name="Ảnh 1: phieu-tiem.png").wait_for()
    citizen.get_by_role("button", name="Gửi yêu cầu").click()
    said(citizen, "Đã gửi yêu cầu.")
    mine = citizen.locator("li.correction")
    mine.get_by_text("Đang chờ xử lý").wait_for()
    assert "FA1243" in mine.inner_text() and "FA1234" in mine.inner_text()
    no_horizontal_scroll(citizen)
    shots(citizen, "rec2-correction-requested")

    # 4. staff B: the queue, the request with the photo, approve with a note
    b.locator(".subnav").get_by_role("link", name="Yêu cầu sửa thông tin").click()
    b.get_by_role("heading", name="Yêu cầu sửa thông tin", level=1).wait_for()
    b.get_by_role("link", name="Lê Thị Thu").click()
    b.get_by_role("heading", name="Lê Thị Thu", level=2).wait_for()
    photo = b.get_by_role("img", name="Ảnh minh chứng 1/1")
    photo.wait_for()
    b.wait_for_function("[...document.querySelectorAll('.evidence img')].every((i) => i.complete && i.naturalWidth === 120)")
    b.get_by_text("Pfizer-BioNTech (Comirnaty) · mũi 1 · 10/08/2021").wait_for()
    no_horizontal_scroll(b)
    shots(b, "rec3-correction-review")
    b.get_by_label("Ghi chú (lý do)").fill("Khớp với ảnh phiếu tiêm.")
    b.get_by_role("button", name="Duyệt: sửa bản ghi").click()
    said(b, "Đã duyệt: bản ghi đã được sửa.")
    b.locator(".status-line", has_text="Đã duyệt").wait_for()
    [dose] = doses_of(citizen, person_id)
    assert (dose["lot_number"], dose["status"]) == ("FA1243", "corrected")

    # 5. the citizen: the decision, then the dose's history with the old value
    citizen.reload()
    mine = citizen.locator("li.correction")
    mine.get_by_text("Đã duyệt", exact=True).wait_for()
    mine.get_by_text("Khớp với ảnh phiếu tiêm.").wait_for()
    mine.get_by_role("link", name="Lịch sử mũi tiêm này").click()
    citizen.get_by_role("heading", name="Lịch sử bản ghi mũi tiêm").wait_for()
    change = citizen.locator("li.change", has_text="Đã sửa")
    change.wait_for()
    assert change.locator("td.old", has_text="FA1234").count() == 1
    assert change.locator("td.new", has_text="FA1243").count() == 1
    citizen.get_by_role("heading", name="Người thứ hai đã phê duyệt").wait_for()  # the backfill's approval is history too
    no_horizontal_scroll(citizen)
    shots(citizen, "rec4-dose-history")

    # personal details too, from the profile; staff must say why they reject, and the citizen reads it
    citizen.goto(f"/#/people/{person_id}")
    citizen.get_by_role("link", name="Yêu cầu sửa thông tin này (kèm ảnh)").click()
    citizen.get_by_role("heading", name="Sửa thông tin sổ tiêm", level=1).wait_for()
    citizen.get_by_label("Họ và tên").fill("Lê Thị Thủy")
    citizen.get_by_label("Nội dung cần sửa").fill("Tên đúng là Thủy.")
    citizen.get_by_label("Ảnh phiếu tiêm giấy").set_input_files(
        files=[{"name": "cccd.png", "mimeType": "image/png", "buffer": card_photo()}])
    citizen.get_by_role("button", name="Gửi yêu cầu").click()
    said(citizen, "Đã gửi yêu cầu.")
    b.goto("/#/work/corrections")
    b.get_by_role("link", name="Lê Thị Thu").click()
    b.get_by_role("cell", name="Lê Thị Thủy").wait_for()
    b.get_by_role("button", name="Từ chối").click()
    b.get_by_text("Hãy nêu lý do từ chối (ít nhất 3 ký tự).").wait_for()  # at the field, focused
    b.wait_for_function("document.activeElement?.id === 'cd-note'")
    b.get_by_label("Ghi chú (lý do)").fill("Ảnh thẻ CCCD ghi Lê Thị Thu.")
    b.get_by_role("button", name="Từ chối").click()
    said(b, "Đã từ chối: bản ghi không thay đổi.")
    citizen.reload()
    rejected = citizen.locator("li.correction", has_text="Thông tin cá nhân")
    rejected.get_by_text("Bị từ chối").wait_for()
    rejected.get_by_text("Ảnh thẻ CCCD ghi Lê Thị Thu.").wait_for()
    status, me = api_get(citizen, f"/people/{person_id}")
    assert me["full_name"] == "Lê Thị Thu"

    # 6. staff A imports a CSV with one bad row: refused whole, the row's reason shown
    header = "national_id,date_of_birth,product_code,administered_on,lot_number,dose_number,site_name\n"
    good = f"{CITIZEN_ID},15/06/1985,pfizer-biontech,2021-09-07,FB5678,2,Trạm Y tế phường Hàng Bạc\n"
    bad = f"{CITIZEN_ID},15/06/1985,vaccine-x,2021-10-01,ZZ1,3,Trạm Y tế phường Hàng Bạc\n"
    a.locator(".subnav").get_by_role("link", name="Nhập dữ liệu mũi tiêm cũ (CSV)").click()
    a.get_by_role("heading", name="Nhập dữ liệu mũi tiêm cũ (CSV)", level=1).wait_for()
    for column in ("national_id", "person_id", "date_of_birth", "product_code", "administered_on", "lot_number",
                   "dose_number", "site_code", "site_name"):
        a.locator("table.columns code", has_text=column).first.wait_for()
    a.get_by_label("Tệp CSV").set_input_files(
        files=[{"name": "mui-tiem-cu.csv", "mimeType": "text/csv", "buffer": (header + good + bad).encode()}])
    a.get_by_role("button", name="Kiểm tra và tải lên").click()
    a.get_by_role("heading", name="Một số dòng của tệp không hợp lệ: chưa nhập dòng nào").wait_for()
    report = a.locator("#imp-report")
    report.get_by_text("Dòng hợp lệ: 1. Dòng sai: 1.").wait_for()
    row = report.locator("tbody tr")
    assert row.count() == 1
    assert row.locator("th").inner_text() == "3"
    assert "product_code" in row.inner_text() and "Mã vắc xin không tồn tại." in row.inner_text()
    assert row.locator("[data-code=product_unknown]").count() == 1  # the server's reason code
    assert len(doses_of(citizen, person_id)) == 1, "a refused file imported something"
    no_horizontal_scroll(a)
    shots(a, "rec5-import-refused")

    # the fixed file: accepted, waiting for a second person; its uploader may not approve it
    a.get_by_label("Tệp CSV").set_input_files(
        files=[{"name": "mui-tiem-cu.csv", "mimeType": "text/csv", "buffer": (header + good).encode()}])
    a.get_by_role("button", name="Kiểm tra và tải lên").click()
    a.get_by_role("heading", name="Tất cả các dòng đều hợp lệ (1)").wait_for()
    code = a.locator("#imp-ok code").inner_text().strip()
    assert [d["status"] for d in doses_of(citizen, person_id)] == ["corrected", "pending_approval"]
    a.get_by_role("link", name="Mở lần nhập này").click()
    a.get_by_role("heading", name="Lần nhập mũi tiêm cũ", level=1).wait_for()
    a.get_by_role("button", name="Duyệt lần nhập").click()
    a.get_by_role("heading", name="Cần một người thứ hai phê duyệt yêu cầu của bạn").wait_for()
    a.locator("#imp-d-problem").get_by_text("Bạn đã tải tệp này lên; cần người khác phê duyệt.").wait_for()

    # staff B finds it in the list of imports waiting for approval, opens it and approves it
    open_tool(b, "Nhập dữ liệu mũi tiêm cũ (CSV)")
    b.get_by_role("heading", name="Lần nhập: Chờ người thứ hai duyệt", level=2).wait_for()
    waiting = b.locator("#imp-list a.row")
    waiting.first.wait_for()
    assert waiting.count() == 1
    assert "mui-tiem-cu.csv" in waiting.inner_text() and "Trạm Y tế phường Hoàn Kiếm" in waiting.inner_text()
    assert "1 dòng" in waiting.inner_text()
    no_horizontal_scroll(b)
    shots(b, "rec6-import-list")
    waiting.click()
    b.get_by_role("heading", name="Lần nhập mũi tiêm cũ", level=1).wait_for()
    b.locator("code.code", has_text=code).wait_for()
    b.locator(".import-doses li", has_text="FB5678").wait_for()
    no_horizontal_scroll(b)
    shots(b, "rec6-import-review")
    b.get_by_role("button", name="Duyệt lần nhập").click()
    said(b, "Đã duyệt lần nhập: 1 mũi tiêm đã được công nhận.")
    b.locator(".status-line", has_text="Đã duyệt").wait_for()
    # nothing waits any more; a decided import still opens by its code
    b.get_by_role("link", name="Nhập dữ liệu mũi tiêm cũ (CSV)").last.click()
    b.get_by_text("Không có lần nhập nào.").wait_for()
    b.get_by_label("Mã lần nhập").fill(code)
    b.get_by_role("button", name="Mở", exact=True).click()
    b.locator(".status-line", has_text="Đã duyệt").wait_for()
    doses = doses_of(citizen, person_id)
    assert [(d["lot_number"], d["status"], d["dose_number"]) for d in doses] == [
        ("FA1243", "corrected", 1), ("FB5678", "valid", 2)]
    citizen.goto(f"/#/doses?person={person_id}")
    citizen.get_by_role("heading", name="Mũi tiêm và phản ứng").wait_for()
    citizen.get_by_role("link", name="Lịch sử mũi Pfizer-BioNTech (Comirnaty) ngày 07/09/2021").wait_for()
    assert citizen.locator("li.dose").count() == 2
