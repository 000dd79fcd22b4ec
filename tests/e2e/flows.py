"""What a person does in the app, step by step, written once for every e2e test.

Selectors are roles and accessible names (the Vietnamese ones: the app starts in Vietnamese), so
a test that passes also says the screen is usable with a screen reader."""
from __future__ import annotations

import io

import zxingcpp
from PIL import Image


def sign_in_with_code(page, server, phone_national: str, phone_e164: str) -> None:
    page.goto("/#/signin")
    page.get_by_role("heading", name="Đăng nhập hoặc đăng ký").wait_for()
    before = server.sms_count()
    page.get_by_label("Số điện thoại").fill(phone_national)
    page.get_by_role("button", name="Gửi mã").click()
    page.get_by_role("heading", name="Nhập mã xác nhận").wait_for()
    page.get_by_label("Mã xác nhận").fill(server.last_code(phone_e164, after=before))
    page.get_by_role("button", name="Xác nhận").click()


def fill_person(page, *, name: str, dob: str, sex: str, province: str, national_id: str = "",
                relationship: str | None = None, line: str = "") -> None:
    """Fill the profile form (own or dependant); `province` is part of the province's name."""
    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Ngày sinh").fill(dob)
    page.get_by_role("radio", name=sex).check()
    if relationship:
        page.get_by_label("Quan hệ với bạn").select_option(label=relationship)
    if national_id:
        page.get_by_label("Số định danh cá nhân (CCCD)").fill(national_id)
    prov = page.get_by_label("Tỉnh/Thành phố")
    prov.locator("option", has_text=province).first.wait_for(state="attached")
    label = prov.locator("option", has_text=province).first.inner_text()
    prov.select_option(label=label)
    ward = page.get_by_label("Phường/Xã")
    page.wait_for_function("!document.getElementById('pf-ward_code').disabled")
    ward.select_option(index=1)
    if line:
        page.get_by_label("Số nhà, đường, thôn/tổ").fill(line)


def passkey_sign_in(page) -> None:
    page.goto("/#/signin")
    page.get_by_role("button", name="Đăng nhập bằng khóa truy cập").click()


def sign_out(page) -> None:
    page.goto("/#/security")
    page.get_by_role("button", name="Đăng xuất khỏi thiết bị này").click()
    page.get_by_role("heading", name="Đăng nhập hoặc đăng ký").wait_for()


def decode_qr(png: bytes) -> str:
    """Read one QR code from a PNG with zxing-cpp (independent of the app's own decoder)."""
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1, f"expected one QR code, found {len(results)}"
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0].text


def shown_qr(page) -> tuple[str, str]:
    """The active profile's QR as drawn on screen (an element screenshot) and its person id."""
    img = page.locator("#qr-img")
    img.wait_for()
    page.wait_for_function("document.getElementById('qr-img').complete && "
                           "document.getElementById('qr-img').naturalWidth > 0")
    person_id = img.get_attribute("src").split("/people/")[1].split("/")[0]
    return decode_qr(img.screenshot()), person_id
