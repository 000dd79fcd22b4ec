"""Statistics: incremental aggregates, public open data, the department dashboard.

Refresh design (`refresh_stats`): dose records changed since the watermark (by `updated_at`,
re-reading an overlap window so a transaction that committed late is still seen) are compared
with what they last contributed (`stat_dose_seen`); the old contribution is subtracted and the
new one added (a delta), so a corrected or voided dose moves its count exactly and re-reading a
record twice changes nothing. The people those records belong to are re-evaluated with the rules
engine (series status, next dose) and their coverage flags moved between province cells the same
way. Figures are as of `stat_refresh.refreshed_at`, which the API and the page show.
"""
from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.booking.models import Booking, Registration, RegistrationEvent, Slot, VaccinationSession
from api.catalog import rules as engine
from api.catalog import service as catalog
from api.catalog.models import OrgUnit, VaccineProduct
from api.people.models import Person
from api.places import service as places
from api.problems import ValidationFailed
from api.stats.problems import StatsOutOfScope
from api.stats.models import (UNKNOWN_PROVINCE, StatCoverage, StatDoseDaily, StatDoseSeen, StatDue, StatPerson,
                              StatRefresh, StatUnitDaily)
from api.vaccination.models import COUNTED, DoseRecord, Lot, StockBalance, StockMovement

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# Published cells between 1 and THRESHOLD-1 are withheld: a count that small can point at a person.
THRESHOLD = 10
# How late a dose-record transaction may commit after the updated_at it wrote and still be seen.
OVERLAP = timedelta(minutes=10)
BATCH = 20_000
SUPPLY_WINDOW_DAYS = 14
MAX_RANGE_DAYS = 400

dose_t = DoseRecord.__table__
seen_t = StatDoseSeen.__table__
daily_t = StatDoseDaily.__table__
unit_daily_t = StatUnitDaily.__table__
person_stat_t = StatPerson.__table__
coverage_t = StatCoverage.__table__
due_t = StatDue.__table__


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


def _add_counts(session: so.Session, table: sa.Table, keys: tuple[str, ...], deltas: Counter) -> None:
    """count += delta per cell (an upsert), skipping zero deltas."""
    rows = [dict(zip(keys, k), count=v) for k, v in deltas.items() if v]
    if not rows:
        return
    stmt = _insert(session, table)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={"count": table.c.count + stmt.excluded["count"]})
    for i in range(0, len(rows), 5000):
        session.execute(stmt, rows[i:i + 5000])


def _upsert(session: so.Session, table: sa.Table, key: str, rows: list[dict]) -> None:
    if not rows:
        return
    stmt = _insert(session, table)
    stmt = stmt.on_conflict_do_update(index_elements=[key],
                                      set_={c: stmt.excluded[c] for c in rows[0] if c != key})
    for i in range(0, len(rows), 5000):
        session.execute(stmt, rows[i:i + 5000])


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
    sa.Column("kind", sa.String(16)), sa.Column("unit_id", sa.String(36)),
    sa.Column("s_counted", sa.Boolean), sa.Column("s_day", sa.Date), sa.Column("s_province", sa.Integer),
    sa.Column("s_product", sa.String(40)), sa.Column("s_kind", sa.String(16)), sa.Column("s_unit", sa.String(36)),
    prefixes=["TEMPORARY"])


def _add_deltas(session: so.Session, table: sa.Table, new_cols: list, old_cols: list, keys: tuple[str, ...],
                new_where, old_where) -> None:
    """count += (records now counted in the cell) - (records counted there before), in one statement."""
    plus = sa.select(*[x.label(k) for x, k in zip(new_cols, keys)], sa.literal(1).label("n")).where(new_where)
    minus = sa.select(*[x.label(k) for x, k in zip(old_cols, keys)], sa.literal(-1).label("n")).where(old_where)
    u = sa.union_all(plus, minus).subquery()
    total = sa.func.sum(u.c.n)
    agg = (sa.select(*[u.c[k] for k in keys], total)
           .group_by(*[u.c[k] for k in keys]).having(total != 0))
    stmt = _insert(session, table).from_select([*keys, "count"], agg)
    session.execute(stmt.on_conflict_do_update(index_elements=list(keys),
                                               set_={"count": table.c.count + stmt.excluded["count"]}))


