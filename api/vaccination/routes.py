"""Vaccination endpoints: stock, the visit at the site, doses, observation, corrections, imports.

Thin views: parse, call the service with the principal and the time, shape the answer.
"""
from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import clock
from api.auth.guard import current_principal, requires
from api.auth.phones import normalise_phone
from api.db import db
from api.errors import ProblemSchema, language
from api.idempotency import key_from_request, own_idempotency
from api.problems import NotFound, ValidationFailed
from api.vaccination import corrections, imports
from api.vaccination import schemas as s
from api.vaccination import screening as checklist
from api.vaccination import service
from api.vaccination import stock
from api.web import docstore, keystore, request_id

STAFF = ("site_staff", "department_staff", "national_admin")
SITE = ("site_staff", "department_staff")
STORE = ("department_staff", "national_admin")

blp = Blueprint("vaccination", __name__, url_prefix="/api/v1",
                description="At the site: check-in, screening, dose records, observation")
stock_blp = Blueprint("stock", __name__, url_prefix="/api/v1", description="Vaccine stock: lots, ledger, transfers")
records_blp = Blueprint("dose-records", __name__, url_prefix="/api/v1",
                        description="Dose records for citizens; corrections, backfills and imports")


def _evidence_store() -> corrections.EvidenceStore:
    return corrections.EvidenceStore(Path(current_app.instance_path) / "uploads" / "evidence")


def _load(schema: ma.Schema, data) -> dict:
    """Validate a body the view read itself (multipart) with the same 422 webargs gives."""
    try:
        return schema.load(data)
    except ma.ValidationError as exc:
        errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed(errors={k: v if isinstance(v, list) else [str(v)] for k, v in errors.items()}) from None


# ---------------------------------------------------------------- stock

@stock_blp.route("/stock/receipts")
class Receipts(MethodView):
    @requires(*STORE)
    @stock_blp.arguments(s.ReceiptCreateSchema)
    @stock_blp.response(201, s.LotSchema)
    @stock_blp.alt_response(409, schema=ProblemSchema, description="The lot number exists with another expiry or maker.")
    def post(self, args):
        """Receive doses of a lot at a province (or national) store."""
        return stock.receive_lot(db.sessions(), current_principal(), now=clock.now(), **args)


@stock_blp.route("/stock/lots/<lot_id>")
class LotById(MethodView):
    @requires(*STAFF)
    @stock_blp.response(200, s.LotDetailSchema)
    def get(self, lot_id):
        """A lot and the units within your scope that hold it."""
        return stock.lot_detail(db.reads(), current_principal(), lot_id, now=clock.now())


@stock_blp.route("/stock/lots/<lot_id>/quarantine")
class QuarantineLot(MethodView):
    @requires(*STORE)
    @stock_blp.arguments(s.QuarantineSchema)
    @stock_blp.response(200, s.LotSchema)
    def post(self, args, lot_id):
        """Stop a lot everywhere: no site may administer it until it is released."""
        return stock.set_quarantine(db.sessions(), current_principal(), lot_id, quarantined=True,
                                    reason=args["reason"], now=clock.now())


@stock_blp.route("/stock/lots/<lot_id>/release")
class ReleaseLot(MethodView):
    @requires("national_admin")
    @stock_blp.response(200, s.LotSchema)
    def post(self, lot_id):
        """Lift a lot's quarantine (national admin)."""
        return stock.set_quarantine(db.sessions(), current_principal(), lot_id, quarantined=False, reason="",
                                    now=clock.now())


@stock_blp.route("/stock/transfers")
class Transfers(MethodView):
    @requires(*STAFF)
    @stock_blp.arguments(s.StockUnitQueryArgsSchema, location="query")
    @stock_blp.response(200, s.TransferSchema(many=True))
    def get(self, args):
        """Transfers into or out of a unit and the units below it (?unit_id=, ?status=in_transit)."""
        return stock.list_transfers(db.reads(), current_principal(), unit_id=args["unit_id"], status=args["status"])

    @requires(*STAFF)
    @stock_blp.arguments(s.TransferCreateSchema)
    @stock_blp.response(201, s.TransferSchema)
    @stock_blp.alt_response(409, schema=ProblemSchema, description="Not enough in stock, or the lot is expired or quarantined.")
    def post(self, args):
        """Ship doses down the tree (or back up it); they are in transit until received."""
        return stock.ship(db.sessions(), current_principal(), now=clock.now(), **args)


