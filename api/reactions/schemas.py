import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

SEVERITIES = ("mild", "moderate", "severe")
CARE_SOUGHT = ("none", "self_care", "pharmacy", "clinic", "emergency", "hospitalised")
CAUSALITY = ("consistent", "indeterminate", "inconsistent", "unclassifiable")
TRIAGE_STATUSES = ("new", "acknowledged", "in_follow_up", "closed")
ACTIONS = ("acknowledge", "call_back", "follow_up", "classify", "close", "reopen")


class TermSchema(ma.Schema):
    code = f.String()
    meddra_pt = f.String()
    label = f.String()
    label_vi = f.String()
    label_en = f.String()
    group = f.String()
    serious = f.Boolean()
    brighton = f.String()


class TermListSchema(ma.Schema):
    terms = f.List(f.Nested(TermSchema))
    severities = f.List(f.String())
    care_sought = f.List(f.String())
    causality = f.List(f.String())
    outcomes = f.List(f.String())


class ReactionReportCreateSchema(ma.Schema):
    dose_record_id = f.String(required=True)
    no_reaction = f.Boolean(load_default=False)
    onset_at = f.AwareDateTime(load_default=None, allow_none=True)
    # Codes are checked by the service against the term list (a 422 naming the unknown ones).
    symptoms = f.List(f.String(validate=v.Length(max=40)), load_default=list, validate=v.Length(max=30))
    symptom_text = f.String(load_default="", validate=v.Length(max=2000))
    severity = f.String(load_default=None, allow_none=True)
    care_sought = f.String(load_default="none")


class FacilitySchema(ma.Schema):
    id = f.String()
    name = f.String()
    address_line = f.String()
    ward_code = f.Integer(allow_none=True)
    province_code = f.Integer(allow_none=True)
    latitude = f.Float(allow_none=True)
    longitude = f.Float(allow_none=True)
    opening_hours = f.String()


class WhatToDoSchema(ma.Schema):
    call = f.String()
    hotline = f.String()
    nearest_facility = f.Nested(FacilitySchema, allow_none=True)
    vi = f.String()
    en = f.String()


class TriageSchema(ma.Schema):
    status = f.String()
    version = f.Integer()
    serious = f.Boolean()
    escalation_level = f.Integer()
    escalate_at = f.String(allow_none=True)
    acknowledged_at = f.String(allow_none=True)
    acknowledged_by = f.String(allow_none=True)
    outcome = f.String(allow_none=True)
    causality = f.String(allow_none=True)
    updated_at = f.String(allow_none=True)
    updated_by = f.String(allow_none=True)


class PersonBriefSchema(ma.Schema):
    id = f.String()
    full_name = f.String()
    date_of_birth = f.String()
    phone = f.String(allow_none=True)


class ReactionReportSchema(ma.Schema):
    id = f.String()
    source = f.String()
    no_reaction = f.Boolean()
    person_id = f.String()
    dose_record_id = f.String()
    product_code = f.String()
    lot_id = f.String(allow_none=True)
    lot_number = f.String(allow_none=True)
    site_id = f.String(allow_none=True)
    site_name = f.String()
    administered_at = f.String()
    reported_at = f.String()
    onset_at = f.String(allow_none=True)
    symptoms = f.List(f.String())
    symptom_text = f.String(allow_none=True)
    severity = f.String(allow_none=True)
    care_sought = f.String(allow_none=True)
    serious = f.Boolean()
    serious_signs = f.List(f.String())
    treatment = f.String()
    what_to_do = f.Nested(WhatToDoSchema, allow_none=True)
    triage = f.Nested(TriageSchema)
    person = f.Nested(PersonBriefSchema, allow_none=True)
    follow_ups = f.List(f.Dict())


class FollowUpCreateSchema(ma.Schema):
    note = f.String(load_default="", validate=v.Length(max=2000))
    symptoms = f.List(f.String(validate=v.Length(max=40)), load_default=list, validate=v.Length(max=30))
    severity = f.String(load_default=None, allow_none=True)
    care_sought = f.String(load_default=None, allow_none=True)
    outcome = f.String(load_default=None, allow_none=True)


class FollowUpSchema(ma.Schema):
    id = f.String()
    report_id = f.String()
    kind = f.String()
    at = f.String()
    note = f.String()
    symptoms = f.List(f.String())
    severity = f.String(allow_none=True)
    care_sought = f.String(allow_none=True)
    outcome = f.String(allow_none=True)
    serious = f.Boolean()
    what_to_do = f.Nested(WhatToDoSchema, allow_none=True)


class TriageQueryArgsSchema(ma.Schema):
    status = f.String(load_default=None, validate=v.OneOf(TRIAGE_STATUSES))
    serious = f.Boolean(load_default=None)
    site_id = f.String(load_default=None)


class TriageActionSchema(ma.Schema):
    action = f.String(required=True, validate=v.OneOf(ACTIONS))
    expected_version = f.Integer(required=True, validate=v.Range(min=1))
    note = f.String(load_default="", validate=v.Length(max=2000))
    reached = f.Boolean(load_default=None, allow_none=True)
    outcome = f.String(load_default=None, allow_none=True)
    causality = f.String(load_default=None, allow_none=True, validate=v.OneOf(CAUSALITY))


class MonitoringSchema(ma.Schema):
    dose_record_id = f.String()
    administered_at = f.AwareDateTime()
    window_ends_at = f.AwareDateTime()
    day = f.Integer()
    days_left = f.Integer()
    active = f.Boolean()
    intensive = f.Boolean()
    check_days = f.List(f.Integer())
    reports = f.Integer()
    facility = f.Nested(FacilitySchema, allow_none=True)
    emergency = f.String()
    hotline = f.String()
    warning_signs = f.List(f.Nested(TermSchema))
    seek_care = f.Dict(keys=f.String(), values=f.List(f.String()))


class FiguresQueryArgsSchema(ma.Schema):
    date_from = f.Date(required=True, data_key="from")
    date_to = f.Date(required=True, data_key="to")
    product_code = f.String(load_default=None)


class FigureRowSchema(ma.Schema):
    key = f.String()
    label = f.String()
    doses = f.Integer()
    reports = f.Integer()
    serious = f.Integer()
    report_rate = f.Float(allow_none=True)
    serious_rate = f.Float(allow_none=True)
    product_code = f.String()
    flagged = f.Boolean()
    quarantined = f.Boolean()


class FiguresSchema(ma.Schema):
    date_from = f.Date(data_key="from")
    date_to = f.Date(data_key="to")
    per = f.Integer()
    flag_rule = f.Dict()
    by_product = f.List(f.Nested(FigureRowSchema))
    by_lot = f.List(f.Nested(FigureRowSchema))
    by_site = f.List(f.Nested(FigureRowSchema))
    by_week = f.List(f.Nested(FigureRowSchema))


class LotQuarantineSchema(ma.Schema):
    reason = f.String(required=True, validate=v.Length(min=3, max=300))
    message_people = f.Boolean(load_default=False)


class LotBriefSchema(ma.Schema):
    id = f.String()
    product_code = f.String()
    lot_number = f.String()
    quarantined = f.Boolean()
    quarantined_at = f.AwareDateTime(allow_none=True)
    quarantine_reason = f.String()


class LotQuarantinedSchema(ma.Schema):
    lot = f.Nested(LotBriefSchema)
    holding_units = f.List(f.String())
    staff_messages = f.Integer()
    people_messaged = f.Integer()
