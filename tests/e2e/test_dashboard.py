"""The department dashboard in Chromium (#/dashboard, issue 8): figures on screen equal the API's,
within the staff member's scope.

The server's database gets the demo catalogue and units, then registrations at every stage,
sessions with kept, missed and open bookings, doses (with their stock movements) and first doses
given long enough ago to be overdue, in Hà Nội and in TP. Hồ Chí Minh, written by a small python
subprocess as test_stats.py does; the aggregates are refreshed there. Hà Nội's department (passkey)
opens the dashboard: every figure on screen equals GET /api/v1/stats/dashboard as the page's own
session reads it, and no Hồ Chí Minh site appears; filtered to one site the figures are that site's.
TP. Hồ Chí Minh's department sees its own sites and not Hà Nội's. Photographed at 360 px in
Vietnamese and English (test-artifacts/e2e/9x-dashboard*-{vi,en}.png)."""
from __future__ import annotations

import math
import subprocess
import sys

import pytest

from .conftest import ROOT, _env, serve
from .test_booking import staff_with_passkey

pytestmark = pytest.mark.e2e

DEPT_HN = ("0905 800 901", "+84905800901")
DEPT_HCM = ("0905 800 902", "+84905800902")

SEED = r"""
import random
from datetime import date, datetime, time, timedelta, timezone
import sqlalchemy as sa
from api.app import create_app
from api.db import db, new_id
from api.demo import seed_demo
from api.booking.models import Booking, Registration, RegistrationEvent, Slot, VaccinationSession
from api.catalog.models import OrgUnit, VaccineProduct
from api.people.models import Person
from api.vaccination.models import DoseRecord, Lot
from api.vaccination.stock import LOCAL, move
from api.stats.service import refresh_stats
import api.models  # noqa
app = create_app()
now = datetime.now(timezone.utc)
today = now.astimezone(LOCAL).date()
rng = random.Random(9)
with app.app_context():
    with db.sessions().begin() as s:
        seed_demo(s, now=now)
    with db.sessions().begin() as s:
        units = {u.code: u for u in s.scalars(sa.select(OrgUnit))}
        products = {p.code: p for p in s.scalars(sa.select(VaccineProduct))}
        plan = {"HN-HK": "pfizer-biontech", "HN-BD": "astrazeneca", "HCM-SG": "moderna"}
        lots = {c: s.scalar(sa.select(Lot.id).where(Lot.product_code == p, Lot.lot_number.like(
            f"%{units[c].province_code:02d}001"))) for c, p in plan.items()}
        sessions = {}
        for code, product in plan.items():
            for back in (2, 1, 0):
                day = today - timedelta(days=back)
                starts = datetime.combine(day, time(7, 30), tzinfo=LOCAL)
                ends = datetime.combine(day, time(11, 30), tzinfo=LOCAL)
                vs = VaccinationSession(site_id=units[code].id, product_id=products[product].id, day=day,
                                        starts_at=starts, ends_at=ends, capacity=12, status="open",
                                        note="e2e dashboard", created_at=now)
                s.add(vs)
                s.flush()
                slot = Slot(session_id=vs.id, starts_at=starts, ends_at=ends, capacity=12, booked=0)
                s.add(slot)
                s.flush()
                sessions[(code, back)] = (vs, slot)

        def dose(p, code, number, on, at):
            site = units[code]
            d = DoseRecord(id=new_id(), person_id=p.id, disease="840539006", product_code=plan[code],
                           lot_id=lots[code], lot_number="E2E", dose_number=number, series="primary",
                           administered_at=at, administered_on=on, unit_id=site.id, site_name=site.name,
                           province_code=site.province_code, recorded_by="e2e", status="valid", source="site",
                           created_at=at, updated_at=at, version=1)
            s.add(d)
            s.flush()
            move(s, unit_id=site.id, lot_id=lots[code], kind="administer", quantity=-1, now=at, actor=None,
                 dose_record_id=d.id)

        for i in range(60):
            code = rng.choice(list(plan))
            site = units[code]
            p = Person(full_name=f"Dash {i}", date_of_birth=date(1960 + i % 40, 3, 1), sex="F",
                       province_code=site.province_code, ward_code=None, national_id=None, phone=None,
                       address_line="", created_at=now, updated_at=now)
            s.add(p)
            s.flush()
            if i % 4 == 0:  # a first dose 40-70 days ago: overdue for the second (Pfizer 28, AZ 84 days)
                on = today - timedelta(days=rng.randrange(40, 90))
                dose(p, code, 1, on, datetime.combine(on, time(9), tzinfo=LOCAL))
                continue
            made = now - timedelta(days=rng.randrange(3, 6), hours=rng.randrange(0, 12))
            stage = rng.choice(("submitted", "approved", "allocated", "booked", "booked", "cancelled"))
            reg = Registration(person_id=p.id, disease="840539006", priority_group="general",
                               preferred_province_code=site.province_code, status="submitted", status_reason="",
                               created_by="e2e", created_at=made, updated_at=made)
            s.add(reg)
            s.flush()
            s.add(RegistrationEvent(registration_id=reg.id, status="submitted", at=made))
            if stage == "submitted":
                continue
            s.add(RegistrationEvent(registration_id=reg.id, status="approved", at=made + timedelta(hours=1)))
            reg.status = "approved"
            if stage == "cancelled":
                s.add(RegistrationEvent(registration_id=reg.id, status="cancelled", at=made + timedelta(hours=2)))
                reg.status = "cancelled"
                continue
            if stage in ("allocated", "booked") and rng.random() < 0.6:
                s.add(RegistrationEvent(registration_id=reg.id, status="allocated", unit_id=site.id,
                                        at=made + timedelta(hours=2)))
                reg.status, reg.allocated_unit_id = "allocated", site.id
            if stage != "booked":
                continue
            back = rng.choice((2, 1, 0))
            vs, slot = sessions[(code, back)]
            kept = back > 0 and rng.random() < 0.7
            status = "confirmed" if back == 0 else ("attended" if kept else "missed")
            booked_at = made + timedelta(hours=3)
            s.add(Booking(person_id=p.id, slot_id=slot.id, session_id=vs.id, disease="840539006", dose_number=1,
                          dose="1", status=status, starts_at=slot.starts_at, ends_at=slot.ends_at,
                          booked_by="e2e", created_at=booked_at, updated_at=booked_at, end_reason=""))
            if status != "missed":
                slot.booked += 1
            if kept:
                dose(p, code, 1, vs.day, datetime.combine(vs.day, time(8), tzinfo=LOCAL))
    with db.sessions().begin() as s:
        print(refresh_stats(s, now))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: the demo units (VN, P01, P79, ...) and the hundreds of people seeded here
    would collide with the units other e2e files add and change the people they count."""
    yield from serve(tmp_path_factory.mktemp("dash-instance"))


