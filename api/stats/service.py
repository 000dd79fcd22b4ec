"""Statistics: incremental aggregates, public open data, the department dashboard.

Refresh design (`refresh_stats`): dose records changed since the watermark (by `updated_at`,
re-reading an overlap window so a transaction that committed late is still seen) are compared
with what they last contributed (`stat_dose_seen`); the old contribution is subtracted and the
new one added (a delta), so a corrected or voided dose moves its count exactly and re-reading a
record twice changes nothing. The same pass keeps doses per site and lot (days of supply). The
people those records belong to are re-evaluated (series status, next dose: in SQL where the rule
versions allow, else with the rules engine) and their coverage and due-date cells moved the same
way; registrations that may have moved on (changed, a new booking, a dose changed) are
re-evaluated into the funnel cells. Every step is one INSERT ... SELECT or one upsert over a
temporary table, never a loop over rows. Figures are as of `stat_refresh.refreshed_at`, which
the API and the page show.
"""
from __future__ import annotations

import csv
import hashlib
import io
import logging
import threading
import time as clock
from collections import Counter, OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.booking.models import Booking, Registration, RegistrationEvent, Slot, VaccinationSession
from api.catalog import rules as engine
from api.catalog import service as catalog
from api.catalog.models import OrgUnit, VaccineProduct
from api.db import one_of
from api.people.models import Person
from api.places import service as places
from api.problems import ValidationFailed
from api.reactions import figures as reaction_figures
from api.stats.problems import StatsOutOfScope
from api.stats.models import (KINDS, UNKNOWN_PROVINCE, StatCoverage, StatDoseDaily, StatDoseSeen, StatDue,
                              StatFunnelDaily, StatLotDaily, StatPerson, StatRegistration,
                              StatRefresh, StatUnitDaily)
from api.vaccination.models import COUNTED, DoseRecord, Lot, StockBalance

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# Published cells between 1 and THRESHOLD-1 are withheld: a count that small can point at a person.
THRESHOLD = 10
# How late a dose-record transaction may commit after the updated_at it wrote and still be seen.
OVERLAP = timedelta(minutes=10)
FUNNEL = ("registered", "approved", "allocated", "booked", "vaccinated")
IN_SEATS = ("booked", "confirmed", "attended", "missed")  # a place taken, kept or not
MAX_SESSIONS = 500
SUPPLY_DAYS = 7  # days of supply: at the pace of the last 7 full days
REGISTRATION_ENDS = ("cancelled", "rejected")
MAX_RANGE_DAYS = 400

dose_t = DoseRecord.__table__
seen_t = StatDoseSeen.__table__
daily_t = StatDoseDaily.__table__
unit_daily_t = StatUnitDaily.__table__
lot_daily_t = StatLotDaily.__table__
person_stat_t = StatPerson.__table__
coverage_t = StatCoverage.__table__
due_t = StatDue.__table__
funnel_t = StatFunnelDaily.__table__
funnel_reg_t = StatRegistration.__table__


def local_date(now: datetime) -> date:
    return now.astimezone(LOCAL).date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL)


# ---------------------------------------------------------------- refresh

def _insert(session: so.Session, table: sa.Table):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def dose_kind(series: str, dose_number: int, doses_in_primary: int) -> str:
    """booster | primary_complete (the dose that completes the primary series) | first | other."""
    if series == "booster":
        return "booster"
    if dose_number >= doses_in_primary:
        return "primary_complete"
    return "first" if dose_number == 1 else "other"


_tmp_md = sa.MetaData()
# The records whose contribution changes in this refresh: read once (one snapshot), then used for
# the cell deltas, the people to re-evaluate and the new `stat_dose_seen` rows.
changes_t = sa.Table(
    "tmp_stat_changes", _tmp_md,
    sa.Column("id", sa.String(36), primary_key=True), sa.Column("person_id", sa.String(36)),
    sa.Column("version", sa.Integer), sa.Column("counted", sa.Boolean), sa.Column("day", sa.Date),
    sa.Column("province_code", sa.Integer), sa.Column("product_code", sa.String(40)),
    sa.Column("kind", sa.String(16)), sa.Column("unit_id", sa.String(36)), sa.Column("lot_id", sa.String(36)),
    sa.Column("s_counted", sa.Boolean), sa.Column("s_day", sa.Date), sa.Column("s_province", sa.Integer),
    sa.Column("s_product", sa.String(40)), sa.Column("s_kind", sa.String(16)), sa.Column("s_unit", sa.String(36)),
    sa.Column("s_lot", sa.String(36)), prefixes=["TEMPORARY"])
# The people to re-evaluate in this refresh.
people_t = sa.Table("tmp_stat_people", _tmp_md, sa.Column("person_id", sa.String(36), primary_key=True),
                    prefixes=["TEMPORARY"])
# Their new `stat_person` rows (`engine`: SQL could not say when the next dose is due; the rules
# engine fills those rows in).
new_people_t = sa.Table(
    "tmp_stat_person", _tmp_md,
    sa.Column("person_id", sa.String(36), primary_key=True), sa.Column("province_code", sa.Integer),
    sa.Column("primary_complete", sa.Boolean), sa.Column("booster", sa.Boolean),
    sa.Column("last_unit_id", sa.String(36)), sa.Column("next_product", sa.String(40)),
    sa.Column("next_due_by", sa.Date), sa.Column("person_version", sa.Integer), sa.Column("engine", sa.Boolean),
    prefixes=["TEMPORARY"])
# Per (product, dose key, province) what the rules say about "recommended by" (`_due_plan`).
plan_t = sa.Table(
    "tmp_stat_plan", _tmp_md,
    sa.Column("product_code", sa.String(40), primary_key=True), sa.Column("dose", sa.String(8), primary_key=True),
    sa.Column("province_code", sa.Integer, primary_key=True), sa.Column("due_days", sa.Integer),
    sa.Column("engine", sa.Boolean), prefixes=["TEMPORARY"])
ALL_PROVINCES = -1  # a plan row for every province without rules of its own
# The registrations to re-evaluate in this refresh, and their new funnel rows.
regs_t = sa.Table("tmp_stat_regs", _tmp_md, sa.Column("registration_id", sa.String(36), primary_key=True),
                  prefixes=["TEMPORARY"])
