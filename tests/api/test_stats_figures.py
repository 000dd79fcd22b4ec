"""Statistics: every published figure equals a count made directly from the records."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from api.catalog import rules as engine
from api.catalog import service as catalog
from api.catalog.models import OrgUnit, VaccineProduct
from api.db import db, new_id
from api.people.models import Person
from api.stats import service as stats
from api.stats.models import StatCoverage, StatDoseDaily, StatDue, StatPerson
from api.vaccination.models import COUNTED, DoseRecord
from api.vaccination.stock import LOCAL
from tests.api.test_auth import problem
from tests.api.test_vaccination_support import TODAY, citizen_of, person, staff
from tests.conftest import FIXED_NOW

PRODUCTS = ("pfizer-biontech", "astrazeneca", "moderna")
SITES = ("HN-HK", "HN-BD", "HCM-SG")


def _refresh(app, now):
    with app.app_context(), db.sessions().begin() as s:
        return stats.refresh_stats(s, now)


def _dose(s, person_id, *, site, product, number, on, series="primary", now=FIXED_NOW):
    d = DoseRecord(id=new_id(), person_id=person_id, disease="840539006", product_code=product, lot_id=None,
                   lot_number="L1", dose_number=number, series=series,
                   administered_at=datetime.combine(on, time(9), tzinfo=LOCAL), administered_on=on,
                   unit_id=site.id, site_name=site.name, province_code=site.province_code, recorded_by="test",
                   status="valid", source="site", created_at=now, updated_at=now, version=1)
    s.add(d)
    return d


def _random_mix(app, rng: random.Random, *, people: int, now: datetime) -> list[str]:
    """People in two provinces with 1-3 doses each over 20 days."""
    ids = []
    with app.app_context(), db.sessions().begin() as s:
        sites = {c: s.scalar(sa.select(OrgUnit).filter_by(code=c)) for c in SITES}
        for i in range(people):
            prov = rng.choice((1, 1, 79))
            p = Person(full_name=f"Người {i}", date_of_birth=date(1980 + i % 30, 1, 1), sex="F", province_code=prov,
                       ward_code=None, national_id=None, phone=None, address_line="", created_at=now, updated_at=now)
            s.add(p)
            s.flush()
            product = rng.choice(PRODUCTS)
            day = TODAY - timedelta(days=rng.randrange(40, 60))
            for n in range(1, rng.randrange(1, 4) + 1):
                _dose(s, p.id, site=sites[rng.choice(SITES)], product=product, number=n, on=day,
                      series="booster" if n == 3 else "primary", now=now)
                day += timedelta(days=rng.randrange(21, 35))
            ids.append(p.id)
    return ids


def _correct(app, rng: random.Random, *, now: datetime, k: int) -> None:
    """Corrections as the corrections service makes them: a new version and updated_at."""
    with app.app_context(), db.sessions().begin() as s:
        doses = s.scalars(sa.select(DoseRecord).where(DoseRecord.status.in_(COUNTED))
                          .order_by(DoseRecord.id)).all()
        for d in rng.sample(doses, k):
            what = rng.choice(("void", "product", "day", "site"))
            if what == "void":
                d.status, d.void_reason = "voided", "entered twice"
            elif what == "product":
                d.product_code, d.status = rng.choice(PRODUCTS), "corrected"
            elif what == "day":
                d.administered_on -= timedelta(days=1)
                d.administered_at -= timedelta(days=1)
                d.status = "corrected"
            else:
                site = s.scalar(sa.select(OrgUnit).filter_by(code=rng.choice(SITES)))
                d.unit_id, d.province_code, d.status = site.id, site.province_code, "corrected"
            d.updated_at = now


def _direct(app, *, today: date):
    """The figures counted straight from dose records and people (the rules engine for coverage)."""
    with app.app_context(), db.reads().begin() as s:
        primary = dict(s.execute(sa.select(VaccineProduct.code, VaccineProduct.doses_in_primary_series)).all())
        rows = s.execute(sa.select(DoseRecord).where(DoseRecord.status.in_(COUNTED))).scalars().all()
        daily = Counter((d.administered_on, d.province_code or 0, d.product_code,
                         stats.dose_kind(d.series, d.dose_number, primary[d.product_code])) for d in rows)
        rules = catalog.load_rule_set(s)
        by_person: dict[str, list] = {}
        for d in rows:
            by_person.setdefault(d.person_id, []).append(engine.GivenDose(d.product_code, d.dose_number, d.administered_on))
        cover = Counter()
        for pid, given in by_person.items():
            p = s.get(Person, pid)
            st = engine.series_status(given, rules)
            cover[(p.province_code, "at_least_one")] += 1
            cover[(p.province_code, "primary_complete")] += st.status == "green"
            cover[(p.province_code, "booster")] += st.boosters > 0
        return rows, daily, cover


def _stored(app):
    with app.app_context(), db.reads().begin() as s:
        daily = Counter({(r.day, r.province_code, r.product_code, r.kind): r.count
                         for r in s.scalars(sa.select(StatDoseDaily)) if r.count})
        cover = Counter()
        for r in s.scalars(sa.select(StatCoverage)):
            for k in ("at_least_one", "primary_complete", "booster"):
                if getattr(r, k):
                    cover[(r.province_code, k)] = getattr(r, k)
        return daily, cover


def _engine_people(app, *, today: date) -> dict:
    """Each dosed person's row as the rules engine gives it (last dose: by day, then dose number)."""
    with app.app_context(), db.reads().begin() as s:
        rules = catalog.load_rule_set(s)
        by_person: dict[str, list] = {}
        for d in s.scalars(sa.select(DoseRecord).where(DoseRecord.status.in_(COUNTED))):
            by_person.setdefault(d.person_id, []).append(d)
        out = {}
        for pid, doses in by_person.items():
            p = s.get(Person, pid)
            given = [engine.GivenDose(d.product_code, d.dose_number, d.administered_on) for d in doses]
            last = max(doses, key=lambda d: (d.administered_on, d.dose_number, d.administered_at, d.id))
            st = engine.series_status(given, rules)
            nxt = engine.next_dose(p.date_of_birth, given, rules, product=last.product_code,
                                   where=engine.Jurisdiction(p.province_code), on=today)
            due = nxt.recommended_by if nxt.dose_number is not None else None
            out[pid] = (p.province_code or 0, st.status == "green", st.boosters > 0, last.unit_id,
                        last.product_code if due else None, due)
        return out


