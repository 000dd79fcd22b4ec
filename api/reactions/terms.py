"""The symptom list a reporter picks from: WHO AEFI / Brighton Collaboration terms.

`code` is our stable identifier (what the API stores); `meddra_pt` is the MedDRA Preferred Term
code the national pharmacovigilance centre maps to (to be checked against the licensed MedDRA
release before the E2B export is built); `brighton` names the Brighton Collaboration case
definition where one exists. `serious` marks the signs that need care now: the answer carries
"call 115" and the site and district are alerted.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    meddra_pt: str
    vi: str
    en: str
    group: str  # local | systemic | allergic | cardiac | neurological
    serious: bool = False
    brighton: str = ""


TERMS: tuple[Term, ...] = (
    Term("injection_site_pain", "10022086", "Đau tại chỗ tiêm", "Pain at the injection site", "local"),
    Term("injection_site_swelling", "10053425", "Sưng, đỏ tại chỗ tiêm", "Swelling or redness at the injection site",
         "local"),
    Term("fever", "10037660", "Sốt", "Fever", "systemic", brighton="Fever"),
    Term("chills", "10008531", "Ớn lạnh", "Chills", "systemic"),
    Term("headache", "10019211", "Đau đầu", "Headache", "systemic"),
    Term("fatigue", "10016256", "Mệt mỏi", "Fatigue", "systemic"),
    Term("myalgia", "10028411", "Đau cơ", "Muscle pain", "systemic"),
    Term("arthralgia", "10003239", "Đau khớp", "Joint pain", "systemic"),
    Term("nausea", "10028813", "Buồn nôn", "Nausea", "systemic"),
    Term("vomiting", "10047700", "Nôn", "Vomiting", "systemic"),
    Term("diarrhoea", "10012735", "Tiêu chảy", "Diarrhoea", "systemic"),
    Term("dizziness", "10013573", "Chóng mặt", "Dizziness", "neurological"),
    Term("lymphadenopathy", "10025197", "Sưng hạch", "Swollen lymph nodes", "systemic"),
    Term("rash", "10037844", "Phát ban", "Rash", "allergic"),
    Term("urticaria", "10046735", "Nổi mề đay", "Hives", "allergic"),
    Term("palpitations", "10033557", "Hồi hộp, tim đập nhanh", "Palpitations", "cardiac"),
    # Serious signs: anaphylaxis (Brighton level 1-3 needs skin/mucosal + respiratory or
    # cardiovascular signs), myocarditis/pericarditis (chest pain), seizure, syncope with loss
    # of consciousness.
    Term("face_lip_swelling", "10042682", "Sưng mặt, môi hoặc lưỡi", "Swelling of the face, lips or tongue",
         "allergic", serious=True, brighton="Anaphylaxis"),
    Term("difficulty_breathing", "10013968", "Khó thở, thở rít", "Difficulty breathing or wheezing", "allergic",
         serious=True, brighton="Anaphylaxis"),
    Term("anaphylaxis_signs", "10002198", "Dấu hiệu sốc phản vệ (khó thở, tụt huyết áp, nổi mẩn toàn thân)",
         "Signs of anaphylaxis (breathing trouble, faintness, hives all over)", "allergic", serious=True,
         brighton="Anaphylaxis"),
    Term("chest_pain", "10008479", "Đau ngực", "Chest pain", "cardiac", serious=True,
         brighton="Myocarditis/pericarditis"),
    Term("seizure", "10039906", "Co giật", "Seizure", "neurological", serious=True, brighton="Generalized convulsion"),
    Term("syncope", "10042772", "Ngất", "Fainting", "neurological", brighton="Syncope"),
    Term("loss_of_consciousness", "10024855", "Mất ý thức", "Loss of consciousness", "neurological", serious=True),
    Term("other", "", "Triệu chứng khác (ghi rõ)", "Other (describe)", "systemic"),
)

BY_CODE = {t.code: t for t in TERMS}
SERIOUS_CODES = frozenset(t.code for t in TERMS if t.serious)
SEVERITIES = ("mild", "moderate", "severe")
# What care was sought: the last two make a report serious whatever the symptoms (WHO: an AEFI
# is serious when it leads to hospitalisation, is life-threatening, disabling or fatal).
CARE_SOUGHT = ("none", "self_care", "pharmacy", "clinic", "emergency", "hospitalised")
SERIOUS_CARE = frozenset({"emergency", "hospitalised"})
# WHO AEFI causality assessment (2nd edition, 2018), the four final categories.
CAUSALITY = ("consistent", "indeterminate", "inconsistent", "unclassifiable")
TRIAGE_STATUSES = ("new", "acknowledged", "in_follow_up", "closed")
OUTCOMES = ("recovered", "recovering", "not_recovered", "recovered_with_sequelae", "hospitalised", "died",
            "unknown")

WARNING_SIGNS = tuple(t for t in TERMS if t.serious)
SEEK_CARE = {
    "vi": ["Gọi 115 ngay nếu có bất kỳ dấu hiệu nào dưới đây.",
           "Đến cơ sở y tế nếu sốt trên 39°C kéo dài quá 2 ngày, hoặc chỗ tiêm sưng đỏ lan rộng.",
           "Theo dõi sức khỏe 28 ngày sau tiêm, đặc biệt 7 ngày đầu."],
    "en": ["Call 115 now if any of the signs below appear.",
           "See a doctor if a fever over 39 °C lasts more than 2 days, or the injection site swelling spreads.",
           "Watch your health for 28 days after the dose, most of all the first 7."],
}


def term_view(t: Term, lang: str) -> dict:
    return {"code": t.code, "meddra_pt": t.meddra_pt, "label": t.vi if lang == "vi" else t.en,
            "label_vi": t.vi, "label_en": t.en, "group": t.group, "serious": t.serious,
            "brighton": t.brighton}
