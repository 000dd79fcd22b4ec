"""Passport endpoints: issuer keys, trust and revocation lists, revocations, foreign signers,
and the server-side verifier for those who cannot verify on their own device."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import clock
from api.auth.guard import current_principal, requires
from api.certificates import schemas as s
from api.certificates import service
from api.db import db
from api.errors import ProblemSchema
from api.idempotency import own_idempotency
from api.web import keystore, request_id, settings

blp = Blueprint("certificates", __name__, url_prefix="/api/v1",
                description="Passports: trust list, revocation list, verification")
wellknown_blp = Blueprint("well-known", __name__, url_prefix="/.well-known",
                          description="SMART Health Card issuer keys")

# Verifiers revalidate with If-None-Match (a 304 costs nothing); caches may serve a list a little
# stale while they do. Revocations must travel faster than new signers.
TRUST_LIST_CACHE = "public, max-age=300, stale-while-revalidate=86400"
REVOCATION_CACHE = "public, max-age=60, stale-while-revalidate=3600"
JOSE = "application/jose"  # RFC 7515 §9.2.1: a JWS in compact serialisation
_JOSE_DOC = {"description": "A compact JWS signed by the national root (see /verifier-config).",
             "content": {JOSE: {"schema": {"type": "string"}}}}


def _issuer_url() -> str:
    return settings().origins[0].rstrip("/")


def _public(resp: Response) -> Response:
    # Anyone's verifier may fetch our keys and lists (SHC: issuers SHALL enable CORS on the JWKS)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _signed_list(etag: str, sign: Callable[[], str], cache_control: str) -> Response:
    """The list, or a 304 when the client already holds this content (weak comparison)."""
    tag = etag.removeprefix("W/").strip('"')
    if request.if_none_match.contains_weak(tag):
        resp = Response(status=304)
    else:
        resp = Response(sign(), mimetype=JOSE)
    resp.set_etag(tag, weak=True)
    resp.headers["Cache-Control"] = cache_control
    return _public(resp)


@wellknown_blp.route("/jwks.json")
class IssuerKeys(MethodView):
    @requires("public")
    @wellknown_blp.doc(responses={200: {"description": "JWKS: the keys of our SMART Health Cards."}})
    def get(self):
        """The SMART Health Card issuer's public keys (JWKS)."""
        resp = Response(json.dumps(service.issuer_jwks(keystore(), now=clock.now())),
                        mimetype="application/json")
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return _public(resp)


@blp.route("/trust-list")
class TrustListView(MethodView):
    @requires("public")
    @blp.doc(responses={200: _JOSE_DOC, 304: {"description": "Unchanged since the ETag you sent."}})
    def get(self):
        """Every document signer verifiers accept (ours, incl. rotated ones, and imported foreign ones)."""
        now, keys = clock.now(), keystore()
        with db.reads().begin() as session:
            trust = service.current_trust_list(session, keys, now=now)
        return _signed_list(service.trust_list_etag(trust),
                            lambda: service.sign_trust_list(trust, keys, now=now), TRUST_LIST_CACHE)


@blp.route("/revocation-list")
class RevocationListView(MethodView):
    @requires("public")
    @blp.doc(responses={200: _JOSE_DOC, 304: {"description": "Unchanged since the ETag you sent."}})
    def get(self):
        """SHA-256 hashes of every revoked passport's UVCI, signed by the national root."""
        now, keys = clock.now(), keystore()
        with db.reads().begin() as session:
            etag = service.revocation_list_etag(session)
            if request.if_none_match.contains_weak(etag.removeprefix("W/").strip('"')):
                revocations = None
            else:
                revocations = service.current_revocation_list(session, now=now)
        return _signed_list(etag, lambda: service.sign_revocation_list(revocations, keys, now=now),
                            REVOCATION_CACHE)


@blp.route("/verifier-config")
class VerifierConfigView(MethodView):
    @requires("public")
    @blp.response(200, s.VerifierConfigSchema)
    def get(self):
        """What an offline verifier pins once: the national root, and how stale its lists may get."""
        extra = settings().extra
        config = service.verifier_config(
            keystore(), issuer_url=_issuer_url(), now=clock.now(),
            warn_after_hours=int(extra.get("verifier_warn_after_hours", service.WARN_AFTER_HOURS)),
            refuse_after_hours=int(extra.get("verifier_refuse_after_hours",
                                             service.REFUSE_AFTER_HOURS)))
        return config, 200, {"Cache-Control": "public, max-age=3600",
                             "Access-Control-Allow-Origin": "*"}


@blp.route("/passport-verifications")
class PassportVerifications(MethodView):
    @requires("public")
    # Verifying is pure, so a resend is simply verified again; and the answer (a name and a date
    # of birth) must not be kept in the idempotency table.
    @own_idempotency
    @blp.arguments(s.PassportVerificationCreateSchema)
    @blp.response(200, s.VerdictSchema)
    def post(self, args):
        """Verify a passport QR on the server (for devices that cannot verify offline)."""
        with db.reads().begin() as session:
            kind, verdict = service.verify_passport(session, keystore(), args["qr"],
                                                    issuer_url=_issuer_url(), now=clock.now())
        return {"status": verdict.status, "reason": verdict.reason, "format": kind,
                "name": verdict.name, "dob": verdict.dob,
                "doses": list(verdict.doses)}


