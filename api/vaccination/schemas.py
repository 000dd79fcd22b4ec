import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

OUTCOMES = ("vaccinate_now", "postpone", "refer_to_hospital")
OBSERVATION_OUTCOMES = ("discharged", "treated_and_discharged", "transferred_to_hospital", "left_early")
REACTION_KINDS = ("injection_site_pain", "fever", "headache", "dizziness", "nausea", "rash", "urticaria",
                  "syncope", "difficulty_breathing", "anaphylaxis", "other")


class StockUnitRefSchema(ma.Schema):
    id = f.String()
    code = f.String()
    name = f.String()
    kind = f.String()


# ---------------------------------------------------------------- stock

class LotSchema(ma.Schema):
    id = f.String()
    product_code = f.String()
    lot_number = f.String()
    expires_on = f.Date()
    manufacturer = f.String()
    received_doses = f.Integer()
    expired = f.Boolean()
    quarantined = f.Boolean()
    quarantined_at = f.AwareDateTime(allow_none=True)
    quarantine_reason = f.String()


class HoldingSchema(ma.Schema):
    unit = f.Nested(StockUnitRefSchema)
    balance = f.Integer()


class LotDetailSchema(LotSchema):
    holdings = f.List(f.Nested(HoldingSchema))


class ReceiptCreateSchema(ma.Schema):
    unit_id = f.String(required=True, metadata={"description": "The province (or national) store"})
    product_code = f.String(required=True)
    lot_number = f.String(required=True, validate=v.Length(min=1, max=40))
    expires_on = f.Date(required=True)
    manufacturer = f.String(required=True, validate=v.Length(min=1, max=120))
    quantity = f.Integer(required=True, validate=v.Range(min=1, max=10_000_000))


class TransferCreateSchema(ma.Schema):
    lot_id = f.String(required=True)
    from_unit_id = f.String(required=True)
    to_unit_id = f.String(required=True)
    quantity = f.Integer(required=True, validate=v.Range(min=1, max=10_000_000))
    note = f.String(load_default="", validate=v.Length(max=300))


class TransferReceiveSchema(ma.Schema):
    quantity_received = f.Integer(required=True, validate=v.Range(min=0))
    discrepancy_note = f.String(load_default="", validate=v.Length(max=300))


class TransferSchema(ma.Schema):
    id = f.String()
    lot_id = f.String()
    product_code = f.String()
    lot_number = f.String()
    from_unit = f.Nested(StockUnitRefSchema)
    to_unit = f.Nested(StockUnitRefSchema)
    quantity_sent = f.Integer()
    quantity_received = f.Integer(allow_none=True)
    discrepancy = f.Integer(allow_none=True)
    discrepancy_note = f.String()
    status = f.String(metadata={"description": "in_transit | received"})
    note = f.String()
    shipped_by = f.String()
    shipped_at = f.AwareDateTime()
    received_by = f.String(allow_none=True)
    received_at = f.AwareDateTime(allow_none=True)


class WriteOffCreateSchema(ma.Schema):
    unit_id = f.String(required=True)
    lot_id = f.String(required=True)
    quantity = f.Integer(required=True, validate=v.Range(min=1))
    kind = f.String(required=True, validate=v.OneOf(["waste", "expire"]))
    reason = f.String(load_default="", validate=v.Length(max=300))


class BalanceSchema(ma.Schema):
    unit = f.Nested(StockUnitRefSchema)
    lot = f.Nested(LotSchema)
    balance = f.Integer()


class AdjustmentCreateSchema(ma.Schema):
    unit_id = f.String(required=True)
    lot_id = f.String(required=True)
    delta = f.Integer(required=True, validate=v.Range(min=-1_000_000, max=1_000_000))
    reason = f.String(required=True, validate=v.Length(min=3, max=300))


class AdjustmentSchema(ma.Schema):
    id = f.String()
    unit_id = f.String()
    lot_id = f.String()
    delta = f.Integer()
    reason = f.String()
    status = f.String(metadata={"description": "pending | approved | rejected"})
    requested_by = f.String()
    requested_at = f.AwareDateTime()
    decided_by = f.String(allow_none=True)
    decided_at = f.AwareDateTime(allow_none=True)
    decision_note = f.String()


class DecisionNoteSchema(ma.Schema):
    note = f.String(load_default="", validate=v.Length(max=500))


