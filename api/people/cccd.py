"""The 12-digit citizen identity number (CCCD) and the text of a chip ID card's QR code.

Structure (Circular 07/2016/TT-BCA, art. 7): digits 1-3 the province of birth registration (the
63 pre-2025 province codes), digit 4 century and sex, digits 5-6 the last two digits of the birth
year, digits 7-12 a random number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The 63 province codes of Circular 07/2016 (unchanged on cards after the 2025 merger).
BIRTH_PROVINCES = frozenset({
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96})
# digit 4 → (first year of the century, sex): 0/1 = 20th century male/female, 2/3 = 21st, …
CENTURY_SEX = {0: (1900, "M"), 1: (1900, "F"), 2: (2000, "M"), 3: (2000, "F"), 4: (2100, "M"),
               5: (2100, "F"), 6: (2200, "M"), 7: (2200, "F"), 8: (1800, "M"), 9: (1800, "F")}


def cccd_problems(number: str, date_of_birth: date | None, sex: str | None) -> list[tuple[str, str]]:
    """What is wrong with a CCCD number for this person, as (english, vietnamese) messages."""
    if len(number) != 12 or not number.isdigit():
        return [("Must be exactly 12 digits.", "Phải gồm đúng 12 chữ số.")]
    out = []
    if int(number[:3]) not in BIRTH_PROVINCES:
        out.append(("The first three digits are not a province code.",
                    "Ba chữ số đầu không phải mã tỉnh/thành."))
    century, card_sex = CENTURY_SEX[int(number[3])]
    if date_of_birth is not None and century + int(number[4:6]) != date_of_birth.year:
        out.append(("Digits 4-6 do not match the year of birth.",
                    "Chữ số 4-6 không khớp với năm sinh."))
    if sex is not None and card_sex != sex:
        out.append(("Digit 4 does not match the sex.", "Chữ số thứ 4 không khớp với giới tính."))
    return out


@dataclass(frozen=True)
class ChipCard:
    national_id: str
    old_id: str
    full_name: str
    date_of_birth: date
    sex: str
    address: str
    issued_on: date | None


def _ddmmyyyy(text: str) -> date:
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"not a DDMMYYYY date: {text!r}")
    return date(int(text[4:]), int(text[2:4]), int(text[:2]))


def parse_chip_qr(text: str) -> ChipCard:
    """'001099012345|123456789|Nguyễn Văn A|01011999|Nam|Số 1, …|15082021' → ChipCard.

    :raises ValueError: with the reason, when the text is not a chip card's QR.
    """
    parts = text.strip().split("|")
    if len(parts) < 7:
        raise ValueError("expected 7 fields separated by '|'")
    number, old_id, name, dob, sex, address, issued = (p.strip() for p in parts[:7])
    if len(number) != 12 or not number.isdigit():
        raise ValueError("the first field is not a 12-digit ID number")
    sex_code = {"nam": "M", "nữ": "F", "nu": "F", "male": "M", "female": "F"}.get(sex.lower())
    if sex_code is None:
        raise ValueError(f"unknown sex {sex!r}")
    return ChipCard(national_id=number, old_id=old_id, full_name=" ".join(name.split()),
                    date_of_birth=_ddmmyyyy(dob), sex=sex_code, address=address,
                    issued_on=_ddmmyyyy(issued) if issued else None)
