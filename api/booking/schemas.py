import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from api.booking.priority import CODES


class PriorityGroupSchema(ma.Schema):
    code = f.String()
    name_vi = f.String()
    name_en = f.String()


class RegistrationCreateSchema(ma.Schema):
    person_id = f.String(required=True)
    priority_group = f.String(required=True, validate=v.OneOf(CODES))
    preferred_province_code = f.Integer(required=True)
    preferred_ward_code = f.Integer(allow_none=True, load_default=None)
    note = f.String(load_default="", validate=v.Length(max=300))


class RegistrationEventSchema(ma.Schema):
    status = f.String()
    reason = f.String()
    at = f.DateTime()


class RegistrationUnitSchema(ma.Schema):
    id = f.String()
    name = f.String()
    kind = f.String()


class RegistrationSchema(ma.Schema):
    id = f.String()
    person_id = f.String()
    person_name = f.String()
    date_of_birth = f.Date()
    disease = f.String()
    priority_group = f.String()
    preferred_province_code = f.Integer()
    preferred_province_name = f.String()
    preferred_ward_code = f.Integer(allow_none=True)
    preferred_ward_name = f.String(allow_none=True)
    note = f.String()
    status = f.String(metadata={"description": "submitted | approved | rejected | allocated | cancelled"})
    status_reason = f.String()
    allocated_unit = f.Nested(RegistrationUnitSchema, allow_none=True)
    created_at = f.DateTime()
    updated_at = f.DateTime()
    history = f.List(f.Nested(RegistrationEventSchema), allow_none=True)


class RegistrationQueryArgsSchema(ma.Schema):
    person_id = f.String(load_default=None)


class BookingReasonSchema(ma.Schema):
    reason = f.String(load_default="", validate=v.Length(max=200))


class QueueQueryArgsSchema(ma.Schema):
    status = f.String(load_default="submitted",
                      validate=v.OneOf(["submitted", "approved", "rejected", "allocated", "cancelled"]))
    priority_group = f.String(load_default=None, validate=v.OneOf(CODES))
    province_code = f.Integer(load_default=None)
    ward_code = f.Integer(load_default=None)
    limit = f.Integer(load_default=50, validate=v.Range(min=1, max=500))
    offset = f.Integer(load_default=0, validate=v.Range(min=0))


class QueuePageSchema(ma.Schema):
    items = f.List(f.Nested(RegistrationSchema))
    total = f.Integer()


class RegistrationDecisionSchema(ma.Schema):
    registration_ids = f.List(f.String(), required=True, validate=v.Length(min=1, max=500))
    decision = f.String(required=True, validate=v.OneOf(["approve", "reject"]))
    reason = f.String(load_default="", validate=v.Length(max=300))


class AllocationSchema(ma.Schema):
    registration_ids = f.List(f.String(), required=True, validate=v.Length(min=1, max=500))
    unit_id = f.String(required=True)


class BulkSkippedSchema(ma.Schema):
    id = f.String()
    reason = f.String()


class BulkResultSchema(ma.Schema):
    done = f.List(f.String())
    skipped = f.List(f.Nested(BulkSkippedSchema))


class BookingSiteSchema(ma.Schema):
    id = f.String()
    code = f.String()
    name = f.String()
    province_code = f.Integer(allow_none=True)
    province_name = f.String(allow_none=True)
    ward_code = f.Integer(allow_none=True)
    ward_name = f.String(allow_none=True)
    address_line = f.String()
    latitude = f.Float(allow_none=True)
    longitude = f.Float(allow_none=True)
    opening_hours = f.String()


class BookingProductSchema(ma.Schema):
    code = f.String()
    name_vi = f.String()
    name_en = f.String()


class SessionSlotSchema(ma.Schema):
    id = f.String()
    starts_at = f.DateTime()
    ends_at = f.DateTime()
    capacity = f.Integer()
    free = f.Integer()


class VaccinationSessionSchema(ma.Schema):
    id = f.String()
    site = f.Nested(BookingSiteSchema)
    product = f.Nested(BookingProductSchema)
    day = f.Date()
    starts_at = f.DateTime()
    ends_at = f.DateTime()
    capacity = f.Integer()
    free = f.Integer()
    status = f.String()
    note = f.String()
    distance_km = f.Float(allow_none=True)
    slots = f.List(f.Nested(SessionSlotSchema))


