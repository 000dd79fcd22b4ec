"""Sign-in endpoints: thin views over auth.service and auth.passkeys."""
from __future__ import annotations

import sqlalchemy as sa
from flask import make_response
from flask.views import MethodView
from flask_smorest import Blueprint

from api import clock
from api.auth import passkeys
from api.auth import schemas as s
from api.auth import service
from api.auth.guard import (clear_session_cookies, client_ip, current_principal, requires,
                            set_session_cookies)
from api.auth.models import Account, Passkey
from api.auth.phones import normalise_phone
from api.auth.service import OtpPolicy
from api.db import db
from api.errors import ProblemSchema
from api.people.models import Person
from api.people.service import Managed
from api.web import person_out, settings, sms, user_agent

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-in: phone codes, passkeys, sessions")


def otp_policy() -> OtpPolicy:
    st = settings()
    return OtpPolicy(pepper=st.secret_key.encode(), max_attempts=st.otp_max_attempts,
                     per_phone_per_hour=st.otp_per_phone_per_hour, per_ip_per_hour=st.otp_per_ip_per_hour)


def relying_party() -> passkeys.RelyingParty:
    st = settings()
    return passkeys.RelyingParty(id=st.rp_id, name=st.rp_name, origins=st.origins)


def me_body(session, principal: service.Principal) -> dict:
    person = session.get(Person, principal.person_id) if principal.person_id else None
    count = session.scalar(sa.select(sa.func.count()).select_from(Passkey).filter_by(account_id=principal.account_id))

    def roles(rs):
        return [{"role": r.role, "unit_id": r.unit_id, "unit_name": r.unit_name} for r in rs]

    return {"account_id": principal.account_id, "phone": principal.phone, "via": principal.via,
            "csrf_token": principal.csrf_token,
            "person": person_out(Managed(person, "self", True)) if person else None,
            "roles": roles(principal.roles), "held_roles": roles(principal.held_roles),
            "passkey_count": count, "staff_needs_passkey": principal.staff_needs_passkey}


def _signed_in(account_id: str, via: str):
    """Open a session for the account and answer with Me and the cookies."""
    st, now = settings(), clock.now()
    with db.sessions().begin() as session:
        token, row = service.open_session(session, account_id=account_id, via=via,
                                          user_agent=user_agent(), now=now, days=st.session_days)
        principal = service.load_principal(session, token, now=now)
        body = me_body(session, principal)
    resp = make_response(s.MeSchema().dump(body), 200)
    return set_session_cookies(resp, token, row.csrf_token, secure=st.secure_cookies, days=st.session_days)


@blp.route("/otp")
class OtpRequests(MethodView):
    @requires("public")
    @blp.arguments(s.OtpRequestSchema)
    @blp.response(202, s.OtpChallengeSchema)
    @blp.alt_response(429, schema=ProblemSchema, description="Too many codes for this phone or address (Retry-After).")
    def post(self, args):
        """Send a 6-digit sign-in code by SMS (valid 5 minutes, 5 tries)."""
        phone = normalise_phone(args["phone"])
        with db.sessions().begin() as session:
            challenge, code = service.request_code(session, otp_policy(), phone=phone, ip=client_ip(),
                                                   purpose="sign_in", now=clock.now())
        sms().send(phone, f"Ma dang nhap So Suc Khoe: {code}. Het han sau 5 phut. "
                          f"Your So Suc Khoe sign-in code: {code}")
        return {"challenge_id": challenge.id, "phone": phone, "expires_at": challenge.expires_at}


@blp.route("/otp/verify")
class OtpVerify(MethodView):
    @requires("public")
    @blp.arguments(s.OtpVerifySchema)
    @blp.response(200, s.MeSchema)
    def post(self, args):
        """Check the code; signs in (creating the account the first time)."""
        now = clock.now()
        challenge = service.check_code(db.sessions(), otp_policy(), challenge_id=args["challenge_id"],
                                       code=args["code"], purpose="sign_in", now=now)
        with db.sessions().begin() as session:
            account, _ = service.account_for_phone(session, challenge.phone, now=now)
            account_id = account.id
        return _signed_in(account_id, "otp")