new_regs_t = sa.Table(
    "tmp_stat_registration", _tmp_md,
    sa.Column("registration_id", sa.String(36), primary_key=True), sa.Column("day", sa.Date),
    sa.Column("province_code", sa.Integer), sa.Column("unit_id", sa.String(36)),
    *[sa.Column(k, sa.Boolean) for k in ("approved", "allocated", "booked", "vaccinated")],
    prefixes=["TEMPORARY"])
TEMP_TABLES = (changes_t, people_t, new_people_t, plan_t, regs_t, new_regs_t)


@contextmanager
def _phase(name: str):
    """Log how long a refresh phase took (the scheduler's log; the benchmark prints it)."""
    started = clock.perf_counter()
    yield
    log.debug("stats refresh: %s in %.2f s", name, clock.perf_counter() - started)


def _analyze(session: so.Session, table: sa.Table) -> None:
    """Give the planner a filled temporary table's real size (PostgreSQL never analyzes them itself):
    a handful of changed rows should be joined through indexes, a full build by hashing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(f"ANALYZE {table.name}"))


def _move(session: so.Session, table: sa.Table, keys: tuple[str, ...], values: tuple[str, ...],
          plus: sa.Select, minus: sa.Select) -> None:
    """table[keys].values += sum(plus rows) - sum(minus rows), per cell, in one statement.

    `plus` and `minus` select the key columns then the value columns (minus already negated); cells
    whose sums are all zero are not touched."""
    u = list(sa.union_all(plus, minus).subquery().c)  # by position: the first select names the columns
    by, sums = u[:len(keys)], [sa.func.sum(x) for x in u[len(keys):]]
    agg = sa.select(*by, *sums).group_by(*by).having(sa.or_(*[s != 0 for s in sums]))
    stmt = _insert(session, table).from_select([*keys, *values], agg)
    session.execute(stmt.on_conflict_do_update(index_elements=list(keys),
                                               set_={v: table.c[v] + stmt.excluded[v] for v in values}))


def _add_deltas(session: so.Session, table: sa.Table, new_cols: list, old_cols: list, keys: tuple[str, ...],
                new_where, old_where) -> None:
    """count += (records now counted in the cell) - (records counted there before), in one statement."""
    plus = sa.select(*[x.label(k) for x, k in zip(new_cols, keys)], sa.literal(1).label("count")).where(new_where)
    minus = sa.select(*[x.label(k) for x, k in zip(old_cols, keys)], sa.literal(-1).label("count")).where(old_where)
    _move(session, table, keys, ("count",), plus, minus)


def refresh_stats(session: so.Session, now: datetime) -> int:
    """Bring the aggregates up to date with the dose records; returns the records whose
    contribution changed (a scheduler job: running it again changes nothing).

    Set-based: the changed records are selected once into a temporary table (a record read again
    in the overlap window with the same version and contribution is left out in SQL), the daily
    cells move by one INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE each, and
    `stat_dose_seen` is upserted from the same rows. The people of those records (and people whose
    own record changed) are re-evaluated the same way (`_refresh_people`): SQL computes their
    coverage flags and next due date, and only the few the SQL cannot decide go through the rules
    engine; then the registrations' funnel (`_refresh_funnel`). The first refresh (the full build)
    is the same code with every record changed."""
    state = session.get(StatRefresh, 1, with_for_update=True)
    if state is None:
        state = StatRefresh(id=1, watermark=None, refreshed_at=None, doses_changed=0)
        session.add(state)
        session.flush()
        state = session.get(StatRefresh, 1, with_for_update=True)
    # Everything written before the last refresh's snapshot less OVERLAP was seen by it (a
    # transaction commits within OVERLAP of the updated_at it writes): read from there on.
    seen_until = max((t for t in (state.watermark, state.refreshed_at) if t is not None), default=None)
    lower = seen_until - OVERLAP if state.watermark is not None else None
    # read before the changes (a later snapshot sees at least these): the next watermark
    high = session.scalar(sa.select(sa.func.max(dose_t.c.updated_at)))
    if high is not None and state.watermark is not None and high < state.watermark:
        high = state.watermark
    high = high if high is not None else state.watermark

    vp = VaccineProduct.__table__
    d, s = dose_t.c, seen_t.c
    counted = d.status.in_(COUNTED)
    kind = sa.case((d.series == "booster", "booster"),
                   (d.dose_number >= sa.func.coalesce(vp.c.doses_in_primary_series, 2), "primary_complete"),
                   (d.dose_number == 1, "first"), else_="other")
    province = sa.func.coalesce(d.province_code, UNKNOWN_PROVINCE)
    lot = sa.case((d.source == "site", d.lot_id))  # taken from the site's stock (a paper card's lot was not)
    differs = sa.or_(s.dose_record_id.is_(None), s.version != d.version, s.counted.is_distinct_from(counted),
                     s.day.is_distinct_from(d.administered_on), s.province_code.is_distinct_from(province),
                     s.product_code.is_distinct_from(d.product_code), s.kind.is_distinct_from(kind),
                     s.unit_id.is_distinct_from(d.unit_id), s.lot_id.is_distinct_from(lot))
    q = (sa.select(d.id, d.person_id, d.version, counted, d.administered_on, province, d.product_code, kind,
                   d.unit_id, lot, s.counted, s.day, s.province_code, s.product_code, s.kind, s.unit_id,
                   s.lot_id)
         .select_from(dose_t.outerjoin(seen_t, s.dose_record_id == d.id)
                      .outerjoin(vp, vp.c.code == d.product_code))
         .where(differs))
    if lower is not None:
        q = q.where(d.updated_at >= lower)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # A batch job's sorts and hashes (the full build reads every record): memory, not temp files.
        # No JIT: compiling these statements took longer (~1 s each) than running them.
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        conn.exec_driver_sql("SET LOCAL jit = off")
        # An incremental refresh touches ~1 % of the records: reach them through their indexes
        # (the aggregates' working set is in memory or on SSD) rather than hashing whole tables.
        conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
    for t in TEMP_TABLES:
        t.drop(conn, checkfirst=True)
        t.create(conn)
    try:
        with _phase("changed dose records"):
            session.execute(sa.insert(changes_t).from_select([col.name for col in changes_t.c], q))
            _analyze(session, changes_t)
        c = changes_t.c
        changed = session.scalar(sa.select(sa.func.count()).select_from(changes_t)) or 0
        if changed:
            with _phase("dose cells and seen rows"):
                _add_deltas(session, daily_t, [c.day, c.province_code, c.product_code, c.kind],
                            [c.s_day, c.s_province, c.s_product, c.s_kind],
                            ("day", "province_code", "product_code", "kind"),
                            c.counted == sa.true(), c.s_counted == sa.true())
                _add_deltas(session, unit_daily_t, [c.day, c.unit_id], [c.s_day, c.s_unit], ("day", "unit_id"),
                            sa.and_(c.counted == sa.true(), c.unit_id.isnot(None)),
                            sa.and_(c.s_counted == sa.true(), c.s_unit.isnot(None)))
                _add_deltas(session, lot_daily_t, [c.day, c.unit_id, c.lot_id], [c.s_day, c.s_unit, c.s_lot],
                            ("day", "unit_id", "lot_id"),
                            sa.and_(c.counted == sa.true(), c.unit_id.isnot(None), c.lot_id.isnot(None)),
                            sa.and_(c.s_counted == sa.true(), c.s_unit.isnot(None), c.s_lot.isnot(None)))
                cols = ["version", "counted", "day", "province_code", "product_code", "kind", "unit_id", "lot_id"]
                ins = _insert(session, seen_t).from_select(
                    ["dose_record_id", *cols],
                    sa.select(c.id, c.version, c.counted, c.day, c.province_code, c.product_code, c.kind, c.unit_id,
                              c.lot_id)
                    .where(c.id.isnot(None)))  # a WHERE: SQLite's upsert-from-SELECT needs one
                session.execute(ins.on_conflict_do_update(index_elements=["dose_record_id"],
                                                          set_={k: ins.excluded[k] for k in cols}))
        with _phase("people to re-evaluate"):
            who = [sa.select(c.person_id).distinct()]
            if lower is not None:  # a move (or a new date of birth) changes a person's figures without a dose
                who.append(sa.select(Person.id).join(StatPerson, StatPerson.person_id == Person.id).where(
                    Person.updated_at >= lower, StatPerson.person_version.is_distinct_from(Person.version)))
            session.execute(sa.insert(people_t).from_select(["person_id"],
                                                            sa.union(*who) if len(who) > 1 else who[0]))
            _analyze(session, people_t)
        _refresh_people(session, today=local_date(now))
        _refresh_funnel(session, lower)
    finally:
        for t in reversed(TEMP_TABLES):
            t.drop(conn, checkfirst=True)
    state.watermark = high
    state.refreshed_at = now
    state.doses_changed = changed
    return changed


# ---------------------------------------------------------------- people: coverage flags, next dose due

def _version_at(rules: list[engine.Rule], where: engine.Jurisdiction, on: date) -> engine.Rule | None:
    """The rule version the engine uses on `on` here: in force, most specific, first of equals."""
    best, best_score = None, -1
    for r in rules:
        score = where.specificity(r) if r.in_force(on) else None
        if score is not None and score > best_score:
            best, best_score = r, score
    return best


def _due_plan(rules: engine.RuleSet, on: date) -> list[dict]:
    """Where SQL can say by when a person's next dose is recommended, per (product, dose key, province).

    For the person's last product and next dose key, `engine.next_dose(on=on)` answers
    `recommended_by = last dose + max_interval_days` of the version it uses, if some date from
    `on` on allows the dose, else nothing. That is a constant number of days (or none) when no
    version for the jurisdiction has a maximum interval, or when one version is in force from `on`
    on and has no age ceiling (a dose of the product that was given last is then allowed on some
    date, unless the version says the product may not follow itself). Anything else — a version
    starting later, an age ceiling — is marked `engine`: those people go through the rules engine.
    Province rows are made only where a province has rules of its own; ALL_PROVINCES covers the rest
    (and people without a province: the engine then sees national rules only).
    """
    out = []
    for product, dose in sorted({(r.product, r.dose) for r in rules.rules}):
        candidates = rules.rules_for(product, dose)
        p = rules.products.get(product)
        for prov in (None, *sorted({r.province_code for r in candidates if r.province_code is not None})):
            where = engine.Jurisdiction(prov)
            mine = [r for r in candidates if where.specificity(r) is not None]
            due, slow = None, False
            if p is not None and p.active and any(r.max_interval_days is not None for r in mine):
                cuts = sorted({on} | {x for r in mine for x in (r.effective_from, r.effective_to)
                                      if x is not None and x > on})
                versions = {id(v): v for v in (_version_at(mine, where, cut) for cut in cuts)}
                only = next(iter(versions.values())) if len(versions) == 1 else None
                if len(versions) > 1 or (only is not None and only.max_age_days is not None):
                    slow = True
                elif only is not None and (only.allowed_previous is None or product in only.allowed_previous):
                    due = only.max_interval_days
            out.append({"product_code": product, "dose": dose,
                        "province_code": ALL_PROVINCES if prov is None else prov, "due_days": due, "engine": slow})
    return out


def _plus_days(session: so.Session, day, days):
    if session.get_bind().dialect.name == "postgresql":
        return sa.type_coerce(day + days, sa.Date)  # date + integer
    return sa.func.date(day, sa.literal("+") + sa.cast(days, sa.String) + sa.literal(" days"), type_=sa.Date)


def _people_select(session: so.Session) -> sa.Select:
    """New `stat_person` rows for the people in `tmp_stat_people` who have a counted dose.

    The last dose is the last of the course as the engine orders it (day, then dose number); the
    series is complete from the first dose that completes its product's primary series; a booster is
    a dose on a later day. The engine's `series_status` counts one disease (COVID-19): a person with
    a dose of another disease is left to the engine."""
    d, vp, pe = dose_t.c, VaccineProduct.__table__.c, Person.__table__.c
    w = {"partition_by": d.person_id}
    completes = d.dose_number >= sa.func.coalesce(vp.doses_in_primary_series, 2)
    x = (sa.select(
        d.person_id, d.product_code, d.unit_id, d.administered_on,
        sa.func.row_number().over(partition_by=d.person_id, order_by=(
            d.administered_on.desc(), d.dose_number.desc(), d.administered_at.desc(), d.id.desc())).label("rn"),
        sa.func.max(d.dose_number).over(**w).label("top"),
        sa.func.min(sa.case((completes, d.administered_on))).over(**w).label("done_on"),
        sa.func.max(d.administered_on).over(**w).label("last_on"),
        sa.func.sum(sa.case((sa.func.coalesce(vp.target_disease, engine.COVID19) != engine.COVID19, 1),
                            else_=0)).over(**w).label("other"))
        .select_from(dose_t.join(people_t, people_t.c.person_id == d.person_id)
                     .outerjoin(VaccineProduct.__table__, vp.code == d.product_code))
        .where(d.status.in_(COUNTED))).subquery("x")
    key = sa.case((x.c.done_on.isnot(None), sa.literal("booster")), else_=sa.cast(x.c.top + 1, sa.String))
    own, nat = plan_t.alias("own"), plan_t.alias("nat")
    has_own = own.c.product_code.isnot(None)
    slow = sa.or_(x.c.other > 0, sa.case((has_own, own.c.engine), else_=sa.func.coalesce(nat.c.engine, False)))
    due = _plus_days(session, x.c.administered_on, sa.case((has_own, own.c.due_days), else_=nat.c.due_days))
    due = sa.case((slow, sa.null()), else_=due)
    return (sa.select(
        x.c.person_id, sa.func.coalesce(pe.province_code, UNKNOWN_PROVINCE),
        sa.case((x.c.done_on.isnot(None), True), else_=False),
        sa.case((x.c.done_on.isnot(None) & (x.c.last_on > x.c.done_on), True), else_=False),
        x.c.unit_id, sa.case((due.isnot(None), x.c.product_code)), due, pe.version, slow)
        .select_from(x.join(Person.__table__, pe.id == x.c.person_id)
                     .outerjoin(own, sa.and_(own.c.product_code == x.c.product_code, own.c.dose == key,
                                             own.c.province_code == pe.province_code))
                     .outerjoin(nat, sa.and_(nat.c.product_code == x.c.product_code, nat.c.dose == key,
                                             nat.c.province_code == ALL_PROVINCES)))
        .where(x.c.rn == 1))


def _engine_rows(session: so.Session, ids: list[str], rules: engine.RuleSet, today: date) -> list[dict]:
    """The same rows as `_people_select`, from the rules engine (for what SQL cannot decide)."""
    history: dict[str, list] = {}
    last: dict[str, tuple] = {}
    for r in session.execute(sa.select(dose_t.c.person_id, dose_t.c.product_code, dose_t.c.dose_number,
                                       dose_t.c.administered_on, dose_t.c.administered_at, dose_t.c.unit_id,
                                       dose_t.c.id)
                             .where(dose_t.c.person_id.in_(ids), dose_t.c.status.in_(COUNTED))):
        history.setdefault(r.person_id, []).append(engine.GivenDose(r.product_code, r.dose_number, r.administered_on))
        order = (r.administered_on, r.dose_number, r.administered_at, r.id)
        if r.person_id not in last or order > last[r.person_id][0]:
            last[r.person_id] = (order, r.unit_id, r.product_code)
    people = {p.id: p for p in session.execute(
        sa.select(Person.id, Person.province_code, Person.date_of_birth, Person.version).where(Person.id.in_(ids)))}
    rows = []
    for pid in ids:
        given, person = history.get(pid), people.get(pid)
        if not given or person is None:
            continue
        status = engine.series_status(given, rules)
        _, unit, product = last[pid]
        nxt = engine.next_dose(person.date_of_birth, given, rules, product=product,
                               where=engine.Jurisdiction(person.province_code), on=today)
        due = nxt.recommended_by if nxt.dose_number is not None else None
        rows.append({"person_id": pid, "province_code": person.province_code or UNKNOWN_PROVINCE,
                     "primary_complete": status.status == "green", "booster": status.boosters > 0,
                     "last_unit_id": unit, "next_product": product if due else None, "next_due_by": due,
                     "person_version": person.version, "engine": True})
    return rows


def _refresh_people(session: so.Session, *, today: date) -> None:
    """Re-evaluate the people in `tmp_stat_people`; move their coverage and due-date cells.

    One INSERT ... SELECT computes their new rows (window functions over their counted doses, the
    due date from `_due_plan`); the rules engine fills in the rows SQL could not decide; then the
    coverage and `stat_due` cells move by (new rows) - (old rows) in one statement each, people with
    no counted dose left are deleted and the rest upserted, all set-based."""
    rules = catalog.load_rule_set(session)
    plan = _due_plan(rules, today)
    if plan:
        session.execute(sa.insert(plan_t), plan)
    cols = [c.name for c in new_people_t.c]
    with _phase("people's rows in SQL"):
        session.execute(sa.insert(new_people_t).from_select(cols, _people_select(session)))
    n = new_people_t.c
    with _phase("people's rows from the rules engine"):
        slow = list(session.scalars(sa.select(n.person_id).where(n.engine == sa.true()).order_by(n.person_id)))
        for i in range(0, len(slow), 2000):
            chunk = slow[i:i + 2000]
            session.execute(sa.delete(new_people_t).where(n.person_id.in_(chunk)))
            rows = _engine_rows(session, chunk, rules, today)
            if rows:
                session.execute(sa.insert(new_people_t), rows)
        _analyze(session, new_people_t)

    with _phase("coverage, due cells and stat_person"):
        _store_people(session)


def _drop_unchanged(session: so.Session, new: sa.Table, stored: sa.Table, ids: sa.Table, key: str,
                    cols: list[str]) -> None:
    """Leave out the rows whose stored contribution is already this one (read again in the overlap
    window, or touched without effect): nothing moves for them, and nothing is written."""
    same = sa.select(new.c[key]).where(sa.exists().where(
        stored.c[key] == new.c[key], *[stored.c[c].is_not_distinct_from(new.c[c]) for c in cols]))
    session.execute(sa.delete(ids).where(ids.c[key].in_(same)))
    session.execute(sa.delete(new).where(new.c[key].not_in(sa.select(ids.c[key]))))
    _analyze(session, ids)
    _analyze(session, new)


def _signed(flag, sign: int):
    """`sign` where the flag is true, else 0: one row's share of a cell, added or taken out."""
    return sa.case((flag == sa.true(), sign), else_=0)