@blp.route("/certificates/revocations")
class Revocations(MethodView):
    @requires("national_admin")
    @blp.response(200, s.RevocationSchema(many=True))
    def get(self):
        """The latest revocations (newest first)."""
        with db.reads().begin() as session:
            return service.revocations(session)

    @requires("national_admin")
    @blp.arguments(s.RevocationCreateSchema)
    @blp.response(201, s.RevocationSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="Not a UVCI, or a wrong check character.")
    def post(self, args):
        """Revoke a passport by its UVCI (again: the first revocation); verifiers learn of it on their next sync."""
        with db.sessions().begin() as session:
            row, _ = service.revoke_passport(session, uvci=args["uvci"], reason=args["reason"],
                                             actor_id=current_principal().account_id,
                                             now=clock.now(), request_id=request_id())
            return row


@blp.route("/trusted-signers")
class TrustedSigners(MethodView):
    @requires("national_admin")
    @blp.response(200, s.TrustedSignerSchema(many=True))
    def get(self):
        """Foreign document signers in the trust list."""
        with db.reads().begin() as session:
            return service.signers(session)

    @requires("national_admin")
    @blp.arguments(s.TrustedSignerCreateSchema)
    @blp.response(201, s.TrustedSignerSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="The certificate is already trusted.")
    @blp.alt_response(422, schema=ProblemSchema, description="Not a usable signer certificate.")
    def post(self, args):
        """Trust another country's document signer certificate (PEM or base64 DER)."""
        with db.sessions().begin() as session:
            return service.import_signer(session, keystore(), certificate=args["certificate"],
                                         country=args["country"],
                                         actor_id=current_principal().account_id,
                                         now=clock.now(), request_id=request_id())


@blp.route("/trusted-signers/<signer_id>")
class TrustedSignerById(MethodView):
    @requires("national_admin")
    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema, description="No such signer.")
    def delete(self, signer_id):
        """Stop trusting a foreign signer; verifiers drop it on their next sync."""
        with db.sessions().begin() as session:
            service.remove_signer(session, signer_id, actor_id=current_principal().account_id,
                                  now=clock.now(), request_id=request_id())


# ---------------------------------------------------------------- the holder's passports

@blp.record_once
def _register_issuer(state) -> None:
    """Hooks (a dose changed) get a session only: let them find this app's keys by its engine."""
    app = state.app
    service.register_issuer(app.extensions["ssk_db"]["engine"], service.Issuer(
        app.extensions["ssk_keys"], app.extensions["ssk_settings"].origins[0].rstrip("/")))


def _issuer() -> service.Issuer:
    return service.Issuer(keystore(), _issuer_url())


def _cache_dir() -> Path:
    return Path(current_app.instance_path) / "cache" / "passports"


_DOWNLOAD_CACHE = "private, max-age=3600"  # a re-issue is a new URL's content: short is enough


@blp.route("/people/<person_id>/passports")
class Passports(MethodView):
    @requires("signed_in")
    @blp.response(200, s.PassportsSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Not your profile nor your dependant's.")
    @blp.alt_response(404, schema=ProblemSchema, description="no-certificate: no counted dose yet.")
    def get(self, person_id):
        """Your (or your dependant's) current EU DCC, SMART Health Card and domestic status, as QR texts."""
        view = service.get_passports(db.sessions(), current_principal(), person_id,
                                     issuer=_issuer(), now=clock.now())
        return view, 200, {"Cache-Control": "private, no-cache"}


@blp.route("/people/<person_id>/passports/<any(hc1,shc,domestic):fmt>.<any(svg,png):ext>")
class PassportImage(MethodView):
    @requires("signed_in")
    @blp.doc(responses={200: {"description": "The QR image (for download; the app draws its own).",
                              "content": {"image/svg+xml": {}, "image/png": {}}}})
    @blp.alt_response(404, schema=ProblemSchema, description="no-certificate: no counted dose yet.")
    def get(self, person_id, fmt, ext):
        """One certificate's QR code as an SVG or PNG image."""
        data = service.passport_download(db.sessions(), current_principal(), person_id,
                                         issuer=_issuer(), now=clock.now(), cache_dir=_cache_dir(),
                                         kind=f"{fmt}.{ext}")
        resp = Response(data, mimetype="image/svg+xml" if ext == "svg" else "image/png")
        resp.headers["Cache-Control"] = _DOWNLOAD_CACHE
        resp.headers["Content-Disposition"] = f'attachment; filename="passport-{fmt}.{ext}"'
        return resp


@blp.route("/people/<person_id>/passports.pdf")
class PassportPdf(MethodView):
    @requires("signed_in")
    @blp.arguments(s.PassportPdfQueryArgsSchema, location="query")
    @blp.doc(responses={200: {"description": "A printable A4 PDF with both QR codes.",
                              "content": {"application/pdf": {}}}})
    @blp.alt_response(404, schema=ProblemSchema, description="no-certificate: no counted dose yet.")
    def get(self, args, person_id):
        """Your certificates as a printable PDF in Vietnamese or English."""
        data = service.passport_download(db.sessions(), current_principal(), person_id,
                                         issuer=_issuer(), now=clock.now(), cache_dir=_cache_dir(),
                                         kind="pdf", lang=args["lang"])
        resp = Response(data, mimetype="application/pdf")
        resp.headers["Cache-Control"] = _DOWNLOAD_CACHE
        resp.headers["Content-Disposition"] = f'inline; filename="passport-{args["lang"]}.pdf"'
        return resp