@stock_blp.route("/stock/transfers/<transfer_id>/receive")
class ReceiveTransfer(MethodView):
    @requires(*STAFF)
    @stock_blp.arguments(s.TransferReceiveSchema)
    @stock_blp.response(200, s.TransferSchema)
    @stock_blp.alt_response(409, schema=ProblemSchema, description="Received already.")
    def post(self, args, transfer_id):
        """Count what arrived; a shortfall needs a note and stays on the transfer."""
        return stock.receive_transfer(db.sessions(), current_principal(), transfer_id, now=clock.now(), **args)


@stock_blp.route("/stock/write-offs")
class WriteOffs(MethodView):
    @requires(*STAFF)
    @stock_blp.arguments(s.WriteOffCreateSchema)
    @stock_blp.response(201, s.BalanceSchema)
    def post(self, args):
        """Take wasted or expired doses out of a unit's stock, with a reason."""
        return stock.write_off(db.sessions(), current_principal(), now=clock.now(), **args)


@stock_blp.route("/stock/adjustments")
class Adjustments(MethodView):
    @requires(*STAFF)
    @stock_blp.arguments(s.StockUnitQueryArgsSchema, location="query")
    @stock_blp.response(200, s.AdjustmentSchema(many=True))
    def get(self, args):
        """Adjustments at a unit and below (?status=pending: waiting for a second person)."""
        return stock.list_adjustments(db.reads(), current_principal(), unit_id=args["unit_id"], status=args["status"])

    @requires(*STAFF)
    @stock_blp.arguments(s.AdjustmentCreateSchema)
    @stock_blp.response(201, s.AdjustmentSchema)
    def post(self, args):
        """Ask to correct a count (with a reason); it applies when a second person approves."""
        return stock.request_adjustment(db.sessions(), current_principal(), now=clock.now(), **args)


@stock_blp.route("/stock/adjustments/<adjustment_id>/approve")
class ApproveAdjustment(MethodView):
    @requires(*STAFF)
    @stock_blp.arguments(s.DecisionNoteSchema)
    @stock_blp.response(200, s.AdjustmentSchema)
    @stock_blp.alt_response(403, schema=ProblemSchema, description="You asked for it: a second person must approve.")
    def post(self, args, adjustment_id):
        """Approve an adjustment someone else asked for: the balance moves now."""
        return stock.decide_adjustment(db.sessions(), current_principal(), adjustment_id, approve=True,
                                       note=args["note"], now=clock.now())


@stock_blp.route("/stock/adjustments/<adjustment_id>/reject")
class RejectAdjustment(MethodView):
    @requires(*STAFF)
    @stock_blp.arguments(s.DecisionNoteSchema)
    @stock_blp.response(200, s.AdjustmentSchema)
    def post(self, args, adjustment_id):
        """Reject an adjustment someone else asked for."""
        return stock.decide_adjustment(db.sessions(), current_principal(), adjustment_id, approve=False,
                                       note=args["note"], now=clock.now())


@stock_blp.route("/units/<unit_id>/stock")
class UnitStock(MethodView):
    @requires(*STAFF)
    @stock_blp.arguments(s.StockQueryArgsSchema, location="query")
    @stock_blp.response(200, s.UnitStockSchema)
    def get(self, args, unit_id):
        """A unit's stock per lot, days of supply per product, lots expiring soon (?subtree=true)."""
        return stock.unit_stock(db.reads(), current_principal(), unit_id, subtree=args["subtree"],
                                expiring_within_days=args["expiring_within_days"], now=clock.now())


@stock_blp.route("/units/<unit_id>/stock-movements")
class StockMovements(MethodView):
    @requires(*STAFF)
    @stock_blp.arguments(s.MovementQueryArgsSchema, location="query")
    @stock_blp.response(200, s.MovementSchema(many=True))
    def get(self, args, unit_id):
        """The unit's ledger, newest first."""
        return stock.list_movements(db.reads(), current_principal(), unit_id=unit_id, lot_id=args["lot_id"],
                                    limit=args["limit"])


