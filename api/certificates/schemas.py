import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

MAX_QR_TEXT = 8000  # a version-40 QR holds at most 7,089 digits / 4,296 alphanumerics


class PassportVerificationCreateSchema(ma.Schema):
    qr = f.String(required=True, validate=v.Length(min=1, max=MAX_QR_TEXT))


class DoseSchema(ma.Schema):
    dose_number = f.Integer(allow_none=True)
    series_doses = f.Integer(allow_none=True)
    date = f.String(allow_none=True)
    product = f.String(allow_none=True)


class VerdictSchema(ma.Schema):
    """The verdict and the holder's name, date of birth and doses: nothing more."""

    status = f.String(metadata={"enum": ["valid", "invalid_signature", "unknown_signer", "expired",
                                         "revoked", "not_a_passport"]})
    reason = f.String(metadata={"description": "The check that decided (a code, never personal data)."})
    format = f.String(allow_none=True, metadata={"enum": ["hc1", "shc", None]})
    name = f.String(allow_none=True)
    dob = f.String(allow_none=True)
    doses = f.List(f.Nested(DoseSchema))


class RevocationCreateSchema(ma.Schema):
    uvci = f.String(required=True, validate=v.Length(min=1, max=80))
    reason = f.String(required=True, validate=v.Length(min=1, max=200))

    @ma.pre_load
    def strip(self, data, **_):
        if isinstance(data, dict):
            data = {k: (val.strip() if isinstance(val, str) else val) for k, val in data.items()}
        return data


class RevocationSchema(ma.Schema):
    id = f.String()
    uvci = f.String()
    uvci_hash = f.String(metadata={"description": "SHA-256 of the UVCI, hex: the revocation list entry."})
    reason = f.String()
    revoked_at = f.DateTime()


class TrustedSignerCreateSchema(ma.Schema):
    certificate = f.String(required=True, validate=v.Length(min=1, max=16_000),
                           metadata={"description": "PEM, or base64 of the DER certificate."})
    country = f.String(required=True, validate=v.Regexp(r"^[A-Z]{2}$",
                                                        error="Two capital letters (ISO 3166-1)."))

    @ma.pre_load
    def normalise(self, data, **_):
        if isinstance(data, dict) and isinstance(data.get("country"), str):
            data = {**data, "country": data["country"].strip().upper()}
        return data


class TrustedSignerSchema(ma.Schema):
    id = f.String()
    country = f.String()
    kid = f.String(metadata={"description": "base64 of the 8-byte key id (EU DCC)."})
    certificate_sha256 = f.String()
    not_before = f.DateTime(allow_none=True)
    not_after = f.DateTime(allow_none=True)
    added_at = f.DateTime()


class VerifierConfigSchema(ma.Schema):
    root_certificate = f.String(metadata={"description": "The national root (CSCA), base64 DER."})
    root_kid = f.String(metadata={"description": "base64url: the JWS 'kid' of both lists."})
    root_sha256 = f.String(metadata={"description": "Hex SHA-256 of the root's DER, to compare out of band."})
    country = f.String()
    issuer_url = f.String(metadata={"description": "The 'iss' of our SMART Health Cards."})
    warn_after_hours = f.Integer()
    refuse_after_hours = f.Integer()


class PassportsSchema(ma.Schema):
    """The person's current certificates as QR texts: the phone draws the codes itself."""

    person_id = f.String()
    full_name = f.String()
    status = f.String(metadata={"enum": ["green", "yellow", "none"],
                                "description": "Domestic status: green = primary series complete."})
    uvci = f.String()
    kid = f.String()
    issued_at = f.DateTime()
    expires_at = f.DateTime()
    hc1 = f.String(metadata={"description": "EU DCC QR text (HC1:…)"})
    shc = f.String(metadata={"description": "SMART Health Card QR text (shc:/…)"})
    domestic = f.String(metadata={"description": "Domestic status QR text (SSK1:<JWS>)"})


class PassportPdfQueryArgsSchema(ma.Schema):
    lang = f.String(load_default="vi", validate=v.OneOf(["vi", "en"]))
