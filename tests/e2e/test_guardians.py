"""Guardianship end to end: a second guardian is invited and accepts; the dependant later signs up,
claims the profile with their ID number and a code, and chooses to end the guardians' links."""
from __future__ import annotations

import pytest

from .flows import fill_person, sign_in_with_code

pytestmark = pytest.mark.e2e

GUARDIAN = ("0903 111 222", "+84903111222")
SECOND = ("0903 333 444", "+84903333444")
ELDER = ("0903 555 666", "+84903555666")
ELDER_ID = "001048123456"  # born 1948 in Hà Nội (001), male (century digit 0)


def test_a_second_guardian_accepts_and_the_dependant_claims_the_profile(server, new_context, shots):
    # the first guardian: a profile, then an elderly parent with an ID card and a phone
    guardian = new_context().new_page()
    sign_in_with_code(guardian, server, *GUARDIAN)
    guardian.get_by_role("heading", name="Tạo hồ sơ của bạn").wait_for()
    fill_person(guardian, name="Phạm Thu Hà", dob="1975-08-20", sex="Nữ", province="Hà Nội")
    guardian.get_by_role("button", name="Tạo hồ sơ").click()
    guardian.get_by_role("link", name="Để sau").click()  # no passkey this time
    guardian.goto("/#/dependants/new")
    fill_person(guardian, name="Phạm Văn Hùng", dob="1948-02-11", sex="Nam", province="Hà Nội",
                relationship="Cha/Mẹ", national_id=ELDER_ID)
    guardian.get_by_label("Số điện thoại").fill(ELDER[0])
    guardian.get_by_role("button", name="Thêm", exact=True).click()
    guardian.get_by_role("heading", name="Phạm Văn Hùng").wait_for()

    # adding the same person twice is refused beside the ID number
    guardian.goto("/#/dependants/new")
    fill_person(guardian, name="Phạm Văn Hùng", dob="1948-02-11", sex="Nam", province="Hà Nội",
                relationship="Cha/Mẹ", national_id=ELDER_ID)
    guardian.get_by_role("button", name="Thêm", exact=True).click()
    guardian.locator(".notice.error").wait_for()
    shots(guardian, "20-dependant-twice")

    # invite a second guardian by phone
    guardian.goto("/#/dependants")
    guardian.get_by_role("link", name="Phạm Văn Hùng").click()
    guardian.get_by_label("Số điện thoại người được mời").fill(SECOND[0])
    guardian.get_by_label("Người được giám hộ là … của họ").select_option(label="Cha/Mẹ")
    guardian.get_by_role("button", name="Gửi lời mời").click()
    guardian.get_by_text("Đã gửi lời mời.").first.wait_for()
    guardian.get_by_text("chờ chấp nhận").wait_for()
    shots(guardian, "21-guardians-pending")

    # the second guardian signs up, sees the invitation and accepts it
    second = new_context().new_page()
    sign_in_with_code(second, server, *SECOND)
    second.get_by_role("heading", name="Tạo hồ sơ của bạn").wait_for()
    fill_person(second, name="Phạm Minh Tú", dob="1978-01-05", sex="Nam", province="Hà Nội")
    second.get_by_role("button", name="Tạo hồ sơ").click()
    second.get_by_role("link", name="Để sau").click()
    second.get_by_role("link", name="Bạn có 1 lời mời làm người giám hộ").click()
    second.get_by_role("heading", name="Lời mời làm người giám hộ").wait_for()
    shots(second, "22-invitations")
    second.get_by_role("button", name="Chấp nhận giám hộ Phạm Văn Hùng").click()
    second.get_by_text("Không có lời mời nào.").wait_for()
    second.goto("/#/dependants")
    second.get_by_role("link", name="Phạm Văn Hùng").wait_for()

    # the elderly parent signs up with his own phone and claims the profile
    elder = new_context().new_page()
    sign_in_with_code(elder, server, *ELDER)
    elder.get_by_role("link", name="Nhận lại hồ sơ của tôi").click()
    elder.get_by_role("heading", name="Nhận lại hồ sơ của tôi").wait_for()
    shots(elder, "23-claim")
    before = server.sms_count()
    elder.get_by_label("Số định danh cá nhân (CCCD)").fill(ELDER_ID)
    elder.get_by_label("Ngày sinh").fill("1948-02-11")
    elder.get_by_role("button", name="Gửi mã xác nhận").click()
    elder.get_by_role("heading", name="Xác nhận nhận hồ sơ").wait_for()
    elder.get_by_label("Mã xác nhận").fill(server.last_code(ELDER[1], after=before))
    elder.get_by_role("radio", name="Kết thúc quyền giám hộ của họ").check()
    shots(elder, "24-claim-confirm")
    elder.get_by_role("button", name="Nhận hồ sơ").click()
    elder.get_by_role("heading", name="Mã QR của tôi").wait_for()
    elder.get_by_text("Phạm Văn Hùng").first.wait_for()

    # the guardians no longer manage him
    guardian.goto("/#/dependants")
    guardian.reload()
    guardian.get_by_role("heading", name="Hồ sơ bạn quản lý").wait_for()
    guardian.wait_for_timeout(300)
    assert guardian.get_by_role("link", name="Phạm Văn Hùng").count() == 0