PERSON_COLUMNS = ["province_code", "primary_complete", "booster", "last_unit_id", "next_product", "next_due_by",
                  "person_version"]


def _store_people(session: so.Session) -> None:
    _drop_unchanged(session, new_people_t, person_stat_t, people_t, "person_id", PERSON_COLUMNS)
    n, ps = new_people_t.c, person_stat_t.c
    old = person_stat_t.join(people_t, people_t.c.person_id == ps.person_id)
    _move(session, coverage_t, ("province_code",), ("at_least_one", "primary_complete", "booster"),
          sa.select(n.province_code, sa.literal(1), _signed(n.primary_complete, 1), _signed(n.booster, 1)),
          sa.select(ps.province_code, sa.literal(-1), _signed(ps.primary_complete, -1), _signed(ps.booster, -1))
          .select_from(old).where(ps.has_dose == sa.true()))
    _move(session, due_t, ("province_code", "next_product", "next_due_by"), ("count",),
          sa.select(n.province_code, n.next_product, n.next_due_by, sa.literal(1)).where(n.next_due_by.isnot(None)),
          sa.select(ps.province_code, ps.next_product, ps.next_due_by, sa.literal(-1))
          .select_from(old).where(ps.next_due_by.isnot(None)))
    # people with no counted dose left: driven from the (small) temporary tables, through the key
    gone = sa.select(people_t.c.person_id).where(~sa.exists().where(n.person_id == people_t.c.person_id))
    session.execute(sa.delete(person_stat_t).where(ps.person_id.in_(gone)))
    ins = _insert(session, person_stat_t).from_select(
        ["person_id", "has_dose", *PERSON_COLUMNS],
        sa.select(n.person_id, sa.true(), *[n[k] for k in PERSON_COLUMNS]).where(n.person_id.isnot(None)))
    session.execute(ins.on_conflict_do_update(index_elements=["person_id"],
                                              set_={k: ins.excluded[k] for k in ["has_dose", *PERSON_COLUMNS]}))


