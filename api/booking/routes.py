"""Booking endpoints: registrations and the department's queue, sessions, bookings. Thin views."""
from __future__ import annotations

import click
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api import clock
from api.auth.guard import current_principal, requires
from api.booking import priority
from api.booking import schemas as s
from api.booking import service
from api.db import db
from api.errors import ProblemSchema, request_id
from api.idempotency import key_from_request, own_idempotency

blp = Blueprint("booking", __name__, url_prefix="/api/v1",
                description="Registration, approval and allocation, vaccination sessions, bookings")

DEPARTMENT = ("department_staff", "national_admin")
STAFF = ("site_staff", "department_staff", "national_admin")


def _booking_out(view: dict) -> dict:
    return {**view, "calendar_url": f"/api/v1/bookings/{view['id']}/calendar.ics"}


# ---------------------------------------------------------------- registrations

@blp.route("/priority-groups")
class PriorityGroups(MethodView):
    @requires("public")
    @blp.response(200, s.PriorityGroupSchema(many=True))
    def get(self):
        """The Ministry of Health's priority groups, in priority order."""
        return [{"code": c, "name_vi": vi, "name_en": en} for c, vi, en in priority.GROUPS]


@blp.route("/registrations")
class Registrations(MethodView):
    @requires("signed_in")
    @blp.arguments(s.RegistrationQueryArgsSchema, location="query")
    @blp.response(200, s.RegistrationSchema(many=True))
    def get(self, args):
        """Registrations of the people you manage (or of one), newest first, with their history."""
        return service.my_registrations(db.reads(), current_principal(), person_id=args["person_id"])

    @requires("signed_in")
    @blp.arguments(s.RegistrationCreateSchema)
    @blp.response(201, s.RegistrationSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Already registered.")
    def post(self, args):
        """Register yourself or a dependant for vaccination."""
        return service.register(db.sessions(), current_principal(), person_id=args["person_id"],
                                priority_group=args["priority_group"],
                                province_code=args["preferred_province_code"],
                                ward_code=args["preferred_ward_code"], note=args["note"], now=clock.now())


@blp.route("/registrations/<reg_id>")
class RegistrationById(MethodView):
    @requires("signed_in")
    @blp.response(200, s.RegistrationSchema)
    def get(self, reg_id):
        """One registration with each status change."""
        return service.get_registration(db.reads(), current_principal(), reg_id)


@blp.route("/registrations/<reg_id>/cancel")
class RegistrationCancel(MethodView):
    @requires("signed_in")
    @blp.arguments(s.BookingReasonSchema)
    @blp.response(200, s.RegistrationSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Not a live registration.")
    def post(self, args, reg_id):
        """Withdraw a registration; active bookings for it are cancelled and their seats freed."""
        return service.cancel_registration(db.sessions(), current_principal(), reg_id,
                                           reason=args["reason"], now=clock.now())


@blp.route("/registration-queue")
class RegistrationQueue(MethodView):
    @requires(*DEPARTMENT)
    @blp.arguments(s.QueueQueryArgsSchema, location="query")
    @blp.response(200, s.QueuePageSchema)
    def get(self, args):
        """The department's queue within its provinces, oldest first (the read is audited)."""
        items, total = service.registration_queue(db.sessions(), current_principal(), service.QueueFilter(**args),
                                                  request_id=request_id(), now=clock.now())
        return {"items": items, "total": total}


@blp.route("/registration-decisions")
class RegistrationDecisions(MethodView):
    @requires(*DEPARTMENT)
    @blp.arguments(s.RegistrationDecisionSchema)
    @blp.response(200, s.BulkResultSchema)
    def post(self, args):
        """Approve or reject registrations in bulk (a rejection needs a reason); others are skipped."""
        return service.decide_registrations(db.sessions(), current_principal(), args["registration_ids"],
                                            approve=args["decision"] == "approve", reason=args["reason"],
                                            now=clock.now())


@blp.route("/registration-allocations")
class RegistrationAllocations(MethodView):
    @requires(*DEPARTMENT)
    @blp.arguments(s.AllocationSchema)
    @blp.response(200, s.BulkResultSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="The site is outside your scope.")
    def post(self, args):
        """Allocate approved registrations to a site (or health centre) within your scope."""
        return service.allocate_registrations(db.sessions(), current_principal(), args["registration_ids"],
                                              unit_id=args["unit_id"], now=clock.now())


# ---------------------------------------------------------------- sessions

@blp.route("/vaccination-sessions")
class Sessions(MethodView):
    @requires("public")
    @blp.arguments(s.VaccinationSessionQueryArgsSchema, location="query")
    @blp.response(200, s.VaccinationSessionSchema(many=True))
    def get(self, args):
        """Open sessions by area (province, ward, unit) and/or distance (lat, lon, radius_km)."""
        return service.find_sessions(db.reads(), service.SessionSearch(**args), now=clock.now())

    @requires(*STAFF)
    @blp.arguments(s.VaccinationSessionCreateSchema)
    @blp.response(201, s.VaccinationSessionSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="The site is outside your scope.")
    def post(self, args):
        """Open a session at a site within your scope, optionally split into hourly slots."""
        return service.open_session(db.sessions(), current_principal(), site_id=args["site_id"],
                                    product_code=args["product_code"], day=args["day"], start=args["start_time"],
                                    end=args["end_time"], capacity=args["capacity"],
                                    hourly_slots=args["hourly_slots"], note=args["note"], now=clock.now())


@blp.route("/vaccination-sessions/<session_id>")
class SessionById(MethodView):
    @requires("public")
    @blp.response(200, s.VaccinationSessionSchema)
    def get(self, session_id):
        """One session with its slots and free seats."""
        return service.get_session(db.reads(), session_id, now=clock.now())


@blp.route("/vaccination-sessions/<session_id>/cancel")
class SessionCancel(MethodView):
    @requires(*STAFF)
    @blp.arguments(s.BookingReasonSchema)
    @blp.response(200, s.VaccinationSessionCancelledSchema)
    def post(self, args, session_id):
        """Cancel a session: its bookings are cancelled and the people told."""
        return service.cancel_session(db.sessions(), current_principal(), session_id,
                                      reason=args["reason"] or "cancelled by the site", now=clock.now())


@blp.route("/vaccination-sessions/<session_id>/bookings")
class SessionBookings(MethodView):
    @requires(*STAFF)
    @blp.response(200, s.VaccinationSessionBookingSchema(many=True))
    def get(self, session_id):
        """Who is booked in a session (site staff; the read is audited)."""
        return service.session_bookings(db.sessions(), current_principal(), session_id,
                                        request_id=request_id(), now=clock.now())


# ---------------------------------------------------------------- bookings

@blp.route("/bookings")
class Bookings(MethodView):
    @requires("signed_in")
    @blp.arguments(s.BookingQueryArgsSchema, location="query")
    @blp.response(200, s.BookingSchema(many=True))
    def get(self, args):
        """Bookings of the people you manage (or of one), latest first."""
        return [_booking_out(b) for b in service.my_bookings(db.reads(), current_principal(), **args)]

    @requires("signed_in")
    @own_idempotency
    @blp.arguments(s.BookingCreateSchema)
    @blp.response(201, s.BookingSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Full, past or cancelled session; already booked; registration not ready.")
    @blp.alt_response(422, schema=ProblemSchema, description="Not eligible for this dose on that date (reason, eligible_from).")
    def post(self, args):
        """Book a slot for yourself or a dependant (resending the same Idempotency-Key returns the first booking)."""
        view, created = service.book(db.sessions(), current_principal(), person_id=args["person_id"],
                                     slot_id=args["slot_id"], key=key_from_request(), now=clock.now(),
                                     connect=db.autocommit)
        return _booking_out(view), 201, ({} if created else {"Idempotent-Replayed": "true"})


@blp.route("/bookings/<booking_id>")
class BookingById(MethodView):
    @requires("signed_in")
    @blp.response(200, s.BookingSchema)
    def get(self, booking_id):
        """One booking."""
        return _booking_out(service.get_booking(db.reads(), current_principal(), booking_id))


@blp.route("/bookings/<booking_id>/confirm")
class BookingConfirm(MethodView):
    @requires("signed_in")
    @blp.response(200, s.BookingSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Too late to confirm, or no longer active.")
    def post(self, booking_id):
        """Confirm you will come (before confirm_by, or the seat is released)."""
        return _booking_out(service.confirm_booking(db.sessions(), current_principal(), booking_id, now=clock.now()))


@blp.route("/bookings/<booking_id>/cancel")
class BookingCancel(MethodView):
    @requires("signed_in")
    @blp.arguments(s.BookingReasonSchema)
    @blp.response(200, s.BookingSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="No longer active.")
    def post(self, args, booking_id):
        """Cancel a booking; the seat becomes bookable again."""
        return _booking_out(service.cancel_booking(db.sessions(), current_principal(), booking_id,
                                                   reason=args["reason"], now=clock.now()))


@blp.route("/bookings/<booking_id>/reschedule")
class BookingReschedule(MethodView):
    @requires("signed_in")
    @blp.arguments(s.BookingRescheduleSchema)
    @blp.response(200, s.BookingSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="The new slot is full, or the booking is no longer active.")
    def post(self, args, booking_id):
        """Move a booking to another slot (eligibility is checked for the new date)."""
        return _booking_out(service.reschedule_booking(db.sessions(), current_principal(), booking_id,
                                                       slot_id=args["slot_id"], now=clock.now()))


@blp.route("/bookings/<booking_id>/attend")
class BookingAttend(MethodView):
    @requires(*STAFF)
    @blp.response(200, s.BookingSchema)
    def post(self, booking_id):
        """Site staff: the person was vaccinated at this session (the dose counts for the next one)."""
        return _booking_out(service.attend_booking(db.sessions(), current_principal(), booking_id, now=clock.now()))


@blp.route("/bookings/<booking_id>/calendar.ics")
class BookingCalendar(MethodView):
    @requires("signed_in")
    @blp.doc(responses={"200": {"content": {"text/calendar": {}}, "description": "The appointment (RFC 5545)"}})
    def get(self, booking_id):
        """The appointment as an .ics file for the phone's calendar."""
        text = service.calendar(db.reads(), current_principal(), booking_id, now=clock.now())
        return Response(text, mimetype="text/calendar", headers={
            "Content-Disposition": f'attachment; filename="lich-tiem-{booking_id[:8]}.ics"',
            "Cache-Control": "private, no-cache"})


@blp.route("/eligibility")
class Eligibility(MethodView):
    @requires("signed_in")
    @blp.arguments(s.EligibilityQueryArgsSchema, location="query")
    @blp.response(200, s.EligibilitySchema)
    def get(self, args):
        """The rules engine's answer for a person: series status and the next dose of each product."""
        now = clock.now()
        return service.eligibility(db.reads(), current_principal(), args["person_id"],
                                   on=args["on"] or service.local_today(now), unit_id=args["unit_id"])


# ---------------------------------------------------------------- scheduler

@blp.cli.command("release-expired")
def release_expired_command():
    """Release the seats of unconfirmed and missed bookings (run every few minutes)."""
    counts = service.release_expired(db.sessions(), now=clock.now())
    click.echo(f"expired {counts['expired']}, missed {counts['missed']}")
