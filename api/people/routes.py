"""People endpoints: own profile, dependants, guardians, hand-over, QR, CCCD, staff look-up."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import clock
from api.audit import service as audit
from api.auth import service as auth_service
from api.auth.guard import client_ip, current_principal, requires
from api.auth.phones import normalise_phone, phone_hint
from api.auth.routes import otp_policy
from api.db import db
from api.errors import ProblemSchema
from api.people import qr_images
from api.people import schemas as s
from api.people import service
from api.people.cccd import parse_chip_qr
from api.people.problems import CccdQrInvalid
from api.problems import ValidationFailed
from api.web import keystore, person_fields, person_out, request_id, sms

blp = Blueprint("people", __name__, url_prefix="/api/v1", description="People, dependants and the personal QR")


def token_signer():
    return keystore().token_signer(now=clock.now())


def _if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    try:
        return int(raw.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise ValidationFailed("If-Match must be the ETag of the profile.",
                               detail_vi="If-Match phải là ETag của hồ sơ.",
                               errors={"If-Match": ["Not an ETag we gave."]}) from None


def _with_etag(managed):
    return person_out(managed), 200, {"ETag": f'"{managed.person.version}"'}


@blp.route("/people/me")
class OwnProfile(MethodView):
    @requires("signed_in")
    @blp.arguments(s.PersonInSchema)
    @blp.response(200, s.PersonSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="The ID number belongs to someone else (or can be claimed).")
    def put(self, args):
        """Create or update your own profile."""
        fields = person_fields(args)
        with db.sessions().begin() as session:
            m = service.save_own_profile(session, current_principal(), fields,
                                         signer_for_qr=token_signer(), now=clock.now())
            return _with_etag(m)


@blp.route("/people")
class People(MethodView):
    @requires("signed_in")
    @blp.response(200, s.PersonSchema(many=True))
    def get(self):
        """The profiles you manage: your own first, then your dependants."""
        with db.reads().begin() as session:
            return [person_out(m) for m in service.managed_people(session, current_principal())]


@blp.route("/people/<person_id>")
class PersonById(MethodView):
    @requires("signed_in")
    @blp.response(200, s.PersonSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Not your profile nor your dependant's.")
    def get(self, person_id):
        """One profile you manage (ETag for If-Match)."""
        with db.reads().begin() as session:
            return _with_etag(service.get_person(session, current_principal(), person_id))

    @requires("signed_in")
    @blp.arguments(s.PersonPatchSchema(partial=True))
    @blp.response(200, s.PersonSchema)
    @blp.alt_response(412, schema=ProblemSchema, description="If-Match is not the current version.")
    def patch(self, args, person_id):
        """Change a profile you manage (send If-Match: the ETag you read)."""
        fields = person_fields(args)
        with db.sessions().begin() as session:
            m = service.update_person(session, current_principal(), person_id, fields,
                                      expected_version=_if_match(), now=clock.now())
            return _with_etag(m)


@blp.route("/people/dependants")
class Dependants(MethodView):
    @requires("signed_in")
    @blp.arguments(s.DependantInSchema)
    @blp.response(201, s.PersonSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Already your dependant, or the ID belongs to someone else.")
    def post(self, args):
        """Add a dependant (a child without an ID card, an elderly parent with one)."""
        fields = person_fields(args)
        with db.sessions().begin() as session:
            m = service.add_dependant(session, current_principal(), fields, args["relationship"],
                                      signer_for_qr=token_signer(), now=clock.now())
            return person_out(m)


@blp.route("/people/<person_id>/guardians")
class Guardians(MethodView):
    @requires("signed_in")
    @blp.response(200, s.GuardianSchema(many=True))
    def get(self, person_id):
        """Who manages this profile (and invitations still waiting)."""
        p = current_principal()
        with db.reads().begin() as session:
            rows = service.guardians_of(session, p, person_id)
        return [{"id": g.id, "name": person.full_name if person else None,
                 "phone_hint": phone_hint(account.phone if account else g.invited_phone),
                 "status": g.status, "relationship": g.relationship,
                 "is_me": bool(account and account.id == p.account_id)} for g, account, person in rows]

    @requires("signed_in")
    @blp.arguments(s.GuardianInviteSchema)
    @blp.response(201, s.GuardianSchema)
    def post(self, args, person_id):
        """Invite a second guardian by phone; they must accept."""
        phone = normalise_phone(args["phone"])
        with db.sessions().begin() as session:
            link = service.invite_guardian(session, current_principal(), person_id, phone=phone,
                                           relationship=args["relationship"], now=clock.now())
        sms().send(phone, "Ban duoc moi lam nguoi giam ho tren So Suc Khoe. Dang nhap de chap nhan. "
                          "You were invited as a guardian on So Suc Khoe: sign in to accept.")
        return {"id": link.id, "name": None, "phone_hint": phone_hint(phone), "status": link.status,
                "relationship": link.relationship, "is_me": False}


@blp.route("/people/<person_id>/guardians/<link_id>")
class GuardianById(MethodView):
    @requires("signed_in")
    @blp.response(204)
    def delete(self, person_id, link_id):
        """End a guardian link (your own, or any link on your own profile) or withdraw an invitation."""
        with db.sessions().begin() as session:
            service.end_guardianship(session, current_principal(), person_id, link_id, now=clock.now())


@blp.route("/guardian-invitations")
class Invitations(MethodView):
    @requires("signed_in")
    @blp.response(200, s.InvitationSchema(many=True))
    def get(self):
        """Invitations to become a guardian, waiting for your answer."""
        with db.reads().begin() as session:
            rows = service.invitations_for(session, current_principal())
        return [{"id": g.id, "person_name": person.full_name, "relationship": g.relationship,
                 "invited_by_name": inviter.full_name if inviter else None, "created_at": g.created_at}
                for g, person, inviter in rows]


@blp.route("/guardian-invitations/<invitation_id>/accept")
class AcceptInvitation(MethodView):
    @requires("signed_in")
    @blp.response(200, s.PersonSchema)
    def post(self, invitation_id):
        """Accept: you now manage this profile too."""
        with db.sessions().begin() as session:
            return person_out(service.answer_invitation(session, current_principal(), invitation_id,
                                                        accept=True, now=clock.now()))


@blp.route("/guardian-invitations/<invitation_id>/decline")
class DeclineInvitation(MethodView):
    @requires("signed_in")
    @blp.response(204)
    def post(self, invitation_id):
        """Decline an invitation."""
        with db.sessions().begin() as session:
            service.answer_invitation(session, current_principal(), invitation_id, accept=False, now=clock.now())


@blp.route("/people/claims")
class Claims(MethodView):
    @requires("signed_in")
    @blp.arguments(s.ClaimStartSchema)
    @blp.response(201, s.ClaimSchema)
    def post(self, args):
        """Claim the profile a guardian keeps for you: a code goes to the phone on that profile."""
        now = clock.now()
        with db.sessions().begin() as session:
            claim, phone = service.start_claim(session, current_principal(), national_id=args["national_id"],
                                               date_of_birth=args["date_of_birth"], now=now)
            challenge, code = auth_service.request_code(session, otp_policy(), phone=phone, ip=client_ip(),
                                                        purpose="claim", subject_id=claim.id, now=now)
        sms().send(phone, f"Ma nhan ho so So Suc Khoe: {code}. Profile hand-over code: {code}")
        return {"id": claim.id, "status": claim.status, "phone_hint": phone_hint(phone),
                "challenge_id": challenge.id}


@blp.route("/people/claims/<claim_id>/confirm")
class ConfirmClaim(MethodView):
    @requires("signed_in")
    @blp.arguments(s.ClaimConfirmSchema)
    @blp.response(200, s.PersonSchema)
    def post(self, args, claim_id):
        """Prove the claim with the code; choose whether your guardians keep access."""
        now = clock.now()
        with db.reads().begin() as session:
            challenge_id = service.claim_challenge(session, current_principal(), claim_id)
        auth_service.check_code(db.sessions(), otp_policy(), challenge_id=challenge_id,
                                code=args["code"], purpose="claim", now=now)
        with db.sessions().begin() as session:
            return person_out(service.finish_claim(session, current_principal(), claim_id,
                                                   keep_guardians=args["keep_guardians"], now=now))


@blp.route("/people/<person_id>/qr")
class PersonalQr(MethodView):
    @requires("signed_in")
    @blp.response(200, s.QrSchema)
    def get(self, person_id):
        """The person's QR token (opaque and signed: no name or ID number in it)."""
        with db.sessions().begin() as session:
            qr = service.current_qr(session, current_principal(), person_id, token_signer(), now=clock.now())
            return {"token": qr.token, "issued_at": qr.issued_at}