def refresh_stats(session: so.Session, now: datetime) -> int:
    """Bring the aggregates up to date with the dose records; returns the records whose
    contribution changed (a scheduler job: running it again changes nothing).

    Set-based: the changed records are selected once into a temporary table (a record read again
    in the overlap window with the same version and contribution is left out in SQL), the daily
    cells move by one INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE each, and
    `stat_dose_seen` is upserted from the same rows; only the people of those records (and people
    whose own record changed) go through the rules engine, in bulk-loaded chunks."""
    state = session.get(StatRefresh, 1, with_for_update=True)
    if state is None:
        state = StatRefresh(id=1, watermark=None, refreshed_at=None, doses_changed=0)
        session.add(state)
        session.flush()
        state = session.get(StatRefresh, 1, with_for_update=True)
    lower = state.watermark - OVERLAP if state.watermark else None
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
    differs = sa.or_(s.dose_record_id.is_(None), s.version != d.version, s.counted.is_distinct_from(counted),
                     s.day.is_distinct_from(d.administered_on), s.province_code.is_distinct_from(province),
                     s.product_code.is_distinct_from(d.product_code), s.kind.is_distinct_from(kind),
                     s.unit_id.is_distinct_from(d.unit_id))
    q = (sa.select(d.id, d.person_id, d.version, counted, d.administered_on, province, d.product_code, kind,
                   d.unit_id, s.counted, s.day, s.province_code, s.product_code, s.kind, s.unit_id)
         .select_from(dose_t.outerjoin(seen_t, s.dose_record_id == d.id)
                      .outerjoin(vp, vp.c.code == d.product_code))
         .where(differs))
    if lower is not None:
        q = q.where(d.updated_at >= lower)
    conn = session.connection()
    changes_t.drop(conn, checkfirst=True)
    changes_t.create(conn)
    try:
        session.execute(sa.insert(changes_t).from_select([col.name for col in changes_t.c], q))
        c = changes_t.c
        changed = session.scalar(sa.select(sa.func.count()).select_from(changes_t)) or 0
        if changed:
            _add_deltas(session, daily_t, [c.day, c.province_code, c.product_code, c.kind],
                        [c.s_day, c.s_province, c.s_product, c.s_kind], ("day", "province_code", "product_code", "kind"),
                        c.counted == sa.true(), c.s_counted == sa.true())
            _add_deltas(session, unit_daily_t, [c.day, c.unit_id], [c.s_day, c.s_unit], ("day", "unit_id"),
                        sa.and_(c.counted == sa.true(), c.unit_id.isnot(None)),
                        sa.and_(c.s_counted == sa.true(), c.s_unit.isnot(None)))
            cols = ["version", "counted", "day", "province_code", "product_code", "kind", "unit_id"]
            ins = _insert(session, seen_t).from_select(
                ["dose_record_id", *cols],
                sa.select(c.id, c.version, c.counted, c.day, c.province_code, c.product_code, c.kind, c.unit_id)
                .where(c.id.isnot(None)))  # a WHERE: SQLite's upsert-from-SELECT needs one
            session.execute(ins.on_conflict_do_update(index_elements=["dose_record_id"],
                                                      set_={k: ins.excluded[k] for k in cols}))
            people = set(session.scalars(sa.select(c.person_id).distinct()))
        else:
            people = set()
    finally:
        changes_t.drop(conn, checkfirst=True)
    if lower is not None:  # a move (or a new date of birth) changes a person's figures without a dose
        people.update(session.scalars(
            sa.select(Person.id).join(StatPerson, StatPerson.person_id == Person.id)
            .where(Person.updated_at >= lower, StatPerson.person_version.is_distinct_from(Person.version))))
    _refresh_people(session, sorted(people), today=local_date(now))
    state.watermark = high
    state.refreshed_at = now
    state.doses_changed = changed
    return changed


