import marshmallow as ma
from marshmallow import fields as f


class OtpRequestSchema(ma.Schema):
    phone = f.String(required=True, validate=ma.validate.Length(min=3, max=32))


class OtpChallengeSchema(ma.Schema):
    challenge_id = f.String()
    phone = f.String()
    expires_at = f.AwareDateTime()


class OtpVerifySchema(ma.Schema):
    challenge_id = f.String(required=True, validate=ma.validate.Length(max=36))
    code = f.String(required=True, validate=ma.validate.Regexp(r"^\d{6}$", error="Six digits."))


class RoleSchema(ma.Schema):
    role = f.String()
    unit_id = f.String(allow_none=True)
    unit_name = f.String(allow_none=True)


class MeSchema(ma.Schema):
    account_id = f.String()
    phone = f.String()
    via = f.String()
    csrf_token = f.String()
    person = f.Raw(allow_none=True)
    roles = f.List(f.Nested(RoleSchema))
    held_roles = f.List(f.Nested(RoleSchema))
    passkey_count = f.Integer()
    staff_needs_passkey = f.Boolean()


class SessionSchema(ma.Schema):
    id = f.String()
    created_at = f.AwareDateTime()
    last_seen_at = f.AwareDateTime()
    user_agent = f.String()
    via = f.String()
    current = f.Boolean()


class PasskeyOptionsSchema(ma.Schema):
    challenge_id = f.String()
    public_key = f.Dict()


class PasskeyCreateSchema(ma.Schema):
    challenge_id = f.String(required=True)
    credential = f.Dict(required=True)
    name = f.String(load_default="Passkey", validate=ma.validate.Length(max=80))


class PasskeyLoginSchema(ma.Schema):
    challenge_id = f.String(required=True)
    credential = f.Dict(required=True)


class PasskeySchema(ma.Schema):
    id = f.String()
    name = f.String()
    created_at = f.AwareDateTime()
    last_used_at = f.AwareDateTime(allow_none=True)
