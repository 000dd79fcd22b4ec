"""Demo data: a national unit, a few provinces with a health centre and sites each."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.catalog import service as catalog
from api.catalog.models import OrgUnit

# (province code, department name, [(site code, site name, ward code, lat, lon)])
PROVINCES = [
    (1, "Sở Y tế Hà Nội", [("HN-HK", "Trạm Y tế phường Hoàn Kiếm", 70, 21.0288, 105.8525),
                           ("HN-BD", "Bệnh viện Đa khoa Ba Đình", 4, 21.0368, 105.8342)]),
    (79, "Sở Y tế TP. Hồ Chí Minh", [("HCM-SG", "Trạm Y tế phường Sài Gòn", 26740, 10.7769, 106.7009),
                                     ("HCM-BT", "Phòng khám Bình Thạnh", 26929, 10.8106, 106.7091)]),
    (48, "Sở Y tế Đà Nẵng", [("DN-HC", "Trạm Y tế phường Hải Châu", 20242, 16.0471, 108.2068)]),
]


def seed_demo(session: so.Session, *, now: datetime) -> str:
    """Each unit is made only when its code is not there yet: safe to run again, and safe beside
    units an operator (or a test) made with the same codes."""
    have = set(session.scalars(sa.select(OrgUnit.code)))
    made = 0

    def unit(code: str, **kw) -> None:
        nonlocal made
        if code not in have:
            catalog.add_unit(session, code=code, now=now, **kw)
            have.add(code)
            made += 1

    unit("VN", name="Bộ Y tế", kind="national", parent_code=None)
    for province, dept, sites in PROVINCES:
        code = f"P{province:02d}"
        unit(code, name=dept, kind="province", parent_code="VN", province_code=province)
        unit(f"{code}-TTYT", name=f"Trung tâm Y tế {dept.removeprefix('Sở Y tế ')}",
             kind="health_centre", parent_code=code)
        for site_code, name, ward, lat, lon in sites:
            unit(site_code, name=name, kind="site", parent_code=f"{code}-TTYT", ward_code=ward,
                 latitude=lat, longitude=lon, opening_hours="07:30-16:30", daily_capacity=300)
    return f"seeded {made} organisation units"


# ---------------------------------------------------------------- vaccines, rules and sessions
# (appended by the booking work: the unit seeding above returns early when it has run, so the
# vaccination demo wraps it and is idempotent on its own)

_seed_units = seed_demo


def seed_vaccination_demo(session: so.Session, *, now: datetime) -> str:
    """The COVID-19 catalogue with its rule history, and a few open sessions in the coming days."""
    from datetime import time, timedelta

    from api.booking.models import Slot, VaccinationSession
    from api.booking.service import LOCAL, local_today, slot_windows
    from api.catalog.models import VaccineProduct

    made = catalog.seed_covid19(session, now=now)
    sessions = 0
    if not session.scalar(sa.select(VaccinationSession.id).limit(1)):
        plan = [("HN-HK", "pfizer-biontech"), ("HN-BD", "astrazeneca"), ("HCM-SG", "moderna"),
                ("HCM-BT", "pfizer-biontech"), ("DN-HC", "sinopharm-verocell")]
        today = local_today(now)
        for site_code, product_code in plan:
            site = session.scalar(sa.select(OrgUnit).filter_by(code=site_code))
            product = session.scalar(sa.select(VaccineProduct).filter_by(code=product_code))
            if site is None or product is None:
                continue
            for days in (1, 2, 3):
                day = today + timedelta(days=days)
                starts = datetime.combine(day, time(7, 30), tzinfo=LOCAL)
                ends = datetime.combine(day, time(11, 30), tzinfo=LOCAL)
                vs = VaccinationSession(site_id=site.id, product_id=product.id, day=day, starts_at=starts,
                                        ends_at=ends, capacity=120, status="open", note="demo", created_at=now)
                session.add(vs)
                session.flush()
                session.add_all(Slot(session_id=vs.id, starts_at=a, ends_at=b, capacity=c, booked=0)
                                for a, b, c in slot_windows(starts, ends, 120, True))
                sessions += 1
    return f"{made} vaccine products and rules, {sessions} sessions"


def seed_demo(session: so.Session, *, now: datetime) -> str:  # noqa: F811
    return f"{_seed_units(session, now=now)}; {seed_vaccination_demo(session, now=now)}"


# ---------------------------------------------------------------- vaccine stock
# (appended by the vaccination work, the same way: lots received at each province store and
# shipped to its sites through the ledger, so every demo site has stock to pick from)

_seed_units_and_sessions = seed_demo
# product, lot prefix, manufacturer, shelf life in days
DEMO_LOTS = [("pfizer-biontech", "FP", "BioNTech Manufacturing GmbH", 180),
             ("astrazeneca", "AZ", "AstraZeneca AB", 240),
             ("moderna", "MD", "Moderna Biotech Spain", 200),
             ("sinopharm-verocell", "VC", "Beijing Institute of Biological Products", 365)]
DEMO_STORE_DOSES, DEMO_SITE_DOSES = 2000, 300


def seed_stock_demo(session: so.Session, *, now: datetime) -> str:
    """A lot of each product per province store, 300 doses of each at every site (idempotent).

    Written in bulk (every API test seeds the demo), but row for row what receiving at the store
    and shipping to each site through the ledger writes: the movements add up to the balances.
    """
    from datetime import timedelta

    from api.catalog.models import VaccineProduct
    from api.db import new_id
    from api.vaccination.models import Lot, StockBalance, StockMovement, StockTransfer
    from api.vaccination.stock import local_date

    units = {u.code: u for u in session.scalars(sa.select(OrgUnit))}
    products = set(session.scalars(sa.select(VaccineProduct.code)))
    have = set(session.execute(sa.select(Lot.product_code, Lot.lot_number)).all())
    lots, balances, transfers, movements = [], [], [], []
    for province, _, sites in PROVINCES:
        store = units.get(f"P{province:02d}")
        if store is None:
            continue
        for product, prefix, maker, shelf in DEMO_LOTS:
            number = f"{prefix}{province:02d}001"
            if (product, number) in have or product not in products:
                continue
            lot_id = new_id()
            lots.append(dict(id=lot_id, product_code=product, lot_number=number, manufacturer=maker,
                             expires_on=local_date(now) + timedelta(days=shelf), received_doses=DEMO_STORE_DOSES,
                             quarantine_reason="", created_at=now))
            movements.append(dict(id=new_id(), at=now, unit_id=store.id, lot_id=lot_id, kind="receive",
                                  quantity=DEMO_STORE_DOSES, reason="demo"))
            shipped = 0
            for site_code, *_ in sites:
                site, transfer_id = units[site_code], new_id()
                transfers.append(dict(id=transfer_id, lot_id=lot_id, from_unit_id=store.id, to_unit_id=site.id,
                                      quantity_sent=DEMO_SITE_DOSES, quantity_received=DEMO_SITE_DOSES,
                                      status="received", note="demo", discrepancy_note="", shipped_by="demo",
                                      shipped_at=now, received_by="demo", received_at=now))
                movements += [dict(id=new_id(), at=now, unit_id=store.id, lot_id=lot_id, kind="transfer_out",
                                   quantity=-DEMO_SITE_DOSES, reason="", transfer_id=transfer_id),
                              dict(id=new_id(), at=now, unit_id=site.id, lot_id=lot_id, kind="transfer_in",
                                   quantity=DEMO_SITE_DOSES, reason="", transfer_id=transfer_id)]
                balances.append(dict(unit_id=site.id, lot_id=lot_id, balance=DEMO_SITE_DOSES, updated_at=now))
                shipped += DEMO_SITE_DOSES
            balances.append(dict(unit_id=store.id, lot_id=lot_id, balance=DEMO_STORE_DOSES - shipped, updated_at=now))
    for model, rows in ((Lot, lots), (StockTransfer, transfers), (StockBalance, balances),
                        (StockMovement, [{"transfer_id": None, **m} for m in movements])):
        if rows:
            session.execute(sa.insert(model.__table__), rows)
    return f"{len(lots)} vaccine lots in stock"


def seed_demo(session: so.Session, *, now: datetime) -> str:  # noqa: F811
    return f"{_seed_units_and_sessions(session, now=now)}; {seed_stock_demo(session, now=now)}"