def _stored_people(app) -> dict:
    ps = StatPerson.__table__.c
    with app.app_context(), db.reads().begin() as s:
        return {r[0]: tuple(r[1:]) for r in s.execute(sa.select(
            ps.person_id, ps.province_code, ps.primary_complete, ps.booster, ps.last_unit_id, ps.next_product,
            ps.next_due_by))}


def _due_cells(app) -> Counter:
    with app.app_context(), db.reads().begin() as s:
        return +Counter({(r.province_code, r.next_product, r.next_due_by): r.count for r in s.execute(
            sa.select(StatDue.__table__))})


def _due_direct(app) -> Counter:
    ps = StatPerson.__table__
    with app.app_context(), db.reads().begin() as s:
        return Counter({(p, n, d): c for p, n, d, c in s.execute(
            sa.select(ps.c.province_code, ps.c.next_product, ps.c.next_due_by, sa.func.count())
            .where(ps.c.next_due_by.isnot(None)).group_by(ps.c.province_code, ps.c.next_product, ps.c.next_due_by))})


def test_figures_equal_direct_counts_after_doses_and_corrections(app, clock):
    rng = random.Random(8)
    now = FIXED_NOW
    _random_mix(app, rng, people=60, now=now)
    assert _refresh(app, now) > 0
    for step in range(3):  # corrections and new doses between incremental refreshes
        now += timedelta(minutes=30)
        _correct(app, rng, now=now, k=8)
        _random_mix(app, rng, people=10, now=now)
        _refresh(app, now)
        assert _refresh(app, now) == 0  # idempotent: the overlap window re-reads, changes nothing
        rows, daily, cover = _direct(app, today=TODAY)
        stored_daily, stored_cover = _stored(app)
        assert stored_daily == +daily
        assert stored_cover == +cover
        assert _due_cells(app) == _due_direct(app)  # stat_due is stat_person summed, after corrections
        assert _stored_people(app) == _engine_people(app, today=TODAY)  # SQL's answers are the engine's

    clock.advance(hours=2)
    public = app.test_client().get("/api/v1/public/stats?from=2026-09-01&to=2026-11-23").json
    per_day = Counter()
    for d in rows:
        per_day[d.administered_on.isoformat()] += 1
    for cell in public["doses_per_day"]:
        n = per_day[cell["day"]]
        assert cell["total"] == (None if 0 < n < 10 else n)
    for c in public["coverage"]:
        n = cover[(c["province_code"], "at_least_one")]
        assert c["at_least_one"] == (None if 0 < n < 10 else n)
        assert c["suppressed"] == any(0 < cover[(c["province_code"], k)] < 10
                                      for k in ("at_least_one", "primary_complete", "booster"))
    assert public["metadata"]["suppression"]["threshold"] == 10
    assert public["updated_at"] is not None and public["from"] == "2026-09-01" and public["to"] == "2026-11-23"

    # the department of Hà Nội sees its own province only: doses in range equal a direct count
    dept = staff(app, "department_staff", "P01")
    body = dept.get("/stats/dashboard?from=2026-09-01&to=2026-11-23").json
    direct_hn = sum(1 for d in rows if d.province_code == 1 and date(2026, 9, 1) <= d.administered_on <= TODAY)
    assert body["doses"]["total"] == direct_hn
    assert body["scope"]["province_codes"] == [1]
    with app.app_context(), db.reads().begin() as s:
        ps = StatPerson.__table__
        overdue = lambda *w: s.scalar(sa.select(sa.func.count()).where(ps.c.next_due_by < TODAY, *w))
        hn_overdue, all_overdue = overdue(ps.c.province_code == 1), overdue()
    assert body["overdue"]["total"] == hn_overdue
    hcm_site = None
    with app.app_context(), db.reads().begin() as s:
        hcm_site = s.scalar(sa.select(OrgUnit.id).filter_by(code="HCM-SG"))
    problem(dept.get(f"/stats/dashboard?unit_id={hcm_site}"), 403, "stats-out-of-scope")
    nat = staff(app, "national_admin", "VN").get("/stats/dashboard?from=2026-09-01&to=2026-11-23").json
    assert nat["overdue"]["total"] == all_overdue
    assert nat["doses"]["total"] == sum(1 for d in rows if date(2026, 9, 1) <= d.administered_on <= TODAY)