# ---------------------------------------------------------------- registrations: the funnel

def _local_day(session: so.Session, at):
    """The Asia/Ho_Chi_Minh date of a stored UTC instant, in SQL (UTC+7 all year: no DST since 1975)."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(LOCAL.key, at), sa.Date)
    return sa.func.date(at, "+7 hours", type_=sa.Date)


def _registrations_select(session: so.Session) -> sa.Select:
    """The funnel rows of the registrations in `tmp_stat_regs`: how far each got.

    A booking or a dose counts for the registration that was live when it was made (from its
    creation until it was cancelled or rejected), so a person who cancels and registers again is
    not counted twice. Their events are read once, grouped per registration."""
    reg, ev, bk = Registration.__table__, RegistrationEvent.__table__, Booking.__table__
    had = lambda cond: sa.func.max(sa.case((cond, 1), else_=0))  # noqa: E731
    e = (sa.select(ev.c.registration_id, had(ev.c.status == "approved").label("approved"),
                   had(ev.c.status == "allocated").label("allocated"),
                   sa.func.min(sa.case((ev.c.status.in_(REGISTRATION_ENDS), ev.c.at))).label("ended"))
         .join(regs_t, regs_t.c.registration_id == ev.c.registration_id)
         .group_by(ev.c.registration_id).subquery("e"))
    r = (sa.select(reg.c.id, reg.c.person_id, reg.c.disease, reg.c.created_at, reg.c.preferred_province_code,
                   reg.c.allocated_unit_id, e.c.approved, e.c.allocated, e.c.ended)
         .join(regs_t, regs_t.c.registration_id == reg.c.id).outerjoin(e, e.c.registration_id == reg.c.id)
         .subquery("r"))
    live = lambda at: sa.and_(at >= r.c.created_at, sa.or_(r.c.ended.is_(None), at < r.c.ended))  # noqa: E731
    flag = lambda cond: sa.case((cond, True), else_=False)  # noqa: E731
    booked = sa.exists().where(bk.c.person_id == r.c.person_id, bk.c.disease == r.c.disease, live(bk.c.created_at))
    vaccinated = sa.exists().where(dose_t.c.person_id == r.c.person_id, dose_t.c.disease == r.c.disease,
                                   dose_t.c.status.in_(COUNTED), live(dose_t.c.administered_at))
    return sa.select(r.c.id, _local_day(session, r.c.created_at), r.c.preferred_province_code,
                     sa.func.coalesce(r.c.allocated_unit_id, ""), flag(r.c.approved == 1), flag(r.c.allocated == 1),
                     flag(booked), flag(vaccinated))


def _refresh_funnel(session: so.Session, lower: datetime | None) -> None:
    """Re-evaluate the registrations that may have moved on and move their funnel cells.

    Those are the registrations changed since the watermark (every status change sets
    updated_at), those of people with a booking made since then, and those of the people whose
    doses changed in this refresh (`tmp_stat_people`); at the first refresh (or the first with an
    empty `stat_registration`), all of them. Their new
    rows are computed in one INSERT ... SELECT, the cells move by (new) - (old) in one statement,
    and `stat_registration` is upserted."""
    reg, bk = Registration.__table__.c, Booking.__table__.c
    built = session.scalar(sa.select(sa.exists().where(funnel_reg_t.c.registration_id.isnot(None))))
    if lower is None or not built:  # the first refresh, or the first since the funnel was added (0004)
        who = sa.select(reg.id)
    else:
        who = sa.union(
            sa.select(reg.id).where(reg.updated_at >= lower),
            sa.select(reg.id).join(Booking.__table__, sa.and_(bk.person_id == reg.person_id, bk.disease == reg.disease))
            .where(bk.created_at >= lower),
            sa.select(reg.id).join(people_t, people_t.c.person_id == reg.person_id))
    with _phase("registrations to re-evaluate"):
        session.execute(sa.insert(regs_t).from_select(["registration_id"], who))
        _analyze(session, regs_t)
    cols = [c.name for c in new_regs_t.c]
    with _phase("registrations' funnel rows"):
        session.execute(sa.insert(new_regs_t).from_select(cols, _registrations_select(session)))
        _analyze(session, new_regs_t)
    with _phase("funnel cells and stat_registration"):
        _store_registrations(session, cols)


def _store_registrations(session: so.Session, cols: list[str]) -> None:
    stages = ("approved", "allocated", "booked", "vaccinated")
    _drop_unchanged(session, new_regs_t, funnel_reg_t, regs_t, "registration_id",
                    ["day", "province_code", "unit_id", *stages])
    n, sr = new_regs_t.c, funnel_reg_t.c
    _move(session, funnel_t, ("day", "province_code", "unit_id"), ("registered", *stages),
          sa.select(n.day, n.province_code, n.unit_id, sa.literal(1), *[_signed(n[k], 1) for k in stages]),
          sa.select(sr.day, sr.province_code, sr.unit_id, sa.literal(-1), *[_signed(sr[k], -1) for k in stages])
          .join(regs_t, regs_t.c.registration_id == sr.registration_id))
    ins = _insert(session, funnel_reg_t).from_select(cols, sa.select(*[n[c] for c in cols]).where(
        n.registration_id.isnot(None)))
    session.execute(ins.on_conflict_do_update(index_elements=["registration_id"],
                                              set_={c: ins.excluded[c] for c in cols if c != "registration_id"}))


def refreshed_at(session: so.Session) -> datetime | None:
    return session.scalar(sa.select(StatRefresh.refreshed_at).where(StatRefresh.id == 1))


# ---------------------------------------------------------------- public open data

def suppress(n: int | None, threshold: int = THRESHOLD) -> int | None:
    """None for 1..threshold-1 (zero and larger counts are published)."""
    n = int(n or 0)
    return None if 0 < n < threshold else n


def date_range(since: date | None, until: date | None, *, today: date, default_days: int = 90) -> tuple[date, date]:
    until = until or today
    since = since or until - timedelta(days=default_days - 1)
    if since > until or (until - since).days > MAX_RANGE_DAYS:
        raise ValidationFailed(errors={"from": [f"A range of 1 to {MAX_RANGE_DAYS} days, from before to."]},
                               detail="Bad date range.", detail_vi="Khoảng ngày không hợp lệ.")
    return since, until


def public_etag(session: so.Session, *parts) -> str:
    """Changes when the aggregates are refreshed (or the question changes): cheap to compute first."""
    at = refreshed_at(session)
    raw = "|".join([at.isoformat() if at else "never", *map(str, parts)])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


_public_answers: OrderedDict = OrderedDict()  # (database, refreshed_at, since, until, threshold) → answer
_public_lock = threading.Lock()
PUBLIC_ANSWERS_KEPT = 32


def public_stats(session: so.Session, *, since: date, until: date, threshold: int = THRESHOLD) -> dict:
    """The open-data figures: doses per day and kind, by product, coverage by province.

    The same for everyone and unchanged until the next refresh: each process keeps the last few
    answers by refresh time and range (a refresh makes a new key; the old ones age out)."""
    key = (str(session.get_bind().url), refreshed_at(session), since, until, threshold)
    with _public_lock:
        if (kept := _public_answers.get(key)) is not None:
            _public_answers.move_to_end(key)
            return kept
    answer = _public_stats(session, since=since, until=until, threshold=threshold, at=key[1])
    with _public_lock:
        _public_answers[key] = answer
        while len(_public_answers) > PUBLIC_ANSWERS_KEPT:
            _public_answers.popitem(last=False)
    return answer


def _public_stats(session: so.Session, *, since: date, until: date, threshold: int, at: datetime | None) -> dict:
    days: dict[date, Counter] = {}
    by_product: Counter = Counter()
    # one pass over the cells: per day and kind, and per product (the provinces summed in SQL)
    for day, code, kind, n in session.execute(
            sa.select(daily_t.c.day, daily_t.c.product_code, daily_t.c.kind, sa.func.sum(daily_t.c.count))
            .where(daily_t.c.day.between(since, until))
            .group_by(daily_t.c.day, daily_t.c.product_code, daily_t.c.kind)):
        days.setdefault(day, Counter())[kind] += int(n)
        by_product[code] += int(n)
    per_day = []
    d = since
    while d <= until:
        raw = days.get(d, Counter())
        cells = {k: suppress(raw[k], threshold) for k in KINDS}
        total = sum(raw.values())
        per_day.append({"day": d.isoformat(), **cells, "total": suppress(total, threshold),
                        "suppressed": any(v is None for v in cells.values()) or suppress(total, threshold) is None})
        d += timedelta(days=1)
    names = {p.code: p for p in session.scalars(sa.select(VaccineProduct))}
    products = []
    for code, n in sorted(by_product.items()):
        p = names.get(code)
        products.append({"product_code": code, "name_vi": p.name_vi if p else code,
                         "name_en": p.name_en if p else code, "doses": suppress(n, threshold),
                         "suppressed": suppress(n, threshold) is None})
    cells = {r.province_code: r for r in session.execute(sa.select(coverage_t))}
    coverage = []
    for prov in places.provinces():
        r = cells.get(prov["code"])
        vals = {k: suppress(getattr(r, k) if r else 0, threshold) for k in ("at_least_one", "primary_complete", "booster")}
        coverage.append({"province_code": prov["code"], "province_name": prov["name"], **vals,
                         "suppressed": any(v is None for v in vals.values())})
    return {
        "updated_at": at, "from": since.isoformat(), "to": until.isoformat(),
        "metadata": {
            "suppression": {"threshold": threshold, "rule": (
                f"Counts from 1 to {threshold - 1} are published as null with suppressed: true, "
                "so that no figure can point at a person.")},
            "denominators": ("No official population dataset is packaged: counts only, no percentages."),
            "day": "Local date of administration (Asia/Ho_Chi_Minh); doses by the site's province.",
            "coverage": "People by province of residence; primary series and booster as the rules engine counts them.",
            "kinds": {"first": "dose 1 of a primary series of two or more",
                      "primary_complete": "the dose that completes a primary series",
                      "booster": "a booster dose", "other": "any other primary dose"},
            "licence": "CC BY 4.0",
        },
        "doses_per_day": per_day, "products": products, "coverage": coverage,
    }


def to_csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return out.getvalue()


PUBLIC_CSV = {
    "doses": ("doses_per_day", ["day", "first", "primary_complete", "booster", "other", "total", "suppressed"]),
    "coverage": ("coverage", ["province_code", "province_name", "at_least_one", "primary_complete", "booster",
                              "suppressed"]),
    "products": ("products", ["product_code", "name_vi", "name_en", "doses", "suppressed"]),
}


# ---------------------------------------------------------------- department dashboard

@dataclass(frozen=True)
class Scope:
    """None = everywhere; otherwise the provinces and/or sites a principal's roles reach."""

    provinces: frozenset[int] | None
    units: frozenset[str] = frozenset()

    @property
    def national(self) -> bool:
        return self.provinces is None


