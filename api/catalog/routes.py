"""Catalog endpoints: vaccine products, dose-rule versions, organisation units. Thin views."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import clock
from api.auth.guard import current_principal, requires
from api.catalog import schemas as s
from api.catalog import service
from api.db import db
from api.errors import ProblemSchema

blp = Blueprint("catalog", __name__, url_prefix="/api/v1",
                description="Vaccine products, versioned dose rules, organisation units")


def _rule_out(rule, product_code: str) -> dict:
    out = {c: getattr(rule, c) for c in s.DoseRuleSchema().fields if hasattr(rule, c)}
    out["product_code"] = product_code
    return out


def _unit_out(unit) -> dict:
    out = {c: getattr(unit, c) for c in s.UnitSchema().fields if hasattr(unit, c)}
    out["depth"] = unit.path.count("/") - 2
    return out


@blp.route("/vaccine-products")
class Products(MethodView):
    @requires("public")
    @blp.arguments(s.ProductQueryArgsSchema, location="query")
    @blp.response(200, s.ProductSchema(many=True))
    def get(self, args):
        """The vaccine catalogue (active products unless include_inactive)."""
        return service.list_products(db.reads(), include_inactive=args["include_inactive"])

    @requires("national_admin")
    @blp.arguments(s.ProductCreateSchema)
    @blp.response(201, s.ProductSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="The code is taken.")
    def post(self, args):
        """Add a vaccine product (national admin)."""
        return service.create_product(db.sessions(), now=clock.now(), **args)


@blp.route("/vaccine-products/<code>")
class ProductByCode(MethodView):
    @requires("public")
    @blp.response(200, s.ProductSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="Unknown product code.")
    def get(self, code):
        """One vaccine product."""
        return service.get_product(db.reads(), code)

    @requires("national_admin")
    @blp.arguments(s.ProductPatchSchema)
    @blp.response(200, s.ProductSchema)
    def patch(self, args, code):
        """Change a product's names, codes or active flag (national admin)."""
        return service.update_product(db.sessions(), code, args, now=clock.now())


@blp.route("/dose-rules")
class DoseRules(MethodView):
    @requires("public")
    @blp.arguments(s.DoseRuleQueryArgsSchema, location="query")
    @blp.response(200, s.DoseRuleSchema(many=True))
    def get(self, args):
        """Every dose-rule version (or those in force on a date), oldest first."""
        return [_rule_out(r, code) for r, code in service.list_rules(
            db.reads(), product_code=args["product_code"], on=args["on"])]

    @requires("national_admin")
    @blp.arguments(s.DoseRuleCreateSchema)
    @blp.response(201, s.DoseRuleSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="A later version of this rule exists.")
    def post(self, args):
        """Add a rule version from its effective date; the version it replaces is end-dated (national admin)."""
        rule, code = service.create_rule_version(db.sessions(), now=clock.now(),
                                                 actor=current_principal().account_id, **args)
        return _rule_out(rule, code)


@blp.route("/org-units")
class Units(MethodView):
    @requires("site_staff", "department_staff", "national_admin")
    @blp.arguments(s.UnitQueryArgsSchema, location="query")
    @blp.response(200, s.UnitSchema(many=True))
    def get(self, args):
        """The units at and below yours, in tree order (build the tree from parent_id)."""
        return [_unit_out(u) for u in service.list_units(db.reads(), current_principal(), **args)]

    @requires("department_staff", "national_admin")
    @blp.arguments(s.UnitCreateSchema)
    @blp.response(201, s.UnitSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="The parent is outside your scope.")
    def post(self, args):
        """Add a unit (a vaccination site, usually) under a unit within your scope."""
        return _unit_out(service.create_unit(db.sessions(), current_principal(), now=clock.now(), **args))