class QuarantineSchema(ma.Schema):
    reason = f.String(required=True, validate=v.Length(min=3, max=300))


class StockUnitQueryArgsSchema(ma.Schema):
    unit_id = f.String(required=True)
    status = f.String(load_default=None)


class StockQueryArgsSchema(ma.Schema):
    subtree = f.Boolean(load_default=False)
    expiring_within_days = f.Integer(load_default=30, validate=v.Range(min=1, max=365))


class MovementQueryArgsSchema(ma.Schema):
    lot_id = f.String(load_default=None)
    limit = f.Integer(load_default=200, validate=v.Range(min=1, max=1000))


class MovementSchema(ma.Schema):
    id = f.String()
    at = f.AwareDateTime()
    unit_id = f.String()
    lot_id = f.String()
    product_code = f.String()
    lot_number = f.String()
    kind = f.String(metadata={"description": "receive | transfer_out | transfer_in | administer | waste | expire | adjust"})
    quantity = f.Integer(metadata={"description": "signed: + in, - out"})
    reason = f.String()
    transfer_id = f.String(allow_none=True)
    adjustment_id = f.String(allow_none=True)
    dose_record_id = f.String(allow_none=True)
    actor_account_id = f.String(allow_none=True)
    approved_by = f.String(allow_none=True)


class StockLotSchema(LotSchema):
    balance = f.Integer()
    usable = f.Boolean()
    expiring_soon = f.Boolean()


class StockProductSchema(ma.Schema):
    product_code = f.String()
    product_name = f.String()
    balance = f.Integer()
    usable_balance = f.Integer()
    administered_last_7_days = f.Integer()
    daily_rate = f.Float()
    days_of_supply = f.Float(allow_none=True)


class InTransitSchema(ma.Schema):
    transfer_id = f.String()
    lot_id = f.String()
    product_code = f.String()
    lot_number = f.String()
    quantity = f.Integer()
    shipped_at = f.AwareDateTime()


class UnitStockSchema(ma.Schema):
    unit = f.Nested(StockUnitRefSchema)
    subtree = f.Boolean()
    as_of = f.AwareDateTime()
    lots = f.List(f.Nested(StockLotSchema))
    products = f.List(f.Nested(StockProductSchema))
    expiring_soon = f.List(f.Nested(StockLotSchema))
    in_transit = f.List(f.Nested(InTransitSchema))


# ---------------------------------------------------------------- visits

class VisitCreateSchema(ma.Schema):
    site_id = f.String(required=True)
    qr = f.String(load_default=None, validate=v.Length(max=600), metadata={"description": "the personal QR (SSK1:…)"})
    cccd_text = f.String(load_default=None, validate=v.Length(max=600),
                         metadata={"description": "the text of a chip ID card's QR"})
    national_id = f.String(load_default=None, validate=v.Regexp(r"^\d{12}$", error="Must be exactly 12 digits."))
    phone = f.String(load_default=None, validate=v.Length(max=32))
    session_id = f.String(load_default=None, metadata={"description": "walk-ins: the session to take a seat in"})

    @ma.validates_schema
    def one_way(self, data, **_):
        given = [k for k in ("qr", "cccd_text", "national_id", "phone") if data.get(k)]
        if len(given) != 1:
            raise ma.ValidationError("Give exactly one of qr, cccd_text, national_id, phone.", "_schema")


class DoseRecordSchema(ma.Schema):
    id = f.String()
    person_id = f.String()
    visit_id = f.String(allow_none=True)
    booking_id = f.String(allow_none=True)
    disease = f.String(metadata={"description": "SNOMED CT code (840539006 = COVID-19)"})
    product_code = f.String()
    product_name_vi = f.String()
    product_name_en = f.String()
    lot_id = f.String(allow_none=True)
    lot_number = f.String()
    dose_number = f.Integer()
    series = f.String(metadata={"description": "primary | booster"})
    administered_at = f.AwareDateTime()
    administered_on = f.Date(metadata={"description": "local date (Asia/Ho_Chi_Minh)"})
    unit_id = f.String(allow_none=True)
    site_name = f.String()
    province_code = f.Integer(allow_none=True)
    vaccinator_account_id = f.String(allow_none=True)
    recorded_by = f.String()
    status = f.String(metadata={"description": "valid | corrected | voided | pending_approval"})
    source = f.String(metadata={"description": "site | backfill | import"})
    import_id = f.String(allow_none=True)
    approved_by = f.String(allow_none=True)
    approved_at = f.AwareDateTime(allow_none=True)
    void_reason = f.String()
    note = f.String()
    version = f.Integer()
    created_at = f.AwareDateTime()
    updated_at = f.AwareDateTime()
    observe_until = f.AwareDateTime(metadata={"description": "end of the 30-minute observation (site doses)"})
    full_name = f.String()
    date_of_birth = f.Date()


