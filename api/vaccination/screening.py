"""The pre-vaccination screening checklist for COVID-19, as data, and what its answers require.

Pure: no database, no Flask. The Ministry of Health's interim guidance was revised several times
in 2021 (Decisions 2995/QĐ-BYT of 18/6, 3445 of 15/7, 3588 of 26/7, 3802 of 10/8, 4355 of 10/9
and 5785/QĐ-BYT of 21/12/2021 for people aged 18 and over); this version follows the structure
of the last ones: people who may be vaccinated, those to screen with caution, those to postpone,
and the contraindications, with the vital-sign limits as published. A revision is a new
CHECKLIST version (kept on every screening), never an edit of an old one. The wording here is
ours: check it against the official text before relying on it.

Each item carries the least cautious outcome it allows:
- refer_to_hospital: vaccinate only at (or after assessment by) a hospital, or not with this
  vaccine (a contraindication);
- postpone: not today (the checklist suggests until when, where it can);
- caution: may be vaccinated now, with careful screening and observation;
- note: recorded only.
The doctor may always decide something more cautious than the checklist, never less.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

VERSION = "covid19-byt-2021-12"
OUTCOMES = ("vaccinate_now", "postpone", "refer_to_hospital")
SEVERITY = {"vaccinate_now": 0, "postpone": 1, "refer_to_hospital": 2}

# code → (effect, english, vietnamese)
ITEMS: dict[str, tuple[str, str, str]] = {
    "anaphylaxis_previous_dose": (
        "refer_to_hospital", "Anaphylaxis (grade 2 or more) after a previous dose of a COVID-19 vaccine",
        "Tiền sử phản vệ độ 2 trở lên sau liều vắc xin phòng COVID-19 trước"),
    "allergy_vaccine_component": (
        "refer_to_hospital", "Hypersensitivity to an active substance or excipient of this vaccine",
        "Quá mẫn với hoạt chất hoặc tá dược của vắc xin này"),
    "anaphylaxis_other_allergen": (
        "refer_to_hospital", "Anaphylaxis (grade 2 or more) to another allergen",
        "Tiền sử phản vệ độ 2 trở lên với dị nguyên khác"),
    "immunosuppression_severe": (
        "refer_to_hospital", "Severe immunosuppression, end-stage cancer, chemotherapy or radiotherapy",
        "Suy giảm miễn dịch nặng, ung thư giai đoạn cuối, đang hóa trị, xạ trị"),
    "acute_illness": ("postpone", "An acute illness now", "Đang mắc bệnh cấp tính"),
    "chronic_disease_uncontrolled": (
        "postpone", "A chronic disease that is progressing or not under control",
        "Bệnh mạn tính đang tiến triển, chưa được kiểm soát"),
    "covid19_recent": ("postpone", "COVID-19 within the last 3 months", "Mắc COVID-19 trong vòng 3 tháng"),
    "pregnant_under_13_weeks": ("postpone", "Pregnant, under 13 weeks", "Đang mang thai dưới 13 tuần"),
    "previous_dose_reaction": (
        "caution", "A severe reaction (not anaphylaxis) after a previous dose",
        "Phản ứng nặng (không phải phản vệ) sau liều tiêm trước"),
    "allergy_other": ("caution", "Allergy to any other allergen", "Tiền sử dị ứng với dị nguyên khác"),
    "chronic_disease": ("caution", "An underlying or chronic disease (stable)", "Có bệnh nền, bệnh mạn tính (ổn định)"),
    "impaired_consciousness": (
        "caution", "Impaired consciousness or capacity", "Mất tri giác, mất năng lực hành vi"),
    "coagulation_disorder": (
        "caution", "Thrombocytopenia or a coagulation disorder, or anticoagulants",
        "Giảm tiểu cầu, rối loạn đông máu hoặc đang dùng thuốc chống đông"),
    "pregnant_13_weeks_or_more": ("caution", "Pregnant, 13 weeks or more", "Đang mang thai từ 13 tuần trở lên"),
    "breastfeeding": ("note", "Breastfeeding", "Đang cho con bú"),
}
# Vital signs: (code, effect, english, vietnamese)
FEVER = ("fever", "postpone", "Temperature 37.5 °C or more", "Nhiệt độ từ 37,5 °C trở lên")
HYPOTHERMIA = ("temperature_low", "postpone", "Temperature below 35.5 °C", "Nhiệt độ dưới 35,5 °C")
PULSE = ("pulse_abnormal", "caution", "Pulse below 60 or above 100 a minute", "Mạch dưới 60 hoặc trên 100 lần/phút")
PRESSURE = ("blood_pressure_abnormal", "caution",
            "Blood pressure outside 90-140 (systolic) or 60-90 mmHg (diastolic)",
            "Huyết áp tối đa ngoài 90-140 hoặc tối thiểu ngoài 60-90 mmHg")
BREATHING = ("respiratory_rate_high", "caution", "Breathing above 25 a minute", "Nhịp thở trên 25 lần/phút")
OXYGEN = ("spo2_low", "refer_to_hospital", "SpO2 below 94 %", "SpO2 dưới 94 %")
AGE_65 = ("age_65_or_more", "caution", "Aged 65 or more", "Từ 65 tuổi trở lên")
VITALS = ("temperature_c", "pulse", "systolic", "diastolic", "respiratory_rate", "spo2")

COVID_WAIT = timedelta(days=90)
PRESENT_LABELS = {code: (en, vi) for code, (_, en, vi) in ITEMS.items()} | {
    c: (en, vi) for c, _, en, vi in (FEVER, HYPOTHERMIA, PULSE, PRESSURE, BREATHING, OXYGEN, AGE_65)}


@dataclass(frozen=True)
class Assessment:
    outcome: str  # the least cautious outcome the answers allow
    reasons: tuple[str, ...]  # items that set it (postpone / refer)
    cautions: tuple[str, ...]
    postpone_until: date | None  # the checklist's suggestion, where it can make one
    notes: tuple[str, ...] = field(default=())


def _age(dob: date, on: date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def assess(answers: dict[str, bool], vitals: dict[str, float | None], *, date_of_birth: date, on: date,
           covid19_on: date | None = None, pregnancy_weeks: int | None = None) -> Assessment:
    """What the checklist requires at least, from the answers and the measured vital signs.

    :param answers: item code → True when present (unknown codes are a ValueError).
    :param vitals: temperature_c, pulse, systolic, diastolic, respiratory_rate, spo2 (None = not measured).
    :param covid19_on: when the person had COVID-19 (sets the postponement date).
    :param pregnancy_weeks: weeks of pregnancy (sets the postponement date under 13 weeks).
    """
    unknown = set(answers) - set(ITEMS)
    if unknown:
        raise ValueError(f"unknown checklist items: {', '.join(sorted(unknown))}")
    found: list[tuple[str, str]] = [(code, ITEMS[code][0]) for code, present in answers.items() if present]
    t = vitals.get("temperature_c")
    if t is not None and t >= 37.5:
        found.append((FEVER[0], FEVER[1]))
    if t is not None and t < 35.5:
        found.append((HYPOTHERMIA[0], HYPOTHERMIA[1]))
    pulse = vitals.get("pulse")
    if pulse is not None and not 60 <= pulse <= 100:
        found.append((PULSE[0], PULSE[1]))
    sys_, dia = vitals.get("systolic"), vitals.get("diastolic")
    if (sys_ is not None and not 90 <= sys_ <= 140) or (dia is not None and not 60 <= dia <= 90):
        found.append((PRESSURE[0], PRESSURE[1]))
    rr = vitals.get("respiratory_rate")
    if rr is not None and rr > 25:
        found.append((BREATHING[0], BREATHING[1]))
    spo2 = vitals.get("spo2")
    if spo2 is not None and spo2 < 94:
        found.append((OXYGEN[0], OXYGEN[1]))
    if _age(date_of_birth, on) >= 65:
        found.append((AGE_65[0], AGE_65[1]))

    worst = max((SEVERITY[e] for _, e in found if e in SEVERITY), default=0)
    outcome = OUTCOMES[worst]
    reasons = tuple(c for c, e in found if e in SEVERITY and SEVERITY[e] == worst and worst > 0)
    cautions = tuple(c for c, e in found if e == "caution")
    notes = tuple(c for c, e in found if e == "note")
    until = None
    if outcome == "postpone":
        candidates = [on + timedelta(days=1)]  # fever, acute illness: come back when well
        if answers.get("covid19_recent") and covid19_on is not None:
            candidates.append(covid19_on + COVID_WAIT)
        if answers.get("pregnant_under_13_weeks") and pregnancy_weeks is not None:
            candidates.append(on + timedelta(weeks=max(13 - pregnancy_weeks, 0)))
        until = max(candidates)
    return Assessment(outcome, reasons, cautions, until, notes)


def checklist() -> dict:
    """The checklist as the PWA renders it (codes, effects, labels in vi and en)."""
    return {"version": VERSION,
            "items": [{"code": c, "effect": e, "label_en": en, "label_vi": vi} for c, (e, en, vi) in ITEMS.items()],
            "vitals": [{"code": c, "effect": e, "label_en": en, "label_vi": vi}
                       for c, e, en, vi in (FEVER, HYPOTHERMIA, PULSE, PRESSURE, BREATHING, OXYGEN, AGE_65)],
            "outcomes": list(OUTCOMES)}
