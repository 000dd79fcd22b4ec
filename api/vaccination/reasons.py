"""Why a historical dose (a backfill, a row of a CSV import) is refused or questioned.

No Flask here. Each reason has a stable machine code (the PWA and an uploader's script key on it;
a code never changes meaning: add a new one instead), the field or column it is about, parameters,
and a text in English and in Vietnamese; the edge picks the language by Accept-Language. The English
texts are the ones the API said before the codes existed.
"""
from __future__ import annotations

import dataclasses

# code → (English, Vietnamese); {name} placeholders are filled from the reason's params
MESSAGES: dict[str, tuple[str, str]] = {
    # the file as a whole
    "file_not_utf8": ("Not UTF-8 text.", "Tệp không phải văn bản UTF-8."),
    "file_no_rows": ("No rows.", "Tệp không có dòng dữ liệu."),
    "file_too_many_rows": ("More than {max} rows.", "Nhiều hơn {max} dòng."),
    "columns_missing": ("Missing columns: {columns}.", "Thiếu cột: {columns}."),
    "columns_unknown": ("Unknown columns: {columns}.", "Cột không đúng mẫu: {columns}."),
    # one row, or one backfilled dose
    "row_extra_fields": ("More fields than columns.", "Dòng có nhiều trường hơn số cột."),
    "national_id_format": ("Must be exactly 12 digits.", "Phải gồm đúng 12 chữ số."),
    "person_missing": ("Give national_id or person_id.", "Cần có national_id hoặc person_id."),
    "person_unknown": ("No such person.", "Không tìm thấy người này."),
    "person_out_of_scope": ("Outside your scope.", "Người này ngoài phạm vi của bạn."),
    "date_invalid": ("Not a valid date.", "Ngày không hợp lệ."),
    "dob_mismatch": ("Does not match the person.", "Không khớp với ngày sinh của người này."),
    "product_unknown": ("Unknown product code.", "Mã vắc xin không tồn tại."),
    "date_in_future": ("Cannot be in the future.", "Không thể là ngày trong tương lai."),
    "before_product_in_use": ("Before this vaccine was in use.", "Trước ngày vắc xin này được đưa vào sử dụng."),
    "too_long": ("At most {max} characters.", "Tối đa {max} ký tự."),
    "dose_number_invalid": ("A whole number from 1 to {max}.", "Một số nguyên từ 1 đến {max}."),
    "unit_unknown": ("No unit with this code.", "Không có đơn vị mang mã này."),
    "dose_already_recorded": ("This dose is already recorded.", "Mũi tiêm này đã được ghi nhận."),
    "dose_twice_in_file": ("The same dose appears twice in this file.",
                           "Cùng một mũi tiêm xuất hiện hai lần trong tệp."),
    # warnings: the row is accepted
    "dose_number_differs": ("dose_number {given} differs from the history's {expected}.",
                            "Số mũi {given} khác với mũi thứ {expected} theo lịch sử tiêm."),
}


@dataclasses.dataclass(frozen=True)
class Reason:
    field: str
    code: str
    params: dict = dataclasses.field(default_factory=dict)

    def text(self, lang: str) -> str:
        en, vi = MESSAGES[self.code]
        return (vi if lang == "vi" else en).format(**self.params)

    def view(self, lang: str, *, severity: str = "error") -> dict:
        return {"field": self.field, "code": self.code, "severity": severity, "params": dict(self.params),
                "message": self.text(lang)}


def field_errors(reasons, lang: str) -> dict[str, list[str]]:
    """{field: [message]} as every 422 problem gives it, in one language."""
    out: dict[str, list[str]] = {}
    for r in reasons:
        out.setdefault(r.field, []).append(r.text(lang))
    return out
