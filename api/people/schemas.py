import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

RELATIONSHIPS = ("child", "parent", "grandparent", "grandchild", "spouse", "sibling", "other")


class AddressInSchema(ma.Schema):
    province_code = f.Integer(allow_none=True, load_default=None)
    ward_code = f.Integer(allow_none=True, load_default=None)
    line = f.String(load_default="", validate=v.Length(max=200))


class PersonInSchema(ma.Schema):
    full_name = f.String(required=True, validate=v.Length(min=2, max=120))
    date_of_birth = f.Date(required=True)
    sex = f.String(required=True, validate=v.OneOf(["M", "F"]))
    national_id = f.String(allow_none=True, load_default=None,
                           validate=v.Regexp(r"^\d{12}$", error="Must be exactly 12 digits."))
    phone = f.String(allow_none=True, load_default=None, validate=v.Length(max=32))
    address = f.Nested(AddressInSchema, load_default=lambda: {"province_code": None, "ward_code": None, "line": ""})

    @ma.pre_load
    def strip(self, data, **_):
        if isinstance(data, dict):
            data = {k: (val.strip() if isinstance(val, str) else val) for k, val in data.items()}
            if data.get("national_id") == "":
                data["national_id"] = None
            if data.get("phone") == "":
                data["phone"] = None
            if isinstance(data.get("full_name"), str):
                data["full_name"] = " ".join(data["full_name"].split())
        return data


class PersonPatchSchema(PersonInSchema):
    class Meta:
        partial = True


class DependantInSchema(PersonInSchema):
    relationship = f.String(required=True, validate=v.OneOf(RELATIONSHIPS))


class AddressSchema(ma.Schema):
    province_code = f.Integer(allow_none=True)
    province_name = f.String(allow_none=True)
    ward_code = f.Integer(allow_none=True)
    ward_name = f.String(allow_none=True)
    line = f.String()


class PersonSchema(ma.Schema):
    id = f.String()
    full_name = f.String()
    date_of_birth = f.Date()
    sex = f.String()
    national_id = f.String(allow_none=True)
    phone = f.String(allow_none=True)
    address = f.Nested(AddressSchema)
    relation = f.String()
    has_account = f.Boolean()
    version = f.Integer()


class GuardianSchema(ma.Schema):
    id = f.String()
    name = f.String(allow_none=True)
    phone_hint = f.String()
    status = f.String()
    relationship = f.String()
    is_me = f.Boolean()


class GuardianInviteSchema(ma.Schema):
    phone = f.String(required=True)
    relationship = f.String(required=True, validate=v.OneOf(RELATIONSHIPS))


class InvitationSchema(ma.Schema):
    id = f.String()
    person_name = f.String()
    invited_by_name = f.String(allow_none=True)
    relationship = f.String()
    created_at = f.AwareDateTime()


class ClaimStartSchema(ma.Schema):
    national_id = f.String(required=True, validate=v.Regexp(r"^\d{12}$", error="Must be exactly 12 digits."))
    date_of_birth = f.Date(required=True)


class ClaimSchema(ma.Schema):
    id = f.String()
    status = f.String()
    phone_hint = f.String()
    challenge_id = f.String()


class ClaimConfirmSchema(ma.Schema):
    code = f.String(required=True, validate=v.Regexp(r"^\d{6}$", error="Six digits."))
    keep_guardians = f.Boolean(load_default=True)


class QrSchema(ma.Schema):
    token = f.String()
    issued_at = f.AwareDateTime()


class CccdTextSchema(ma.Schema):
    text = f.String(required=True, validate=v.Length(min=1, max=600))


class CccdSchema(ma.Schema):
    national_id = f.String()
    old_id = f.String()
    full_name = f.String()
    date_of_birth = f.Date()
    sex = f.String()
    address = f.String()
    issued_on = f.Date(allow_none=True)


class PlaceSchema(ma.Schema):
    code = f.Integer()
    name = f.String()


class LookupInSchema(ma.Schema):
    qr = f.String(load_default=None, validate=v.Length(max=600))
    national_id = f.String(load_default=None, validate=v.Regexp(r"^\d{12}$", error="Must be exactly 12 digits."))
    phone = f.String(load_default=None)
    reason = f.String(required=True, validate=v.Length(min=3, max=200))

    @ma.validates_schema
    def exactly_one(self, data, **_):
        given = [k for k in ("qr", "national_id", "phone") if data.get(k)]
        if len(given) != 1:
            raise ma.ValidationError("Give exactly one of qr, national_id, phone.", "qr")


class LookupSchema(ma.Schema):
    person = f.Nested(PersonSchema)
    unit_id = f.String()


class AuditEventSchema(ma.Schema):
    at = f.AwareDateTime()
    actor_account_id = f.String(allow_none=True)
    action = f.String()
    person_id = f.String(allow_none=True)
    unit_id = f.String(allow_none=True)
    reason = f.String()