def test_small_cells_are_suppressed_and_said_so(app):
    who = person(app)
    with app.app_context(), db.sessions().begin() as s:
        _dose(s, who["id"], site=s.scalar(sa.select(OrgUnit).filter_by(code="HN-HK")), product="pfizer-biontech",
              number=1, on=TODAY)
    _refresh(app, FIXED_NOW)
    c = app.test_client()
    r = c.get("/api/v1/public/stats")
    assert r.status_code == 200 and "public" in r.headers["Cache-Control"] and r.headers["ETag"]
    today = [d for d in r.json["doses_per_day"] if d["day"] == TODAY.isoformat()][0]
    assert today["total"] is None and today["suppressed"] is True and today["first"] is None
    hn = [p for p in r.json["coverage"] if p["province_code"] == 1][0]
    assert hn["at_least_one"] is None and hn["suppressed"]
    assert "percent" in r.json["metadata"]["denominators"]
    assert c.get("/api/v1/public/stats", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    csv = c.get("/api/v1/public/stats/coverage.csv")
    assert csv.mimetype == "text/csv" and csv.text.splitlines()[0].startswith("province_code,province_name")
    assert c.get("/api/v1/public/stats?format=csv").text.startswith("day,first")
    spec = c.get("/api/v1/openapi.json").json
    assert "/api/v1/public/stats" in spec["paths"] and "/api/v1/public/stats/doses.csv" in spec["paths"]


def test_the_dashboard_needs_staff_and_site_staff_see_their_site(app):
    me = citizen_of(app, person(app)["id"])
    assert me.get("/stats/dashboard").status_code == 403
    assert app.test_client().get("/api/v1/stats/dashboard").status_code == 401
    site = staff(app, "site_staff", "HN-HK")
    body = site.get("/stats/dashboard?format=json").json
    assert body["scope"]["national"] is False and len(body["scope"]["unit_ids"]) == 1
    assert all(s["site_name"] for s in body["sessions"])
    csv = site.get("/stats/dashboard?format=csv")
    assert csv.mimetype == "text/csv" and csv.text.startswith("section,unit,item,metric,value")


def test_a_site_dose_and_its_voiding_correction_move_the_figures(app):
    """Through the real services: a dose at the site, then a citizen's correction approved by the department."""
    from tests.api.test_vaccination_support import give, lot, open_session, png_b64, ready_visit

    def cell(today_kind="first"):
        with app.app_context(), db.reads().begin() as s:
            return s.scalar(sa.select(sa.func.coalesce(sa.func.sum(StatDoseDaily.count), 0)).where(
                StatDoseDaily.day == TODAY, StatDoseDaily.province_code == 1, StatDoseDaily.kind == today_kind))

    open_session(app, "HN-HK")
    site = staff(app, "site_staff", "HN-HK")
    who = person(app)
    dose = give(site, ready_visit(app, site, who), lot(app, "HN-HK")).json
    _refresh(app, FIXED_NOW + timedelta(minutes=1))
    assert cell() == 1
    me = citizen_of(app, who["id"])
    req = me.post(f"/people/{who['id']}/corrections", {"kind": "dose", "dose_record_id": dose["id"],
                                                        "changes": {"void": True}, "reason": "Never had it",
                                                        "evidence_base64": [png_b64()]}).json
    r = staff(app, "department_staff", "P01").post(f"/corrections/{req['id']}/approve", {})
    assert r.status_code == 200, r.json
    _refresh(app, FIXED_NOW + timedelta(minutes=2))
    assert cell() == 0
    with app.app_context(), db.reads().begin() as s:
        assert s.scalar(sa.select(StatCoverage.at_least_one).where(StatCoverage.province_code == 1)) in (0, None)


def test_a_person_who_moves_province_moves_their_coverage_cells(app):
    """No dose changes: the person's own record does (a new version), and only that re-evaluates them."""
    rng = random.Random(21)
    now = FIXED_NOW
    ids = _random_mix(app, rng, people=12, now=now)
    _refresh(app, now)
    now += timedelta(minutes=3)  # inside the overlap window: everyone is read again, nobody changed
    assert _refresh(app, now) == 0
    with app.app_context(), db.sessions().begin() as s:
        for pid in ids[:4]:
            p = s.get(Person, pid)
            p.province_code = 79 if p.province_code == 1 else 1
            p.updated_at = now
    _refresh(app, now)
    _, _, cover = _direct(app, today=TODAY)
    assert _stored(app)[1] == +cover
    assert _due_cells(app) == _due_direct(app)
    with app.app_context(), db.reads().begin() as s:
        versions = dict(s.execute(sa.select(StatPerson.person_id, StatPerson.person_version)
                                  .where(StatPerson.person_id.in_(ids[:4]))).all())
        assert versions == dict(s.execute(sa.select(Person.id, Person.version).where(Person.id.in_(ids[:4]))).all())


def test_people_the_sql_cannot_decide_go_through_the_rules_engine(app):
    """A version starting later (Hà Nội) or an age ceiling (national) makes the due date depend on
    more than the last dose: those people go through the rules engine, the rest stay in SQL, and
    every stored row is still what the engine says."""
    with app.app_context(), db.sessions().begin() as s:
        catalog.add_rule_version(s, product_code="pfizer-biontech", dose="2", province_code=1,
                                 effective_from=TODAY + timedelta(days=10), min_interval_days=21,
                                 recommended_interval_days=28, max_interval_days=42,
                                 allowed_previous=["pfizer-biontech", "moderna"], now=FIXED_NOW)
        catalog.add_rule_version(s, product_code="moderna", dose="2", effective_from=date(2026, 1, 1),
                                 min_interval_days=28, recommended_interval_days=28, max_interval_days=56,
                                 max_age_days=engine_years(90), now=FIXED_NOW)
        catalog.add_rule_version(s, product_code="astrazeneca", dose="2", province_code=79,
                                 effective_from=date(2026, 1, 1), min_interval_days=42, max_interval_days=70,
                                 allowed_previous=["pfizer-biontech"], now=FIXED_NOW)
    with app.app_context(), db.reads().begin() as s:
        plan = {(r["product_code"], r["dose"], r["province_code"]): r for r in
                stats._due_plan(catalog.load_rule_set(s), TODAY)}
    assert plan[("pfizer-biontech", "2", 1)]["engine"] and not plan[("pfizer-biontech", "2", stats.ALL_PROVINCES)]["engine"]
    assert plan[("moderna", "2", stats.ALL_PROVINCES)]["engine"]  # the age ceiling
    assert plan[("astrazeneca", "2", 79)] == {"product_code": "astrazeneca", "dose": "2", "province_code": 79,
                                              "due_days": None, "engine": False}  # AZ may not follow AZ there
    assert plan[("astrazeneca", "2", 1)]["due_days"] == 84
    rng = random.Random(5)
    now = FIXED_NOW
    _random_mix(app, rng, people=40, now=now)
    _refresh(app, now)
    assert _stored_people(app) == _engine_people(app, today=TODAY)
    now += timedelta(minutes=30)
    _correct(app, rng, now=now, k=6)
    _refresh(app, now)
    assert _stored_people(app) == _engine_people(app, today=TODAY)
    assert _due_cells(app) == _due_direct(app)
    _, _, cover = _direct(app, today=TODAY)
    assert _stored(app)[1] == +cover


def engine_years(n: int) -> int:
    return n * 365 + n // 4


def test_the_public_answer_is_kept_until_the_next_refresh(app, clock):
    """Each process keeps the computed answer per refresh: a refresh with new doses shows them."""
    with app.app_context(), db.sessions().begin() as s:
        sites = s.scalar(sa.select(OrgUnit).filter_by(code="HN-HK"))
        for i in range(12):
            p = Person(full_name=f"P{i}", date_of_birth=date(1980, 1, 1), sex="M", province_code=1, ward_code=None,
                       national_id=None, phone=None, address_line="", created_at=FIXED_NOW, updated_at=FIXED_NOW)
            s.add(p)
            s.flush()
            _dose(s, p.id, site=sites, product="pfizer-biontech", number=1, on=TODAY)
    _refresh(app, FIXED_NOW)
    c = app.test_client()
    day = lambda body: next(d for d in body["doses_per_day"] if d["day"] == TODAY.isoformat())  # noqa: E731
    first = c.get("/api/v1/public/stats").json
    assert day(first)["total"] == 12 and c.get("/api/v1/public/stats").json == first
    with app.app_context(), db.sessions().begin() as s:
        p = Person(full_name="P12", date_of_birth=date(1980, 1, 1), sex="M", province_code=1, ward_code=None,
                   national_id=None, phone=None, address_line="", created_at=FIXED_NOW, updated_at=FIXED_NOW)
        s.add(p)
        s.flush()
        _dose(s, p.id, site=s.scalar(sa.select(OrgUnit).filter_by(code="HN-HK")), product="pfizer-biontech",
              number=1, on=TODAY, now=FIXED_NOW + timedelta(minutes=5))
    assert day(c.get("/api/v1/public/stats").json)["total"] == 12  # as of the last refresh
    _refresh(app, FIXED_NOW + timedelta(minutes=5))
    later = c.get("/api/v1/public/stats").json
    assert day(later)["total"] == 13 and later["updated_at"] != first["updated_at"]
