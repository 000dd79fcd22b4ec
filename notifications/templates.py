"""Message templates in Vietnamese and English; `render` fills one in.

Params are plain strings or numbers, already formatted for the reader by the caller (dates in
Asia/Ho_Chi_Minh as "24/11/2026", times as "08:30"): the worker must not need the API's data to
render a message it sends days later. Keep personal data out of titles: a lock screen shows them.
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Mapping


class TemplateError(ValueError):
    """The template is unknown, the language unsupported, or a declared param is missing."""


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


@dataclass(frozen=True)
class Template:
    params: tuple[str, ...]
    vi: tuple[str, str]  # (title, body)
    en: tuple[str, str]
    # A safety message (serious reaction, quarantined lot): callers send it urgent, which passes
    # through quiet hours.
    safety: bool = False


TEMPLATES: dict[str, Template] = {
    "otp_code": Template(
        ("code", "minutes"),
        vi=("Mã xác thực Sổ Sức Khỏe",
            "Mã xác thực của bạn là {code}, có hiệu lực trong {minutes} phút. "
            "Không chia sẻ mã này với bất kỳ ai."),
        en=("Sổ Sức Khỏe verification code",
            "Your verification code is {code}, valid for {minutes} minutes. "
            "Do not share it with anyone."),
    ),
    "guardian_invite": Template(
        ("guardian_name", "dependant_name", "link"),
        vi=("Lời mời quản lý hồ sơ",
            "{guardian_name} mời bạn cùng quản lý hồ sơ sức khỏe của {dependant_name}. "
            "Mở liên kết để chấp nhận: {link}"),
        en=("Invitation to manage a health book",
            "{guardian_name} invites you to help manage the health book of {dependant_name}. "
            "Open the link to accept: {link}"),
    ),
    "appointment_day_before": Template(
        ("person_name", "site_name", "date", "time"),
        vi=("Nhắc lịch tiêm ngày mai",
            "{person_name} có lịch tiêm vào {time} ngày {date} tại {site_name}. "
            "Vui lòng mang theo CCCD hoặc mã QR cá nhân."),
        en=("Vaccination appointment tomorrow",
            "{person_name} has a vaccination appointment at {time} on {date} at {site_name}. "
            "Please bring your ID card or personal QR code."),
    ),
    "appointment_2h": Template(
        ("person_name", "site_name", "time"),
        vi=("Sắp đến giờ tiêm",
            "{person_name} có lịch tiêm lúc {time} hôm nay tại {site_name}."),
        en=("Vaccination appointment soon",
            "{person_name} has a vaccination appointment at {time} today at {site_name}."),
    ),
    "next_dose_due": Template(
        ("person_name", "vaccine", "dose_number", "due_date"),
        vi=("Đến hạn tiêm mũi tiếp theo",
            "{person_name} đến hạn tiêm mũi {dose_number} vắc xin {vaccine} từ ngày {due_date}. "
            "Đặt lịch trong ứng dụng Sổ Sức Khỏe."),
        en=("Next dose due",
            "{person_name} is due for dose {dose_number} of {vaccine} from {due_date}. "
            "Book a slot in the Sổ Sức Khỏe app."),
    ),
    "next_dose_overdue": Template(
        ("person_name", "vaccine", "dose_number", "due_date"),
        vi=("Đã quá hạn tiêm mũi tiếp theo",
            "Mũi {dose_number} vắc xin {vaccine} của {person_name} đã đến hạn từ ngày {due_date}. "
            "Vui lòng đặt lịch tiêm sớm."),
        en=("Next dose overdue",
            "Dose {dose_number} of {vaccine} for {person_name} has been due since {due_date}. "
            "Please book a slot soon."),
    ),
    "registration_approved": Template(
        ("person_name", "vaccine"),
        vi=("Đăng ký tiêm đã được duyệt",
            "Đăng ký tiêm vắc xin {vaccine} của {person_name} đã được duyệt."),
        en=("Registration approved",
            "The registration of {person_name} for {vaccine} has been approved."),
    ),
    "registration_rejected": Template(
        ("person_name", "vaccine", "reason"),
        vi=("Đăng ký tiêm chưa được duyệt",
            "Đăng ký tiêm vắc xin {vaccine} của {person_name} chưa được duyệt. Lý do: {reason}"),
        en=("Registration not approved",
            "The registration of {person_name} for {vaccine} was not approved. Reason: {reason}"),
    ),
    "registration_allocated": Template(
        ("person_name", "vaccine", "site_name"),
        vi=("Đã phân bổ điểm tiêm",
            "{person_name} được phân bổ tiêm vắc xin {vaccine} tại {site_name}. "
            "Hãy chọn giờ tiêm trong ứng dụng."),
        en=("Vaccination site allocated",
            "{person_name} has been allocated {vaccine} at {site_name}. "
            "Choose a time in the app."),
    ),
    "booking_changed": Template(
        ("person_name", "site_name", "date", "time"),
        vi=("Lịch tiêm đã thay đổi",
            "Lịch tiêm của {person_name} đã đổi sang {time} ngày {date} tại {site_name}."),
        en=("Appointment changed",
            "The appointment of {person_name} is now at {time} on {date} at {site_name}."),
    ),
    "booking_cancelled_by_site": Template(
        ("person_name", "site_name", "date", "reason"),
        vi=("Điểm tiêm đã hủy lịch",
            "{site_name} đã hủy lịch tiêm ngày {date} của {person_name}. Lý do: {reason}. "
            "Vui lòng đặt lịch khác trong ứng dụng."),
        en=("Appointment cancelled by the site",
            "{site_name} cancelled the appointment of {person_name} on {date}. Reason: {reason}. "
            "Please book another slot in the app."),
    ),
    "certificate_ready": Template(
        ("person_name",),
        vi=("Chứng nhận tiêm chủng đã sẵn sàng",
            "Chứng nhận tiêm chủng của {person_name} đã có trong ứng dụng Sổ Sức Khỏe."),
        en=("Vaccination certificate ready",
            "The vaccination certificate of {person_name} is now in the Sổ Sức Khỏe app."),
    ),
    "certificate_reissued": Template(
        ("person_name",),
        vi=("Chứng nhận tiêm chủng đã được cấp lại",
            "Chứng nhận tiêm chủng của {person_name} đã được cấp lại; chứng nhận cũ không còn "
            "hiệu lực. Mở ứng dụng để xem mã QR mới."),
        en=("Vaccination certificate reissued",
            "The vaccination certificate of {person_name} has been reissued; the old one is no "
            "longer valid. Open the app to see the new QR code."),
    ),
    "certificate_updated": Template(
        ("person_name",),
        vi=("Chứng nhận tiêm chủng đã được cập nhật",
            "Chứng nhận tiêm chủng của {person_name} đã có thêm mũi tiêm mới; chứng nhận trước đó "
            "vẫn còn hiệu lực. Mở ứng dụng để xem mã QR mới."),
        en=("Vaccination certificate updated",
            "The vaccination certificate of {person_name} now lists the new dose; the earlier one "
            "stays valid. Open the app to see the new QR code."),
    ),
    "reaction_followup_day1": Template(
        ("person_name", "vaccine"),
        vi=("Theo dõi sau tiêm (ngày 1)",
            "{person_name} cảm thấy thế nào sau mũi tiêm {vaccine} hôm qua? "
            "Hãy báo phản ứng sau tiêm (nếu có) trong ứng dụng."),
        en=("Follow-up after vaccination (day 1)",
            "How does {person_name} feel after yesterday's dose of {vaccine}? "
            "Report any reaction in the app."),
    ),
    "reaction_followup_day7": Template(
        ("person_name", "vaccine"),
        vi=("Theo dõi sau tiêm (ngày 7)",
            "Đã một tuần kể từ mũi tiêm {vaccine} của {person_name}. "
            "Hãy báo phản ứng sau tiêm (nếu có) trong ứng dụng."),
        en=("Follow-up after vaccination (day 7)",
            "It is a week since the dose of {vaccine} for {person_name}. "
            "Report any reaction in the app."),
    ),
    "serious_reaction_alert": Template(
        ("person_name", "vaccine", "hotline"),
        vi=("Cảnh báo phản ứng nặng sau tiêm",
            "Đã ghi nhận phản ứng nặng sau mũi tiêm {vaccine} của {person_name}. "
            "Nếu khó thở, sưng mặt hoặc ngất, gọi 115 ngay. Đường dây hỗ trợ: {hotline}."),
        en=("Serious reaction after vaccination",
            "A serious reaction after the dose of {vaccine} for {person_name} has been recorded. "
            "If there is trouble breathing, facial swelling or fainting, call 115 now. "
            "Helpline: {hotline}."),
        safety=True,
    ),
    "lot_quarantined": Template(
        ("person_name", "vaccine", "lot", "dose_date", "hotline"),
        vi=("Thông báo về lô vắc xin",
            "Lô {lot} vắc xin {vaccine} mà {person_name} được tiêm ngày {dose_date} đang được "
            "tạm dừng sử dụng để kiểm tra. Nếu có triệu chứng bất thường, liên hệ {hotline}."),
        en=("Notice about a vaccine lot",
            "Lot {lot} of {vaccine}, given to {person_name} on {dose_date}, has been put on hold "
            "for checks. If there are unusual symptoms, call {hotline}."),
        safety=True,
    ),
    # A department's message to a targeted group: the department writes both languages.
    "campaign_message": Template(
        ("title", "body"),
        vi=("{title}", "{body}"),
        en=("{title}", "{body}"),
    ),
}


def fields(text: str) -> set[str]:
    """The names of the `{placeholders}` in one template text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def render(template: str, lang: str, params: Mapping[str, object]) -> Rendered:
    """Fill in one template.

    :raises TemplateError: unknown template or language, or a declared param missing from params.
    """
    try:
        tpl = TEMPLATES[template]
    except KeyError:
        raise TemplateError(f"unknown template {template!r}") from None
    if lang not in ("vi", "en"):
        raise TemplateError(f"unsupported language {lang!r}")
    missing = [p for p in tpl.params if p not in params]
    if missing:
        raise TemplateError(f"template {template!r} misses params {missing}")
    title, body = getattr(tpl, lang)
    values = {p: params[p] for p in tpl.params}
    # format_map with only the declared params: a typo in a template text is a KeyError in the
    # unit test that renders every template, not a half-filled message on someone's phone.
    return Rendered(title=title.format_map(values), body=body.format_map(values))
