"""Builders shared by the vaccination tests (no tests here): people, staff, lots, sessions, visits.

Plain functions that write through the services (the ledger's `move`, auth's sessions) or,
for fixtures the API has no business making (a person with an ID number, a session today), the
models directly. Every test has the fixed clock of tests/conftest.py (10:00 in Hà Nội).
"""
from __future__ import annotations

import base64
import io
import random
import uuid
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from PIL import Image

from api.auth import service as auth
from api.auth.guard import CSRF_COOKIE, SESSION_COOKIE
from api.booking.models import Slot, VaccinationSession
from api.catalog.models import OrgUnit, VaccineProduct
from api.db import db, new_id
from api.people.models import Guardianship, Person
from api.vaccination.models import DoseRecord, Lot, StockBalance, StockMovement, StockTransfer
from api.vaccination.stock import LOCAL, move
from tests.api.conftest import ApiClient
from tests.conftest import FIXED_NOW

TODAY = date(2026, 11, 23)  # FIXED_NOW in Hà Nội


def phone() -> str:
    return "+849" + f"{uuid.uuid4().int % 10**8:08d}"


def unit_id(app, code: str) -> str:
    with app.app_context(), db.reads().begin() as s:
        return s.scalar(sa.select(OrgUnit.id).filter_by(code=code))


def _client(app, account_id: str, via: str) -> ApiClient:
    with app.app_context(), db.sessions().begin() as s:
        token, row = auth.open_session(s, account_id=account_id, via=via, user_agent="pytest", now=FIXED_NOW, days=30)
        csrf = row.csrf_token
    c = ApiClient(app)
    c.http.set_cookie(SESSION_COOKIE, token)
    c.http.set_cookie(CSRF_COOKIE, csrf)
    c.csrf, c.account_id = csrf, account_id
    return c


def staff(app, role: str = "site_staff", unit_code: str | None = "HN-HK") -> ApiClient:
    """A staff member with a passkey session (roles are in force only in one)."""
    with app.app_context(), db.sessions().begin() as s:
        account, _ = auth.account_for_phone(s, phone(), now=FIXED_NOW)
        uid = s.scalar(sa.select(OrgUnit.id).filter_by(code=unit_code)) if unit_code else None
        auth.assign_role(s, account_id=account.id, role=role, unit_id=uid, now=FIXED_NOW)
        account_id = account.id
    return _client(app, account_id, "passkey")