class PersonRefSchema(ma.Schema):
    id = f.String()
    full_name = f.String()
    date_of_birth = f.Date()
    sex = f.String()
    province_code = f.Integer(allow_none=True)


class VisitBookingSchema(ma.Schema):
    id = f.String()
    session_id = f.String()
    slot_id = f.String()
    product_code = f.String()
    dose_number = f.Integer()
    starts_at = f.AwareDateTime()
    ends_at = f.AwareDateTime()
    status = f.String()


class NextDoseOptionSchema(ma.Schema):
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


class ScreeningSchema(ma.Schema):
    id = f.String()
    visit_id = f.String()
    checklist_version = f.String()
    answers = f.Dict()
    vitals = f.Dict()
    computed_outcome = f.String()
    outcome = f.String()
    postpone_until = f.Date(allow_none=True)
    reasons = f.List(f.String())
    cautions = f.List(f.String())
    note = f.String()
    screened_by = f.String()
    screened_at = f.AwareDateTime()


class ReactionSchema(ma.Schema):
    id = f.String()
    kind = f.String()
    severity = f.String()
    onset_minutes = f.Integer(allow_none=True)
    treatment = f.String()
    note = f.String()
    recorded_by = f.String()
    recorded_at = f.String()


class VisitSchema(ma.Schema):
    id = f.String()
    status = f.String(metadata={"description": "checked_in | screened | observing | done | cancelled"})
    site_id = f.String()
    site_name = f.String()
    day = f.Date()
    walk_in = f.Boolean()
    check_in_method = f.String()
    checked_in_at = f.AwareDateTime()
    checked_in_by = f.String()
    person = f.Nested(PersonRefSchema)
    booking = f.Nested(VisitBookingSchema, allow_none=True)
    series_status = f.String(metadata={"description": "green | yellow | none"})
    doses = f.List(f.Nested(DoseRecordSchema))
    next_doses = f.List(f.Nested(NextDoseOptionSchema))
    screening = f.Nested(ScreeningSchema, allow_none=True)
    earlier_screening = f.Nested(ScreeningSchema, allow_none=True,
                                 metadata={"description": "a postponement or referral at an earlier visit still in force"})
    dose_record_id = f.String(allow_none=True)
    administered_at = f.AwareDateTime(allow_none=True)
    observe_until = f.AwareDateTime(allow_none=True)
    observation_remaining_seconds = f.Integer(allow_none=True)
    observation_outcome = f.String(allow_none=True)
    observation_note = f.String()
    reactions = f.List(f.Nested(ReactionSchema))
    close_reason = f.String()


class VisitListItemSchema(ma.Schema):
    id = f.String()
    person_id = f.String()
    full_name = f.String()
    date_of_birth = f.Date()
    status = f.String()
    walk_in = f.Boolean()
    checked_in_at = f.AwareDateTime()
    screening_outcome = f.String(allow_none=True)
    dose_record_id = f.String(allow_none=True)
    observe_until = f.AwareDateTime(allow_none=True)


class VisitQueryArgsSchema(ma.Schema):
    day = f.Date(load_default=None)
    status = f.String(load_default=None)


class VitalsSchema(ma.Schema):
    temperature_c = f.Float(load_default=None, allow_none=True, validate=v.Range(min=30, max=45))
    pulse = f.Integer(load_default=None, allow_none=True, validate=v.Range(min=20, max=250))
    systolic = f.Integer(load_default=None, allow_none=True, validate=v.Range(min=40, max=300))
    diastolic = f.Integer(load_default=None, allow_none=True, validate=v.Range(min=20, max=200))
    respiratory_rate = f.Integer(load_default=None, allow_none=True, validate=v.Range(min=4, max=80))
    spo2 = f.Integer(load_default=None, allow_none=True, validate=v.Range(min=50, max=100))