@pytest.fixture(scope="module")
def dash_server(server):
    out = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=_env(server.instance, server.port),
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    server.flask("staff", "add", "--phone", DEPT_HN[0], "--role", "department_staff", "--unit", "P01")
    server.flask("staff", "add", "--phone", DEPT_HCM[0], "--role", "department_staff", "--unit", "P79")
    return server


def api_dashboard(page, query: str = "") -> dict:
    return page.evaluate("(q) => fetch('/api/v1/stats/dashboard' + q).then((r) => r.json())", query)


def vi_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def vi_decimal(x: float | None) -> str:
    return "—" if x is None else f"{x:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def percent(x: float | None) -> str:
    return "—" if x is None else f"{math.floor(x * 100 + 0.5)}%"  # Math.round


def assert_screen_shows(page, body: dict) -> None:
    """Every figure of the API's answer, where the page shows it."""
    for stage, n in body["funnel"].items():
        assert page.get_by_test_id(f"dash-funnel-{stage}").inner_text() == vi_number(n)
    assert page.get_by_test_id("dash-doses").inner_text() == vi_number(body["doses"]["total"])
    assert page.get_by_test_id("dash-overdue").inner_text() == vi_number(body["overdue"]["total"])
    assert page.get_by_test_id("dash-reports").inner_text() == vi_decimal(body["reactions"]["report_rate"])
    assert page.get_by_test_id("dash-serious").inner_text() == vi_decimal(body["reactions"]["serious_rate"])
    rows = page.get_by_test_id("dash-sessions").locator("tbody tr")
    assert rows.count() == len(body["sessions"])
    for i, s in enumerate(body["sessions"]):
        text = rows.nth(i).inner_text()
        assert s["site_name"] in text and f"{s['booked']}/{s['capacity']}" in text, (text, s)
        assert percent(s["fill_rate"]) in text and percent(s["no_show_rate"]) in text, (text, s)
    supply = page.get_by_test_id("dash-supply").locator("tbody tr.item")
    assert supply.count() == len(body["supply"])
    for i, s in enumerate(body["supply"]):
        text = supply.nth(i).inner_text()
        assert s["unit_name"] in text and body["products"][s["product_code"]]["name_vi"] in text, (text, s)
        assert vi_number(s["usable_balance"]) in text, (text, s)
        assert vi_decimal(s["days_of_supply"]) in text and vi_decimal(s["used_per_day"]) in text, (text, s)
    lots_shown = page.locator("details.dash-lots")
    if not lots_shown.evaluate("(d) => d.open"):
        lots_shown.locator("summary").click()  # each lot is folded under its summary
    lots = page.get_by_test_id("dash-stock").locator("tbody tr.item")
    assert lots.count() == len(body["stock"])
    for i, s in enumerate(body["stock"]):
        text = lots.nth(i).inner_text()
        assert s["unit_name"] in text and s["lot_number"] in text and vi_number(s["balance"]) in text, (text, s)
        assert vi_decimal(s["days_of_supply"]) in text and ("Không dùng được" in text) == (not s["usable"]), (text, s)