def scope_of(principal) -> Scope:
    if principal.has("national_admin"):
        return Scope(None)
    provinces = frozenset(r.province_code for r in principal.roles
                          if r.role == "department_staff" and r.province_code is not None)
    units = frozenset(r.unit_id for r in principal.roles if r.role == "site_staff" and r.unit_id)
    return Scope(provinces, units)


def narrow(session: so.Session, scope: Scope, unit_id: str | None) -> Scope:
    """The scope of one site asked for by a filter, or OutOfScope."""
    if unit_id is None:
        return scope
    unit = session.get(OrgUnit, unit_id)
    if unit is None or not (scope.national or unit_id in scope.units or unit.province_code in scope.provinces):
        raise StatsOutOfScope("This site is outside your scope: choose one of your own.",
                              detail_vi="Điểm tiêm này nằm ngoài phạm vi của bạn: hãy chọn một điểm tiêm của bạn.")
    return Scope(frozenset(), frozenset({unit_id}))


def _where(scope: Scope, province_col, unit_col):
    if scope.national:
        return sa.true()
    return sa.or_(province_col.in_(sorted(scope.provinces)), unit_col.in_(sorted(scope.units)))


def _reaction_rates(session: so.Session, store, scope: Scope, since: date, until: date, doses: int) -> dict | None:
    """Doses with a reaction report (and a serious one) per 100,000 doses in scope: the reports
    from the document store, the doses from the aggregates. None when no store is given."""
    if store is None:
        return None
    sites = None if scope.national else sorted(session.scalars(
        sa.select(OrgUnit.id).where(_where(scope, OrgUnit.province_code, OrgUnit.id))))
    return reaction_figures.report_rates(store, sites=sites, date_from=since, date_to=until, doses=doses)


