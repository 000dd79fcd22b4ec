"""Reactions after a dose: the citizen's report, self-monitoring, the staff triage queue, safety figures.

Thin views: parse, call the service with the principal, the app's document store and the time.
Writes a phone may resend are made safe by the Idempotency-Key middleware (api/idempotency.py).
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import clock
from api.auth.guard import current_principal, requires
from api.db import db
from api.errors import ProblemSchema, language
from api.reactions import figures, service
from api.reactions import schemas as s
from api.reactions import terms as t
from api.web import docstore, request_id

STAFF = ("site_staff", "department_staff", "national_admin")
DEPARTMENT = ("department_staff", "national_admin")

blp = Blueprint("reactions", __name__, url_prefix="/api/v1",
                description="Reactions after a dose: reports, self-monitoring, triage, safety figures")


@blp.route("/adverse-event-terms")
class AdverseEventTerms(MethodView):
    @requires("public")
    @blp.response(200, s.TermListSchema)
    def get(self):
        """The symptom list (WHO AEFI / Brighton Collaboration terms) with codes, in vi and en."""
        lang = language()
        return {"terms": [t.term_view(term, lang) for term in t.TERMS], "severities": list(t.SEVERITIES),
                "care_sought": list(t.CARE_SOUGHT), "causality": list(t.CAUSALITY), "outcomes": list(t.OUTCOMES)}


@blp.route("/reaction-reports")
class ReactionReports(MethodView):
    @requires("signed_in")
    @blp.arguments(s.ReactionReportCreateSchema)
    @blp.response(201, s.ReactionReportSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Not your dose (nor a dependant's).")
    @blp.alt_response(422, schema=ProblemSchema, description="Onset before the dose or in the future; unknown symptoms.")
    def post(self, args):
        """Report how you (or a dependant) feel after a dose; serious signs alert the site at once."""
        cmd = service.ReportReaction(dose_record_id=args["dose_record_id"], no_reaction=args["no_reaction"],
                                     onset_at=args["onset_at"], symptoms=tuple(args["symptoms"]),
                                     symptom_text=args["symptom_text"], severity=args["severity"],
                                     care_sought=args["care_sought"])
        return service.report_reaction(db.sessions(), docstore(), current_principal(), cmd, now=clock.now())


@blp.route("/reaction-reports/<report_id>")
class ReactionReportById(MethodView):
    @requires("signed_in")
    @blp.response(200, s.ReactionReportSchema)
    def get(self, report_id):
        """A report with its triage state and follow-ups (the reporter, or staff within scope)."""
        return service.get_report(db.sessions(), docstore(), current_principal(), report_id,
                                  request_id=request_id(), now=clock.now())


@blp.route("/reaction-reports/<report_id>/follow-ups")
class ReactionFollowUps(MethodView):
    @requires("signed_in")
    @blp.arguments(s.FollowUpCreateSchema)
    @blp.response(201, s.FollowUpSchema)
    def post(self, args, report_id):
        """Add later information to your report (reports are never edited)."""
        cmd = service.FollowUp(note=args["note"], symptoms=tuple(args["symptoms"]), severity=args["severity"],
                               care_sought=args["care_sought"], outcome=args["outcome"])
        return service.add_follow_up(db.sessions(), docstore(), current_principal(), report_id, cmd, now=clock.now())


@blp.route("/people/<person_id>/reaction-reports")
class PersonReactionReports(MethodView):
    @requires("signed_in")
    @blp.response(200, s.ReactionReportSchema(many=True))
    def get(self, person_id):
        """Your (or a dependant's) reaction reports, the site's observation ones included."""
        return service.reports_for_person(db.sessions(), docstore(), current_principal(), person_id)


@blp.route("/doses/<dose_id>/monitoring")
class DoseMonitoring(MethodView):
    @requires("signed_in")
    @blp.response(200, s.MonitoringSchema)
    def get(self, dose_id):
        """The 28-day self-monitoring window after a dose, the days left and the warning signs."""
        out = service.monitoring(db.sessions(), docstore(), current_principal(), dose_id, now=clock.now())
        lang = language()
        out["warning_signs"] = [t.term_view(term, lang) for term in t.WARNING_SIGNS]
        return out


@blp.route("/reaction-triage")
class TriageQueue(MethodView):
    @requires(*STAFF)
    @blp.arguments(s.TriageQueryArgsSchema, location="query")
    @blp.response(200, s.ReactionReportSchema(many=True))
    def get(self, args):
        """Reports at the sites within your scope, serious first (?status=, ?serious=, ?site_id=)."""
        return service.queue(db.sessions(), docstore(), current_principal(), status=args["status"],
                             serious=args["serious"], site_id=args["site_id"], request_id=request_id(),
                             now=clock.now())


@blp.route("/reaction-reports/<report_id>/triage")
class TriageReport(MethodView):
    @requires(*STAFF)
    @blp.arguments(s.TriageActionSchema)
    @blp.response(200, s.TriageSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Someone else changed it first (expected_version).")
    def post(self, args, report_id):
        """Acknowledge, record a call-back or follow-up, classify (WHO AEFI causality), close."""
        cmd = service.TriageAction(action=args["action"], expected_version=args["expected_version"],
                                   note=args["note"], reached=args["reached"], outcome=args["outcome"],
                                   causality=args["causality"])
        return service.act_on_report(db.sessions(), docstore(), current_principal(), report_id, cmd,
                                     request_id=request_id(), now=clock.now())


@blp.route("/reaction-figures")
class SafetyFigures(MethodView):
    @requires(*DEPARTMENT)
    @blp.arguments(s.FiguresQueryArgsSchema, location="query")
    @blp.response(200, s.FiguresSchema)
    def get(self, args):
        """Reports and serious reports per 100,000 doses by product, lot, site and ISO week; flagged lots."""
        return figures.safety_figures(db.sessions(), docstore(), current_principal(), date_from=args["date_from"],
                                      date_to=args["date_to"], product_code=args["product_code"])


@blp.route("/reaction-figures/lots/<lot_id>/quarantine")
class QuarantineFlaggedLot(MethodView):
    @requires(*DEPARTMENT)
    @blp.arguments(s.LotQuarantineSchema)
    @blp.response(200, s.LotQuarantinedSchema)
    def post(self, args, lot_id):
        """Quarantine a lot everywhere, tell the sites holding it and (optionally) the people who got it."""
        return figures.quarantine_lot(db.sessions(), current_principal(), lot_id, reason=args["reason"],
                                      message_people=args["message_people"], now=clock.now())
