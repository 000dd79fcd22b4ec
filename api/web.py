"""Edge helpers shared by the blueprints: app services, presenters, request facts."""
from __future__ import annotations

from flask import current_app, request

from api.errors import request_id  # noqa: F401  (re-exported for routes)
from api.places import service as places


def keystore():
    return current_app.extensions["ssk_keys"]


def sms():
    return current_app.extensions["ssk_sms"]


def settings():
    return current_app.extensions["ssk_settings"]


def user_agent() -> str:
    return request.headers.get("User-Agent", "")[:200]


def person_out(managed) -> dict:
    """A person as the API shows it to the holder or a guardian."""
    p = managed.person
    return {
        "id": p.id, "full_name": p.full_name, "date_of_birth": p.date_of_birth, "sex": p.sex,
        "national_id": p.national_id, "phone": p.phone, "version": p.version,
        "address": {
            "province_code": p.province_code, "ward_code": p.ward_code, "line": p.address_line,
            "province_name": places.province_name(p.province_code) if p.province_code else None,
            "ward_name": places.ward_name(p.ward_code) if p.ward_code else None,
        },
        "relation": managed.relation, "has_account": managed.has_account,
    }


def person_fields(args: dict) -> dict:
    """PersonIn as loaded by marshmallow → the service's flat field names (phone in E.164).

    :raises InvalidPhone: a phone that cannot be dialled.
    """
    from api.auth.phones import normalise_phone

    out = {k: args[k] for k in ("full_name", "date_of_birth", "sex", "national_id", "phone") if k in args}
    if out.get("phone"):
        out["phone"] = normalise_phone(out["phone"])
    if "address" in args:
        addr = args["address"]
        out.update(province_code=addr.get("province_code"), ward_code=addr.get("ward_code"),
                   address_line=addr.get("line", ""))
    return out


def docstore():
    return current_app.extensions["ssk_docstore"]