class ScreeningCreateSchema(ma.Schema):
    answers = f.Dict(keys=f.String(), values=f.Boolean(), load_default=dict,
                     metadata={"description": "checklist item code → present (GET /screening-checklist)"})
    vitals = f.Nested(VitalsSchema, load_default=dict)
    outcome = f.String(required=True, validate=v.OneOf(OUTCOMES))
    postpone_until = f.Date(load_default=None, allow_none=True)
    covid19_on = f.Date(load_default=None, allow_none=True)
    pregnancy_weeks = f.Integer(load_default=None, allow_none=True, validate=v.Range(min=0, max=45))
    note = f.String(load_default="", validate=v.Length(max=500))


class ChecklistItemSchema(ma.Schema):
    code = f.String()
    effect = f.String(metadata={"description": "refer_to_hospital | postpone | caution | note"})
    label_en = f.String()
    label_vi = f.String()


class ChecklistSchema(ma.Schema):
    version = f.String()
    items = f.List(f.Nested(ChecklistItemSchema))
    vitals = f.List(f.Nested(ChecklistItemSchema))
    outcomes = f.List(f.String())


class DoseCreateSchema(ma.Schema):
    lot_id = f.String(required=True)
    product_code = f.String(load_default=None, metadata={"description": "a cross-check of the lot's product"})
    administered_at = f.AwareDateTime(load_default=None, metadata={
        "description": "when given (a record queued offline); default now; at most 72 h ago"})
    note = f.String(load_default="", validate=v.Length(max=300))


class CloseVisitSchema(ma.Schema):
    reason = f.String(required=True, validate=v.Length(min=2, max=200))


class ReactionCreateSchema(ma.Schema):
    kind = f.String(required=True, validate=v.OneOf(REACTION_KINDS))
    severity = f.String(required=True, validate=v.OneOf(["mild", "moderate", "severe"]))
    onset_minutes = f.Integer(load_default=None, allow_none=True, validate=v.Range(min=0, max=240))
    treatment = f.String(load_default="", validate=v.Length(max=300))
    note = f.String(load_default="", validate=v.Length(max=500))


class ObservationEndSchema(ma.Schema):
    outcome = f.String(required=True, validate=v.OneOf(OBSERVATION_OUTCOMES))
    note = f.String(load_default="", validate=v.Length(max=500))


class WatchItemSchema(ma.Schema):
    visit_id = f.String()
    person_id = f.String()
    full_name = f.String()
    date_of_birth = f.Date()
    dose_record_id = f.String()
    product_code = f.String()
    lot_number = f.String()
    dose_number = f.Integer()
    administered_at = f.AwareDateTime()
    observe_until = f.AwareDateTime()
    remaining_seconds = f.Integer()
    may_leave = f.Boolean()
    reactions = f.Integer()


# ---------------------------------------------------------------- the citizen's doses, corrections

class PersonDosesSchema(ma.Schema):
    person_id = f.String()
    series_status = f.String(metadata={"description": "green | yellow | none (from counted doses)"})
    counted_doses = f.Integer()
    primary_complete_on = f.Date(allow_none=True)
    last_dose_on = f.Date(allow_none=True)
    doses = f.List(f.Nested(DoseRecordSchema))


class DoseChangeSchema(ma.Schema):
    version = f.Integer()
    change = f.String(metadata={"description": "corrected | voided | approved | rejected | renumbered"})
    before = f.Dict()
    after = f.Dict()
    reason = f.String()
    correction_id = f.String(allow_none=True)
    changed_by = f.String()
    changed_at = f.AwareDateTime()


class DoseHistorySchema(ma.Schema):
    dose = f.Nested(DoseRecordSchema)
    changes = f.List(f.Nested(DoseChangeSchema))


class EvidenceSchema(ma.Schema):
    sha256 = f.String()
    content_type = f.String()
    size = f.Integer()


class CorrectionCreateSchema(ma.Schema):
    kind = f.String(required=True, validate=v.OneOf(["dose", "person"]))
    dose_record_id = f.String(load_default=None)
    changes = f.Dict(required=True, metadata={
        "description": "dose: product_code, lot_number, administered_on, site_name, or void: true; "
                       "person: full_name, date_of_birth, sex, national_id"})
    reason = f.String(required=True, validate=v.Length(min=3, max=500))
    evidence_base64 = f.List(f.String(), load_default=list,
                             metadata={"description": "photos as base64 (or send multipart with files 'evidence')"})