def national_id(dob: date, sex: str = "M") -> str:
    """A CCCD number consistent with birth year and sex (Circular 07/2016: 001 = Hà Nội)."""
    century = (dob.year // 100 - 19) * 2 + (1 if sex == "F" else 0)
    return f"001{century}{dob.year % 100:02d}{random.randrange(10**6):06d}"


def person(app, *, name: str = "Phạm Thị Hoa", dob: date = date(1988, 4, 2), sex: str = "F",
           province: int = 1, with_id: bool = True) -> dict:
    with app.app_context(), db.sessions().begin() as s:
        p = Person(full_name=name, date_of_birth=dob, sex=sex, province_code=province, ward_code=None,
                   national_id=national_id(dob, sex) if with_id else None, phone=None, address_line="",
                   created_at=FIXED_NOW, updated_at=FIXED_NOW)
        s.add(p)
        s.flush()
        return {"id": p.id, "national_id": p.national_id, "date_of_birth": dob, "full_name": name}


def citizen_of(app, person_id: str) -> ApiClient:
    """A signed-in account whose own profile is this person."""
    with app.app_context(), db.sessions().begin() as s:
        account, _ = auth.account_for_phone(s, phone(), now=FIXED_NOW)
        account.person_id = person_id
        account_id = account.id
    c = _client(app, account_id, "otp")
    c.person_id = person_id
    return c


def guardian_of(app, person_id: str) -> ApiClient:
    with app.app_context(), db.sessions().begin() as s:
        account, _ = auth.account_for_phone(s, phone(), now=FIXED_NOW)
        s.add(Guardianship(person_id=person_id, guardian_account_id=account.id, relationship="child",
                           status="active", created_at=FIXED_NOW))
        account_id = account.id
    return _client(app, account_id, "otp")


def lot(app, site_code: str = "HN-HK", *, product: str = "pfizer-biontech", doses: int = 10,
        expires_on: date | None = None, quarantined: bool = False, number: str | None = None) -> str:
    """A lot received at the site's province store and shipped whole to the site (through the ledger)."""
    with app.app_context(), db.sessions().begin() as s:
        site = s.scalar(sa.select(OrgUnit).filter_by(code=site_code))
        store = s.scalar(sa.select(OrgUnit).filter_by(code=f"P{site.province_code:02d}"))
        row = Lot(id=new_id(), product_code=product, lot_number=number or f"T{uuid.uuid4().hex[:8].upper()}",
                  manufacturer="Test Maker", expires_on=expires_on or TODAY + timedelta(days=120),
                  received_doses=doses, created_at=FIXED_NOW,
                  quarantined_at=FIXED_NOW if quarantined else None)
        s.add(row)
        s.flush()
        move(s, unit_id=store.id, lot_id=row.id, kind="receive", quantity=doses, now=FIXED_NOW, actor=None)
        t = StockTransfer(id=new_id(), lot_id=row.id, from_unit_id=store.id, to_unit_id=site.id,
                          quantity_sent=doses, quantity_received=doses, status="received", shipped_by="test",
                          shipped_at=FIXED_NOW, received_by="test", received_at=FIXED_NOW)
        s.add(t)
        s.flush()
        move(s, unit_id=store.id, lot_id=row.id, kind="transfer_out", quantity=-doses, now=FIXED_NOW, actor=None,
             transfer_id=t.id)
        move(s, unit_id=site.id, lot_id=row.id, kind="transfer_in", quantity=doses, now=FIXED_NOW, actor=None,
             transfer_id=t.id)
        return row.id


def balance(app, unit_code: str, lot_id: str) -> int | None:
    with app.app_context(), db.reads().begin() as s:
        uid = s.scalar(sa.select(OrgUnit.id).filter_by(code=unit_code))
        return s.scalar(sa.select(StockBalance.balance).filter_by(unit_id=uid, lot_id=lot_id))


def ledger_sum(app, unit_code: str, lot_id: str) -> int:
    with app.app_context(), db.reads().begin() as s:
        uid = s.scalar(sa.select(OrgUnit.id).filter_by(code=unit_code))
        return s.scalar(sa.select(sa.func.coalesce(sa.func.sum(StockMovement.quantity), 0)).where(
            StockMovement.unit_id == uid, StockMovement.lot_id == lot_id))


def count(app, model, **where) -> int:
    with app.app_context(), db.reads().begin() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


def snapshot(app) -> dict:
    """Row counts that a refused request must leave alone."""
    with app.app_context(), db.reads().begin() as s:
        return {m.__tablename__: s.scalar(sa.select(sa.func.count()).select_from(m))
                for m in (DoseRecord, StockMovement)} | {
            "balances": s.scalar(sa.select(sa.func.coalesce(sa.func.sum(StockBalance.balance), 0)))}


def open_session(app, site_code: str = "HN-HK", *, product: str = "pfizer-biontech", capacity: int = 50,
                 day: date = TODAY) -> str:
    """A session today 07:30-16:30 at the site with one slot (what booking's open_session makes)."""
    with app.app_context(), db.sessions().begin() as s:
        site = s.scalar(sa.select(OrgUnit).filter_by(code=site_code))
        pid = s.scalar(sa.select(VaccineProduct.id).filter_by(code=product))
        starts = datetime.combine(day, time(7, 30), tzinfo=LOCAL)
        ends = datetime.combine(day, time(16, 30), tzinfo=LOCAL)
        vs = VaccinationSession(id=new_id(), site_id=site.id, product_id=pid, day=day, starts_at=starts, ends_at=ends,
                                capacity=capacity, status="open", note="test", created_at=FIXED_NOW)
        s.add(vs)
        s.flush()
        s.add(Slot(id=new_id(), session_id=vs.id, starts_at=starts, ends_at=ends, capacity=capacity, booked=0))
        return vs.id


def check_in(staff_client: ApiClient, who: dict, site_code: str = "HN-HK", **extra):
    return staff_client.post("/visits", {"site_id": unit_id(staff_client.app, site_code),
                                         "national_id": who["national_id"], **extra})


def screen(staff_client: ApiClient, visit_id: str, outcome: str = "vaccinate_now", **body):
    body.setdefault("vitals", {"temperature_c": 36.6})
    return staff_client.post(f"/visits/{visit_id}/screenings", {"outcome": outcome, **body})


def ready_visit(app, staff_client: ApiClient, who: dict, site_code: str = "HN-HK") -> str:
    """Checked in (a walk-in with a seat in today's session) and screened fit: ready for the dose."""
    r = check_in(staff_client, who, site_code)
    assert r.status_code in (200, 201), r.json
    assert screen(staff_client, r.json["id"]).status_code == 201
    return r.json["id"]


def give(staff_client: ApiClient, visit_id: str, lot_id: str, key: str | None = None, **body):
    return staff_client.post(f"/visits/{visit_id}/doses", {"lot_id": lot_id, **body},
                             headers={"Idempotency-Key": key or uuid.uuid4().hex})


def given_dose(app, who: dict, *, product: str = "pfizer-biontech", on: date, number: int = 1,
               site_code: str = "HN-HK") -> str:
    """A counted dose from the past, written straight to the table (history for the rules tests)."""
    with app.app_context(), db.sessions().begin() as s:
        site = s.scalar(sa.select(OrgUnit).filter_by(code=site_code))
        d = DoseRecord(id=new_id(), person_id=who["id"], disease="840539006", product_code=product, lot_id=None,
                       lot_number="OLD1", dose_number=number, series="primary",
                       administered_at=datetime.combine(on, time(9), tzinfo=LOCAL), administered_on=on,
                       unit_id=site.id, site_name=site.name, province_code=site.province_code,
                       recorded_by="test", status="valid", source="site", created_at=FIXED_NOW,
                       updated_at=FIXED_NOW, version=1)
        s.add(d)
        return d.id


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def png_b64() -> str:
    return base64.b64encode(png()).decode()


def booking_for(app, who: dict, session_id: str) -> str:
    """A confirmed booking in the session's slot (as booking's `book` leaves it), seat taken."""
    from api.booking.models import Booking

    with app.app_context(), db.sessions().begin() as s:
        slot = s.scalar(sa.select(Slot).filter_by(session_id=session_id))
        slot.booked += 1
        b = Booking(id=new_id(), person_id=who["id"], slot_id=slot.id, session_id=session_id, disease="840539006",
                    dose_number=1, dose="1", status="confirmed", starts_at=slot.starts_at, ends_at=slot.ends_at,
                    booked_by="test", created_at=FIXED_NOW, updated_at=FIXED_NOW, end_reason="")
        s.add(b)
        return b.id