# ---------------------------------------------------------------- the visit

@blp.route("/screening-checklist")
class Checklist(MethodView):
    @requires(*SITE)
    @blp.response(200, s.ChecklistSchema)
    def get(self):
        """The pre-vaccination screening checklist (items, vital-sign limits, outcomes)."""
        return checklist.checklist()


@blp.route("/visits")
class Visits(MethodView):
    @requires(*SITE)
    @blp.arguments(s.VisitCreateSchema)
    @blp.response(201, s.VisitSchema)
    @blp.alt_response(200, schema=s.VisitSchema, description="The person was checked in here today already.")
    @blp.alt_response(403, schema=ProblemSchema, description="The site or the person is outside your scope.")
    @blp.alt_response(409, schema=ProblemSchema, description="A walk-in and no session with room today.")
    def post(self, args):
        """Check a person in by personal QR, chip ID card QR, ID number or phone (the look-up is audited)."""
        cmd = service.CheckIn(site_id=args["site_id"], qr=args["qr"], cccd_text=args["cccd_text"],
                              national_id=args["national_id"],
                              phone=normalise_phone(args["phone"]) if args["phone"] else None,
                              session_id=args["session_id"])
        visit, created = service.check_in(db.sessions(), current_principal(), cmd,
                                          token_keys=keystore().token_public_keys(), request_id=request_id(),
                                          now=clock.now())
        return visit, 201 if created else 200


@blp.route("/sites/<site_id>/visits")
class SiteVisits(MethodView):
    @requires(*SITE)
    @blp.arguments(s.VisitQueryArgsSchema, location="query")
    @blp.response(200, s.VisitListItemSchema(many=True))
    def get(self, args, site_id):
        """The site's visits of a day (default today), in check-in order."""
        return service.list_visits(db.sessions(), current_principal(), site_id, day=args["day"], status=args["status"],
                                   request_id=request_id(), now=clock.now())


@blp.route("/visits/<visit_id>")
class VisitById(MethodView):
    @requires(*SITE)
    @blp.response(200, s.VisitSchema)
    def get(self, visit_id):
        """A visit: the person, the booking, dose history, the next dose, screening, observation."""
        return service.get_visit(db.sessions(), current_principal(), visit_id, request_id=request_id(),
                                 now=clock.now())


@blp.route("/visits/<visit_id>/screenings")
class Screenings(MethodView):
    @requires(*SITE)
    @blp.response(200, s.ScreeningSchema(many=True))
    def get(self, visit_id):
        """The screenings of a visit, oldest first (the latest counts)."""
        return service.screenings_of(db.reads(), current_principal(), visit_id)

    @requires(*SITE)
    @blp.arguments(s.ScreeningCreateSchema)
    @blp.response(201, s.ScreeningSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="The outcome is less cautious than the checklist requires.")
    def post(self, args, visit_id):
        """Record the screening checklist, vital signs and the outcome on the visit."""
        cmd = service.Screen(visit_id=visit_id, answers=args["answers"], vitals=args["vitals"],
                             outcome=args["outcome"], postpone_until=args["postpone_until"],
                             covid19_on=args["covid19_on"], pregnancy_weeks=args["pregnancy_weeks"], note=args["note"])
        return service.screen(db.sessions(), current_principal(), cmd, now=clock.now())


@blp.route("/visits/<visit_id>/doses")
class VisitDoses(MethodView):
    @requires(*SITE)
    @own_idempotency
    @blp.arguments(s.DoseCreateSchema)
    @blp.response(201, s.DoseRecordSchema)
    @blp.alt_response(200, schema=s.DoseRecordSchema, description="A resend with the same Idempotency-Key: the first record.")
    @blp.alt_response(409, schema=ProblemSchema, description="Out of stock, expired, quarantined or another site's lot; "
                                                             "screening missing or not cleared; recorded already.")
    @blp.alt_response(422, schema=ProblemSchema, description="The rules do not allow this dose now.")
    def post(self, args, visit_id):
        """Record the dose given at this visit; the site's stock goes down in the same transaction."""
        cmd = service.RecordDose(visit_id=visit_id, lot_id=args["lot_id"], key=key_from_request(),
                                 product_code=args["product_code"], administered_at=args["administered_at"],
                                 note=args["note"])
        dose, created = service.record_dose(db.sessions(), current_principal(), cmd, now=clock.now())
        return dose, 201 if created else 200


