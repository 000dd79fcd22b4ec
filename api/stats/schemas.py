"""Statistics schemas (marshmallow only)."""
from __future__ import annotations

import marshmallow as ma


class PublicStatsQueryArgsSchema(ma.Schema):
    from_ = ma.fields.Date(data_key="from", load_default=None, metadata={"description": "First local day (default: 90 days before `to`)."})
    to = ma.fields.Date(load_default=None, metadata={"description": "Last local day (default: today in Asia/Ho_Chi_Minh)."})
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "csv")),
                              metadata={"description": "csv: the doses-per-day table as CSV."})


class DayCellSchema(ma.Schema):
    day = ma.fields.String()
    first = ma.fields.Integer(allow_none=True)
    primary_complete = ma.fields.Integer(allow_none=True)
    booster = ma.fields.Integer(allow_none=True)
    other = ma.fields.Integer(allow_none=True)
    total = ma.fields.Integer(allow_none=True)
    suppressed = ma.fields.Boolean()


class ProductCellSchema(ma.Schema):
    product_code = ma.fields.String()
    name_vi = ma.fields.String()
    name_en = ma.fields.String()
    doses = ma.fields.Integer(allow_none=True)
    suppressed = ma.fields.Boolean()


class CoverageCellSchema(ma.Schema):
    province_code = ma.fields.Integer(metadata={"description": "Official province code (2025)."})
    province_name = ma.fields.String()
    at_least_one = ma.fields.Integer(allow_none=True)
    primary_complete = ma.fields.Integer(allow_none=True)
    booster = ma.fields.Integer(allow_none=True)
    suppressed = ma.fields.Boolean()


class PublicStatsSchema(ma.Schema):
    updated_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "When the aggregates were last refreshed."})
    from_ = ma.fields.String(data_key="from", attribute="from")
    to = ma.fields.String()
    metadata = ma.fields.Dict()
    doses_per_day = ma.fields.List(ma.fields.Nested(DayCellSchema))
    products = ma.fields.List(ma.fields.Nested(ProductCellSchema))
    coverage = ma.fields.List(ma.fields.Nested(CoverageCellSchema))


class DashboardQueryArgsSchema(ma.Schema):
    from_ = ma.fields.Date(data_key="from", load_default=None)
    to = ma.fields.Date(load_default=None)
    unit_id = ma.fields.String(load_default=None, metadata={"description": "Only this site (within your scope)."})
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "csv")))


class DashboardSchema(ma.Schema):
    from_ = ma.fields.String(data_key="from", attribute="from")
    to = ma.fields.String()
    updated_at = ma.fields.AwareDateTime(allow_none=True)
    scope = ma.fields.Dict()
    funnel = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    sessions = ma.fields.List(ma.fields.Dict())
    stock = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "Per unit and lot with doses on hand: balance, usable (not expired or quarantined), "
                       "used per day (last 7 days), days of supply."})
    supply = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "Per unit and product: usable doses, used per day (last 7 days), days of supply."})
    overdue = ma.fields.Dict()
    doses = ma.fields.Dict()
    products = ma.fields.Dict(metadata={"description": "Vaccine names by product code (name_vi, name_en)."})
    reactions = ma.fields.Dict(allow_none=True, metadata={
        "description": "Doses with a reaction report (`reports`) and with a serious one (`serious`) in the range and scope, and each per 100,000 doses (`report_rate`, `serious_rate`; null when no doses). By vaccine, lot, site and week: `GET /api/v1/reaction-figures`."})


class ExportQueryArgsSchema(ma.Schema):
    lang = ma.fields.String(load_default="vi", validate=ma.validate.OneOf(("vi", "en")))