@blp.route("/people/<person_id>/qr/rotate")
class RotateQr(MethodView):
    @requires("signed_in")
    @blp.response(200, s.QrSchema)
    def post(self, person_id):
        """Replace the QR: the old code stops working at once."""
        with db.sessions().begin() as session:
            qr = service.rotate_qr(session, current_principal(), person_id, token_signer(), now=clock.now())
            return {"token": qr.token, "issued_at": qr.issued_at}


def _qr_image(person_id: str, kind: str):
    with db.sessions().begin() as session:
        qr = service.current_qr(session, current_principal(), person_id, token_signer(), now=clock.now())
        token, token_id = qr.token, qr.token_id
    etag = f'"{token_id}-{kind}"'
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={"ETag": etag})
    body, mimetype = qr_images.render(token, kind)
    # private: a QR identifies a person; no shared cache may keep it.
    return Response(body, mimetype=mimetype, headers={"ETag": etag, "Cache-Control": "private, no-cache"})


@blp.route("/people/<person_id>/qr.svg")
class PersonalQrSvg(MethodView):
    @requires("signed_in")
    @blp.doc(responses={"200": {"content": {"image/svg+xml": {}}, "description": "QR image"}})
    def get(self, person_id):
        """The person's QR as SVG."""
        return _qr_image(person_id, "svg")


