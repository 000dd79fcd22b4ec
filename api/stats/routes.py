"""Public open-data statistics, the department dashboard, a citizen's own export."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import clock
from api.auth.guard import current_principal, requires
from api.db import db
from api.errors import ProblemSchema
from api.people import service as people
from api.stats import export, service
from api.stats.schemas import (DashboardQueryArgsSchema, DashboardSchema, ExportQueryArgsSchema,
                               PublicStatsQueryArgsSchema, PublicStatsSchema)
from api.web import docstore

blp = Blueprint("public_stats", __name__, url_prefix="/api/v1/public/stats",
                description="Open data: doses per day, coverage by province, doses by product (CC BY 4.0)")
dashboard_blp = Blueprint("stats_dashboard", __name__, url_prefix="/api/v1/stats",
                          description="The department dashboard, within the caller's scope")
export_blp = Blueprint("people_export", __name__, url_prefix="/api/v1/people",
                       description="A citizen's own record as FHIR R4 and PDF")

PUBLIC_CACHE = "public, max-age=60, stale-while-revalidate=600"


def _not_modified(etag: str) -> Response | None:
    if request.if_none_match.contains(etag):
        r = Response(status=304)
        r.set_etag(etag)
        r.headers["Cache-Control"] = PUBLIC_CACHE
        return r
    return None


def _public(args, table: str | None):
    now = clock.now()
    with db.reads().begin() as session:
        since, until = service.date_range(args["from_"], args["to"], today=service.local_date(now))
        etag = service.public_etag(session, since, until, table or args["format"])
        if (early := _not_modified(etag)) is not None:
            return early, etag
        data = service.public_stats(session, since=since, until=until)
    return data, etag


def _csv(data: dict, table: str, etag: str) -> Response:
    key, columns = service.PUBLIC_CSV[table]
    r = Response(service.to_csv(data[key], columns), mimetype="text/csv")
    r.headers["Content-Disposition"] = f'inline; filename="ssk-{table}-{data["to"]}.csv"'
    r.set_etag(etag)
    r.headers["Cache-Control"] = PUBLIC_CACHE
    return r


@blp.route("")
class PublicStats(MethodView):
    @requires("public")
    @blp.arguments(PublicStatsQueryArgsSchema, location="query")
    @blp.response(200, PublicStatsSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag).")
    @blp.alt_response(422, schema=ProblemSchema, description="A bad date range.")
    def get(self, args):
        """Open figures: doses per day, by product and coverage by province (cells under 10 withheld).

        Counts only (no population denominators are packaged). `?format=csv` answers the
        doses-per-day table as CSV; the other tables are at /doses.csv, /coverage.csv, /products.csv.
        """
        data, etag = _public(args, None)
        if isinstance(data, Response):
            return data
        if args["format"] == "csv":
            return _csv(data, "doses", etag)
        return data, 200, {"ETag": f'"{etag}"', "Cache-Control": PUBLIC_CACHE}


def _csv_view(table: str):
    class PublicCsv(MethodView):
        @requires("public")
        @blp.arguments(PublicStatsQueryArgsSchema, location="query")
        @blp.response(200, description=f"The {table} table as CSV (text/csv).", content_type="text/csv")
        def get(self, args):
            data, etag = _public(args, table)
            return data if isinstance(data, Response) else _csv(data, table, etag)

    PublicCsv.get.__doc__ = f"Open data as CSV: the {table} table."
    PublicCsv.__name__ = f"Public{table.capitalize()}Csv"
    return PublicCsv


for _table in service.PUBLIC_CSV:
    blp.route(f"/{_table}.csv")(_csv_view(_table))


@dashboard_blp.route("/dashboard")
class Dashboard(MethodView):
    @requires("department_staff", "national_admin", "site_staff")
    @dashboard_blp.arguments(DashboardQueryArgsSchema, location="query")
    @dashboard_blp.response(200, DashboardSchema)
    @dashboard_blp.alt_response(403, schema=ProblemSchema, description="A unit outside your scope.")
    def get(self, args):
        """Registration funnel, sessions, stock, overdue people and doses within your scope (`?format=csv`)."""
        now = clock.now()
        with db.reads().begin() as session:
            since, until = service.date_range(args["from_"], args["to"], today=service.local_date(now), default_days=30)
            scope = service.narrow(session, service.scope_of(current_principal()), args["unit_id"])
            data = service.dashboard(session, scope, since=since, until=until, now=now, store=docstore())
        if args["format"] == "csv":
            r = Response(service.dashboard_csv(data), mimetype="text/csv")
            r.headers["Content-Disposition"] = f'attachment; filename="ssk-dashboard-{data["to"]}.csv"'
            r.headers["Cache-Control"] = "private, no-store"
            return r
        return data, 200, {"Cache-Control": "private, no-store"}


def _reactions_of(person_id: str) -> list[dict]:
    # The reports the person (or their guardian) made, and those staff saw at the site.
    return docstore().find("reaction_reports", {"person_id": person_id}, limit=1000)


@export_blp.route("/<person_id>/export.fhir.json")
class FhirExport(MethodView):
    @requires("signed_in")
    @export_blp.response(200, description="A FHIR R4 Bundle (collection).", content_type="application/fhir+json")
    @export_blp.alt_response(403, schema=ProblemSchema, description="Not you or your dependant.")
    def get(self, person_id):
        """Your whole vaccination record (or a dependant's) as a FHIR R4 Bundle."""
        now = clock.now()
        with db.reads().begin() as session:
            people.check_can_act_for(session, current_principal(), person_id)
            bundle = export.fhir_bundle(session, person_id, reactions=_reactions_of(person_id), now=now)
        import json

        r = Response(json.dumps(bundle, ensure_ascii=False), mimetype="application/fhir+json")
        r.headers["Content-Disposition"] = 'attachment; filename="so-suc-khoe.fhir.json"'
        r.headers["Cache-Control"] = "private, no-store"
        return r


@export_blp.route("/<person_id>/export.pdf")
class PdfExport(MethodView):
    @requires("signed_in")
    @export_blp.arguments(ExportQueryArgsSchema, location="query")
    @export_blp.response(200, description="A PDF of the record.", content_type="application/pdf")
    @export_blp.alt_response(403, schema=ProblemSchema, description="Not you or your dependant.")
    def get(self, args, person_id):
        """Your vaccination record (or a dependant's) as a PDF in Vietnamese or English."""
        now = clock.now()
        with db.reads().begin() as session:
            people.check_can_act_for(session, current_principal(), person_id)
            data = export.pdf_record(session, person_id, lang=args["lang"], reactions=_reactions_of(person_id),
                                     now=now)
        r = Response(data, mimetype="application/pdf")
        r.headers["Content-Disposition"] = f'attachment; filename="so-suc-khoe-{args["lang"]}.pdf"'
        r.headers["Cache-Control"] = "private, no-store"
        return r
