"""Test setup for staff: an account with a role and a passkey session, made through the services
(the same calls `flask staff add` and a passkey sign-in make), cookies set on the client."""
from __future__ import annotations

from api.auth import service as auth
from api.catalog import service as catalog
from api.db import db
from tests.api.conftest import ApiClient
from tests.conftest import FIXED_NOW


def staff_client(app, phone: str, role: str, unit_code: str | None, *, via: str = "passkey") -> ApiClient:
    from api.auth.phones import normalise_phone

    c = ApiClient(app)
    with app.app_context(), db.sessions().begin() as session:
        account, _ = auth.account_for_phone(session, normalise_phone(phone), now=FIXED_NOW)
        unit = catalog.unit_by_code(session, unit_code) if unit_code else None
        auth.assign_role(session, account_id=account.id, role=role, unit_id=unit.id if unit else None, now=FIXED_NOW)
        token, row = auth.open_session(session, account_id=account.id, via=via, user_agent="test",
                                       now=FIXED_NOW, days=30)
        c.csrf = row.csrf_token
    c.http.set_cookie("ssk_session", token, domain="localhost")
    c.me = c.get("/auth/me").json
    return c