@blp.route("/people/<person_id>/qr.png")
class PersonalQrPng(MethodView):
    @requires("signed_in")
    @blp.doc(responses={"200": {"content": {"image/png": {}}, "description": "QR image"}})
    def get(self, person_id):
        """The person's QR as PNG."""
        return _qr_image(person_id, "png")


@blp.route("/people/<person_id>/audit")
class PersonAudit(MethodView):
    @requires("signed_in")
    @blp.response(200, s.AuditEventSchema(many=True))
    def get(self, person_id):
        """Who read or changed this record (staff look-ups included)."""
        with db.reads().begin() as session:
            service.check_can_act_for(session, current_principal(), person_id)
            return audit.events_for_person(session, person_id)


@blp.route("/cccd/parse")
class CccdParse(MethodView):
    @requires("signed_in")
    @blp.arguments(s.CccdTextSchema)
    @blp.response(200, s.CccdSchema)
    def post(self, args):
        """Read the text of a chip ID card's QR code to prefill a form (nothing is stored)."""
        try:
            card = parse_chip_qr(args["text"])
        except ValueError as exc:
            raise CccdQrInvalid(f"Not a chip ID card QR: {exc}.",
                                errors={"text": [str(exc)]}, errors_vi={"text": ["Không đọc được mã QR CCCD."]}) from exc
        return card.__dict__


staff_blp = Blueprint("staff", __name__, url_prefix="/api/v1", description="Staff look-ups (audited)")


@staff_blp.route("/staff/person-lookups")
class PersonLookups(MethodView):
    @requires("site_staff", "department_staff", "national_admin")
    @staff_blp.arguments(s.LookupInSchema)
    @staff_blp.response(200, s.LookupSchema)
    @staff_blp.alt_response(403, schema=ProblemSchema, description="Outside your unit's scope.")
    def post(self, args):
        """Find one person by their QR, ID number or phone, within your scope; the read is audited."""
        phone = normalise_phone(args["phone"]) if args.get("phone") else None
        keys = keystore().token_public_keys()
        person, unit_id = service.staff_lookup(
            db.sessions(), current_principal(), qr=args.get("qr"), national_id=args.get("national_id"),
            phone=phone, reason=args["reason"], token_keys=keys, request_id=request_id(), now=clock.now())
        return {"person": person_out(service.Managed(person, "staff_view", False)), "unit_id": unit_id}


@staff_blp.route("/audit-events")
class AuditEvents(MethodView):
    @requires("department_staff", "national_admin")
    @staff_blp.response(200, s.AuditEventSchema(many=True))
    def get(self):
        """Audit events of one person (?person_id=)."""
        person_id = request.args.get("person_id", "")
        with db.reads().begin() as session:
            service.check_in_scope(session, current_principal(), person_id)
            return audit.events_for_person(session, person_id)
