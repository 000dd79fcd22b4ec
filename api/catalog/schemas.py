import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

CODE = v.Regexp(r"^[a-z0-9][a-z0-9-]{1,39}$", error="Lowercase letters, digits and dashes (2-40).")


class ProductSchema(ma.Schema):
    id = f.String()
    code = f.String()
    name_vi = f.String()
    name_en = f.String()
    target_disease = f.String()
    eu_mp = f.String(allow_none=True)
    eu_ma = f.String(allow_none=True)
    eu_vp = f.String(allow_none=True)
    cvx = f.String(allow_none=True)
    doses_in_primary_series = f.Integer()
    active = f.Boolean()


class ProductCreateSchema(ma.Schema):
    code = f.String(required=True, validate=CODE)
    name_vi = f.String(required=True, validate=v.Length(min=2, max=120))
    name_en = f.String(required=True, validate=v.Length(min=2, max=120))
    target_disease = f.String(load_default="840539006", validate=v.Regexp(r"^\d{6,18}$"))
    eu_mp = f.String(allow_none=True, load_default=None, validate=v.Length(max=60))
    eu_ma = f.String(allow_none=True, load_default=None, validate=v.Length(max=60))
    eu_vp = f.String(allow_none=True, load_default=None, validate=v.Length(max=30))
    cvx = f.String(allow_none=True, load_default=None, validate=v.Regexp(r"^\d{1,4}$"))
    doses_in_primary_series = f.Integer(required=True, validate=v.Range(min=1, max=6))
    active = f.Boolean(load_default=True)


class ProductPatchSchema(ma.Schema):
    name_vi = f.String(validate=v.Length(min=2, max=120))
    name_en = f.String(validate=v.Length(min=2, max=120))
    eu_mp = f.String(allow_none=True, validate=v.Length(max=60))
    eu_ma = f.String(allow_none=True, validate=v.Length(max=60))
    eu_vp = f.String(allow_none=True, validate=v.Length(max=30))
    cvx = f.String(allow_none=True, validate=v.Regexp(r"^\d{1,4}$"))
    active = f.Boolean()


class ProductQueryArgsSchema(ma.Schema):
    include_inactive = f.Boolean(load_default=False)


class DoseRuleSchema(ma.Schema):
    id = f.String()
    product_code = f.String()
    dose = f.String()
    jurisdiction = f.String()
    province_code = f.Integer(allow_none=True)
    unit_id = f.String(allow_none=True)
    effective_from = f.Date()
    effective_to = f.Date(allow_none=True)
    min_interval_days = f.Integer(allow_none=True)
    recommended_interval_days = f.Integer(allow_none=True)
    max_interval_days = f.Integer(allow_none=True)
    min_age_days = f.Integer(allow_none=True)
    max_age_days = f.Integer(allow_none=True)
    allowed_previous = f.List(f.String(), allow_none=True)
    source = f.String()
    created_at = f.DateTime()


class DoseRuleCreateSchema(ma.Schema):
    product_code = f.String(required=True)
    dose = f.String(required=True, validate=v.Regexp(r"^([1-9]|booster)$", error="1-9 or 'booster'."))
    province_code = f.Integer(allow_none=True, load_default=None)
    unit_id = f.String(allow_none=True, load_default=None)
    effective_from = f.Date(required=True)
    effective_to = f.Date(allow_none=True, load_default=None)
    min_interval_days = f.Integer(allow_none=True, load_default=None, validate=v.Range(min=0, max=3650))
    recommended_interval_days = f.Integer(allow_none=True, load_default=None, validate=v.Range(min=0, max=3650))
    max_interval_days = f.Integer(allow_none=True, load_default=None, validate=v.Range(min=0, max=3650))
    min_age_days = f.Integer(allow_none=True, load_default=None, validate=v.Range(min=0, max=50000))
    max_age_days = f.Integer(allow_none=True, load_default=None, validate=v.Range(min=0, max=50000))
    allowed_previous = f.List(f.String(), allow_none=True, load_default=None)
    source = f.String(load_default="", validate=v.Length(max=300))


class DoseRuleQueryArgsSchema(ma.Schema):
    product_code = f.String(load_default=None)
    on = f.Date(load_default=None)


class UnitSchema(ma.Schema):
    id = f.String()
    parent_id = f.String(allow_none=True)
    kind = f.String()
    code = f.String()
    name = f.String()
    depth = f.Integer()
    province_code = f.Integer(allow_none=True)
    ward_code = f.Integer(allow_none=True)
    address_line = f.String()
    latitude = f.Float(allow_none=True)
    longitude = f.Float(allow_none=True)
    opening_hours = f.String()
    daily_capacity = f.Integer(allow_none=True)


class UnitCreateSchema(ma.Schema):
    parent_id = f.String(required=True)
    kind = f.String(load_default="site", validate=v.OneOf(["province", "health_centre", "site"]))
    code = f.String(required=True, validate=v.Regexp(r"^[A-Z0-9][A-Z0-9-]{1,31}$",
                                                      error="Uppercase letters, digits and dashes (2-32)."))
    name = f.String(required=True, validate=v.Length(min=2, max=160))
    ward_code = f.Integer(allow_none=True, load_default=None)
    address_line = f.String(load_default="", validate=v.Length(max=200))
    latitude = f.Float(allow_none=True, load_default=None, validate=v.Range(min=-90, max=90))
    longitude = f.Float(allow_none=True, load_default=None, validate=v.Range(min=-180, max=180))
    opening_hours = f.String(load_default="", validate=v.Length(max=120))
    daily_capacity = f.Integer(allow_none=True, load_default=None, validate=v.Range(min=0, max=100000))


class UnitQueryArgsSchema(ma.Schema):
    kind = f.String(load_default=None, validate=v.OneOf(["national", "province", "health_centre", "site"]))
    province_code = f.Integer(load_default=None)