def dashboard(session: so.Session, scope: Scope, *, since: date, until: date, now: datetime,
              store=None) -> dict:
    """Funnel, sessions, stock and supply, overdue people, doses and reaction rates within scope."""
    today = local_date(now)
    site_only = not scope.national and not scope.provinces
    unit = sa.orm.aliased(OrgUnit)

    # registration funnel: registrations made in the range and how far each got (the refresh keeps
    # the cells: `_refresh_funnel`)
    fd = funnel_t.c
    f = session.execute(sa.select(*[sa.func.coalesce(sa.func.sum(fd[k]), 0) for k in FUNNEL]).where(
        fd.day.between(since, until), _where(scope, fd.province_code, fd.unit_id))).one()
    funnel = dict(zip(FUNNEL, map(int, f)))

    # sessions in the range (the latest MAX_SESSIONS): seats, places taken (kept or missed),
    # attended, missed. One statement: the sessions are picked first (a subquery), then each one's
    # slots and bookings are counted by correlated subqueries on the session_id indexes (the
    # bookings' (session_id, status) index alone) — not a scan of every booking, and no list of
    # 500 ids sent back and forth (which cost more Python than the counting cost PostgreSQL).
    vs, bk, sl = VaccinationSession.__table__, Booking.__table__, Slot.__table__
    picked = (sa.select(vs.c.id, vs.c.day, vs.c.status, unit.id.label("site_id"), unit.name.label("site_name"))
              .join(unit, unit.id == vs.c.site_id)
              .where(_where(scope, unit.province_code, unit.id), vs.c.day.between(since, until))
              .order_by(vs.c.day.desc(), unit.name, vs.c.id).limit(MAX_SESSIONS).subquery("picked"))

    def bookings(*statuses):
        return (sa.select(sa.func.count()).select_from(bk)
                .where(bk.c.session_id == picked.c.id, one_of(bk.c.status, statuses)).scalar_subquery())

    rows = session.execute(sa.select(
        picked, sa.select(sa.func.sum(sl.c.capacity)).where(sl.c.session_id == picked.c.id)
        .scalar_subquery().label("seats"),
        bookings(*IN_SEATS).label("taken"), bookings("attended").label("attended"),
        bookings("missed").label("missed"))
        .order_by(picked.c.day.desc(), picked.c.site_name, picked.c.id)).all()
    sessions = []
    for r in rows:
        cap, taken, attended, missed = int(r.seats or 0), int(r.taken), int(r.attended), int(r.missed)
        sessions.append({"session_id": r.id, "day": r.day.isoformat(), "site_id": r.site_id, "site_name": r.site_name,
                         "status": r.status, "capacity": cap, "booked": taken, "attended": attended,
                         "no_shows": missed, "fill_rate": round(taken / cap, 4) if cap else None,
                         "no_show_rate": round(missed / (attended + missed), 4) if attended + missed else None})

    # stock on hand per unit and lot, and days of supply per unit and product: usable doses (not
    # expired, not quarantined) at the pace of the doses given in the last SUPPLY_DAYS full days
    # (the refresh keeps them per day, site and lot: `stat_lot_daily`)
    ld, held = lot_daily_t.c, sa.orm.aliased(OrgUnit)
    used = (sa.select(ld.unit_id, ld.lot_id, sa.func.sum(ld.count).label("used"))
            .where(ld.unit_id.in_(sa.select(held.id).where(_where(scope, held.province_code, held.id))),
                   ld.day.between(today - timedelta(days=SUPPLY_DAYS), today - timedelta(days=1)))
            .group_by(ld.unit_id, ld.lot_id).subquery())
    stock, supply = [], {}
    for r in session.execute(
            sa.select(unit.id, unit.name, Lot.id.label("lot_id"), Lot.lot_number, Lot.product_code, Lot.expires_on,
                      Lot.quarantined_at, StockBalance.balance, sa.func.coalesce(used.c.used, 0).label("used"))
            .select_from(StockBalance).join(unit, unit.id == StockBalance.unit_id)
            .join(Lot, Lot.id == StockBalance.lot_id)
            .outerjoin(used, sa.and_(used.c.unit_id == StockBalance.unit_id, used.c.lot_id == StockBalance.lot_id))
            .where(_where(scope, unit.province_code, unit.id), sa.or_(StockBalance.balance > 0, used.c.used > 0))
            .order_by(unit.name, unit.id, Lot.product_code, Lot.expires_on, Lot.lot_number).limit(2000)):
        balance, n_used = int(r.balance), int(r.used)
        usable = r.quarantined_at is None and r.expires_on >= today
        per_day = n_used / SUPPLY_DAYS
        if balance > 0:
            stock.append({"unit_id": r.id, "unit_name": r.name, "lot_id": r.lot_id, "lot_number": r.lot_number,
                          "product_code": r.product_code, "expires_on": r.expires_on.isoformat(),
                          "balance": balance, "usable": usable, "used_per_day": round(per_day, 2),
                          "days_of_supply": round(balance / per_day, 1) if usable and per_day else None})
        p = supply.setdefault((r.id, r.product_code), {"unit_id": r.id, "unit_name": r.name,
                                                       "product_code": r.product_code, "usable_balance": 0,
                                                       "used": 0})
        p["usable_balance"] += balance if usable else 0
        p["used"] += n_used
    for p in supply.values():
        per_day = p.pop("used") / SUPPLY_DAYS
        p.update(used_per_day=round(per_day, 2),
                 days_of_supply=round(p["usable_balance"] / per_day, 1) if per_day else None)
    supply = list(supply.values())

    # people past the date their next dose was recommended by (the rules engine, at refresh)
    # provinces from the `stat_due` cells; people reached only through a site scope (last dose there,
    # living outside the scope's provinces) from `stat_person` by its last_unit_id index
    ps = person_stat_t
    by_product: Counter = Counter()
    if scope.national or scope.provinces:
        q = sa.select(due_t.c.next_product, sa.func.sum(due_t.c.count)).where(due_t.c.next_due_by < today)
        if not scope.national:
            q = q.where(due_t.c.province_code.in_(sorted(scope.provinces)))
        for p, c in session.execute(q.group_by(due_t.c.next_product)):
            by_product[p] += int(c or 0)
    if not scope.national and scope.units:
        q = sa.select(ps.c.next_product, sa.func.count()).where(
            ps.c.last_unit_id.in_(sorted(scope.units)), ps.c.next_due_by < today)
        if scope.provinces:
            q = q.where(ps.c.province_code.not_in(sorted(scope.provinces)))
        for p, c in session.execute(q.group_by(ps.c.next_product)):
            by_product[p] += int(c)
    by_product = {p: c for p, c in sorted(by_product.items()) if c}
    overdue = {"total": sum(by_product.values()), "by_product": by_product}

    # doses in the range (aggregates)
    if site_only:
        total = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(unit_daily_t.c.count), 0)).where(
            unit_daily_t.c.unit_id.in_(sorted(scope.units)), unit_daily_t.c.day.between(since, until)))
        doses = {"total": int(total), "by_kind": None}
    else:
        q = sa.select(daily_t.c.kind, sa.func.sum(daily_t.c.count)).where(daily_t.c.day.between(since, until))
        if not scope.national:
            q = q.where(daily_t.c.province_code.in_(sorted(scope.provinces)))
        by_kind = dict.fromkeys(KINDS, 0) | {k: int(v) for k, v in session.execute(q.group_by(daily_t.c.kind))}
        doses = {"total": sum(by_kind.values()), "by_kind": by_kind}
    products = {p.code: {"name_vi": p.name_vi, "name_en": p.name_en}
                for p in session.scalars(sa.select(VaccineProduct).order_by(VaccineProduct.code))}
    return {"from": since.isoformat(), "to": until.isoformat(), "updated_at": refreshed_at(session),
            "scope": {"national": scope.national, "province_codes": None if scope.national else sorted(scope.provinces),
                      "unit_ids": sorted(scope.units)},
            "funnel": funnel, "sessions": sessions, "stock": stock, "supply": supply, "overdue": overdue,
            "doses": doses, "products": products,
            "reactions": _reaction_rates(session, store, scope, since, until, doses["total"])}