def _refresh_people(session: so.Session, ids: list[str], *, today: date) -> None:
    """Re-evaluate these people with the rules engine; move their coverage flags between cells."""
    if not ids:
        return
    rules = catalog.load_rule_set(session)
    cover: Counter = Counter()
    due_cells: Counter = Counter()
    for i in range(0, len(ids), 2000):
        chunk = ids[i:i + 2000]
        history: dict[str, list] = {}
        last_unit: dict[str, tuple] = {}
        for r in session.execute(sa.select(dose_t.c.person_id, dose_t.c.product_code, dose_t.c.dose_number,
                                           dose_t.c.administered_on, dose_t.c.administered_at, dose_t.c.unit_id)
                                 .where(dose_t.c.person_id.in_(chunk), dose_t.c.status.in_(COUNTED))):
            history.setdefault(r.person_id, []).append(engine.GivenDose(r.product_code, r.dose_number,
                                                                        r.administered_on))
            if r.person_id not in last_unit or r.administered_at > last_unit[r.person_id][0]:
                last_unit[r.person_id] = (r.administered_at, r.unit_id, r.product_code)
        people = {p.id: p for p in session.execute(
            sa.select(Person.id, Person.province_code, Person.date_of_birth, Person.version).where(Person.id.in_(chunk)))}
        before = {s.person_id: s for s in session.execute(
            sa.select(person_stat_t).where(person_stat_t.c.person_id.in_(chunk)))}
        rows, gone = [], []
        for pid in chunk:
            old = before.get(pid)
            if old is not None and old.has_dose:
                cover[(old.province_code, "at_least_one")] -= 1
                cover[(old.province_code, "primary_complete")] -= old.primary_complete
                cover[(old.province_code, "booster")] -= old.booster
            if old is not None and old.next_due_by is not None:
                due_cells[(old.province_code, old.next_product, old.next_due_by)] -= 1
            given, person = history.get(pid), people.get(pid)
            if not given or person is None:
                if old is not None:
                    gone.append(pid)
                continue
            status = engine.series_status(given, rules)
            province = person.province_code or UNKNOWN_PROVINCE
            _, unit, product = last_unit[pid]
            nxt = engine.next_dose(person.date_of_birth, given, rules, product=product,
                                   where=engine.Jurisdiction(person.province_code), on=today)
            due = nxt.recommended_by if nxt.dose_number is not None else None
            row = {"person_id": pid, "province_code": province, "has_dose": status.doses > 0,
                   "primary_complete": status.status == "green", "booster": status.boosters > 0,
                   "last_unit_id": unit, "next_product": product if due else None, "next_due_by": due,
                   "person_version": person.version}
            rows.append(row)
            cover[(province, "at_least_one")] += 1
            cover[(province, "primary_complete")] += row["primary_complete"]
            cover[(province, "booster")] += row["booster"]
            if due is not None:
                due_cells[(province, product, due)] += 1
        if gone:
            session.execute(sa.delete(person_stat_t).where(person_stat_t.c.person_id.in_(gone)))
        _upsert(session, person_stat_t, "person_id", rows)
    _add_counts(session, due_t, ("province_code", "next_product", "next_due_by"), due_cells)
    provinces = {p for p, _ in cover}
    for p in provinces:
        delta = {k: cover[(p, k)] for k in ("at_least_one", "primary_complete", "booster")}
        if not any(delta.values()):
            continue
        stmt = _insert(session, coverage_t).values(province_code=p, **delta)
        session.execute(stmt.on_conflict_do_update(index_elements=["province_code"], set_={
            k: coverage_t.c[k] + stmt.excluded[k] for k in delta}))


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