class VaccinationSessionCreateSchema(ma.Schema):
    site_id = f.String(required=True)
    product_code = f.String(required=True)
    day = f.Date(required=True)
    start_time = f.Time(required=True, metadata={"description": "local time (Asia/Ho_Chi_Minh), HH:MM"})
    end_time = f.Time(required=True)
    capacity = f.Integer(required=True, validate=v.Range(min=1, max=10000))
    hourly_slots = f.Boolean(load_default=False)
    note = f.String(load_default="", validate=v.Length(max=200))


class VaccinationSessionQueryArgsSchema(ma.Schema):
    province_code = f.Integer(load_default=None)
    ward_code = f.Integer(load_default=None)
    unit_id = f.String(load_default=None)
    product_code = f.String(load_default=None)
    date_from = f.Date(load_default=None)
    date_to = f.Date(load_default=None)
    lat = f.Float(load_default=None, validate=v.Range(min=-90, max=90))
    lon = f.Float(load_default=None, validate=v.Range(min=-180, max=180))
    radius_km = f.Float(load_default=10.0, validate=v.Range(min=0.1, max=200))
    only_free = f.Boolean(load_default=True)
    limit = f.Integer(load_default=50, validate=v.Range(min=1, max=200))


class VaccinationSessionCancelledSchema(ma.Schema):
    id = f.String()
    status = f.String()
    bookings_cancelled = f.Integer()


class BookingCreateSchema(ma.Schema):
    person_id = f.String(required=True)
    slot_id = f.String(required=True)


class BookingRescheduleSchema(ma.Schema):
    slot_id = f.String(required=True)


class BookingSchema(ma.Schema):
    id = f.String()
    person_id = f.String()
    status = f.String(metadata={"description": "booked | confirmed | attended | cancelled | expired | missed"})
    dose_number = f.Integer()
    dose = f.String()
    product = f.Nested(BookingProductSchema)
    session_id = f.String()
    slot_id = f.String()
    day = f.Date()
    site = f.Nested(BookingSiteSchema)
    starts_at = f.DateTime()
    ends_at = f.DateTime()
    confirm_by = f.DateTime(allow_none=True, metadata={"description": "confirm before this or the seat is released"})
    created_at = f.DateTime()
    updated_at = f.DateTime()
    end_reason = f.String()
    calendar_url = f.String()


class BookingQueryArgsSchema(ma.Schema):
    person_id = f.String(load_default=None)
    active_only = f.Boolean(load_default=False)


class VaccinationSessionBookingSchema(ma.Schema):
    id = f.String()
    person_id = f.String()
    full_name = f.String()
    date_of_birth = f.Date()
    dose_number = f.Integer()
    status = f.String()
    slot_id = f.String()
    starts_at = f.DateTime()


class EligibilityQueryArgsSchema(ma.Schema):
    person_id = f.String(required=True)
    on = f.Date(load_default=None)
    unit_id = f.String(load_default=None)


class EligibleDoseSchema(ma.Schema):
    product_code = f.String()
    dose_number = f.Integer(allow_none=True)
    dose = f.String(allow_none=True)
    eligible = f.Boolean()
    reason = f.String(allow_none=True)
    reason_text = f.String(allow_none=True)
    reason_text_vi = f.String(allow_none=True)
    eligible_from = f.Date(allow_none=True)
    recommended_on = f.Date(allow_none=True)
    recommended_by = f.Date(allow_none=True)
    rule_id = f.String(allow_none=True)


class EligibilityDoseSchema(ma.Schema):
    product_code = f.String()
    dose_number = f.Integer()
    given_on = f.Date()


class EligibilitySchema(ma.Schema):
    person_id = f.String()
    on = f.Date()
    status = f.String(metadata={"description": "green (primary series complete) | yellow (started) | none"})
    doses = f.Integer()
    primary_complete_on = f.Date(allow_none=True)
    last_dose_on = f.Date(allow_none=True)
    history = f.List(f.Nested(EligibilityDoseSchema))
    options = f.List(f.Nested(EligibleDoseSchema))
