"""Builders for the catalog and booking tests: staff and citizens made directly in the database.

Staff need a passkey session: `make_staff` opens one with auth.service.open_session and
assign_role (test setup, not a mock) and puts the cookie on a test client. Citizens for the race
are made the same way, since 64 OTP sign-ins from one address would hit the rate limit.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from api.auth import service as auth
from api.auth.guard import CSRF_COOKIE, SESSION_COOKIE
from api.booking.models import Registration, RegistrationEvent, Slot, VaccinationSession
from api.booking.service import LOCAL, slot_windows
from api.catalog.models import OrgUnit, VaccineProduct
from api.db import db
from api.people.models import Guardianship, Person
from tests.api.conftest import ApiClient
from tests.conftest import FIXED_NOW

TODAY = date(2026, 11, 23)  # FIXED_NOW in Hà Nội
TOMORROW = TODAY + timedelta(days=1)


def _phone() -> str:
    return "+849" + f"{uuid.uuid4().int % 10**8:08d}"


def signed_in_client(app, account_id: str, *, via: str) -> ApiClient:
    with app.app_context(), db.sessions().begin() as s:
        token, row = auth.open_session(s, account_id=account_id, via=via, user_agent="pytest",
                                       now=FIXED_NOW, days=30)
        csrf = row.csrf_token
    c = ApiClient(app)
    c.http.set_cookie(SESSION_COOKIE, token)
    c.http.set_cookie(CSRF_COOKIE, csrf)
    c.csrf = csrf
    c.account_id = account_id
    return c


def make_staff(app, role: str, unit_code: str | None) -> ApiClient:
    with app.app_context(), db.sessions().begin() as s:
        account, _ = auth.account_for_phone(s, _phone(), now=FIXED_NOW)
        unit_id = s.scalar(sa.select(OrgUnit.id).filter_by(code=unit_code)) if unit_code else None
        auth.assign_role(s, account_id=account.id, role=role, unit_id=unit_id, now=FIXED_NOW)
        account_id = account.id
    return signed_in_client(app, account_id, via="passkey")


def make_citizen(app, *, name: str = "Lê Văn Cường", dob: date = date(1985, 6, 1), province: int = 1,
                 ward: int | None = 70) -> ApiClient:
    """A citizen with an account, an own profile and an OTP session."""
    with app.app_context(), db.sessions().begin() as s:
        account, _ = auth.account_for_phone(s, _phone(), now=FIXED_NOW)
        person = Person(full_name=name, date_of_birth=dob, sex="M", province_code=province, ward_code=ward,
                        address_line="", created_by=account.id, created_at=FIXED_NOW, updated_at=FIXED_NOW)
        s.add(person)
        s.flush()
        account.person_id = person.id
        account_id, person_id = account.id, person.id
    c = signed_in_client(app, account_id, via="otp")
    c.person_id = person_id
    return c


def add_dependant(app, guardian: ApiClient, *, name: str, dob: date, province: int = 1) -> str:
    with app.app_context(), db.sessions().begin() as s:
        person = Person(full_name=name, date_of_birth=dob, sex="F", province_code=province, address_line="",
                        created_by=guardian.account_id, created_at=FIXED_NOW, updated_at=FIXED_NOW)
        s.add(person)
        s.flush()
        s.add(Guardianship(person_id=person.id, guardian_account_id=guardian.account_id, relationship="child",
                           status="active", created_at=FIXED_NOW))
        return person.id


def registration(app, person_id: str, *, status: str = "approved", province: int = 1,
                 unit_code: str | None = None, account_id: str | None = None) -> str:
    """A registration already decided (the queue itself is tested through the API)."""
    with app.app_context(), db.sessions().begin() as s:
        unit_id = s.scalar(sa.select(OrgUnit.id).filter_by(code=unit_code)) if unit_code else None
        reg = Registration(person_id=person_id, disease="840539006", priority_group="general",
                           preferred_province_code=province, status=status, status_reason="",
                           allocated_unit_id=unit_id, created_by=account_id or "test", created_at=FIXED_NOW,
                           updated_at=FIXED_NOW)
        s.add(reg)
        s.flush()
        s.add(RegistrationEvent(registration_id=reg.id, status=status, at=FIXED_NOW))
        return reg.id


def open_session(app, site_code: str = "HN-HK", product: str = "pfizer-biontech", *, day: date = TOMORROW,
                 start: time = time(8, 0), end: time = time(11, 0), capacity: int = 30,
                 hourly: bool = False) -> tuple[str, list[str]]:
    """A session with its slots, straight into the tables; (session id, slot ids)."""
    with app.app_context(), db.sessions().begin() as s:
        site = s.scalar(sa.select(OrgUnit).filter_by(code=site_code))
        product_id = s.scalar(sa.select(VaccineProduct.id).filter_by(code=product))
        starts = datetime.combine(day, start, tzinfo=LOCAL)
        ends = datetime.combine(day, end, tzinfo=LOCAL)
        vs = VaccinationSession(site_id=site.id, product_id=product_id, day=day, starts_at=starts, ends_at=ends,
                                capacity=capacity, status="open", created_at=FIXED_NOW)
        s.add(vs)
        s.flush()
        slots = [Slot(session_id=vs.id, starts_at=a, ends_at=b, capacity=c, booked=0)
                 for a, b, c in slot_windows(starts, ends, capacity, hourly)]
        s.add_all(slots)
        s.flush()
        return vs.id, [x.id for x in slots]


def seats(app, slot_id: str) -> int:
    with app.app_context(), db.reads().begin() as s:
        return s.scalar(sa.select(Slot.booked).filter_by(id=slot_id))


def count(app, model, **where) -> int:
    with app.app_context(), db.reads().begin() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


def key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


@pytest.fixture
def admin(app) -> ApiClient:
    return make_staff(app, "national_admin", "VN")


@pytest.fixture
def hanoi_dept(app) -> ApiClient:
    return make_staff(app, "department_staff", "P01")


@pytest.fixture
def hcm_dept(app) -> ApiClient:
    return make_staff(app, "department_staff", "P79")


@pytest.fixture
def hk_staff(app) -> ApiClient:
    """Site staff at Hoàn Kiếm (Hà Nội)."""
    return make_staff(app, "site_staff", "HN-HK")


@pytest.fixture
def sg_staff(app) -> ApiClient:
    """Site staff at Sài Gòn (HCM City)."""
    return make_staff(app, "site_staff", "HCM-SG")


@pytest.fixture
def ready(app):
    """An adult in Hà Nội, approved, and a Pfizer session tomorrow at Hoàn Kiếm: (client, slot id)."""
    c = make_citizen(app)
    registration(app, c.person_id, account_id=c.account_id)
    _, slots = open_session(app)
    return c, slots[0]


def given_dose(app, person_id: str, product: str, day: date, *, dose_number: int = 1,
               site_code: str = "HN-HK") -> None:
    """A dose in the person's history: an attended booking at a past session (how doses exist
    until the vaccination package records them)."""
    from api.booking.models import Booking
    from api.db import new_id

    session_id, (slot_id,) = open_session(app, site_code, product, day=day, capacity=1)
    with app.app_context(), db.sessions().begin() as s:
        s.execute(sa.update(Slot).where(Slot.id == slot_id).values(booked=1))
        slot = s.get(Slot, slot_id)
        s.add(Booking(id=new_id(), person_id=person_id, slot_id=slot_id, session_id=session_id,
                      disease="840539006", dose_number=dose_number, dose=str(dose_number), status="attended",
                      starts_at=slot.starts_at, ends_at=slot.ends_at, booked_by="test", created_at=FIXED_NOW,
                      updated_at=FIXED_NOW, ended_at=FIXED_NOW, end_reason=""))


def snapshot(app) -> dict:
    """Every row booking cares about, to prove a refusal changed nothing."""
    from api.booking.models import Booking, Registration

    with app.app_context(), db.reads().begin() as s:
        return {"bookings": sorted(s.execute(sa.select(Booking.id, Booking.status, Booking.slot_id)).all()),
                "slots": sorted(s.execute(sa.select(Slot.id, Slot.booked, Slot.capacity)).all()),
                "registrations": sorted(s.execute(sa.select(Registration.id, Registration.status)).all())}