def public_stats(session: so.Session, *, since: date, until: date, threshold: int = THRESHOLD) -> dict:
    """The open-data figures: doses per day and kind, by product, coverage by province."""
    kinds = ("first", "primary_complete", "booster", "other")
    days: dict[date, dict] = {}
    for day, kind, n in session.execute(
            sa.select(daily_t.c.day, daily_t.c.kind, sa.func.sum(daily_t.c.count))
            .where(daily_t.c.day.between(since, until)).group_by(daily_t.c.day, daily_t.c.kind)):
        days.setdefault(day, Counter())[kind] += int(n)
    per_day = []
    d = since
    while d <= until:
        raw = days.get(d, Counter())
        cells = {k: suppress(raw[k], threshold) for k in kinds}
        total = sum(raw.values())
        per_day.append({"day": d.isoformat(), **cells, "total": suppress(total, threshold),
                        "suppressed": any(v is None for v in cells.values()) or suppress(total, threshold) is None})
        d += timedelta(days=1)
    names = {p.code: p for p in session.scalars(sa.select(VaccineProduct))}
    products = []
    for code, n in session.execute(
            sa.select(daily_t.c.product_code, sa.func.sum(daily_t.c.count))
            .where(daily_t.c.day.between(since, until)).group_by(daily_t.c.product_code)
            .order_by(daily_t.c.product_code)):
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
    at = refreshed_at(session)
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
        raise StatsOutOfScope()
    return Scope(frozenset(), frozenset({unit_id}))


def _where(scope: Scope, province_col, unit_col):
    if scope.national:
        return sa.true()
    return sa.or_(province_col.in_(sorted(scope.provinces)), unit_col.in_(sorted(scope.units)))


def _reaction_rates(session: so.Session, scope: Scope, since: date, until: date, doses: dict) -> dict | None:
    """Reactions per 100,000 doses from the reactions domain, when it has landed (hook)."""
    try:
        from api.reactions import service as reactions  # the colleague's domain, not yet merged
    except ImportError:
        return None
    rates = getattr(reactions, "rates", None)
    if rates is None:
        return None
    return rates(session, provinces=None if scope.national else sorted(scope.provinces),
                 units=sorted(scope.units), since=since, until=until)