def test_department_dashboard_shows_the_api_figures_within_its_scope(dash_server, new_context, shots):
    server = dash_server
    page = staff_with_passkey(new_context, server, DEPT_HN)
    page.goto("/#/dashboard")
    page.get_by_role("heading", name="Bảng điều hành", level=1).wait_for()
    page.get_by_test_id("dash-funnel").wait_for()
    body = api_dashboard(page)
    assert body["scope"]["province_codes"] == [1] and body["funnel"]["registered"] > 0
    assert body["overdue"]["total"] > 0 and any(s["no_shows"] for s in body["sessions"])
    assert_screen_shows(page, body)
    main = page.locator("main").inner_text()
    assert "Hoàn Kiếm" in main and "Sài Gòn" not in main  # Hà Nội's sites only
    assert "Cập nhật lúc" in page.get_by_test_id("dash-updated").inner_text()
    link = page.get_by_role("link", name="Xem số liệu an toàn vắc xin trong khoảng thời gian này")
    assert link.get_attribute("href") == f"#/dept/safety?from={body['from']}&to={body['to']}"
    shots(page, "90-dashboard")

    # one site of the province: the figures are that site's
    page.get_by_role("combobox", name="Điểm tiêm").select_option(label="Bệnh viện Đa khoa Ba Đình (HN-BD)")
    page.get_by_role("button", name="Xem số liệu").click()
    page.wait_for_function("location.hash.includes('unit_id=')")
    unit = page.evaluate("new URLSearchParams(location.hash.split('?')[1]).get('unit_id')")
    page.get_by_test_id("dash-scope").get_by_text("Bệnh viện Đa khoa Ba Đình").wait_for()
    narrowed = api_dashboard(page, f"?unit_id={unit}")
    assert narrowed["scope"]["unit_ids"] == [unit]
    assert_screen_shows(page, narrowed)
    assert "Hoàn Kiếm" not in page.get_by_test_id("dash-sessions").inner_text()
    shots(page, "91-dashboard-site", both=False)

    # another province's department: its own sites, not Hà Nội's; a Hà Nội site is refused
    other = staff_with_passkey(new_context, server, DEPT_HCM)
    other.goto("/#/dashboard")
    other.get_by_test_id("dash-funnel").wait_for()
    theirs = api_dashboard(other)
    assert theirs["scope"]["province_codes"] == [79]
    assert_screen_shows(other, theirs)
    main = other.locator("main").inner_text()
    assert "Sài Gòn" in main and "Hoàn Kiếm" not in main and "Ba Đình" not in main
    assert theirs["funnel"] != body["funnel"]
    other.goto(f"/#/dashboard?unit_id={unit}")
    other.get_by_role("alert").get_by_text("hãy chọn một điểm tiêm của bạn").wait_for()
    shots(other, "92-dashboard-other-province", both=False)