def dashboard_csv(data: dict) -> str:
    """One long table: section, unit, item, metric, value (what a spreadsheet pivots)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "unit", "item", "metric", "value"])
    for k, v in data["funnel"].items():
        w.writerow(["funnel", "", "", k, v])
    for s in data["sessions"]:
        for k in ("capacity", "booked", "attended", "no_shows", "fill_rate", "no_show_rate"):
            w.writerow(["sessions", s["site_name"], f"{s['day']} {s['session_id']}", k, "" if s[k] is None else s[k]])
    for s in data["stock"]:
        for k in ("balance", "usable", "used_per_day", "days_of_supply"):
            w.writerow(["stock", s["unit_name"], f"{s['product_code']} {s['lot_number']}", k,
                        "" if s[k] is None else s[k]])
    for s in data["supply"]:
        for k in ("usable_balance", "used_per_day", "days_of_supply"):
            w.writerow(["supply", s["unit_name"], s["product_code"], k, "" if s[k] is None else s[k]])
    w.writerow(["overdue", "", "", "total", data["overdue"]["total"]])
    for p, c in data["overdue"]["by_product"].items():
        w.writerow(["overdue", "", p, "people", c])
    w.writerow(["doses", "", "", "total", data["doses"]["total"]])
    for k in ("reports", "serious", "report_rate", "serious_rate"):
        if data.get("reactions"):
            v = data["reactions"][k]
            w.writerow(["reactions", "", "", k, "" if v is None else v])
    return out.getvalue()
