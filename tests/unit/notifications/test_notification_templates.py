"""Every template renders in Vietnamese and English with exactly its declared params."""
from __future__ import annotations

import pytest

from notifications.templates import TEMPLATES, TemplateError, fields, render

REQUIRED = {
    "otp_code", "guardian_invite", "appointment_day_before", "appointment_2h", "next_dose_due",
    "next_dose_overdue", "registration_approved", "registration_rejected",
    "registration_allocated", "booking_changed", "booking_cancelled_by_site",
    "certificate_ready", "certificate_reissued", "certificate_updated", "reaction_followup_day1",
    "reaction_followup_day7", "serious_reaction_alert", "lot_quarantined", "campaign_message",
}


def test_every_reminder_kind_has_a_template():
    assert REQUIRED <= set(TEMPLATES)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_renders_with_its_declared_params(name, lang):
    tpl = TEMPLATES[name]
    params = {p: f"<{p}>" for p in tpl.params}
    out = render(name, lang, params)
    assert out.title and out.body
    # Every declared param shows up somewhere, and nothing is left unfilled.
    for p in tpl.params:
        assert f"<{p}>" in out.title + out.body
    assert "{" not in out.title + out.body


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_texts_use_only_declared_params(name):
    tpl = TEMPLATES[name]
    used = set()
    for title, body in (tpl.vi, tpl.en):
        used |= fields(title) | fields(body)
    assert used == set(tpl.params)


def test_a_missing_param_is_an_error_at_render_time():
    with pytest.raises(TemplateError, match="site_name"):
        render("appointment_2h", "vi", {"person_name": "An", "time": "08:30"})


def test_unknown_template_and_language_are_errors():
    with pytest.raises(TemplateError):
        render("no_such_template", "vi", {})
    with pytest.raises(TemplateError):
        render("certificate_ready", "fr", {"person_name": "An"})


def test_vietnamese_text_is_rendered_as_written():
    out = render("appointment_day_before", "vi", {"person_name": "Nguyễn Văn An",
                                                  "site_name": "Trạm Y tế phường Ba Đình",
                                                  "date": "24/11/2026", "time": "08:30"})
    assert out.title == "Nhắc lịch tiêm ngày mai"
    assert out.body.startswith("Nguyễn Văn An có lịch tiêm vào 08:30 ngày 24/11/2026 tại "
                               "Trạm Y tế phường Ba Đình.")


def test_braces_in_a_campaign_body_are_not_reinterpreted():
    out = render("campaign_message", "en", {"title": "Hi", "body": "Use code {x}"})
    assert out.body == "Use code {x}"


def test_safety_templates_are_flagged():
    assert {n for n, t in TEMPLATES.items() if t.safety} == {"serious_reaction_alert",
                                                             "lot_quarantined"}
