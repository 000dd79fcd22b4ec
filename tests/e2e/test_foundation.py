"""The foundation, end to end in a real browser against the real app (issue 2).

A citizen signs up with a code, fills the profile from a chip ID card's QR text, adds a passkey,
signs out and back in with it, adds a dependant; both QR codes shown on screen are read by an
independent decoder (zxing-cpp) and resolved by a site staff member who signed in with a passkey.
Every screen is photographed at 360 px in Vietnamese and English (test-artifacts/e2e/)."""
from __future__ import annotations

import pytest

from .conftest import add_virtual_authenticator, write_y4m
from .flows import decode_qr, fill_person, passkey_sign_in, shown_qr, sign_in_with_code, sign_out

pytestmark = pytest.mark.e2e

CITIZEN = ("0912 345 678", "+84912345678")
STAFF = ("0987 654 321", "+84987654321")
CARD_QR = "001190123456|123456789|Nguyễn Thị Lan|07031990|Nữ|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|15082021"


def test_citizen_signs_up_adds_a_dependant_and_staff_resolve_both_qr_codes(server, new_context, shots, camera_file):
    citizen = new_context().new_page()
    add_virtual_authenticator(citizen)

    # 1. sign up with a phone number and the texted code
    citizen.goto("/#/signin")
    citizen.get_by_role("heading", name="Đăng nhập hoặc đăng ký").wait_for()
    shots(citizen, "01-signin")
    citizen.get_by_role("button", name="Gửi mã").click()  # empty: the error sits beside the field
    citizen.get_by_text("Vui lòng điền mục này.").first.wait_for()
    assert citizen.get_by_label("Số điện thoại").get_attribute("aria-invalid") == "true"
    shots(citizen, "02-signin-error")
    before = server.sms_count()
    citizen.get_by_label("Số điện thoại").fill(CITIZEN[0])
    citizen.get_by_role("button", name="Gửi mã").click()
    citizen.get_by_role("heading", name="Nhập mã xác nhận").wait_for()
    shots(citizen, "03-code")
    citizen.get_by_label("Mã xác nhận").fill("000000" if server.last_code(CITIZEN[1], after=before) != "000000" else "111111")
    citizen.get_by_role("button", name="Xác nhận").click()
    citizen.locator(".field-error").first.wait_for()  # a wrong code is said beside the field
    shots(citizen, "04-code-wrong")
    citizen.get_by_label("Mã xác nhận").fill(server.last_code(CITIZEN[1], after=before))
    citizen.get_by_role("button", name="Xác nhận").click()

    # 2. the profile, prefilled from the chip card's QR text
    citizen.get_by_role("heading", name="Tạo hồ sơ của bạn").wait_for()
    shots(citizen, "05-profile-empty")
    citizen.get_by_text("Quét hoặc dán mã QR trên CCCD gắn chip").click()
    citizen.get_by_label("Nội dung mã QR trên thẻ").fill(CARD_QR)
    citizen.get_by_role("button", name="Điền vào biểu mẫu").click()
    citizen.wait_for_function("document.getElementById('pf-full_name').value === 'Nguyễn Thị Lan'")
    assert citizen.get_by_label("Ngày sinh").input_value() == "1990-03-07"
    assert citizen.get_by_label("Số định danh cá nhân (CCCD)").input_value() == "001190123456"
    assert citizen.get_by_role("radio", name="Nữ").is_checked()
    citizen.wait_for_function("!document.getElementById('pf-ward_code').disabled")
    assert citizen.get_by_label("Tỉnh/Thành phố").input_value() == "1"  # found in the card's address
    citizen.get_by_label("Phường/Xã").select_option(label="Phường Hoàn Kiếm")
    shots(citizen, "06-profile-filled")
    citizen.get_by_role("button", name="Tạo hồ sơ").click()

    # 3. the offer of a passkey, taken (the virtual authenticator says yes)
    citizen.get_by_role("heading", name="Thêm khóa truy cập").wait_for()
    shots(citizen, "07-passkey-offer")
    citizen.get_by_role("button", name="Thêm khóa truy cập").click()
    citizen.get_by_role("heading", name="Mã QR của tôi").wait_for()
    own_text, own_id = shown_qr(citizen)
    shots(citizen, "08-home")

    # 4. sign out, then back in with the passkey alone
    citizen.goto("/#/security")
    citizen.get_by_role("heading", name="Khóa truy cập").wait_for()
    citizen.locator(".list .row").first.wait_for()
    shots(citizen, "09-security")
    sign_out(citizen)
    passkey_sign_in(citizen)
    citizen.get_by_role("heading", name="Mã QR của tôi").wait_for()
    me = citizen.evaluate("fetch('/api/v1/auth/me').then(r => r.json())")
    assert me["via"] == "passkey"

    # 5. a dependant: a child without an ID card
    citizen.goto("/#/dependants/new")
    citizen.get_by_role("heading", name="Thêm người được giám hộ").wait_for()
    citizen.get_by_role("button", name="Thêm", exact=True).click()  # empty form: errors beside fields
    citizen.locator(".field-error").first.wait_for()
    shots(citizen, "10-dependant-errors")
    fill_person(citizen, name="Trần Minh An", dob="2019-05-01", sex="Nam", province="Hà Nội",
                relationship="Con", line="Số 1 Tràng Tiền")
    citizen.get_by_role("button", name="Thêm", exact=True).click()
    citizen.get_by_role("heading", name="Trần Minh An").wait_for()
    citizen.get_by_role("heading", name="Người giám hộ", exact=True).wait_for()
    citizen.locator(".list .row").first.wait_for()
    shots(citizen, "11-dependant")
    citizen.get_by_role("button", name="Xem mã QR").click()
    citizen.get_by_role("heading", name="Mã QR của Trần Minh An").wait_for()
    child_text, child_id = shown_qr(citizen)
    child_png = citizen.locator("#qr-img").screenshot()
    shots(citizen, "12-home-dependant")
    citizen.goto("/#/dependants")
    citizen.get_by_role("heading", name="Hồ sơ bạn quản lý").wait_for()
    shots(citizen, "13-people")

    # the two codes differ, are opaque (no name, no ID number), and the PNG says the same
    assert own_text != child_text and own_id != child_id
    for text in (own_text, child_text):
        assert "001190123456" not in text and "Lan" not in text and "An" not in text.split(".")[0]
    png = citizen.context.request.get(f"/api/v1/people/{child_id}/qr.png")
    assert png.ok
    assert decode_qr(png.body()) == child_text

    # 6. site staff: made by the CLI, must sign in with a passkey, then resolve both codes
    server.flask("units", "add", "--code", "VN", "--name", "Bộ Y tế", "--kind", "national")
    server.flask("units", "add", "--code", "P01", "--name", "Sở Y tế Hà Nội", "--kind", "province",
                 "--parent", "VN", "--province", "1")
    server.flask("units", "add", "--code", "P01-HK", "--name", "Trạm Y tế phường Hoàn Kiếm", "--kind", "site",
                 "--parent", "P01", "--ward", "70")
    server.flask("staff", "add", "--phone", STAFF[0], "--role", "site_staff", "--unit", "P01-HK")
    staff = new_context().new_page()
    add_virtual_authenticator(staff)
    sign_in_with_code(staff, server, *STAFF)
    staff.get_by_role("heading", name="Tra cứu người dân").wait_for()
    staff.get_by_role("heading", name="Cần đăng nhập bằng khóa truy cập").wait_for()
    shots(staff, "14-staff-needs-passkey")
    staff.get_by_role("link", name="Thêm khóa truy cập").click()
    staff.get_by_role("heading", name="Bảo mật").wait_for()
    staff.get_by_role("button", name="Thêm khóa truy cập").click()
    staff.get_by_text("Đã thêm khóa truy cập.").wait_for()
    sign_out(staff)
    passkey_sign_in(staff)
    staff.get_by_role("heading", name="Tra cứu người dân").wait_for()
    staff.get_by_label("Nội dung mã QR của người dân").wait_for()
    shots(staff, "15-staff-lookup")
    staff.get_by_role("button", name="Tra cứu", exact=True).click()  # reason and QR are required
    staff.locator(".field-error").first.wait_for()
    # the citizen's code pasted as text (the code read off the citizen's screen by zxing-cpp)
    staff.get_by_label("Nội dung mã QR của người dân").fill(own_text)
    staff.get_by_label("Lý do tra cứu").fill("Tiếp đón tiêm chủng")
    staff.get_by_role("button", name="Tra cứu", exact=True).click()
    staff.get_by_role("heading", name="Nguyễn Thị Lan", level=2).wait_for()
    shots(staff, "16-staff-result")
    # the child's code through the camera: the fake camera films the screenshot of the child's QR,
    # the page decodes it with zxing-wasm in a worker, the .wasm from our own origin
    write_y4m(camera_file, child_png)
    staff.get_by_label("Nội dung mã QR của người dân").fill("")
    staff.get_by_role("button", name="Quét bằng camera").click()
    staff.wait_for_function("document.getElementById('staff-qr').value.length > 0", timeout=20_000)
    assert staff.get_by_label("Nội dung mã QR của người dân").input_value() == child_text
    staff.get_by_role("button", name="Tra cứu", exact=True).click()
    staff.get_by_role("heading", name="Trần Minh An", level=2).wait_for()

    # 7. offline: the shell and the last QR shown come from the service worker
    citizen.goto("/#/")
    citizen.wait_for_function("navigator.serviceWorker.controller !== null")
    citizen.reload()  # this load's QR image goes through the worker into its cache
    citizen.get_by_role("heading", name="Mã QR của Trần Minh An").wait_for()
    shown_qr(citizen)
    citizen.context.set_offline(True)
    response = citizen.reload()
    assert response.from_service_worker
    citizen.get_by_text("Bạn đang ngoại tuyến").wait_for()
    offline_text, _ = shown_qr(citizen)
    assert offline_text == child_text
    shots(citizen, "17-home-offline")
    citizen.context.set_offline(False)