class CorrectionSchema(ma.Schema):
    id = f.String()
    person_id = f.String()
    full_name = f.String()
    kind = f.String()
    dose_record_id = f.String(allow_none=True)
    changes = f.Dict()
    before = f.Dict()
    applied = f.Dict(allow_none=True)
    reason = f.String()
    evidence = f.List(f.Nested(EvidenceSchema))
    status = f.String(metadata={"description": "pending | approved | rejected"})
    unit_id = f.String(allow_none=True)
    province_code = f.Integer(allow_none=True)
    requested_by = f.String()
    requested_at = f.AwareDateTime()
    decided_by = f.String(allow_none=True)
    decided_at = f.AwareDateTime(allow_none=True)
    decision_note = f.String()


class CorrectionQueryArgsSchema(ma.Schema):
    status = f.String(load_default="pending")


class BackfillCreateSchema(ma.Schema):
    person_id = f.String(required=True)
    product_code = f.String(required=True)
    administered_on = f.Date(required=True)
    lot_number = f.String(load_default="", validate=v.Length(max=40))
    unit_id = f.String(load_default=None)
    site_name = f.String(load_default="", validate=v.Length(max=200))
    note = f.String(load_default="", validate=v.Length(max=300))


class ImportReasonSchema(ma.Schema):
    field = f.String(metadata={"description": "the CSV column (or row, header, file, person)"})
    code = f.String(metadata={"description": "stable machine code, e.g. product_unknown, dob_mismatch, "
                                             "dose_twice_in_file, dose_number_differs"})
    severity = f.String(metadata={"description": "error (the row is refused) | warning (accepted)"})
    params = f.Dict(metadata={"description": "the values in the message, e.g. {max: 40}"})
    message = f.String(metadata={"description": "for people, in the Accept-Language language (vi, en)"})


class ImportRowSchema(ma.Schema):
    row = f.Integer()
    status = f.String(metadata={"description": "accepted | rejected"})
    errors = f.Dict(metadata={"description": "{column: [message]} in the Accept-Language language"})
    warnings = f.List(f.String())
    reasons = f.List(f.Nested(ImportReasonSchema))
    dose_record_id = f.String()


class DoseImportSchema(ma.Schema):
    id = f.String()
    file_sha256 = f.String()
    file_name = f.String()
    row_count = f.Integer()
    unit_id = f.String(allow_none=True)
    status = f.String(metadata={"description": "pending_approval | approved | rejected"})
    uploaded_by = f.String()
    uploaded_at = f.AwareDateTime()
    decided_by = f.String(allow_none=True)
    decided_at = f.AwareDateTime(allow_none=True)
    decision_note = f.String()
    rows = f.List(f.Nested(ImportRowSchema))
    doses = f.List(f.Nested(DoseRecordSchema))


class DoseImportQueryArgsSchema(ma.Schema):
    status = f.String(load_default=None, validate=v.OneOf(["pending_approval", "approved", "rejected"]))
    unit_id = f.String(load_default=None, validate=v.Length(max=36))
    limit = f.Integer(load_default=50, validate=v.Range(min=1, max=100))
    offset = f.Integer(load_default=0, validate=v.Range(min=0))


class DoseImportListItemSchema(ma.Schema):
    id = f.String()
    file_name = f.String()
    file_sha256 = f.String()
    row_count = f.Integer()
    unit_id = f.String(allow_none=True)
    unit = f.Nested(StockUnitRefSchema, allow_none=True, metadata={"description": "the unit it was uploaded from"})
    status = f.String(metadata={"description": "pending_approval | approved | rejected"})
    uploaded_by = f.String()
    uploaded_at = f.AwareDateTime()
    decided_by = f.String(allow_none=True)
    decided_at = f.AwareDateTime(allow_none=True)
    decision_note = f.String()


class DoseImportPageSchema(ma.Schema):
    items = f.List(f.Nested(DoseImportListItemSchema))
    total = f.Integer(metadata={"description": "how many match the filters (page with limit and offset)"})