@blp.route("/visits/<visit_id>/close")
class CloseVisit(MethodView):
    @requires(*SITE)
    @blp.arguments(s.CloseVisitSchema)
    @blp.response(200, s.VisitSchema)
    def post(self, args, visit_id):
        """End a visit without a dose (postponed, referred, left)."""
        return service.close_visit(db.sessions(), current_principal(), visit_id, reason=args["reason"], now=clock.now())


@blp.route("/sites/<site_id>/observation")
class WatchList(MethodView):
    @requires(*SITE)
    @blp.response(200, s.WatchItemSchema(many=True))
    def get(self, site_id):
        """The 30-minute watch list: who is under observation and how long each has left."""
        return service.watch_list(db.sessions(), current_principal(), site_id, request_id=request_id(),
                                  now=clock.now())


@blp.route("/visits/<visit_id>/reactions")
class Reactions(MethodView):
    @requires(*SITE)
    @blp.arguments(s.ReactionCreateSchema)
    @blp.response(201, s.ReactionSchema)
    def post(self, args, visit_id):
        """Record an immediate reaction (kept on the visit and as a reaction report)."""
        return service.record_reaction(db.sessions(), current_principal(), visit_id, service.Reaction(**args),
                                       docstore=docstore(), now=clock.now())


@blp.route("/visits/<visit_id>/observation-end")
class EndObservation(MethodView):
    @requires(*SITE)
    @blp.arguments(s.ObservationEndSchema)
    @blp.response(200, s.VisitSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Not under observation, or time left (use left_early).")
    def post(self, args, visit_id):
        """Close the observation with its outcome."""
        return service.end_observation(db.sessions(), current_principal(), visit_id, outcome=args["outcome"],
                                       note=args["note"], now=clock.now())


# ---------------------------------------------------------------- the citizen's doses and corrections

@records_blp.route("/people/<person_id>/doses")
class PersonDoses(MethodView):
    @requires("signed_in")
    @records_blp.response(200, s.PersonDosesSchema)
    @records_blp.alt_response(403, schema=ProblemSchema, description="Not your profile nor your dependant's.")
    def get(self, person_id):
        """Your (or your dependant's) dose records and series status, as soon as they are written."""
        return service.doses_for(db.reads(), current_principal(), person_id)


@records_blp.route("/people/<person_id>/doses/<dose_id>/history")
class PersonDoseHistory(MethodView):
    @requires("signed_in")
    @records_blp.response(200, s.DoseHistorySchema)
    def get(self, person_id, dose_id):
        """A dose record and every change made to it."""
        return service.dose_history(db.reads(), current_principal(), person_id, dose_id)


def _photos(raw: list[str]) -> list[bytes]:
    out = []
    for i, text in enumerate(raw):
        text = text.split(",", 1)[1] if text.startswith("data:") else text  # a data: URL from the camera
        try:
            out.append(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            raise ValidationFailed("Evidence must be base64.", detail_vi="Ảnh minh chứng phải ở dạng base64.",
                                   errors={f"evidence_base64.{i}": ["Not base64."]}) from None
    return out


@records_blp.route("/people/<person_id>/corrections")
class PersonCorrections(MethodView):
    @requires("signed_in")
    @records_blp.response(200, s.CorrectionSchema(many=True))
    def get(self, person_id):
        """Your correction requests and what was decided (old and new values)."""
        return corrections.corrections_for(db.reads(), current_principal(), person_id)

    @requires("signed_in")
    @records_blp.doc(requestBody={"content": {
        "application/json": {"schema": s.CorrectionCreateSchema},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "payload": {"type": "string", "description": "the JSON fields (without evidence_base64)"},
            "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}})
    @records_blp.response(201, s.CorrectionSchema)
    @records_blp.alt_response(413, schema=ProblemSchema, description="A photo is larger than 5 MB.")
    def post(self, person_id):
        """Ask for a correction of a dose record or of personal data, with photos as evidence."""
        if request.mimetype == "multipart/form-data":
            try:
                payload = json.loads(request.form.get("payload") or "{}")
            except ValueError:
                raise ValidationFailed(errors={"payload": ["Not JSON."]}) from None
            args = _load(s.CorrectionCreateSchema(), payload)
            photos = [f.read() for f in request.files.getlist("evidence")]
        else:
            args = _load(s.CorrectionCreateSchema(), request.get_json(silent=True) or {})
            photos = _photos(args["evidence_base64"])
        cmd = corrections.CorrectionAsk(person_id=person_id, kind=args["kind"], changes=args["changes"],
                                        reason=args["reason"], dose_record_id=args["dose_record_id"])
        return corrections.request_correction(db.sessions(), current_principal(), cmd, photos,
                                              evidence=_evidence_store(), now=clock.now())


@records_blp.route("/corrections")
class CorrectionQueue(MethodView):
    @requires(*STAFF)
    @records_blp.arguments(s.CorrectionQueryArgsSchema, location="query")
    @records_blp.response(200, s.CorrectionSchema(many=True))
    def get(self, args):
        """Correction requests of your provinces (default: pending)."""
        return corrections.correction_queue(db.sessions(), current_principal(), status=args["status"] or None,
                                            request_id=request_id(), now=clock.now())


@records_blp.route("/corrections/<correction_id>")
class CorrectionById(MethodView):
    @requires("signed_in")
    @records_blp.response(200, s.CorrectionSchema)
    def get(self, correction_id):
        """One request (the requester, a guardian, or staff who may decide it)."""
        return corrections.correction_view(corrections.get_correction(db.reads(), current_principal(), correction_id))


@records_blp.route("/corrections/<correction_id>/evidence/<sha256>")
class CorrectionEvidence(MethodView):
    @requires("signed_in")
    @records_blp.doc(responses={"200": {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}},
                                        "description": "the photo"}})
    def get(self, correction_id, sha256):
        """One evidence photo of a request."""
        req = corrections.get_correction(db.reads(), current_principal(), correction_id)
        item = next((e for e in req.evidence if e["sha256"] == sha256), None)
        if item is None:
            raise NotFound("No such photo.", detail_vi="Không có ảnh này.")
        body = _evidence_store().get(sha256, item["content_type"])
        return Response(body, mimetype=item["content_type"], headers={"Cache-Control": "private, max-age=3600"})


@records_blp.route("/corrections/<correction_id>/approve")
class ApproveCorrection(MethodView):
    @requires(*STAFF)
    @records_blp.arguments(s.DecisionNoteSchema)
    @records_blp.response(200, s.CorrectionSchema)
    @records_blp.alt_response(403, schema=ProblemSchema, description="Outside your scope.")
    def post(self, args, correction_id):
        """Approve: the record changes now; its history keeps the old values."""
        return corrections.decide_correction(db.sessions(), current_principal(), correction_id, approve=True,
                                             note=args["note"], now=clock.now())


@records_blp.route("/corrections/<correction_id>/reject")
class RejectCorrection(MethodView):
    @requires(*STAFF)
    @records_blp.arguments(s.DecisionNoteSchema)
    @records_blp.response(200, s.CorrectionSchema)
    def post(self, args, correction_id):
        """Reject a correction request (say why in the note)."""
        return corrections.decide_correction(db.sessions(), current_principal(), correction_id, approve=False,
                                             note=args["note"], now=clock.now())


@records_blp.route("/dose-backfills")
class Backfills(MethodView):
    @requires(*STAFF)
    @records_blp.response(200, s.DoseRecordSchema(many=True))
    def get(self):
        """Backfilled doses waiting for a second approver (people within your scope)."""
        return corrections.pending_doses(db.sessions(), current_principal(), request_id=request_id(), now=clock.now())

    @requires(*SITE)
    @records_blp.arguments(s.BackfillCreateSchema)
    @records_blp.response(201, s.DoseRecordSchema)
    def post(self, args):
        """Record a dose given before the platform (from the paper card); it counts after a second approver."""
        return corrections.backfill_dose(db.sessions(), current_principal(), corrections.Backfill(**args),
                                         request_id=request_id(), now=clock.now())


@records_blp.route("/doses/<dose_id>/approve")
class ApproveDose(MethodView):
    @requires(*STAFF)
    @records_blp.arguments(s.DecisionNoteSchema)
    @records_blp.response(200, s.DoseRecordSchema)
    @records_blp.alt_response(403, schema=ProblemSchema, description="You recorded it: a second person must approve.")
    def post(self, args, dose_id):
        """Approve a backfilled dose someone else recorded: it counts from now."""
        return corrections.decide_dose(db.sessions(), current_principal(), dose_id, approve=True, note=args["note"],
                                       now=clock.now())


@records_blp.route("/doses/<dose_id>/reject")
class RejectDose(MethodView):
    @requires(*STAFF)
    @records_blp.arguments(s.DecisionNoteSchema)
    @records_blp.response(200, s.DoseRecordSchema)
    def post(self, args, dose_id):
        """Reject a backfilled dose (it is voided, with the note as the reason)."""
        return corrections.decide_dose(db.sessions(), current_principal(), dose_id, approve=False, note=args["note"],
                                       now=clock.now())


@records_blp.route("/doses/<dose_id>/history")
class DoseHistory(MethodView):
    @requires(*STAFF)
    @records_blp.response(200, s.DoseHistorySchema)
    def get(self, dose_id):
        """A dose record and every change to it, for staff and auditors within scope (audited)."""
        return service.staff_dose_history(db.sessions(), current_principal(), dose_id, request_id=request_id(),
                                          now=clock.now())


@records_blp.route("/dose-imports")
class DoseImports(MethodView):
    @requires(*STAFF)
    @records_blp.arguments(s.DoseImportQueryArgsSchema, location="query")
    @records_blp.response(200, s.DoseImportPageSchema)
    @records_blp.alt_response(403, schema=ProblemSchema, description="`unit_id` is outside your scope.")
    def get(self, args):
        """Imports of the units within your scope, newest first (?status=pending_approval: waiting for a second person)."""
        return imports.list_imports(db.reads(), current_principal(), **args)

    @requires(*SITE)
    @records_blp.doc(requestBody={"content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}}}}})
    @records_blp.response(201, s.DoseImportSchema)
    @records_blp.alt_response(422, schema=ProblemSchema, description="Rows rejected (`rows`: the per-row report); "
                                                                     "nothing imported.")
    def post(self):
        """Import historical dose records from CSV: all rows or none; they count after a second approver."""
        upload = request.files.get("file")
        if upload is not None:
            data, name = upload.read(), upload.filename or ""
        elif request.mimetype in ("text/csv", "text/plain"):
            data, name = request.get_data(), request.headers.get("X-File-Name", "")
        else:
            raise ValidationFailed("Send the CSV as text/csv or as the multipart field 'file'.",
                                   detail_vi="Hãy gửi tệp CSV (text/csv hoặc trường 'file').",
                                   errors={"file": ["A CSV file is required."]})
        result = imports.import_doses(db.sessions(), current_principal(), data=data, file_name=name,
                                      request_id=request_id(), now=clock.now())
        return imports.in_language(result, language())


@records_blp.route("/dose-imports/<import_id>")
class DoseImportById(MethodView):
    @requires(*STAFF)
    @records_blp.response(200, s.DoseImportSchema)
    def get(self, import_id):
        """An import and its dose records."""
        return imports.get_import(db.reads(), current_principal(), import_id)


@records_blp.route("/dose-imports/<import_id>/approve")
class ApproveImport(MethodView):
    @requires(*STAFF)
    @records_blp.arguments(s.DecisionNoteSchema)
    @records_blp.response(200, s.DoseImportSchema)
    def post(self, args, import_id):
        """Approve an import someone else uploaded: its doses count from now."""
        return imports.decide_import(db.sessions(), current_principal(), import_id, approve=True, note=args["note"],
                                     now=clock.now())


@records_blp.route("/dose-imports/<import_id>/reject")
class RejectImport(MethodView):
    @requires(*STAFF)
    @records_blp.arguments(s.DecisionNoteSchema)
    @records_blp.response(200, s.DoseImportSchema)
    def post(self, args, import_id):
        """Reject an import: its doses are voided."""
        return imports.decide_import(db.sessions(), current_principal(), import_id, approve=False, note=args["note"],
                                     now=clock.now())