@blp.route("/me")
class Me(MethodView):
    @requires("signed_in")
    @blp.response(200, s.MeSchema)
    def get(self):
        """Who is signed in, with roles in force and the CSRF token."""
        with db.reads().begin() as session:
            return me_body(session, current_principal())


@blp.route("/logout")
class Logout(MethodView):
    @requires("signed_in")
    @blp.response(204)
    def post(self):
        """End this session."""
        p = current_principal()
        with db.sessions().begin() as session:
            service.revoke_session(session, p.account_id, p.session_id, now=clock.now())
        return clear_session_cookies(make_response("", 204))


@blp.route("/sessions")
class Sessions(MethodView):
    @requires("signed_in")
    @blp.response(200, s.SessionSchema(many=True))
    def get(self):
        """Your live sessions, the current one marked."""
        p = current_principal()
        with db.reads().begin() as session:
            rows = service.list_sessions(session, p.account_id, now=clock.now())
        return [{"id": r.id, "created_at": r.created_at, "last_seen_at": r.last_seen_at,
                 "user_agent": r.user_agent, "via": r.via, "current": r.id == p.session_id} for r in rows]


@blp.route("/sessions/<session_id>")
class SessionById(MethodView):
    @requires("signed_in")
    @blp.response(204)
    def delete(self, session_id):
        """Sign out a session (e.g. a lost phone)."""
        p = current_principal()
        with db.sessions().begin() as session:
            service.revoke_session(session, p.account_id, session_id, now=clock.now())


@blp.route("/passkeys/options")
class PasskeyRegistrationOptions(MethodView):
    @requires("signed_in")
    @blp.response(200, s.PasskeyOptionsSchema)
    def post(self):
        """Start registering a passkey: pass `public_key` to parseCreationOptionsFromJSON."""
        p = current_principal()
        with db.sessions().begin() as session:
            account = session.get_one(Account, p.account_id)
            person = session.get(Person, p.person_id) if p.person_id else None
            cid, options = passkeys.registration_options(
                session, relying_party(), account, person.full_name if person else account.phone, now=clock.now())
        return {"challenge_id": cid, "public_key": options}


@blp.route("/passkeys")
class Passkeys(MethodView):
    @requires("signed_in")
    @blp.response(200, s.PasskeySchema(many=True))
    def get(self):
        """Your passkeys."""
        with db.reads().begin() as session:
            return passkeys.list_passkeys(session, current_principal().account_id)

    @requires("signed_in")
    @blp.arguments(s.PasskeyCreateSchema)
    @blp.response(201, s.PasskeySchema)
    def post(self, args):
        """Finish registering a passkey (the browser's credential.toJSON())."""
        p = current_principal()
        with db.sessions().begin() as session:
            account = session.get_one(Account, p.account_id)
            return passkeys.register(session, relying_party(), account, challenge_id=args["challenge_id"],
                                     credential=args["credential"], name=args["name"], now=clock.now())


@blp.route("/passkeys/<passkey_id>")
class PasskeyById(MethodView):
    @requires("signed_in")
    @blp.response(204)
    def delete(self, passkey_id):
        """Revoke a passkey."""
        with db.sessions().begin() as session:
            passkeys.revoke(session, current_principal().account_id, passkey_id)


@blp.route("/passkey-login/options")
class PasskeyLoginOptions(MethodView):
    @requires("public")
    @blp.response(200, s.PasskeyOptionsSchema)
    def post(self):
        """Start signing in with a passkey: pass `public_key` to parseRequestOptionsFromJSON."""
        with db.sessions().begin() as session:
            cid, options = passkeys.authentication_options(session, relying_party(), now=clock.now())
        return {"challenge_id": cid, "public_key": options}


@blp.route("/passkey-login")
class PasskeyLogin(MethodView):
    @requires("public")
    @blp.arguments(s.PasskeyLoginSchema)
    @blp.response(200, s.MeSchema)
    @blp.alt_response(401, schema=ProblemSchema, description="Unknown passkey.")
    def post(self, args):
        """Sign in with a passkey alone."""
        with db.sessions().begin() as session:
            account = passkeys.authenticate(session, relying_party(), challenge_id=args["challenge_id"],
                                            credential=args["credential"], now=clock.now())
            account_id = account.id
        return _signed_in(account_id, "passkey")