def dashboard(session: so.Session, scope: Scope, *, since: date, until: date, now: datetime) -> dict:
    """Funnel, sessions, stock and supply, overdue people, doses and reaction rates within scope."""
    today = local_date(now)
    start, end = day_start(since), day_start(until + timedelta(days=1))
    site_only = not scope.national and not scope.provinces
    unit = sa.orm.aliased(OrgUnit)

    # registration funnel: registrations made in the range, and how far each got
    reg = Registration.__table__
    in_scope = _where(scope, reg.c.preferred_province_code, reg.c.allocated_unit_id)
    reached = lambda status: sa.exists().where(RegistrationEvent.registration_id == reg.c.id,  # noqa: E731
                                               RegistrationEvent.status == status)
    booked = sa.exists().where(Booking.person_id == reg.c.person_id, Booking.disease == reg.c.disease,
                               Booking.created_at >= reg.c.created_at)
    vaccinated = sa.exists().where(dose_t.c.person_id == reg.c.person_id, dose_t.c.disease == reg.c.disease,
                                   dose_t.c.status.in_(COUNTED), dose_t.c.administered_at >= reg.c.created_at)
    n = lambda cond: sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)  # noqa: E731
    f = session.execute(sa.select(sa.func.count(), n(reached("approved")), n(reached("allocated")), n(booked),
                                  n(vaccinated))
                        .where(in_scope, reg.c.created_at >= start, reg.c.created_at < end)).one()
    funnel = dict(zip(("registered", "approved", "allocated", "booked", "vaccinated"), map(int, f)))

    # sessions: seats, bookings kept and missed
    vs = VaccinationSession.__table__
    bk = Booking.__table__
    seats = (sa.select(Slot.session_id, sa.func.sum(Slot.capacity).label("capacity"))
             .group_by(Slot.session_id).subquery())
    counts = (sa.select(bk.c.session_id,
                        n(bk.c.status.in_(("booked", "confirmed", "attended", "missed"))).label("taken"),
                        n(bk.c.status == "attended").label("attended"), n(bk.c.status == "missed").label("missed"))
              .group_by(bk.c.session_id).subquery())
    sessions = []
    for r in session.execute(
            sa.select(vs.c.id, vs.c.day, unit.id.label("site_id"), unit.name.label("site_name"), vs.c.status,
                      sa.func.coalesce(seats.c.capacity, 0).label("capacity"),
                      sa.func.coalesce(counts.c.taken, 0).label("taken"),
                      sa.func.coalesce(counts.c.attended, 0).label("attended"),
                      sa.func.coalesce(counts.c.missed, 0).label("missed"))
            .join(unit, unit.id == vs.c.site_id).outerjoin(seats, seats.c.session_id == vs.c.id)
            .outerjoin(counts, counts.c.session_id == vs.c.id)
            .where(_where(scope, unit.province_code, unit.id), vs.c.day.between(since, until))
            .order_by(vs.c.day.desc(), unit.name).limit(500)):
        cap, taken, missed, attended = int(r.capacity), int(r.taken), int(r.missed), int(r.attended)
        sessions.append({"session_id": r.id, "day": r.day.isoformat(), "site_id": r.site_id, "site_name": r.site_name,
                         "status": r.status, "capacity": cap, "booked": taken, "attended": attended,
                         "no_shows": missed, "fill_rate": round(taken / cap, 4) if cap else None,
                         "no_show_rate": round(missed / (attended + missed), 4) if attended + missed else None})

    # stock on hand and days of supply (at the pace of the last 14 days' administrations)
    used = (sa.select(StockMovement.unit_id, StockMovement.lot_id, (-sa.func.sum(StockMovement.quantity)).label("used"))
            .where(StockMovement.kind == "administer", StockMovement.at >= now - timedelta(days=SUPPLY_WINDOW_DAYS))
            .group_by(StockMovement.unit_id, StockMovement.lot_id).subquery())
    stock = []
    for r in session.execute(
            sa.select(unit.id, unit.name, Lot.id.label("lot_id"), Lot.lot_number, Lot.product_code, Lot.expires_on,
                      StockBalance.balance, sa.func.coalesce(used.c.used, 0).label("used"))
            .select_from(StockBalance).join(unit, unit.id == StockBalance.unit_id)
            .join(Lot, Lot.id == StockBalance.lot_id)
            .outerjoin(used, sa.and_(used.c.unit_id == StockBalance.unit_id, used.c.lot_id == StockBalance.lot_id))
            .where(_where(scope, unit.province_code, unit.id), StockBalance.balance > 0)
            .order_by(unit.name, Lot.expires_on).limit(1000)):
        per_day = int(r.used) / SUPPLY_WINDOW_DAYS
        stock.append({"unit_id": r.id, "unit_name": r.name, "lot_id": r.lot_id, "lot_number": r.lot_number,
                      "product_code": r.product_code, "expires_on": r.expires_on.isoformat(),
                      "balance": int(r.balance), "used_per_day": round(per_day, 2),
                      "days_of_supply": round(int(r.balance) / per_day, 1) if per_day else None})

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
        by_kind = {k: int(v) for k, v in session.execute(q.group_by(daily_t.c.kind))}
        doses = {"total": sum(by_kind.values()), "by_kind": by_kind}
    return {"from": since.isoformat(), "to": until.isoformat(), "updated_at": refreshed_at(session),
            "scope": {"national": scope.national, "province_codes": None if scope.national else sorted(scope.provinces),
                      "unit_ids": sorted(scope.units)},
            "funnel": funnel, "sessions": sessions, "stock": stock, "overdue": overdue, "doses": doses,
            "reactions": _reaction_rates(session, scope, since, until, doses)}


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
        for k in ("balance", "used_per_day", "days_of_supply"):
            w.writerow(["stock", s["unit_name"], f"{s['product_code']} {s['lot_number']}", k,
                        "" if s[k] is None else s[k]])
    w.writerow(["overdue", "", "", "total", data["overdue"]["total"]])
    for p, c in data["overdue"]["by_product"].items():
        w.writerow(["overdue", "", p, "people", c])
    w.writerow(["doses", "", "", "total", data["doses"]["total"]])
    return out.getvalue()
